package coding

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotReceipt is returned by ParseReceipt for a text with no id or no
// stat field.
var ErrNotReceipt = errors.New("coding: not a delivery receipt text")

// Receipt is the content of a delivery receipt text, as SMPP 3.4
// appendix B describes it: "id:IIIIIIIIII sub:SSS dlvrd:DDD submit
// date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...".
// Fields an SMSC leaves out are zero.
type Receipt struct {
	// ID is the message id as written; see SameID and IDCandidates to
	// match it with the submit_sm_resp message_id.
	ID string
	// Submitted and Delivered are the sub and dlvrd counts.
	Submitted, Delivered int
	// SubmitDate and DoneDate are read as UTC (the text carries no zone);
	// zero when absent or unreadable.
	SubmitDate, DoneDate time.Time
	// State is the state the stat word names; StateUnknown for a word
	// ParseStat does not know.
	State State
	// Stat is the stat word as written.
	Stat string
	// Err is the err field as written (often three digits, network
	// specific).
	Err string
	// Text is the text field: the first characters of the message.
	Text string
}

// receipt field keys, as ParseReceipt normalizes them (lower case, no
// space or underscore).
const (
	keyID         = "id"
	keySub        = "sub"
	keyDlvrd      = "dlvrd"
	keySubmitDate = "submitdate"
	keyDoneDate   = "donedate"
	keyStat       = "stat"
	keyErr        = "err"
	keyText       = "text"
)

// ParseReceipt reads a delivery receipt text. It is lenient, as SMSCs
// differ: keys in any case and in any order, spaces or none around the
// colon, "submit_date" for "submit date", unknown fields skipped, fields
// missing, dates of 10 (YYMMDDhhmm), 12 (YYMMDDhhmmss) or 14
// (YYYYMMDDhhmmss) digits. The text field runs to the end. When a key
// appears twice the first counts. It fails with ErrNotReceipt when there
// is no id or no stat.
func ParseReceipt(s string) (Receipt, error) {
	var r Receipt
	var seen [8]bool
	for i := 0; i < len(s); {
		if isSep(s[i]) {
			i++
			continue
		}
		key, next, ok := readKey(s, i)
		if !ok {
			for i < len(s) && !isSep(s[i]) {
				i++
			}
			continue
		}
		i = skipSpace(s, next)
		if key == keyText {
			if !seen[7] {
				r.Text, seen[7] = s[i:], true
			}
			break
		}
		end := i
		for end < len(s) && !isSep(s[end]) {
			end++
		}
		v := s[i:end]
		if strings.IndexByte(v, ':') >= 0 {
			// "sub: dlvrd:001": the field is empty and the next one starts.
			continue
		}
		i = end
		switch key {
		case keyID:
			if !seen[0] {
				r.ID, seen[0] = v, true
			}
		case keySub:
			if !seen[1] {
				r.Submitted, _ = strconv.Atoi(v)
				seen[1] = true
			}
		case keyDlvrd:
			if !seen[2] {
				r.Delivered, _ = strconv.Atoi(v)
				seen[2] = true
			}
		case keySubmitDate:
			if !seen[3] {
				r.SubmitDate, seen[3] = parseReceiptDate(v), true
			}
		case keyDoneDate:
			if !seen[4] {
				r.DoneDate, seen[4] = parseReceiptDate(v), true
			}
		case keyStat:
			if !seen[5] {
				r.Stat, seen[5] = v, true
			}
		case keyErr:
			if !seen[6] {
				r.Err, seen[6] = v, true
			}
		}
	}
	if r.ID == "" || r.Stat == "" {
		return Receipt{}, ErrNotReceipt
	}
	if st, ok := ParseStat(r.Stat); ok {
		r.State = st
	} else {
		r.State = StateUnknown
	}
	return r, nil
}

// readKey reads a receipt key and its colon at s[i:]. It returns the
// normalized key and the index after the colon.
func readKey(s string, i int) (key string, next int, ok bool) {
	word, j := readWord(s, i)
	switch {
	case strings.EqualFold(word, "submit"):
		key = keySubmitDate
	case strings.EqualFold(word, "done"):
		key = keyDoneDate
	}
	if key != "" {
		// "submit date", "submit_date", "submit  date".
		for j < len(s) && (s[j] == ' ' || s[j] == '_') {
			j++
		}
		var date string
		if date, j = readWord(s, j); !strings.EqualFold(date, "date") {
			return "", 0, false
		}
	} else {
		for _, k := range [...]string{keyID, keySub, keyDlvrd, keyStat, keyErr, keyText, keySubmitDate, keyDoneDate} {
			if strings.EqualFold(word, k) {
				key = k
				break
			}
		}
		if key == "" {
			return "", 0, false
		}
	}
	j = skipSpace(s, j)
	if j == len(s) || s[j] != ':' {
		return "", 0, false
	}
	return key, j + 1, true
}

// readWord returns the run of ASCII letters at s[i:] and the index after it.
func readWord(s string, i int) (string, int) {
	j := i
	for j < len(s) && ('a' <= s[j]|0x20 && s[j]|0x20 <= 'z') {
		j++
	}
	return s[i:j], j
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	return i
}

// isSep reports whether c separates receipt fields.
func isSep(c byte) bool {
	return c == ' ' || c == ',' || '\t' <= c && c <= '\r' // \t \n \v \f \r
}

// parseReceiptDate reads YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss as UTC;
// the zero time when v is none of them.
func parseReceiptDate(v string) time.Time {
	var layout string
	switch len(v) {
	case 10:
		layout = "0601021504"
	case 12:
		layout = "060102150405"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}
	}
	t, err := time.ParseInLocation(layout, v, time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Format writes r as a receipt text in the layout of SMPP 3.4 appendix B,
// for the SMSC simulator: three-digit counts, ten-digit dates (in the
// zone of the times given), "000" for an empty Err, the first 20
// characters of Text. A zero date is written as ten zeros.
func Format(r Receipt) string {
	stat := r.Stat
	if stat == "" {
		stat = r.State.String()
	}
	errCode := r.Err
	if errCode == "" {
		errCode = "000"
	}
	text := r.Text
	for i, n := 0, 0; i < len(text); n++ {
		if n == 20 {
			text = text[:i]
			break
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return fmt.Sprintf("id:%s sub:%03d dlvrd:%03d submit date:%s done date:%s stat:%s err:%s text:%s",
		r.ID, r.Submitted, r.Delivered, formatReceiptDate(r.SubmitDate), formatReceiptDate(r.DoneDate), stat, errCode, text)
}

func formatReceiptDate(t time.Time) string {
	if t.IsZero() {
		return "0000000000"
	}
	return t.Format("0601021504")
}
