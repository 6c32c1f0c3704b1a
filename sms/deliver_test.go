package sms

import (
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/smpp"
	"github.com/detourhq/detour/smpp/coding"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestReceiptsFromTLVsThenText(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      smpp.DeliverSM
		mode   string
		want   detour.Receipt
		report bool
	}{
		{"TLVs win over the text", smpp.DeliverSM{ESMClass: 0x04,
			ShortMessage: []byte("id:999 sub:001 dlvrd:000 submit date:2611220959 done date:2611221000 stat:UNDELIV err:001 text:x"),
			TLVs:         smpp.TLVs{smpp.CStringTLV(smpp.TagReceiptedMessageID, "00AB12"), smpp.Uint8TLV(smpp.TagMessageState, 2)}},
			"", detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "ab12", Status: detour.AttemptDelivered, At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, true},
		{"text only, hex submit and decimal receipt", smpp.DeliverSM{ESMClass: 0x04,
			ShortMessage: []byte("ID:6699 SUB:001 DLVRD:001 SUBMIT DATE:261122095959 DONE DATE:261122095959 STAT:DELIVRD ERR:000 TEXT:hi")},
			IDsHexToDecimal, detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "1a2b", Status: detour.AttemptDelivered, At: time.Date(2026, 11, 22, 9, 59, 59, 0, time.UTC)}, true},
		{"expired", smpp.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("id:42 stat:EXPIRED err:000")},
			"", detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "42", Status: detour.AttemptExpired, Reason: detour.ReasonExpired, Detail: "SMSC receipt: EXPIRED", At: now}, true},
		{"undeliverable with an error", smpp.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("id:42 stat:UNDELIV err:034")},
			"", detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "42", Status: detour.AttemptFailed, Reason: detour.ReasonUndeliverable, Detail: "SMSC receipt: UNDELIV err:034", At: now}, true},
		{"receipted id without its NUL", smpp.DeliverSM{TLVs: smpp.TLVs{{Tag: smpp.TagReceiptedMessageID, Value: []byte("7")}, smpp.Uint8TLV(smpp.TagMessageState, 8)}},
			"", detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "7", Status: detour.AttemptFailed, Reason: detour.ReasonRejected, Detail: "SMSC receipt: REJECTD", At: now}, true},
		{"the TLV id is as submit_sm_resp gave it: only the text's id is converted", smpp.DeliverSM{ESMClass: 0x04,
			ShortMessage: []byte("id:6699 stat:DELIVRD err:000"),
			TLVs:         smpp.TLVs{smpp.CStringTLV(smpp.TagReceiptedMessageID, "1A2B"), smpp.Uint8TLV(smpp.TagMessageState, 2)}},
			IDsHexToDecimal, detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "1a2b", Status: detour.AttemptDelivered, At: now}, true},
		{"a decimal TLV id under decimal_to_hex stays decimal", smpp.DeliverSM{ESMClass: 0x04,
			ShortMessage: []byte("id:3039 stat:DELIVRD err:000"),
			TLVs:         smpp.TLVs{smpp.CStringTLV(smpp.TagReceiptedMessageID, "12345")}},
			IDsDecimalToHex, detour.Receipt{Channel: "sms", Route: "op1", ProviderID: "12345", Status: detour.AttemptDelivered, At: now}, true},
		{"enroute reports nothing", smpp.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("id:42 stat:ENROUTE err:000")}, "", detour.Receipt{}, false},
	} {
		if !IsReceipt(&tc.d) {
			t.Errorf("%s: not seen as a receipt", tc.name)
			continue
		}
		got, ok, err := ParseReceipt("sms", "op1", tc.mode, &tc.d, now)
		if err != nil || ok != tc.report {
			t.Errorf("%s: ok=%v err=%v", tc.name, ok, err)
			continue
		}
		if ok && got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	if _, _, err := ParseReceipt("sms", "op1", "", &smpp.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("hello")}, now); err == nil {
		t.Error("a receipt that says nothing must be an error")
	}
	if _, _, err := ParseReceipt("sms", "op1", IDsHexToDecimal, &smpp.DeliverSM{ESMClass: 0x04, ShortMessage: []byte("id:zz stat:DELIVRD")}, now); err == nil {
		t.Error("a non-decimal id under hex_to_decimal must be an error")
	}
}

func TestInboundFromHandsets(t *testing.T) {
	ids := detour.NewIDSource(func() time.Time { return now }, nil)
	gsm, _ := coding.GSM7.Encode("Hi € there")
	ucs, _ := coding.UCS2.Encode("Привет 👋")
	for _, tc := range []struct {
		d    smpp.DeliverSM
		from string
		text string
	}{
		{smpp.DeliverSM{SourceAddrTON: 1, SourceAddr: "447400123456", DestinationAddr: "447400000001", ShortMessage: gsm}, "+447400123456", "Hi € there"},
		{smpp.DeliverSM{SourceAddrTON: 5, SourceAddr: "Shop", DestinationAddr: "12345", DataCoding: 0x08, ShortMessage: ucs}, "Shop", "Привет 👋"},
	} {
		if IsReceipt(&tc.d) {
			t.Fatalf("%+v seen as a receipt", tc.d)
		}
		in, concat, err := ParseInbound("sms", "op1", &tc.d, coding.Options{}, ids, now)
		if err != nil || !concat.IsZero() || in.From != tc.from || in.Text != tc.text || in.Route != "op1" || in.To != tc.d.DestinationAddr {
			t.Fatalf("inbound %+v %v %v", in, concat, err)
		}
	}
}
