package coding

import (
	"strconv"
	"strings"
)

// NormalizeID returns a message id in the form the other ID functions
// compare: spaces trimmed, lower case, leading zeros removed (all zeros
// become "0"). Store the submit_sm_resp message_id in this form.
func NormalizeID(id string) string {
	id = strings.ToLower(id)
	zero := false
	for {
		t := strings.TrimSpace(id)
		if u := strings.TrimLeft(t, "0"); u != t {
			zero, t = true, u
		}
		if t == id {
			break
		}
		id = t
	}
	if id == "" && zero {
		return "0"
	}
	return id
}

// IDCandidates returns the normalized ids (see NormalizeID) a receipt's id
// may have been given under in submit_sm_resp, most likely first: the id
// itself; if it is all decimal digits, the same number in hex; if it is
// all hex digits, the same number in decimal. Many SMSCs answer
// submit_sm_resp with a hex id and write it in decimal in the receipt
// text ("1A2B" and "6699"), some the other way round. Numbers beyond 64
// bits are compared as written only.
//
// Look the candidates up in order among the route's open attempts and
// take the first hit: a decimal id can also be read as hex, so a later
// candidate may name an unrelated message on a route whose SMSC writes the
// same form on both sides.
func IDCandidates(receiptID string) []string {
	id := NormalizeID(receiptID)
	if id == "" {
		return nil
	}
	out := []string{id}
	if isDigits(id, 10) {
		if v, err := strconv.ParseUint(id, 10, 64); err == nil {
			out = appendNew(out, strconv.FormatUint(v, 16))
		}
	}
	if isDigits(id, 16) {
		if v, err := strconv.ParseUint(id, 16, 64); err == nil {
			out = appendNew(out, strconv.FormatUint(v, 10))
		}
	}
	return out
}

// SameID reports whether a submit_sm_resp message_id and a receipt's id
// name the same message: equal once normalized (NormalizeID), or the same
// number with one side in hex and the other in decimal, either way round.
func SameID(submitID, receiptID string) bool {
	want := NormalizeID(submitID)
	if want == "" {
		return false
	}
	for _, c := range IDCandidates(receiptID) {
		if c == want {
			return true
		}
	}
	return false
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// isDigits reports whether s is made only of digits of base 10 or 16
// (lower-case hex, as NormalizeID leaves it).
func isDigits(s string, base int) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if '0' <= c && c <= '9' || base == 16 && 'a' <= c && c <= 'f' {
			continue
		}
		return false
	}
	return s != ""
}
