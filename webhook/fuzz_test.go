package webhook

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary headers and bodies to the receiver's
// verification: it never panics, accepts only a real signature, and
// refuses everything else with one of its errors. Seeds are in
// testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1700000000, 0)
	good := Sign(key, "evt_1", now, []byte(`{"a":1}`))
	f.Add("evt_1", "1700000000", good, []byte(`{"a":1}`))
	f.Add("evt_1", "1700000000", "v1,AAAA "+good, []byte(`{"a":1}`))
	f.Add("evt_1", "17e8", "v2,xx", []byte(``))
	f.Add("", "", "", []byte(nil))
	f.Add("evt_1", "-9223372036854775808", "v1,", []byte(`x`))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := Verify(key, h, body, now, DefaultTolerance)
		if err == nil {
			if ts != "1700000000" || id != "evt_1" || string(body) != `{"a":1}` {
				t.Fatalf("accepted id %q ts %q body %q", id, ts, body)
			}
			return
		}
		for _, known := range []error{ErrMissingHeaders, ErrInvalidTimestamp, ErrTimestampSkew, ErrNoMatch} {
			if errors.Is(err, known) {
				return
			}
		}
		t.Fatalf("unexpected error %v", err)
	})
}
