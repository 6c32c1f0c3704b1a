package coding

import "fmt"

// Concat is the concatenation information a user data header gives one
// part of a long message. The zero value means the part stands alone.
type Concat struct {
	Ref   uint16 // 8- or 16-bit reference shared by the parts
	Total uint8
	Seq   uint8 // from 1
}

// IsZero reports whether c carries no concatenation information.
func (c Concat) IsZero() bool { return c.Total == 0 }

// Decode returns the text of one received short_message (or
// message_payload) with its data_coding and esm_class, on a route with
// opts, and the concatenation information of its user data header (IEI 00
// or 08). It takes what Split makes and what SMSCs deliver in deliver_sm:
// data_coding 0x00, the route's GSMDataCoding and 0xF0-0xF3 as GSM 7-bit
// (packed if opts.Pack7Bit), 0x01 as ASCII, 0x03 as Latin-1, 0x08 as
// UCS-2. Other data_codings (binary, 8-bit classes) give ErrUnsupportedDC.
//
// Packed GSM 7-bit carries no septet count: a carriage return that fills
// the last octet exactly is taken for padding and dropped
// (3GPP TS 23.038 §6.1.2.3.1).
func Decode(sm []byte, dataCoding, esmClass byte, opts Options) (string, Concat, error) {
	var c Concat
	header := 0
	if esmClass&ESMClassUDHI != 0 {
		var err error
		if c, header, err = parseUDH(sm); err != nil {
			return "", Concat{}, err
		}
	}
	body := sm[header:]
	switch {
	case dataCoding == DataCodingUCS2:
		return decodeUCS2(body), c, nil
	case dataCoding == DataCodingLatin1:
		return decodeLatin1(body), c, nil
	case dataCoding == DataCodingDefault || dataCoding == opts.GSMDataCoding || dataCoding&0xFC == 0xF0:
		if !opts.Pack7Bit {
			return decodeGSM(body), c, nil
		}
		fill := FillBits(header)
		return decodeGSM(UnpackFill(body, fill, septetsIn(body, fill))), c, nil
	case dataCoding == DataCodingIA5:
		return decodeLatin1(body), c, nil
	}
	return "", Concat{}, fmt.Errorf("%w 0x%02x", ErrUnsupportedDC, dataCoding)
}

// parseUDH reads the user data header at the start of ud and returns the
// concatenation information in it and the header's length, its length octet
// included.
func parseUDH(ud []byte) (Concat, int, error) {
	if len(ud) == 0 || int(ud[0])+1 > len(ud) {
		return Concat{}, 0, ErrMalformed
	}
	n := int(ud[0]) + 1
	var c Concat
	for ie := ud[1:n]; len(ie) > 0; {
		if len(ie) < 2 || int(ie[1])+2 > len(ie) {
			return Concat{}, 0, ErrMalformed
		}
		id, data := ie[0], ie[2:2+int(ie[1])]
		switch {
		case id == 0x00 && len(data) == 3:
			c = Concat{Ref: uint16(data[0]), Total: data[1], Seq: data[2]}
		case id == 0x08 && len(data) == 4:
			c = Concat{Ref: uint16(data[0])<<8 | uint16(data[1]), Total: data[2], Seq: data[3]}
		}
		ie = ie[2+len(data):]
	}
	return c, n, nil
}
