package smpp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// samplePDUs holds a valid PDU of every kind the package knows, with the
// optional parts filled where a kind has them. Empty byte fields are nil,
// as Decode returns them.
func samplePDUs() []PDU {
	receipt := "id:0123456789 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:Your code is 1234"
	return []PDU{
		{Header: Header{Command: CommandBindTransceiver, Sequence: 1}, Body: &Bind{SystemID: "detour", Password: "secret", SystemType: "OTP", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 1, AddressRange: "^44"}},
		{Header: Header{Command: CommandBindTransmitter, Sequence: 2}, Body: &Bind{SystemID: "detour", Password: "secret", InterfaceVersion: 0x34}},
		{Header: Header{Command: CommandBindReceiver, Sequence: 3}, Body: &Bind{SystemID: "detour", InterfaceVersion: 0x34}},
		{Header: Header{Command: CommandBindTransceiverResp, Sequence: 1}, Body: &BindResp{SystemID: "SMSC", TLVs: TLVs{Uint8TLV(TagSCInterfaceVersion, 0x34)}}},
		{Header: Header{Command: CommandBindTransmitterResp, Sequence: 2}, Body: &BindResp{SystemID: "SMSC"}},
		{Header: Header{Command: CommandBindReceiverResp, Status: StatusBindFail, Sequence: 3}, Body: &BindResp{}},
		{Header: Header{Command: CommandOutbind, Sequence: 4}, Body: &Outbind{SystemID: "SMSC", Password: "pw"}},
		{Header: Header{Command: CommandUnbind, Sequence: 5}},
		{Header: Header{Command: CommandUnbindResp, Sequence: 5}},
		{Header: Header{Command: CommandEnquireLink, Sequence: 6}},
		{Header: Header{Command: CommandEnquireLinkResp, Sequence: 6}},
		{Header: Header{Command: CommandGenericNack, Status: StatusInvCmdID, Sequence: 7}},
		{Header: Header{Command: CommandSubmitSM, Sequence: 8}, Body: &SubmitSM{
			SourceAddrTON: 5, SourceAddr: "Detour", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "447700900123",
			ValidityPeriod: "000000001000000R", RegisteredDelivery: 1, DataCoding: 8,
			ShortMessage: []byte{0, 'H', 0, 'i'},
			TLVs:         TLVs{Uint16TLV(TagSARMsgRefNum, 7), Uint8TLV(TagSARTotalSegments, 2), Uint8TLV(TagSARSegmentSeqnum, 1)},
		}},
		{Header: Header{Command: CommandSubmitSM, Sequence: 9}, Body: &SubmitSM{
			ServiceType: "CMT", DestinationAddr: "447700900123", ScheduleDeliveryTime: "240102150400000+",
			ShortMessage: []byte(strings.Repeat("x", 254)),
		}},
		{Header: Header{Command: CommandSubmitSMResp, Sequence: 8}, Body: &SubmitSMResp{MessageID: "0123456789"}},
		{Header: Header{Command: CommandSubmitSMResp, Status: StatusThrottled, Sequence: 9}, Body: &SubmitSMResp{}},
		{Header: Header{Command: CommandDeliverSM, Sequence: 10}, Body: &DeliverSM{
			SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "447700900123", DestAddrTON: 5, DestinationAddr: "Detour",
			ESMClass: 0x04, ShortMessage: []byte(receipt),
			TLVs: TLVs{CStringTLV(TagReceiptedMessageID, "0123456789"), Uint8TLV(TagMessageState, 2), {Tag: TagNetworkErrorCode, Value: []byte{3, 0, 0}}},
		}},
		{Header: Header{Command: CommandDeliverSMResp, Sequence: 10}, Body: &DeliverSMResp{}},
		{Header: Header{Command: CommandDataSM, Sequence: 11}, Body: &DataSM{
			SourceAddrTON: 5, SourceAddr: "Detour", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: strings.Repeat("9", 64),
			RegisteredDelivery: 1, TLVs: TLVs{{Tag: TagMessagePayload, Value: []byte(strings.Repeat("long text ", 100))}, {Tag: 0x1400, Value: []byte("vendor")}},
		}},
		{Header: Header{Command: CommandDataSMResp, Sequence: 11}, Body: &DataSMResp{MessageID: "d-1", TLVs: TLVs{CStringTLV(TagAdditionalStatusInfoText, "ok")}}},
		{Header: Header{Command: CommandDataSMResp, Status: StatusDeliveryFailure, Sequence: 12}, Body: &DataSMResp{TLVs: TLVs{Uint8TLV(TagDeliveryFailureReason, 1)}}},
		{Header: Header{Command: CommandQuerySM, Sequence: 13}, Body: &QuerySM{MessageID: "0123456789", SourceAddrTON: 5, SourceAddr: "Detour"}},
		{Header: Header{Command: CommandQuerySMResp, Sequence: 13}, Body: &QuerySMResp{MessageID: "0123456789", FinalDate: "240102150500000+", MessageState: 2}},
	}
}

