package smpp

import "fmt"

// Bind is the body of bind_transmitter, bind_receiver and
// bind_transceiver.
type Bind struct {
	SystemID         string // at most 15 characters
	Password         string // at most 8 characters
	SystemType       string // at most 12 characters
	InterfaceVersion byte   // 0x34 for SMPP 3.4
	AddrTON          byte
	AddrNPI          byte
	AddressRange     string // at most 40 characters
}

// BindResp is the body of the three bind responses.
type BindResp struct {
	SystemID string // the SMSC's id, at most 15 characters
	TLVs     TLVs   // sc_interface_version
}

// Outbind is the body of outbind, by which an SMSC asks an ESME to bind.
type Outbind struct {
	SystemID string
	Password string
}

// SubmitSM is the body of submit_sm: one short message from the ESME.
type SubmitSM struct {
	ServiceType          string // at most 5 characters
	SourceAddrTON        byte
	SourceAddrNPI        byte
	SourceAddr           string // at most 20 characters
	DestAddrTON          byte
	DestAddrNPI          byte
	DestinationAddr      string // at most 20 characters
	ESMClass             byte
	ProtocolID           byte
	PriorityFlag         byte
	ScheduleDeliveryTime string // empty or 16 characters (YYMMDDhhmmsstnnp)
	ValidityPeriod       string // empty or 16 characters
	RegisteredDelivery   byte
	ReplaceIfPresent     byte
	DataCoding           byte
	SMDefaultMsgID       byte
	ShortMessage         []byte // at most 254 octets; sm_length is its length
	TLVs                 TLVs
}

// DeliverSM is the body of deliver_sm: a mobile-originated message or a
// delivery receipt from the SMSC. Its fields are those of SubmitSM; the
// specification wants the two times empty.
type DeliverSM SubmitSM

// SubmitSMResp is the body of submit_sm_resp. TLVs are an SMPP 5.0
// addition that some SMSCs send.
type SubmitSMResp struct {
	MessageID string // the SMSC's id of the message, at most 64 characters
	TLVs      TLVs
}

// DeliverSMResp is the body of deliver_sm_resp; MessageID is unused and
// should be empty.
type DeliverSMResp SubmitSMResp

// DataSMResp is the body of data_sm_resp.
type DataSMResp SubmitSMResp

// DataSM is the body of data_sm, which carries its payload in TLVs
// (message_payload).
type DataSM struct {
	ServiceType        string
	SourceAddrTON      byte
	SourceAddrNPI      byte
	SourceAddr         string // at most 64 characters
	DestAddrTON        byte
	DestAddrNPI        byte
	DestinationAddr    string // at most 64 characters
	ESMClass           byte
	RegisteredDelivery byte
	DataCoding         byte
	TLVs               TLVs
}

// QuerySM is the body of query_sm.
type QuerySM struct {
	MessageID     string
	SourceAddrTON byte
	SourceAddrNPI byte
	SourceAddr    string // at most 20 characters
}

// QuerySMResp is the body of query_sm_resp.
type QuerySMResp struct {
	MessageID    string
	FinalDate    string // empty or 16 characters
	MessageState byte
	ErrorCode    byte
}

// Bind

func (*Bind) allows(c CommandID) bool {
	return c == CommandBindTransmitter || c == CommandBindReceiver || c == CommandBindTransceiver
}

func (b *Bind) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, b.SystemID, maxSystemID, "system_id"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, b.Password, maxPassword, "password"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, b.SystemType, maxSystemType, "system_type"); err != nil {
		return dst, err
	}
	dst = append(dst, b.InterfaceVersion, b.AddrTON, b.AddrNPI)
	return appendCString(dst, b.AddressRange, maxAddressRange, "address_range")
}

func (b *Bind) decodeBody(d *decoder) {
	b.SystemID = d.cstring("system_id", maxSystemID, StatusInvSysID)
	b.Password = d.cstring("password", maxPassword, StatusInvPaswd)
	b.SystemType = d.cstring("system_type", maxSystemType, StatusInvSysTyp)
	b.InterfaceVersion = d.u8("interface_version")
	b.AddrTON = d.u8("addr_ton")
	b.AddrNPI = d.u8("addr_npi")
	b.AddressRange = d.cstring("address_range", maxAddressRange, StatusBindFail)
	d.end()
}

// BindResp

