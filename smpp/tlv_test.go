package smpp

import (
	"errors"
	"testing"
)

func TestTLVAccessors(t *testing.T) {
	var ts TLVs
	ts.Set(Uint8TLV(TagMessageState, 2))
	ts.Set(Uint16TLV(TagUserMessageReference, 0xBEEF))
	ts.Set(CStringTLV(TagReceiptedMessageID, "abc"))
	ts.Set(Uint8TLV(TagMessageState, 5)) // replaces
	if len(ts) != 3 {
		t.Fatalf("Set appended a duplicate: %v", ts)
	}
	st, _ := ts.Lookup(TagMessageState)
	if v, err := st.Uint8(); err != nil || v != 5 {
		t.Errorf("message_state %d, %v", v, err)
	}
	ref, _ := ts.Lookup(TagUserMessageReference)
	if v, err := ref.Uint16(); err != nil || v != 0xBEEF {
		t.Errorf("user_message_reference %#x, %v", v, err)
	}
	id, _ := ts.Lookup(TagReceiptedMessageID)
	if v, err := id.CString(); err != nil || v != "abc" {
		t.Errorf("receipted_message_id %q, %v", v, err)
	}
	if _, ok := ts.Lookup(TagMessagePayload); ok {
		t.Error("found a TLV that is not there")
	}

	bad := []struct {
		name string
		err  error
		is   error
	}{
		{"uint8 of two octets", errOf(TLV{Tag: TagMessageState, Value: []byte{1, 2}}.Uint8()), ErrTLVLength},
		{"uint8 of nothing", errOf(TLV{Tag: TagMessageState}.Uint8()), ErrTLVLength},
		{"uint16 of one octet", errOf(TLV{Tag: TagSARMsgRefNum, Value: []byte{1}}.Uint16()), ErrTLVLength},
		{"cstring without NUL", errOf(TLV{Tag: TagReceiptedMessageID, Value: []byte("abc")}.CString()), ErrNoNUL},
		{"cstring empty", errOf(TLV{Tag: TagReceiptedMessageID}.CString()), ErrNoNUL},
		{"cstring with inner NUL", errOf(TLV{Tag: TagReceiptedMessageID, Value: []byte("a\x00b\x00")}.CString()), ErrNUL},
	}
	for _, tc := range bad {
		if !errors.Is(tc.err, tc.is) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.err, tc.is)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestTLVOrderAndDuplicatesKept(t *testing.T) {
	p := PDU{Header: Header{Command: CommandDataSM, Sequence: 1}, Body: &DataSM{TLVs: TLVs{
		{Tag: 0x1401, Value: []byte{9}}, Uint8TLV(TagMessageState, 1), {Tag: 0x1401}, Uint8TLV(TagMessageState, 2),
	}}}
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	ts := q.Body.(*DataSM).TLVs
	if len(ts) != 4 || ts[0].Tag != 0x1401 || ts[2].Value != nil || ts[3].Value[0] != 2 {
		t.Errorf("got %v", ts)
	}
	if first, _ := ts.Lookup(TagMessageState); first.Value[0] != 1 {
		t.Errorf("Lookup found %v, want the first", first)
	}
}
