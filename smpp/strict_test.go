package smpp

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// raw builds a PDU by hand: a header with the right command_length and the
// body parts concatenated.
func raw(c CommandID, st Status, seq uint32, body ...string) []byte {
	b := appendHeader(nil, Header{Command: c, Status: st, Sequence: seq})
	for _, s := range body {
		b = append(b, s...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// submitBody returns a submit_sm body with the given addresses, times,
// sm_length and message, TLVs appended.
func submitBody(src, dst, sched, valid string, smLen byte, sm string, tlvs string) string {
	return "\x00" + "\x05\x00" + src + "\x00" + "\x01\x01" + dst + "\x00" + "\x00\x00\x00" +
		sched + "\x00" + valid + "\x00" + "\x01\x00\x00\x00" + string([]byte{smLen}) + sm + tlvs
}

func TestDecodeStrict(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	ok := submitBody("Detour", "447700900123", "", "", 2, "hi", "")
	if _, err := Decode(raw(CommandSubmitSM, 0, 1, ok)); err != nil {
		t.Fatalf("the base case must decode: %v", err)
	}
	cases := []struct {
		name   string
		in     []byte
		status Status
		fatal  bool
		is     error
	}{
		{"empty", nil, StatusInvCmdLen, true, ErrTruncated},
		{"short header", raw(CommandEnquireLink, 0, 1)[:10], StatusInvCmdLen, true, ErrTruncated},
		{"length below 16", func() []byte { b := raw(CommandEnquireLink, 0, 1); b[3] = 8; return b }(), StatusInvCmdLen, true, ErrBadLength},
		{"length zero", func() []byte { b := raw(CommandEnquireLink, 0, 1); b[3] = 0; return b }(), StatusInvCmdLen, true, ErrBadLength},
		{"length above the bytes", func() []byte { b := raw(CommandEnquireLink, 0, 1); b[3] = 20; return b }(), StatusInvCmdLen, true, ErrLengthMismatch},
		{"length below the bytes", append(raw(CommandEnquireLink, 0, 1), 0), StatusInvCmdLen, true, ErrLengthMismatch},
		{"length 4 GiB", func() []byte { b := raw(CommandEnquireLink, 0, 1); b[0] = 0xff; return b }(), StatusInvCmdLen, true, ErrLengthMismatch},
		{"unknown command", raw(0x00000099, 0, 7), StatusInvCmdID, false, ErrUnknownCommand},
		{"unknown response", raw(0x80000099, 0, 7, "junk"), StatusInvCmdID, false, ErrUnknownCommand},
		{"cancel_sm is not ours", raw(0x00000008, 0, 7, "\x00"), StatusInvCmdID, false, ErrUnknownCommand},
		{"enquire_link with a body", raw(CommandEnquireLink, 0, 1, "\x00\x00\x00\x00"), StatusInvCmdLen, false, ErrTrailing},
		{"generic_nack with a body", raw(CommandGenericNack, 3, 1, "\x00"), StatusInvCmdLen, false, ErrTrailing},
		{"bind empty body", raw(CommandBindTransceiver, 0, 1), StatusInvCmdLen, false, ErrTruncated},
		{"bind system_id no NUL", raw(CommandBindTransceiver, 0, 1, long(16)+"\x00pw\x00\x00\x34\x00\x00\x00"), StatusInvSysID, false, ErrNoNUL},
		{"bind system_id 15 fits", nil, 0, false, nil},
		{"bind password too long", raw(CommandBindTransceiver, 0, 1, "id\x00"+long(9)+"\x00\x00\x34\x00\x00\x00"), StatusInvPaswd, false, ErrNoNUL},
		{"bind system_type too long", raw(CommandBindTransceiver, 0, 1, "id\x00pw\x00"+long(13)+"\x00\x34\x00\x00\x00"), StatusInvSysTyp, false, ErrNoNUL},
		{"bind ends in a string", raw(CommandBindTransceiver, 0, 1, "id\x00pw"), StatusInvCmdLen, false, ErrTruncated},
		{"bind ends before addr_ton", raw(CommandBindTransceiver, 0, 1, "id\x00pw\x00\x00\x34"), StatusInvCmdLen, false, ErrTruncated},
		{"bind with trailing octets", raw(CommandBindTransceiver, 0, 1, "id\x00pw\x00\x00\x34\x00\x00\x00\x00"), StatusInvCmdLen, false, ErrTrailing},
		{"bind_resp ok without body", raw(CommandBindTransceiverResp, 0, 1), StatusInvCmdLen, false, ErrTruncated},
		{"submit_sm source too long", raw(CommandSubmitSM, 0, 1, submitBody(long(21), "1", "", "", 0, "", "")), StatusInvSrcAdr, false, ErrNoNUL},
		{"submit_sm destination too long", raw(CommandSubmitSM, 0, 1, submitBody("1", long(21), "", "", 0, "", "")), StatusInvDstAdr, false, ErrNoNUL},
		{"submit_sm schedule 5 chars", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "24010", "", 0, "", "")), StatusInvSched, false, ErrBadTime},
		{"submit_sm validity too long", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", long(17), 0, "", "")), StatusInvExpiry, false, ErrNoNUL},
		{"submit_sm sm_length past end", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 11, "hello", "")), StatusInvMsgLen, false, ErrTruncated},
		{"submit_sm sm_length 255", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 255, long(255), "")), StatusInvMsgLen, false, ErrTooLong},
		{"submit_sm missing sm_length", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 0, "", "")[:18]), StatusInvCmdLen, false, ErrTruncated},
		{"submit_sm truncated TLV header", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 0, "", "\x02\x04\x00")), StatusInvOptParStream, false, ErrTruncated},
		{"submit_sm TLV past end", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 0, "", "\x02\x04\x00\x03\x00\x07")), StatusInvOptParStream, false, ErrTruncated},
		{"submit_sm TLV 65535 past end", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 0, "", "\x04\x24\xff\xff\x00")), StatusInvOptParStream, false, ErrTruncated},
		{"submit_sm second TLV broken", raw(CommandSubmitSM, 0, 1, submitBody("1", "2", "", "", 0, "", "\x02\x04\x00\x02\x00\x07\x00")), StatusInvOptParStream, false, ErrTruncated},
		{"submit_sm_resp ok without body", raw(CommandSubmitSMResp, 0, 1), StatusInvCmdLen, false, ErrTruncated},
		{"submit_sm_resp message_id too long", raw(CommandSubmitSMResp, 0, 1, long(65)+"\x00"), StatusInvMsgID, false, ErrNoNUL},
		{"submit_sm_resp message_id no NUL", raw(CommandSubmitSMResp, 0, 1, "abc"), StatusInvCmdLen, false, ErrTruncated},
		{"data_sm address 65", raw(CommandDataSM, 0, 1, "\x00\x00\x00"+long(65)+"\x00\x00\x002\x00\x00\x00\x00"), StatusInvSrcAdr, false, ErrNoNUL},
		{"query_sm trailing", raw(CommandQuerySM, 0, 1, "id\x00\x00\x00src\x00\x00"), StatusInvCmdLen, false, ErrTrailing},
		{"query_sm_resp final_date short", raw(CommandQuerySMResp, 0, 1, "id\x002401\x00\x02\x00"), StatusSysErr, false, ErrBadTime},
		{"outbind trailing", raw(CommandOutbind, 0, 1, "id\x00pw\x00\x00"), StatusInvCmdLen, false, ErrTrailing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in == nil && tc.is == nil {
				// A 15-character system_id is the longest that fits.
				if _, err := Decode(raw(CommandBindTransceiver, 0, 1, long(15)+"\x00pw\x00\x00\x34\x00\x00\x00")); err != nil {
					t.Fatal(err)
				}
				return
			}
			p, err := Decode(tc.in)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %+v, %v; want a *DecodeError", p, err)
			}
			if de.Status != tc.status || de.Fatal != tc.fatal || !errors.Is(err, tc.is) {
				t.Errorf("got status %s fatal %v err %v; want %s fatal %v err %v", de.Status, de.Fatal, err, tc.status, tc.fatal, tc.is)
			}
			if !tc.fatal && de.Header.Sequence != binary.BigEndian.Uint32(tc.in[12:]) {
				t.Errorf("sequence %d lost", de.Header.Sequence)
			}
		})
	}
}