func (*BindResp) allows(c CommandID) bool {
	return c == CommandBindTransmitterResp || c == CommandBindReceiverResp || c == CommandBindTransceiverResp
}

func (b *BindResp) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, b.SystemID, maxSystemID, "system_id"); err != nil {
		return dst, err
	}
	return appendTLVs(dst, b.TLVs)
}

func (b *BindResp) decodeBody(d *decoder) {
	b.SystemID = d.cstring("system_id", maxSystemID, StatusInvSysID)
	b.TLVs = d.tlvs()
}

// Outbind

func (*Outbind) allows(c CommandID) bool { return c == CommandOutbind }

func (o *Outbind) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, o.SystemID, maxSystemID, "system_id"); err != nil {
		return dst, err
	}
	return appendCString(dst, o.Password, maxPassword, "password")
}

func (o *Outbind) decodeBody(d *decoder) {
	o.SystemID = d.cstring("system_id", maxSystemID, StatusInvSysID)
	o.Password = d.cstring("password", maxPassword, StatusInvPaswd)
	d.end()
}

// SubmitSM and DeliverSM

func (*SubmitSM) allows(c CommandID) bool  { return c == CommandSubmitSM }
func (*DeliverSM) allows(c CommandID) bool { return c == CommandDeliverSM }

func (m *DeliverSM) appendBody(dst []byte) ([]byte, error) { return (*SubmitSM)(m).appendBody(dst) }
func (m *DeliverSM) decodeBody(d *decoder)                 { (*SubmitSM)(m).decodeBody(d) }

func (m *SubmitSM) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, m.ServiceType, maxServiceType, "service_type"); err != nil {
		return dst, err
	}
	dst = append(dst, m.SourceAddrTON, m.SourceAddrNPI)
	if dst, err = appendCString(dst, m.SourceAddr, maxAddr, "source_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.DestAddrTON, m.DestAddrNPI)
	if dst, err = appendCString(dst, m.DestinationAddr, maxAddr, "destination_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.ESMClass, m.ProtocolID, m.PriorityFlag)
	if dst, err = appendTime(dst, m.ScheduleDeliveryTime, "schedule_delivery_time"); err != nil {
		return dst, err
	}
	if dst, err = appendTime(dst, m.ValidityPeriod, "validity_period"); err != nil {
		return dst, err
	}
	if len(m.ShortMessage) > maxShortMessage {
		return dst, fmt.Errorf("short_message: %d octets, at most %d: %w", len(m.ShortMessage), maxShortMessage, ErrTooLong)
	}
	dst = append(dst, m.RegisteredDelivery, m.ReplaceIfPresent, m.DataCoding, m.SMDefaultMsgID, byte(len(m.ShortMessage)))
	dst = append(dst, m.ShortMessage...)
	return appendTLVs(dst, m.TLVs)
}

func (m *SubmitSM) decodeBody(d *decoder) {
	m.ServiceType = d.cstring("service_type", maxServiceType, StatusInvSerTyp)
	m.SourceAddrTON = d.u8("source_addr_ton")
	m.SourceAddrNPI = d.u8("source_addr_npi")
	m.SourceAddr = d.cstring("source_addr", maxAddr, StatusInvSrcAdr)
	m.DestAddrTON = d.u8("dest_addr_ton")
	m.DestAddrNPI = d.u8("dest_addr_npi")
	m.DestinationAddr = d.cstring("destination_addr", maxAddr, StatusInvDstAdr)
	m.ESMClass = d.u8("esm_class")
	m.ProtocolID = d.u8("protocol_id")
	m.PriorityFlag = d.u8("priority_flag")
	m.ScheduleDeliveryTime = d.time("schedule_delivery_time", StatusInvSched)
	m.ValidityPeriod = d.time("validity_period", StatusInvExpiry)
	m.RegisteredDelivery = d.u8("registered_delivery")
	m.ReplaceIfPresent = d.u8("replace_if_present_flag")
	m.DataCoding = d.u8("data_coding")
	m.SMDefaultMsgID = d.u8("sm_default_msg_id")
	n := int(d.u8("sm_length"))
	if n > maxShortMessage {
		d.fail("sm_length", StatusInvMsgLen, ErrTooLong)
	}
	m.ShortMessage = d.bytes("short_message", n, StatusInvMsgLen)
	m.TLVs = d.tlvs()
}

// SubmitSMResp, DeliverSMResp and DataSMResp

func (*SubmitSMResp) allows(c CommandID) bool  { return c == CommandSubmitSMResp }
func (*DeliverSMResp) allows(c CommandID) bool { return c == CommandDeliverSMResp }
func (*DataSMResp) allows(c CommandID) bool    { return c == CommandDataSMResp }

func (r *DeliverSMResp) appendBody(dst []byte) ([]byte, error) {
	return (*SubmitSMResp)(r).appendBody(dst)
}
func (r *DeliverSMResp) decodeBody(d *decoder) { (*SubmitSMResp)(r).decodeBody(d) }

func (r *DataSMResp) appendBody(dst []byte) ([]byte, error) {
	return (*SubmitSMResp)(r).appendBody(dst)
}
func (r *DataSMResp) decodeBody(d *decoder) { (*SubmitSMResp)(r).decodeBody(d) }

func (r *SubmitSMResp) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, r.MessageID, maxMessageID, "message_id"); err != nil {
		return dst, err
	}
	return appendTLVs(dst, r.TLVs)
}

