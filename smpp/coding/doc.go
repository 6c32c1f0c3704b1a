// Package coding turns message text into SMPP 3.4 short messages and back,
// and reads delivery receipts.
//
// Text is sent in the GSM 7-bit default alphabet with its extension table
// (3GPP TS 23.038) when every character fits, otherwise in UCS-2 (UTF-16BE,
// characters beyond the Basic Multilingual Plane as surrogate pairs, as
// handsets do). Split cuts a long text into concatenated parts per route
// Options: a user data header with an 8-bit reference, SAR TLVs, or one
// message_payload. An escape sequence or a surrogate pair is never cut.
//
// ParseReceipt reads the de-facto delivery receipt text of SMPP 3.4
// appendix B ("id:... sub:... dlvrd:... submit date:... done date:...
// stat:... err:... text:..."); State maps both its stat word and the
// message_state TLV; SameID and IDCandidates match a submit_sm_resp
// message_id with a receipt's id when one side is hex and the other decimal.
//
// The package has no dependency on the PDU codec (package smpp) nor on the
// core package: it works on bytes, strings and small value types.
package coding