func TestFailedResponsesWithoutBody(t *testing.T) {
	for _, c := range []CommandID{CommandBindTransmitterResp, CommandBindReceiverResp, CommandBindTransceiverResp,
		CommandSubmitSMResp, CommandDeliverSMResp, CommandDataSMResp, CommandQuerySMResp} {
		p, err := Decode(raw(c, StatusSysErr, 3))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if p.Body == nil || !p.Body.allows(c) {
			t.Errorf("%s: body %T", c, p.Body)
		}
	}
}

func TestEncodeStrict(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name string
		p    PDU
		is   error
	}{
		{"unknown command", PDU{Header: Header{Command: 0x99}}, ErrUnknownCommand},
		{"body of another command", PDU{Header: Header{Command: CommandSubmitSM}, Body: &DeliverSM{}}, ErrBodyType},
		{"bind body on a response", PDU{Header: Header{Command: CommandBindTransceiverResp}, Body: &Bind{}}, ErrBodyType},
		{"body on enquire_link", PDU{Header: Header{Command: CommandEnquireLink}, Body: &SubmitSM{}}, ErrBodyType},
		{"system_id 16", PDU{Header: Header{Command: CommandBindTransmitter}, Body: &Bind{SystemID: long(16)}}, ErrTooLong},
		{"password 9", PDU{Header: Header{Command: CommandBindTransmitter}, Body: &Bind{Password: long(9)}}, ErrTooLong},
		{"NUL in system_id", PDU{Header: Header{Command: CommandBindTransmitter}, Body: &Bind{SystemID: "a\x00b"}}, ErrNUL},
		{"address_range 41", PDU{Header: Header{Command: CommandBindReceiver}, Body: &Bind{AddressRange: long(41)}}, ErrTooLong},
		{"service_type 6", PDU{Header: Header{Command: CommandSubmitSM}, Body: &SubmitSM{ServiceType: long(6)}}, ErrTooLong},
		{"source_addr 21", PDU{Header: Header{Command: CommandSubmitSM}, Body: &SubmitSM{SourceAddr: long(21)}}, ErrTooLong},
		{"destination_addr 21", PDU{Header: Header{Command: CommandDeliverSM}, Body: &DeliverSM{DestinationAddr: long(21)}}, ErrTooLong},
		{"data_sm addr 65", PDU{Header: Header{Command: CommandDataSM}, Body: &DataSM{DestinationAddr: long(65)}}, ErrTooLong},
		{"schedule 15", PDU{Header: Header{Command: CommandSubmitSM}, Body: &SubmitSM{ScheduleDeliveryTime: long(15)}}, ErrBadTime},
		{"validity 17", PDU{Header: Header{Command: CommandSubmitSM}, Body: &SubmitSM{ValidityPeriod: long(17)}}, ErrBadTime},
		{"short_message 255", PDU{Header: Header{Command: CommandSubmitSM}, Body: &SubmitSM{ShortMessage: make([]byte, 255)}}, ErrTooLong},
		{"message_id 65", PDU{Header: Header{Command: CommandSubmitSMResp}, Body: &SubmitSMResp{MessageID: long(65)}}, ErrTooLong},
		{"TLV 65536", PDU{Header: Header{Command: CommandDataSM}, Body: &DataSM{TLVs: TLVs{{Tag: TagMessagePayload, Value: make([]byte, 65536)}}}}, ErrTooLong},
		{"final_date 3", PDU{Header: Header{Command: CommandQuerySMResp}, Body: &QuerySMResp{FinalDate: "abc"}}, ErrBadTime},
	}
	for _, tc := range cases {
		dst := []byte("keep")
		got, err := AppendPDU(dst, tc.p)
		if !errors.Is(err, tc.is) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.is)
		}
		if string(got) != "keep" {
			t.Errorf("%s: dst changed to %q", tc.name, got)
		}
	}
	// The largest values that fit do encode.
	p := PDU{Header: Header{Command: CommandSubmitSM}, Body: &SubmitSM{ServiceType: long(5), SourceAddr: long(20), DestinationAddr: long(20), ShortMessage: make([]byte, 254)}}
	if _, err := Encode(p); err != nil {
		t.Errorf("largest submit_sm: %v", err)
	}
}