// sample returns the first sample PDU of command c.
func sample(c CommandID) PDU {
	for _, p := range samplePDUs() {
		if p.Command == c {
			return p
		}
	}
	panic("no sample of " + c.String())
}

func TestRoundTrip(t *testing.T) {
	seen := map[CommandID]bool{}
	for _, p := range samplePDUs() {
		seen[p.Command] = true
		b, err := Encode(p)
		if err != nil {
			t.Fatalf("encode %s: %v", p.Command, err)
		}
		if got := binary.BigEndian.Uint32(b); int(got) != len(b) {
			t.Errorf("%s: command_length %d, encoded %d octets", p.Command, got, len(b))
		}
		q, err := Decode(b)
		if err != nil {
			t.Fatalf("decode %s: %v", p.Command, err)
		}
		p.Length = uint32(len(b))
		if !reflect.DeepEqual(p, q) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", p.Command, q, p)
		}
	}
	for _, c := range []CommandID{
		CommandGenericNack, CommandBindReceiver, CommandBindReceiverResp, CommandBindTransmitter, CommandBindTransmitterResp,
		CommandQuerySM, CommandQuerySMResp, CommandSubmitSM, CommandSubmitSMResp, CommandDeliverSM, CommandDeliverSMResp,
		CommandUnbind, CommandUnbindResp, CommandBindTransceiver, CommandBindTransceiverResp, CommandOutbind,
		CommandEnquireLink, CommandEnquireLinkResp, CommandDataSM, CommandDataSMResp,
	} {
		if !seen[c] {
			t.Errorf("no sample of %s", c)
		}
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Golden vectors, laid out by hand from SMPP 3.4 chapter 4.
var golden = []struct {
	name string
	hex  string
	pdu  PDU
}{
	{
		name: "bind_transceiver",
		hex: `0000002a 00000009 00000000 00000001
			736d7070636c69656e743100 /* system_id "smppclient1" */
			70617373776f726400 /* password "password" */
			00 /* system_type "" */
			34 00 00 /* interface_version 3.4, addr_ton, addr_npi */
			00 /* address_range "" */`,
		pdu: PDU{Header: Header{Length: 42, Command: CommandBindTransceiver, Sequence: 1},
			Body: &Bind{SystemID: "smppclient1", Password: "password", InterfaceVersion: 0x34}},
	},
	{
		name: "bind_transceiver_resp",
		hex: `0000001a 80000009 00000000 00000001
			534d534300 /* system_id "SMSC" */
			0210 0001 34 /* sc_interface_version 3.4 */`,
		pdu: PDU{Header: Header{Length: 26, Command: CommandBindTransceiverResp, Sequence: 1},
			Body: &BindResp{SystemID: "SMSC", TLVs: TLVs{Uint8TLV(TagSCInterfaceVersion, 0x34)}}},
	},
	{
		name: "submit_sm",
		hex: `00000044 00000004 00000000 00000002
			00 /* service_type "" */
			05 00 4465746f757200 /* source alphanumeric "Detour" */
			01 01 34343737303039303031323300 /* destination international ISDN "447700900123" */
			00 00 00 /* esm_class, protocol_id, priority_flag */
			00 00 /* schedule_delivery_time, validity_period: empty */
			01 00 00 00 /* registered_delivery, replace_if_present, data_coding, sm_default_msg_id */
			0b 48656c6c6f20776f726c64 /* sm_length 11, "Hello world" */
			0204 0002 0007 /* user_message_reference 7 */`,
		pdu: PDU{Header: Header{Length: 68, Command: CommandSubmitSM, Sequence: 2}, Body: &SubmitSM{
			SourceAddrTON: 5, SourceAddr: "Detour", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "447700900123",
			RegisteredDelivery: 1, ShortMessage: []byte("Hello world"), TLVs: TLVs{Uint16TLV(TagUserMessageReference, 7)},
		}},
	},
	{
		name: "submit_sm_resp",
		hex:  `00000017 80000004 00000000 00000002 61626331323300 /* message_id "abc123" */`,
		pdu:  PDU{Header: Header{Length: 23, Command: CommandSubmitSMResp, Sequence: 2}, Body: &SubmitSMResp{MessageID: "abc123"}},
	},
	{
		name: "submit_sm_resp throttled, no body",
		hex:  `00000010 80000004 00000058 00000003`,
		pdu:  PDU{Header: Header{Length: 16, Command: CommandSubmitSMResp, Status: StatusThrottled, Sequence: 3}, Body: &SubmitSMResp{}},
	},
	{
		name: "enquire_link",
		hex:  `00000010 00000015 00000000 00000004`,
		pdu:  PDU{Header: Header{Length: 16, Command: CommandEnquireLink, Sequence: 4}},
	},
	{
		name: "generic_nack",
		hex:  `00000010 80000000 00000003 00000005`,
		pdu:  PDU{Header: Header{Length: 16, Command: CommandGenericNack, Status: StatusInvCmdID, Sequence: 5}},
	},
}

func stripComments(s string) string {
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "*/")
		s = s[:i] + s[i+j+2:]
	}
}

