package api

import (
	"net/url"
	"testing"

	"github.com/detourhq/detour"
)

// FuzzParseListQuery checks that any query string gives a filter or a
// coded error, never a panic, and that a cursor that decodes names a
// message id. Seeds are in testdata/fuzz/FuzzParseListQuery.
func FuzzParseListQuery(f *testing.F) {
	for _, s := range []string{
		"", "status=sent&limit=10", "to=%2B447400123456&client_ref=a",
		"created_after=2026-01-01T00:00:00Z&created_before=2026-01-02T00:00:00.5Z",
		"cursor=" + EncodeCursor("msg_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "cursor=%%%", "limit=-1", "status=bogus&status=sent",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the handler refuses these before parsing
		}
		flt, err := parseListQuery(q)
		if err != nil {
			if c := detour.ErrorCode(err); c == detour.CodeInternal {
				t.Fatalf("uncoded error for %q: %v", raw, err)
			}
			return
		}
		if flt.Before != "" && !detour.ValidID("msg_", flt.Before) {
			t.Fatalf("cursor of %q decoded to %q", raw, flt.Before)
		}
		if flt.Limit < 1 || flt.Limit > MaxListLimit {
			t.Fatalf("limit %d out of range for %q", flt.Limit, raw)
		}
	})
}
