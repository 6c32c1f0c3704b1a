package coding

import (
	"errors"
	"testing"
	"time"
)

func date(y, mo, d, h, mi, s int) time.Time {
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
}

func TestParseReceiptStyles(t *testing.T) {
	for _, tt := range []struct {
		name string
		text string
		want Receipt
	}{
		{
			name: "SMPP 3.4 appendix B",
			text: "id:0123456789 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:DELIVRD err:000 Text:Your code is 4829",
			want: Receipt{ID: "0123456789", Submitted: 1, Delivered: 1, SubmitDate: date(2024, 1, 15, 12, 30, 0), DoneDate: date(2024, 1, 15, 12, 31, 0), State: StateDelivered, Stat: "DELIVRD", Err: "000", Text: "Your code is 4829"},
		},
		{
			name: "12-digit dates, hex id, lower case text key",
			text: "id:1A2B3C4D sub:001 dlvrd:000 submit date:240115123005 done date:240115124510 stat:UNDELIV err:001 text:",
			want: Receipt{ID: "1A2B3C4D", Submitted: 1, SubmitDate: date(2024, 1, 15, 12, 30, 5), DoneDate: date(2024, 1, 15, 12, 45, 10), State: StateUndeliverable, Stat: "UNDELIV", Err: "001"},
		},
		{
			name: "upper case keys, lower case stat, extra spaces",
			text: "ID: 6699   SUB: 1  DLVRD: 1  SUBMIT DATE: 2312312359  DONE DATE: 2401010001  STAT: delivrd  ERR: 0  TEXT: Hi",
			want: Receipt{ID: "6699", Submitted: 1, Delivered: 1, SubmitDate: date(2023, 12, 31, 23, 59, 0), DoneDate: date(2024, 1, 1, 0, 1, 0), State: StateDelivered, Stat: "delivrd", Err: "0", Text: "Hi"},
		},
		{
			name: "minimal, as some SMSCs and jasmin write it",
			text: "id:b5a4e1c0-3c2e-4d0b submit date:2402291015 done date:2402291016 stat:EXPIRED err:000",
			want: Receipt{ID: "b5a4e1c0-3c2e-4d0b", SubmitDate: date(2024, 2, 29, 10, 15, 0), DoneDate: date(2024, 2, 29, 10, 16, 0), State: StateExpired, Stat: "EXPIRED", Err: "000"},
		},
		{
			name: "fields in another order, underscores, missing sub and dlvrd",
			text: "stat:REJECTD err:0x0B id:42 submit_date:2405051200 done_date:2405051200",
			want: Receipt{ID: "42", SubmitDate: date(2024, 5, 5, 12, 0, 0), DoneDate: date(2024, 5, 5, 12, 0, 0), State: StateRejected, Stat: "REJECTD", Err: "0x0B"},
		},
		{
			name: "long stat words and an unknown field",
			text: "id:77 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVERED err:000 imsi:001010123456789 text:ok",
			want: Receipt{ID: "77", Submitted: 1, Delivered: 1, SubmitDate: date(2024, 1, 1, 12, 0, 0), DoneDate: date(2024, 1, 1, 12, 1, 0), State: StateDelivered, Stat: "DELIVERED", Err: "000", Text: "ok"},
		},
		{
			name: "empty sub, bad dates, text with keys in it",
			text: "id:9 sub: dlvrd:001 submit date:24011 done date:2413011200 stat:ENROUTE err:000 text:id:1 stat:DELIVRD",
			want: Receipt{ID: "9", Delivered: 1, State: StateEnroute, Stat: "ENROUTE", Err: "000", Text: "id:1 stat:DELIVRD"},
		},
		{
			name: "unknown stat word",
			text: "id:5 stat:BOUNCED",
			want: Receipt{ID: "5", State: StateUnknown, Stat: "BOUNCED"},
		},
		{
			name: "14-digit dates, first key wins",
			text: "id:1 id:2 submit date:20240115123005 stat:ACCEPTD stat:DELIVRD",
			want: Receipt{ID: "1", SubmitDate: date(2024, 1, 15, 12, 30, 5), State: StateAccepted, Stat: "ACCEPTD"},
		},
		{
			name: "line breaks between fields",
			text: "id:3\nsub:001\ndlvrd:001\nsubmit date:2401011200\ndone date:2401011200\nstat:DELETED\nerr:000",
			want: Receipt{ID: "3", Submitted: 1, Delivered: 1, SubmitDate: date(2024, 1, 1, 12, 0, 0), DoneDate: date(2024, 1, 1, 12, 0, 0), State: StateDeleted, Stat: "DELETED", Err: "000"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReceipt(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseReceiptNotAReceipt(t *testing.T) {
	for _, s := range []string{"", "hello there", "id:123", "stat:DELIVRD err:000", "id: stat:DELIVRD", "identity:1 status:DELIVRD", "Your id: is stat:"} {
		if r, err := ParseReceipt(s); !errors.Is(err, ErrNotReceipt) {
			t.Errorf("ParseReceipt(%q) = %+v, %v; want ErrNotReceipt", s, r, err)
		}
	}
}

func TestFormatParses(t *testing.T) {
	r := Receipt{ID: "1a2b", Submitted: 1, Delivered: 1, SubmitDate: date(2024, 3, 1, 9, 5, 0), DoneDate: date(2024, 3, 1, 9, 6, 0), State: StateDelivered, Text: "Your Detour code is 482913, valid 10 min"}
	s := Format(r)
	if want := "id:1a2b sub:001 dlvrd:001 submit date:2403010905 done date:2403010906 stat:DELIVRD err:000 text:Your Detour code is "; s != want {
		t.Fatalf("Format = %q\nwant     %q", s, want)
	}
	got, err := ParseReceipt(s)
	if err != nil {
		t.Fatal(err)
	}
	r.Stat, r.Err, r.Text = "DELIVRD", "000", "Your Detour code is "
	if got != r {
		t.Errorf("parsed back %+v\nwant %+v", got, r)
	}
	if s := Format(Receipt{ID: "x", State: StateExpired, Text: "ёжик😀"}); s != "id:x sub:000 dlvrd:000 submit date:0000000000 done date:0000000000 stat:EXPIRED err:000 text:ёжик😀" {
		t.Errorf("Format with zero dates = %q", s)
	}
}

func TestStates(t *testing.T) {
	words := map[State]string{1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}
	for v := 0; v < 256; v++ {
		s, ok := StateFromTLV(byte(v))
		word, known := words[State(v)]
		if ok != known || ok && s.String() != word {
			t.Errorf("StateFromTLV(%d) = %v, %v", v, s, ok)
		}
		if !known {
			continue
		}
		for _, w := range []string{word, " " + word + " ", string([]byte{word[0] | 0x20}) + word[1:]} {
			if p, ok := ParseStat(w); !ok || p != s {
				t.Errorf("ParseStat(%q) = %v, %v; want %v", w, p, ok, s)
			}
		}
	}
	for _, w := range []string{"delivrd", "Undeliverable", "FAILED", "accepted", "rejected", "undelivered", "Delivered"} {
		if _, ok := ParseStat(w); !ok {
			t.Errorf("ParseStat(%q) failed", w)
		}
	}
	if _, ok := ParseStat("DELIVR"); ok {
		t.Error("ParseStat accepted DELIVR")
	}
	if StateEnroute.Final() || StateAccepted.Final() || !StateDelivered.Final() || !StateRejected.Final() || State(0).Final() {
		t.Error("Final is wrong")
	}
}

func TestSameID(t *testing.T) {
	for _, tt := range []struct {
		submit, receipt string
		want            bool
	}{
		{"1A2B", "6699", true},       // hex in the response, decimal in the receipt
		{"6699", "1a2b", true},       // the other way round
		{"0000001A2B", "6699", true}, // leading zeros
		{"1a2b", "0000006699", true},
		{"12345", "0000012345", true},
		{"ABCDEF", "abcdef", true},
		{"FFFFFFFFFFFFFFFF", "18446744073709551615", true},
		{"b5a4e1c0-3c2e-4d0b", "B5A4E1C0-3C2E-4D0B", true},
		{"1A2B", "6698", false},
		{"1A2B", "1A2C", false},
		{"", "", false},
		{"0", "000", true},
		{"10", "16", true}, // the documented ambiguity: "16" decimal is 0x10
		{"123456789012345678901234567890", "123456789012345678901234567890", true},
	} {
		if got := SameID(tt.submit, tt.receipt); got != tt.want {
			t.Errorf("SameID(%q, %q) = %v, want %v", tt.submit, tt.receipt, got, tt.want)
		}
	}
	got := IDCandidates("006699")
	want := []string{"6699", "1a2b", "26265"}
	if len(got) != len(want) {
		t.Fatalf("IDCandidates = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("IDCandidates = %q, want %q", got, want)
		}
	}
	if c := IDCandidates("  "); c != nil {
		t.Errorf("IDCandidates of blank = %q", c)
	}
}
