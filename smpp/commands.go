package smpp

import "strconv"

// CommandID identifies the kind of a PDU (the command_id header field).
// Responses carry the request's id with the high bit set.
type CommandID uint32

// Command ids of SMPP 3.4 (section 5.1.2.1) that this package encodes and
// decodes.
const (
	CommandGenericNack         CommandID = 0x80000000
	CommandBindReceiver        CommandID = 0x00000001
	CommandBindReceiverResp    CommandID = 0x80000001
	CommandBindTransmitter     CommandID = 0x00000002
	CommandBindTransmitterResp CommandID = 0x80000002
	CommandQuerySM             CommandID = 0x00000003
	CommandQuerySMResp         CommandID = 0x80000003
	CommandSubmitSM            CommandID = 0x00000004
	CommandSubmitSMResp        CommandID = 0x80000004
	CommandDeliverSM           CommandID = 0x00000005
	CommandDeliverSMResp       CommandID = 0x80000005
	CommandUnbind              CommandID = 0x00000006
	CommandUnbindResp          CommandID = 0x80000006
	CommandBindTransceiver     CommandID = 0x00000009
	CommandBindTransceiverResp CommandID = 0x80000009
	CommandOutbind             CommandID = 0x0000000B
	CommandEnquireLink         CommandID = 0x00000015
	CommandEnquireLinkResp     CommandID = 0x80000015
	CommandDataSM              CommandID = 0x00000103
	CommandDataSMResp          CommandID = 0x80000103
)

// respBit marks a response command id.
const respBit CommandID = 0x80000000

// String returns the specification's name of c ("submit_sm"), or its hex
// value if the package does not know it.
func (c CommandID) String() string {
	switch c {
	case CommandGenericNack:
		return "generic_nack"
	case CommandBindReceiver:
		return "bind_receiver"
	case CommandBindReceiverResp:
		return "bind_receiver_resp"
	case CommandBindTransmitter:
		return "bind_transmitter"
	case CommandBindTransmitterResp:
		return "bind_transmitter_resp"
	case CommandQuerySM:
		return "query_sm"
	case CommandQuerySMResp:
		return "query_sm_resp"
	case CommandSubmitSM:
		return "submit_sm"
	case CommandSubmitSMResp:
		return "submit_sm_resp"
	case CommandDeliverSM:
		return "deliver_sm"
	case CommandDeliverSMResp:
		return "deliver_sm_resp"
	case CommandUnbind:
		return "unbind"
	case CommandUnbindResp:
		return "unbind_resp"
	case CommandBindTransceiver:
		return "bind_transceiver"
	case CommandBindTransceiverResp:
		return "bind_transceiver_resp"
	case CommandOutbind:
		return "outbind"
	case CommandEnquireLink:
		return "enquire_link"
	case CommandEnquireLinkResp:
		return "enquire_link_resp"
	case CommandDataSM:
		return "data_sm"
	case CommandDataSMResp:
		return "data_sm_resp"
	}
	return "command_id(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}

// Known reports whether the package can decode PDUs of kind c.
func (c CommandID) Known() bool {
	switch c {
	case CommandGenericNack,
		CommandBindReceiver, CommandBindReceiverResp,
		CommandBindTransmitter, CommandBindTransmitterResp,
		CommandBindTransceiver, CommandBindTransceiverResp,
		CommandQuerySM, CommandQuerySMResp,
		CommandSubmitSM, CommandSubmitSMResp,
		CommandDeliverSM, CommandDeliverSMResp,
		CommandUnbind, CommandUnbindResp,
		CommandOutbind,
		CommandEnquireLink, CommandEnquireLinkResp,
		CommandDataSM, CommandDataSMResp:
		return true
	}
	return false
}

// IsResponse reports whether c is a response (its high bit is set);
// generic_nack counts as one.
func (c CommandID) IsResponse() bool { return c&respBit != 0 }

// Response returns the command id of the response to request c, and false
// if c is not a known request that has a response (outbind has none).
func (c CommandID) Response() (CommandID, bool) {
	if c.IsResponse() || c == CommandOutbind || !c.Known() {
		return 0, false
	}
	return c | respBit, true
}