func TestGolden(t *testing.T) {
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			b := unhex(t, stripComments(g.hex))
			p, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, g.pdu) {
				t.Errorf("decode\n got %+v\nwant %+v", p, g.pdu)
			}
			if g.pdu.Status != StatusOK && g.pdu.Body != nil && len(b) == HeaderLen {
				g.pdu.Body = nil // a failed response is sent without a body
			}
			e, err := Encode(g.pdu)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(e) != hex.EncodeToString(b) {
				t.Errorf("encode\n got %x\nwant %x", e, b)
			}
		})
	}
}

func TestNilBodyEncodesZeroBody(t *testing.T) {
	b, err := Encode(PDU{Header: Header{Command: CommandDeliverSMResp, Sequence: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "00000011800000050000000000000009" + "00"; hex.EncodeToString(b) != want {
		t.Errorf("got %x, want %s", b, want)
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	b, err := Encode(sample(CommandDeliverSM))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *p.Body.(*DeliverSM)
	want.ShortMessage = append([]byte(nil), want.ShortMessage...)
	for i := range b {
		b[i] = 0xEE
	}
	if got := *p.Body.(*DeliverSM); !reflect.DeepEqual(got, want) {
		t.Errorf("decoded PDU changed with its input")
	}
}

func TestReply(t *testing.T) {
	e := &DecodeError{Header: Header{Command: CommandSubmitSM, Sequence: 42}, Status: StatusInvDstAdr}
	if got, want := e.Reply(), (PDU{Header: Header{Command: CommandSubmitSMResp, Status: StatusInvDstAdr, Sequence: 42}}); !reflect.DeepEqual(got, want) {
		t.Errorf("request: got %+v, want %+v", got, want)
	}
	for _, c := range []CommandID{CommandSubmitSMResp, CommandOutbind, 0x99, CommandGenericNack} {
		e := &DecodeError{Header: Header{Command: c, Sequence: 42}, Status: StatusInvCmdLen}
		if got := e.Reply(); got.Command != CommandGenericNack || got.Sequence != 42 || got.Status != StatusInvCmdLen {
			t.Errorf("%s: got %+v, want generic_nack", c, got)
		}
	}
	e = &DecodeError{Header: Header{Command: CommandSubmitSM, Sequence: 42}, Status: StatusInvCmdLen, Fatal: true}
	if got := e.Reply(); got.Command != CommandGenericNack {
		t.Errorf("fatal: got %s, want generic_nack", got.Command)
	}
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{CommandSubmitSM.String(), "submit_sm"},
		{CommandBindTransceiverResp.String(), "bind_transceiver_resp"},
		{CommandID(0x99).String(), "command_id(0x99)"},
		{StatusThrottled.String(), "ESME_RTHROTTLED"},
		{StatusXTAppn.String(), "ESME_RX_T_APPN"},
		{Status(0x400).String(), "command_status(0x400)"},
		{TagMessageState.String(), "message_state"},
		{Tag(0x1400).String(), "tag(0x1400)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestIsErrorHelpers(t *testing.T) {
	_, err := Decode(unhex(t, "00000010 00000099 00000000 00000007"))
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrUnknownCommand) || de.Status != StatusInvCmdID || de.Header.Sequence != 7 || de.Fatal {
		t.Fatalf("got %#v", err)
	}
}
