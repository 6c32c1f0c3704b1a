package sms

import (
	"fmt"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
)

// Verdict is what one submit_sm answer means for the message and the
// route. Every SMPP failure is classified here and only here; routing,
// retries and route health read the verdict.
type Verdict struct {
	Result   detour.Result // Accepted, Retryable or Permanent
	Reason   detour.Code
	Reroute  bool // try the next eligible route now, before any retry
	SlowDown bool // the route asked us to send slower
}

// verdicts is the table of SMPP 3.4 command_status values in a
// submit_sm_resp. Statuses not listed are Retryable provider errors that
// move to the next route.
//
//	status                                  result     reason             reroute slow down
//	0x00 ROK                                accepted   -                  -       -
//	0x58 RTHROTTLED                         retryable  throttled          yes     yes
//	0x14 RMSGQFUL                           retryable  throttled          yes     yes
//	0x08 RSYSERR, 0x45 RSUBMITFAIL,
//	0x64 RX_T_APPN, 0xFE, 0xFF              retryable  provider_error     yes     -
//	0x04 RINVBNDSTS, 0x05 RALYBND           retryable  unreachable        yes     -
//	0x0B RINVDSTADR, 0x50/0x51 dest TON/NPI,
//	0x65 RX_P_APPN, 0x66 RX_R_APPN          permanent  invalid_recipient  -       -
//	0x01 RINVMSGLEN, 0x43 RINVESMCLASS,
//	0x104 RINVDCS, 0x0A RINVSRCADR, 0x48/0x49,
//	0x15 RINVSERTYP, 0x61, 0x62, 0xC0–0xC4,
//	0x06, 0x07, 0x02, 0x03, 0x63            permanent  rejected           yes     -
//
// "Permanent rejected" with reroute means: this route will never take the
// message as we encode it for it (its configuration or its SMSC's rules),
// but another route may; only when no route takes it is the step failed.
// An invalid destination is permanent on every route: it falls back to the
// next step of the policy at once.
var verdicts = map[smpp.Status]Verdict{
	smpp.StatusOK:              {Result: detour.Accepted},
	smpp.StatusThrottled:       {detour.Retryable, detour.ReasonThrottled, true, true},
	smpp.StatusMsgQFul:         {detour.Retryable, detour.ReasonThrottled, true, true},
	smpp.StatusSysErr:          {detour.Retryable, detour.ReasonProviderError, true, false},
	smpp.StatusSubmitFail:      {detour.Retryable, detour.ReasonProviderError, true, false},
	smpp.StatusXTAppn:          {detour.Retryable, detour.ReasonProviderError, true, false},
	smpp.StatusDeliveryFailure: {detour.Retryable, detour.ReasonProviderError, true, false},
	smpp.StatusUnknownErr:      {detour.Retryable, detour.ReasonProviderError, true, false},
	smpp.StatusInvBndSts:       {detour.Retryable, detour.ReasonUnreachable, true, false},
	smpp.StatusAlyBnd:          {detour.Retryable, detour.ReasonUnreachable, true, false},
	smpp.StatusInvDstAdr:       {detour.Permanent, detour.ReasonInvalidRecipient, false, false},
	smpp.StatusInvDstTON:       {detour.Permanent, detour.ReasonInvalidRecipient, false, false},
	smpp.StatusInvDstNPI:       {detour.Permanent, detour.ReasonInvalidRecipient, false, false},
	smpp.StatusXPAppn:          {detour.Permanent, detour.ReasonInvalidRecipient, false, false},
	smpp.StatusXRAppn:          {detour.Permanent, detour.ReasonInvalidRecipient, false, false},
	smpp.StatusInvMsgLen:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvEsmClass:     {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvDCS:          {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvSrcAdr:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvSrcTON:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvSrcNPI:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvSerTyp:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvSched:        {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvExpiry:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvOptParStream: {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusOptParNotAllwd:  {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvParLen:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusMissingOptParam: {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvOptParamVal:  {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvPrtFlg:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvRegDlvFlg:    {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvCmdLen:       {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvCmdID:        {detour.Permanent, detour.ReasonRejected, true, false},
	smpp.StatusInvDftMsgID:     {detour.Permanent, detour.ReasonRejected, true, false},
}

// Classify returns the verdict for a submit_sm_resp command_status.
func Classify(st smpp.Status) Verdict {
	if v, ok := verdicts[st]; ok {
		return v
	}
	return Verdict{detour.Retryable, detour.ReasonProviderError, true, false}
}

// Outcome turns a verdict into the outcome the dispatcher records.
func (v Verdict) Outcome(route string, st smpp.Status) detour.Outcome {
	detail := fmt.Sprintf("SMSC answered %s (0x%02X)", st, uint32(st))
	switch v.Result {
	case detour.Accepted:
		return detour.AcceptedOutcome(route, "")
	case detour.Permanent:
		return detour.PermanentOutcome(route, v.Reason, detail)
	default:
		return detour.RetryableOutcome(route, v.Reason, detail)
	}
}
