package coding_test

import (
	"fmt"
	"strings"

	"github.com/detourhq/detour/smpp/coding"
)

func ExampleSplit() {
	opts := coding.Options{Split: coding.SplitUDH}
	text := strings.Repeat("Your order 1234 has shipped. ", 6) // 174 GSM characters
	enc, err := coding.Split(text, opts, 0x2A)
	if err != nil {
		panic(err)
	}
	fmt.Println(enc.Encoding, enc.DataCoding, enc.Segments)
	for _, p := range enc.Parts {
		fmt.Printf("esm_class %#x, header % x, %d octets\n", p.ESMClass, p.ShortMessage[:6], len(p.ShortMessage))
	}
	// Output:
	// gsm7 0 2
	// esm_class 0x40, header 05 00 03 2a 02 01, 159 octets
	// esm_class 0x40, header 05 00 03 2a 02 02, 27 octets
}

func ExampleSegments() {
	fmt.Println(coding.Segments("Code: 482913", coding.Options{}))
	fmt.Println(coding.Segments("Код: 482913 😀", coding.Options{}))
	fmt.Println(coding.Segments(strings.Repeat("€", 81), coding.Options{}))
	// Output:
	// 1
	// 1
	// 2
}

func ExampleParseReceipt() {
	r, err := coding.ParseReceipt("id:6699 sub:001 dlvrd:001 submit date:2401151230 done date:240115123105 stat:delivrd err:000 Text:Your code")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.ID, r.State, r.State.Final(), r.DoneDate.Format("2006-01-02 15:04:05"))
	// The SMSC answered submit_sm with the hex form of the same number.
	fmt.Println(coding.SameID("1A2B", r.ID), coding.IDCandidates(r.ID))
	// Output:
	// 6699 DELIVRD true 2024-01-15 12:31:05
	// true [6699 1a2b 26265]
}
