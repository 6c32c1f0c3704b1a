package api

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func TestListMessages(t *testing.T) {
	e := newEnv(t, nil)
	var sent []Message
	for i := 0; i < 5; i++ {
		e.clock.Advance(time.Millisecond)
		sent = append(sent, e.send(validBody))
	}
	stored(e) // has attempts in the service; a listing shows none
	list := func(query string) MessageList {
		t.Helper()
		w := e.do(request{method: "GET", path: "/v1/messages" + query, key: e.keyA})
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", query, w.Code, w.Body)
		}
		var l MessageList
		if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(w.Body.String(), `"attempts"`) {
			t.Errorf("listings carry no attempts: %s", w.Body)
		}
		return l
	}
	page := list("?status=queued&limit=2")
	if len(page.Data) != 2 || page.NextCursor == nil || page.Data[0].ID != sent[4].ID || page.Data[1].ID != sent[3].ID {
		t.Fatalf("first page %+v", page)
	}
	if e.svc.lastF.Limit != 2 || e.svc.lastF.Status != detour.StatusQueued || e.svc.lastF.TenantID != "ten_a" {
		t.Errorf("filter %+v", e.svc.lastF)
	}
	page = list("?status=queued&limit=2&cursor=" + *page.NextCursor)
	if len(page.Data) != 2 || page.Data[0].ID != sent[2].ID || e.svc.lastF.Before != sent[3].ID {
		t.Fatalf("second page %+v", page)
	}
	page = list("?status=queued&limit=2&cursor=" + *page.NextCursor)
	if len(page.Data) != 1 || page.NextCursor != nil {
		t.Fatalf("last page %+v", page)
	}
	if l := list(""); len(l.Data) != 6 || e.svc.lastF.Limit != DefaultListLimit {
		t.Errorf("default listing: %d messages, limit %d", len(l.Data), e.svc.lastF.Limit)
	}
	// Tenant b sees nothing; an empty page is an empty array.
	w := e.do(request{method: "GET", path: "/v1/messages", key: e.keyB})
	if strings.TrimSpace(w.Body.String()) != `{"data":[],"next_cursor":null}` {
		t.Errorf("empty page: %s", w.Body)
	}

	q := url.Values{
		"to": {"+447400123456"}, "client_ref": {"r 1"},
		"created_after": {"2025-03-01T12:00:00Z"}, "created_before": {"2025-03-01T13:00:00.5+01:00"},
	}
	list("?" + q.Encode())
	f := e.svc.lastF
	if f.To != "+447400123456" || f.ClientRef != "r 1" || !f.CreatedAfter.Equal(t0) || !f.CreatedBefore.Equal(t0.Add(500*time.Millisecond)) {
		t.Errorf("filter %+v", f)
	}
}

func TestListMessagesBadQuery(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		query string
		code  detour.Code
		field string
	}{
		{"status=lost", detour.CodeInvalidRequest, "status"},
		{"limit=0", detour.CodeInvalidRequest, "limit"},
		{"limit=501", detour.CodeInvalidRequest, "limit"},
		{"limit=ten", detour.CodeInvalidRequest, "limit"},
		{"created_after=yesterday", detour.CodeInvalidRequest, "created_after"},
		{"created_before=2025-03-01", detour.CodeInvalidRequest, "created_before"},
		{"cursor=%zz", detour.CodeInvalidRequest, ""}, // not even a query string
		{"cursor=!!", detour.CodeInvalidCursor, "cursor"},
		{"cursor=" + EncodeCursor("key_00000000000000000000000000"), detour.CodeInvalidCursor, "cursor"},
		{"cursor=bXNnXw", detour.CodeInvalidCursor, "cursor"},
		{"limit=1&limit=2", detour.CodeInvalidRequest, "limit"},
		{"state=queued", detour.CodeInvalidRequest, "state"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			w := e.do(request{method: "GET", path: "/v1/messages?" + c.query, key: e.keyA})
			p := problemOf(t, w, 400, c.code)
			if p.Field != c.field {
				t.Errorf("field %q, want %q", p.Field, c.field)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	id := "msg_01JNC2Y8T1B3W6XQ9Z0A7K5M4P"
	got, err := DecodeCursor(EncodeCursor(id))
	if err != nil || got != id {
		t.Fatalf("%q %v", got, err)
	}
	if strings.ContainsAny(EncodeCursor(id), "+/=") {
		t.Error("cursors are URL-safe")
	}
}
