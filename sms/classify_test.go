package sms

import (
	"testing"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
)

func TestClassify(t *testing.T) {
	for st, want := range map[smpp.Status]Verdict{
		smpp.StatusOK:        {Result: detour.Accepted},
		smpp.StatusThrottled: {detour.Retryable, detour.ReasonThrottled, true, true},
		smpp.StatusMsgQFul:   {detour.Retryable, detour.ReasonThrottled, true, true},
		smpp.StatusSysErr:    {detour.Retryable, detour.ReasonProviderError, true, false},
		smpp.StatusInvDstAdr: {detour.Permanent, detour.ReasonInvalidRecipient, false, false},
		smpp.StatusInvSrcAdr: {detour.Permanent, detour.ReasonRejected, true, false},
		smpp.Status(0x4242):  {detour.Retryable, detour.ReasonProviderError, true, false},
	} {
		if got := Classify(st); got != want {
			t.Errorf("%s: %+v, want %+v", st, got, want)
		}
	}
	o := Classify(smpp.StatusInvDstAdr).Outcome("op1", smpp.StatusInvDstAdr)
	if o.Result != detour.Permanent || o.Route != "op1" || o.Detail != "SMSC answered ESME_RINVDSTADR (0x0B)" {
		t.Fatalf("outcome %+v", o)
	}
}
