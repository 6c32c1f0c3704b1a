package smpp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/detourhq/detour/smpp"
)

// An ESME encodes a submit_sm; the SMSC side frames and decodes it.
func Example() {
	b, err := smpp.Encode(smpp.PDU{
		Header: smpp.Header{Command: smpp.CommandSubmitSM, Sequence: 1},
		Body: &smpp.SubmitSM{
			SourceAddrTON:      5, // alphanumeric
			SourceAddr:         "Detour",
			DestAddrTON:        1, // international
			DestAddrNPI:        1, // E.164
			DestinationAddr:    "447700900123",
			RegisteredDelivery: 1, // ask for a delivery receipt
			ShortMessage:       []byte("Your code is 123456"),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := smpp.NewReader(bytes.NewReader(b), 0)
	p, err := r.ReadPDU()
	if err != nil {
		fmt.Println(err)
		return
	}
	m := p.Body.(*smpp.SubmitSM)
	fmt.Printf("%s seq=%d len=%d to=%s text=%q\n", p.Command, p.Sequence, p.Length, m.DestinationAddr, m.ShortMessage)
	// Output:
	// submit_sm seq=1 len=70 to=447700900123 text="Your code is 123456"
}

// A session answers PDUs it cannot decode and reads on, unless the stream
// can no longer be framed.
func ExampleDecodeError_Reply() {
	var stream []byte
	stream = append(stream, 0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 7) // unknown command_id 0x99, seq 7
	stream, _ = smpp.AppendPDU(stream, smpp.PDU{Header: smpp.Header{Command: smpp.CommandEnquireLink, Sequence: 8}})

	r := smpp.NewReader(bytes.NewReader(stream), 0)
	for {
		p, err := r.ReadPDU()
		var de *smpp.DecodeError
		switch {
		case errors.Is(err, io.EOF):
			return
		case errors.As(err, &de):
			reply := de.Reply()
			fmt.Printf("answer %s %s seq=%d\n", reply.Command, reply.Status, reply.Sequence)
			if de.Fatal {
				return // close the connection
			}
		case err != nil:
			fmt.Println(err)
			return
		default:
			fmt.Printf("got %s seq=%d\n", p.Command, p.Sequence)
		}
	}
	// Output:
	// answer generic_nack ESME_RINVCMDID seq=7
	// got enquire_link seq=8
}

// Delivery receipts carry the SMSC's message id and the final state in TLVs.
func ExampleTLVs_Lookup() {
	receipt := &smpp.DeliverSM{
		ESMClass: 0x04,
		TLVs: smpp.TLVs{
			smpp.CStringTLV(smpp.TagReceiptedMessageID, "0123456789"),
			smpp.Uint8TLV(smpp.TagMessageState, 2), // DELIVERED
		},
	}
	if t, ok := receipt.TLVs.Lookup(smpp.TagReceiptedMessageID); ok {
		id, err := t.CString()
		fmt.Println(id, err)
	}
	if t, ok := receipt.TLVs.Lookup(smpp.TagMessageState); ok {
		st, err := t.Uint8()
		fmt.Println(st, err)
	}
	// Output:
	// 0123456789 <nil>
	// 2 <nil>
}
