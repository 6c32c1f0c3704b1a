package sms

import (
	"fmt"
	"time"

	"github.com/detourhq/detour"
)

// RouteConfig is one operator route as written in the configuration file:
// how to reach the SMSC, how to encode for it, and where it may send.
type RouteConfig struct {
	Name       string        `koanf:"name"`
	Host       string        `koanf:"host"`
	Port       int           `koanf:"port"`
	SystemID   string        `koanf:"system_id"`
	Password   detour.Secret `koanf:"password"`
	SystemType string        `koanf:"system_type"`

	SourceAddr string `koanf:"source_addr"` // sender id or number
	SourceTON  uint8  `koanf:"source_ton"`
	SourceNPI  uint8  `koanf:"source_npi"`
	DestTON    uint8  `koanf:"dest_ton"` // 1 (international) by default
	DestNPI    uint8  `koanf:"dest_npi"` // 1 (E.164) by default

	Binds           int           `koanf:"binds"`     // connections; 1 by default
	BindMode        string        `koanf:"bind_mode"` // transceiver (default) or transmitter_receiver
	Window          int           `koanf:"window"`    // submits in flight per bind; 100 by default
	Throughput      float64       `koanf:"throughput"`
	EnquireLink     time.Duration `koanf:"enquire_link"`
	ResponseTimeout time.Duration `koanf:"response_timeout"`
	ReconnectMin    time.Duration `koanf:"reconnect_min"`
	ReconnectMax    time.Duration `koanf:"reconnect_max"`

	ReceiptIDs    string `koanf:"receipt_ids"`     // the receipt text's id vs submit_sm_resp's: same (default), hex_to_decimal or decimal_to_hex
	GSMDataCoding uint8  `koanf:"gsm_data_coding"` // 0 (SMSC default alphabet) or 1 (IA5)
	Pack7Bit      bool   `koanf:"pack_7bit"`       // pack GSM septets, for SMSCs that expect it
	Split         string `koanf:"split"`           // udh (default), sar or payload

	Prefixes  []string `koanf:"prefixes"`
	Countries []string `koanf:"countries"`
	Priority  int      `koanf:"priority"`
	Weight    int      `koanf:"weight"`
	Cost      float64  `koanf:"cost"`
}

// Bind modes.
const (
	BindTransceiver         = "transceiver"
	BindTransmitterReceiver = "transmitter_receiver"
)

// Split methods for long messages.
const (
	SplitUDH     = "udh"
	SplitSAR     = "sar"
	SplitPayload = "payload"
)

// WithDefaults returns c with every unset tunable at its default.
func (c RouteConfig) WithDefaults() RouteConfig {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.DestTON == 0 && c.DestNPI == 0 {
		c.DestTON, c.DestNPI = 1, 1
	}
	if c.Binds == 0 {
		c.Binds = 1
	}
	if c.BindMode == "" {
		c.BindMode = BindTransceiver
	}
	if c.Window == 0 {
		c.Window = 100
	}
	if c.Split == "" {
		c.Split = SplitUDH
	}
	if c.ReceiptIDs == "" {
		c.ReceiptIDs = IDsSame
	}
	def(&c.EnquireLink, 30*time.Second)
	def(&c.ResponseTimeout, 10*time.Second)
	def(&c.ReconnectMin, time.Second)
	def(&c.ReconnectMax, 30*time.Second)
	return c
}

// Validate names the first bad field of route i. It never prints the
// password.
func (c RouteConfig) Validate(i int) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("channels.sms.routes[%d].%s: %s", i, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Name == "":
		return bad("name", "is required")
	case c.Host == "":
		return bad("host", "is required")
	case c.Port < 1 || c.Port > 65535:
		return bad("port", "must be between 1 and 65535")
	case c.SystemID == "" || len(c.SystemID) > 15:
		return bad("system_id", "is 1 to 15 characters")
	case len(c.Password.Reveal()) > 8:
		return bad("password", "is at most 8 characters in SMPP 3.4")
	case len(c.SystemType) > 12:
		return bad("system_type", "is at most 12 characters")
	case len(c.SourceAddr) > 20:
		return bad("source_addr", "is at most 20 characters")
	case c.Binds < 1 || c.Binds > 64:
		return bad("binds", "must be between 1 and 64")
	case c.BindMode != BindTransceiver && c.BindMode != BindTransmitterReceiver:
		return bad("bind_mode", "must be %s or %s", BindTransceiver, BindTransmitterReceiver)
	case c.Window < 1 || c.Window > 10000:
		return bad("window", "must be between 1 and 10000")
	case c.Throughput < 0:
		return bad("throughput", "must not be negative (0 means no limit)")
	case c.EnquireLink < time.Second:
		return bad("enquire_link", "must be at least 1s")
	case c.ResponseTimeout < 100*time.Millisecond:
		return bad("response_timeout", "must be at least 100ms")
	case c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin:
		return bad("reconnect_min", "must be positive and at most reconnect_max")
	case c.ReceiptIDs != IDsSame && c.ReceiptIDs != IDsHexToDecimal && c.ReceiptIDs != IDsDecimalToHex:
		return bad("receipt_ids", "must be %s, %s or %s", IDsSame, IDsHexToDecimal, IDsDecimalToHex)
	case c.GSMDataCoding > 1:
		return bad("gsm_data_coding", "must be 0 (SMSC default) or 1 (IA5)")
	case c.Split != SplitUDH && c.Split != SplitSAR && c.Split != SplitPayload:
		return bad("split", "must be %s, %s or %s", SplitUDH, SplitSAR, SplitPayload)
	case c.Weight < 0:
		return bad("weight", "must not be negative")
	case c.Cost < 0:
		return bad("cost", "must not be negative")
	}
	return nil
}

// Route returns the selection part of the configuration.
func (c RouteConfig) Route() Route {
	return Route{Name: c.Name, Prefixes: c.Prefixes, Countries: c.Countries, Priority: c.Priority, Weight: c.Weight, Cost: c.Cost}
}