func (r *SubmitSMResp) decodeBody(d *decoder) {
	r.MessageID = d.cstring("message_id", maxMessageID, StatusInvMsgID)
	r.TLVs = d.tlvs()
}

// DataSM

func (*DataSM) allows(c CommandID) bool { return c == CommandDataSM }

func (m *DataSM) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, m.ServiceType, maxServiceType, "service_type"); err != nil {
		return dst, err
	}
	dst = append(dst, m.SourceAddrTON, m.SourceAddrNPI)
	if dst, err = appendCString(dst, m.SourceAddr, maxDataSMAddr, "source_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.DestAddrTON, m.DestAddrNPI)
	if dst, err = appendCString(dst, m.DestinationAddr, maxDataSMAddr, "destination_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.ESMClass, m.RegisteredDelivery, m.DataCoding)
	return appendTLVs(dst, m.TLVs)
}

func (m *DataSM) decodeBody(d *decoder) {
	m.ServiceType = d.cstring("service_type", maxServiceType, StatusInvSerTyp)
	m.SourceAddrTON = d.u8("source_addr_ton")
	m.SourceAddrNPI = d.u8("source_addr_npi")
	m.SourceAddr = d.cstring("source_addr", maxDataSMAddr, StatusInvSrcAdr)
	m.DestAddrTON = d.u8("dest_addr_ton")
	m.DestAddrNPI = d.u8("dest_addr_npi")
	m.DestinationAddr = d.cstring("destination_addr", maxDataSMAddr, StatusInvDstAdr)
	m.ESMClass = d.u8("esm_class")
	m.RegisteredDelivery = d.u8("registered_delivery")
	m.DataCoding = d.u8("data_coding")
	m.TLVs = d.tlvs()
}

// QuerySM

func (*QuerySM) allows(c CommandID) bool { return c == CommandQuerySM }

func (q *QuerySM) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, q.MessageID, maxMessageID, "message_id"); err != nil {
		return dst, err
	}
	dst = append(dst, q.SourceAddrTON, q.SourceAddrNPI)
	return appendCString(dst, q.SourceAddr, maxAddr, "source_addr")
}

func (q *QuerySM) decodeBody(d *decoder) {
	q.MessageID = d.cstring("message_id", maxMessageID, StatusInvMsgID)
	q.SourceAddrTON = d.u8("source_addr_ton")
	q.SourceAddrNPI = d.u8("source_addr_npi")
	q.SourceAddr = d.cstring("source_addr", maxAddr, StatusInvSrcAdr)
	d.end()
}

// QuerySMResp

func (*QuerySMResp) allows(c CommandID) bool { return c == CommandQuerySMResp }

func (q *QuerySMResp) appendBody(dst []byte) (_ []byte, err error) {
	if dst, err = appendCString(dst, q.MessageID, maxMessageID, "message_id"); err != nil {
		return dst, err
	}
	if dst, err = appendTime(dst, q.FinalDate, "final_date"); err != nil {
		return dst, err
	}
	return append(dst, q.MessageState, q.ErrorCode), nil
}

func (q *QuerySMResp) decodeBody(d *decoder) {
	q.MessageID = d.cstring("message_id", maxMessageID, StatusInvMsgID)
	q.FinalDate = d.time("final_date", StatusSysErr)
	q.MessageState = d.u8("message_state")
	q.ErrorCode = d.u8("error_code")
	d.end()
}
