package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func testReady(t *testing.T, e *env) {
	if err := e.s.Ready(e.ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func testCreateAndGet(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.message(ten, t0)
	m.Priority = detour.PriorityOTP
	m.Step = 1
	m.StepStartedAt = t0.Add(time.Second)
	m.Timer = &detour.Timer{Kind: detour.TimerFallback, Step: 1, RunAt: t0.Add(10 * time.Second), Owner: "node_a", Lease: 3}
	m.ErrorCode, m.ErrorDetail = detour.ReasonThrottled, "slow down"
	stored := e.create(t, m)
	sameMessage(t, m, stored, true)

	got := e.get(t, ten, m.ID)
	sameMessage(t, m, got, true)
	if len(got.Attempts) != 0 {
		t.Fatalf("a new message has %d attempts", len(got.Attempts))
	}

	// A message with no timer, metadata, reference or callback.
	bare := e.message(ten, t0)
	bare.Timer, bare.Metadata, bare.ClientRef, bare.CallbackURL = nil, nil, "", ""
	bare.Status = detour.StatusFailed
	e.create(t, bare)
	sameMessage(t, bare, e.get(t, ten, bare.ID), true)

	// Every priority round-trips.
	for _, p := range detour.Priorities {
		pm := e.message(ten, t0)
		pm.Priority = p
		e.create(t, pm)
		if got := e.get(t, ten, pm.ID); got.Priority != p {
			t.Errorf("priority %s read back as %s", p, got.Priority)
		}
	}

	// The same id twice is an error and changes nothing.
	dup := e.message(ten, t0)
	dup.ID = m.ID
	dup.To = "+15550001111"
	if _, _, err := e.s.CreateMessage(e.ctx, dup, nil); err == nil {
		t.Fatal("creating a message with an existing id succeeded")
	}
	sameMessage(t, m, e.get(t, ten, m.ID), true)
}

func testContentKinds(t *testing.T, e *env) {
	ten := e.tenant()
	contents := map[string]detour.Content{
		"text":     {Text: "Hello, 世界 👋\nline two"},
		"template": {Template: &detour.Template{Name: "otp_code", Language: "en_US", Params: []string{"123456", "10"}}},
		"media":    {Media: &detour.Media{Type: "document", URL: "https://example.com/a.pdf", Caption: "Invoice", Filename: "a.pdf"}},
		"media_id": {Media: &detour.Media{Type: "image", ID: "1234567890"}},
		"buttons": {Interactive: &detour.Interactive{Type: "button", Header: "H", Body: "Pick one", Footer: "F",
			Buttons: []detour.Button{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}}},
		"list": {Interactive: &detour.Interactive{Type: "list", Body: "Choose", List: &detour.List{Button: "Menu",
			Sections: []detour.ListSection{{Title: "A", Rows: []detour.ListRow{{ID: "a1", Title: "One", Description: "the first"}}},
				{Title: "B", Rows: []detour.ListRow{{ID: "b1", Title: "Two"}}}}}}},
	}
	for name, c := range contents {
		m := e.message(ten, t0)
		m.Content = c
		e.create(t, m)
		got := e.get(t, ten, m.ID)
		if d := diffMessage(m, got, true); len(d) > 0 {
			t.Errorf("%s content: %v", name, d)
		}
	}
}

func testMicroseconds(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.message(ten, t0.Add(999*time.Nanosecond))
	m.StepStartedAt = t0.Add(1500 * time.Nanosecond)
	m.Timer.RunAt = t0.Add(-1 * time.Nanosecond)
	e.create(t, m)
	got := e.get(t, ten, m.ID)
	sameMessage(t, m, got, true)
	if !got.CreatedAt.Equal(t0.Add(999 * time.Nanosecond).Truncate(time.Microsecond)) {
		t.Fatalf("CreatedAt = %v, want it truncated to the microsecond", got.CreatedAt)
	}
	if got.CreatedAt.Nanosecond()%1000 != 0 {
		t.Fatalf("CreatedAt kept nanoseconds: %v", got.CreatedAt)
	}
	// Times before 1970 and the zero time survive too.
	old := e.message(ten, time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.UTC))
	old.Timer = nil
	e.create(t, old)
	got = e.get(t, ten, old.ID)
	sameMessage(t, old, got, true)
	if !got.StepStartedAt.IsZero() {
		t.Fatalf("a zero StepStartedAt read back as %v", got.StepStartedAt)
	}
}

func testTenantIsolation(t *testing.T, e *env) {
	a, b := e.tenant(), e.tenant()
	ma := e.create(t, e.message(a, t0))
	mb := e.create(t, e.message(b, t0))
	if _, err := e.s.Message(e.ctx, b, ma.ID); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("tenant b reading tenant a's message: err = %v, want not found", err)
	}
	if _, err := e.s.Message(e.ctx, a, "msg_00000000000000000000000000"); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("reading a missing message: err = %v, want not found", err)
	}
	if _, err := e.s.Message(e.ctx, "", ma.ID); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("reading without a tenant: err = %v, want not found", err)
	}
	for _, ten := range []string{a, b} {
		page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: ten})
		if err != nil {
			t.Fatal(err)
		}
		want := ma.ID
		if ten == b {
			want = mb.ID
		}
		if got := ids(page.Messages); !slices.Equal(got, []string{want}) {
			t.Fatalf("tenant %s lists %v, want only %s", ten, got, want)
		}
	}
	page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: e.tenant()})
	if err != nil || len(page.Messages) != 0 || page.More {
		t.Fatalf("a tenant with no messages lists %v, more=%v, err=%v", ids(page.Messages), page.More, err)
	}
}

func testListFilters(t *testing.T, e *env) {
	ten, other := e.tenant(), e.tenant()
	var all []*detour.Message // oldest first
	for i := range 12 {
		m := e.message(ten, t0.Add(time.Duration(i)*time.Minute))
		m.To = fmt.Sprintf("+4474000000%02d", i%3)
		m.ClientRef = []string{"", "ref-a", "ref-b"}[i%3]
		m.Status = []detour.Status{detour.StatusQueued, detour.StatusSent, detour.StatusDelivered, detour.StatusFailed}[i%4]
		all = append(all, e.create(t, m))
		// Noise from another tenant with the same values.
		n := e.message(other, m.CreatedAt)
		n.To, n.ClientRef, n.Status = m.To, m.ClientRef, m.Status
		e.create(t, n)
	}
	// Give one listed message an attempt: listings do not load attempts.
	e.update(t, all[5].ID, func(m *detour.Message) { m.Attempts = append(m.Attempts, e.attempt(m, t0, "")) })

	newestFirst := func(keep func(*detour.Message) bool) []string {
		var out []string
		for i := len(all) - 1; i >= 0; i-- {
			if keep(all[i]) {
				out = append(out, all[i].ID)
			}
		}
		return out
	}
	cases := []struct {
		name string
		f    detour.MessageFilter
		keep func(*detour.Message) bool
	}{
		{"all", detour.MessageFilter{}, func(*detour.Message) bool { return true }},
		{"status", detour.MessageFilter{Status: detour.StatusSent}, func(m *detour.Message) bool { return m.Status == detour.StatusSent }},
		{"to", detour.MessageFilter{To: "+447400000001"}, func(m *detour.Message) bool { return m.To == "+447400000001" }},
		{"client_ref", detour.MessageFilter{ClientRef: "ref-b"}, func(m *detour.Message) bool { return m.ClientRef == "ref-b" }},
		{"after (inclusive)", detour.MessageFilter{CreatedAfter: all[4].CreatedAt},
			func(m *detour.Message) bool { return !m.CreatedAt.Before(all[4].CreatedAt) }},
		{"before (exclusive)", detour.MessageFilter{CreatedBefore: all[4].CreatedAt},
			func(m *detour.Message) bool { return m.CreatedAt.Before(all[4].CreatedAt) }},
		{"range", detour.MessageFilter{CreatedAfter: all[2].CreatedAt, CreatedBefore: all[9].CreatedAt},
			func(m *detour.Message) bool {
				return !m.CreatedAt.Before(all[2].CreatedAt) && m.CreatedAt.Before(all[9].CreatedAt)
			}},
		{"status and to", detour.MessageFilter{Status: detour.StatusQueued, To: "+447400000000"},
			func(m *detour.Message) bool { return m.Status == detour.StatusQueued && m.To == "+447400000000" }},
		{"cursor", detour.MessageFilter{Before: all[7].ID}, func(m *detour.Message) bool { return m.ID < all[7].ID }},
		{"cursor and filter", detour.MessageFilter{Before: all[7].ID, ClientRef: "ref-a"},
			func(m *detour.Message) bool { return m.ID < all[7].ID && m.ClientRef == "ref-a" }},
		{"nothing", detour.MessageFilter{Status: detour.StatusCanceled}, func(*detour.Message) bool { return false }},
	}
	for _, c := range cases {
		c.f.TenantID = ten
		page, err := e.s.Messages(e.ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got, want := ids(page.Messages), newestFirst(c.keep); !slices.Equal(got, want) {
			t.Errorf("%s: listed %v, want %v", c.name, got, want)
		}
		if page.More {
			t.Errorf("%s: More is set on the only page", c.name)
		}
		for _, m := range page.Messages {
			if len(m.Attempts) != 0 {
				t.Errorf("%s: listing loaded %d attempts of %s", c.name, len(m.Attempts), m.ID)
			}
		}
	}
	// Listed messages carry their fields.
	page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: ten, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	sameMessage(t, all[len(all)-1], page.Messages[0], false)
}

func testListPagination(t *testing.T, e *env) {
	ten := e.tenant()
	const n = 23
	var want []string // newest first
	for i := range n {
		m := e.create(t, e.message(ten, t0.Add(time.Duration(i)*time.Second)))
		want = append([]string{m.ID}, want...)
	}
	var got []string
	f := detour.MessageFilter{TenantID: ten, Limit: 5}
	for pages := 1; ; pages++ {
		page, err := e.s.Messages(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(page.Messages)...)
		last := len(got) == n
		if page.More == last {
			t.Fatalf("page %d: More = %v after %d of %d messages", pages, page.More, len(got), n)
		}
		if !page.More {
			if pages != 5 || len(page.Messages) != 3 {
				t.Fatalf("%d pages, last has %d messages; want 5 pages, the last with 3", pages, len(page.Messages))
			}
			break
		}
		if len(page.Messages) != 5 {
			t.Fatalf("page %d has %d messages, want 5", pages, len(page.Messages))
		}
		f.Before = page.Messages[len(page.Messages)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paging gave %v,\nwant %v", got, want)
	}
	// An exact multiple of the limit: More is false on the last full page.
	page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: ten, Limit: 3, Before: want[n-4]})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 3 || page.More {
		t.Fatalf("the last 3 of 3: got %d messages, More = %v", len(page.Messages), page.More)
	}
}

func testListLimits(t *testing.T, e *env) {
	ten := e.tenant()
	const n = 501
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		m := e.message(ten, t0.Add(time.Duration(i)*time.Millisecond))
		wg.Go(func() {
			if _, _, err := e.s.CreateMessage(e.ctx, m, nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {10, 10}, {500, 500}, {100000, 500}} {
		page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: ten, Limit: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != c.want || !page.More {
			t.Errorf("limit %d: got %d messages and More = %v, want %d and true", c.limit, len(page.Messages), page.More, c.want)
		}
	}
}

func testIdempotencyReplay(t *testing.T, e *env) {
	ten := e.tenant()
	idem := &detour.Idempotency{Key: "order-42-otp", RequestHash: []byte{1, 2, 3}, CreatedAt: t0}
	first := e.message(ten, t0)
	stored, replayed, err := e.s.CreateMessage(e.ctx, first, idem)
	if err != nil || replayed {
		t.Fatalf("first create: replayed=%v err=%v", replayed, err)
	}
	sameMessage(t, first, stored, true)
	e.update(t, first.ID, func(m *detour.Message) {
		m.Status = detour.StatusSending
		m.Attempts = append(m.Attempts, e.attempt(m, t0.Add(time.Second), ""))
	})
	want := e.get(t, ten, first.ID)

	again := e.message(ten, t0.Add(time.Minute))
	stored, replayed, err = e.s.CreateMessage(e.ctx, again, &detour.Idempotency{Key: idem.Key, RequestHash: []byte{1, 2, 3}, CreatedAt: t0.Add(time.Minute)})
	if err != nil || !replayed {
		t.Fatalf("replay: replayed=%v err=%v", replayed, err)
	}
	sameMessage(t, want, stored, true) // the stored message, attempts included, not the new one
	if _, err := e.s.Message(e.ctx, ten, again.ID); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("the replayed request stored its message: err = %v", err)
	}

	// Keys belong to a tenant: another tenant's same key is a new message.
	other := e.message(e.tenant(), t0)
	_, replayed, err = e.s.CreateMessage(e.ctx, other, &detour.Idempotency{Key: idem.Key, RequestHash: []byte{9}, CreatedAt: t0})
	if err != nil || replayed {
		t.Fatalf("another tenant's same key: replayed=%v err=%v", replayed, err)
	}
}

func testIdempotencyConflict(t *testing.T, e *env) {
	ten := e.tenant()
	first := e.message(ten, t0)
	if _, _, err := e.s.CreateMessage(e.ctx, first, &detour.Idempotency{Key: "k", RequestHash: []byte("a"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	second := e.message(ten, t0)
	_, _, err := e.s.CreateMessage(e.ctx, second, &detour.Idempotency{Key: "k", RequestHash: []byte("b"), CreatedAt: t0})
	wantCode(t, err, detour.CodeIdempotencyConflict)
	var de *detour.Error
	if errors.As(err, &de) && de.Field != "Idempotency-Key" {
		t.Errorf("conflict names field %q, want Idempotency-Key", de.Field)
	}
	if _, err := e.s.Message(e.ctx, ten, second.ID); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("the conflicting request stored its message: err = %v", err)
	}
}

func testIdempotencyRace(t *testing.T, e *env) {
	ten := e.tenant()
	const racers = 20
	type result struct {
		id       string
		replayed bool
		err      error
	}
	results := make(chan result, racers)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range racers {
		m := e.message(ten, t0)
		hash := []byte("same body")
		if i%5 == 4 {
			hash = []byte("another body") // four racers send a different body
		}
		wg.Go(func() {
			start.Wait()
			s, replayed, err := e.s.CreateMessage(e.ctx, m, &detour.Idempotency{Key: "race", RequestHash: hash, CreatedAt: t0})
			r := result{replayed: replayed, err: err}
			if s != nil {
				r.id = s.ID
			}
			results <- r
		})
	}
	start.Done()
	wg.Wait()
	close(results)
	created, replays, conflicts := 0, 0, 0
	ids := map[string]bool{}
	for r := range results {
		switch {
		case r.err != nil:
			wantCode(t, r.err, detour.CodeIdempotencyConflict)
			conflicts++
		case r.replayed:
			replays++
			ids[r.id] = true
		default:
			created++
			ids[r.id] = true
		}
	}
	if created != 1 || len(ids) != 1 || created+replays+conflicts != racers {
		t.Fatalf("%d created, %d replayed, %d conflicts, %d distinct ids; want exactly one message", created, replays, conflicts, len(ids))
	}
	if conflicts != 4 && conflicts != 16 {
		t.Fatalf("%d conflicts: want the 4 (or, if a different body won, 16) racers whose body differs from the winner's", conflicts)
	}
	page, err := e.s.Messages(e.ctx, detour.MessageFilter{TenantID: ten})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("after the race the tenant has %d messages (err %v), want 1", len(page.Messages), err)
	}
}

func testCreateCanceled(t *testing.T, e *env) {
	ten := e.tenant()
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	m := e.message(ten, t0)
	if _, _, err := e.s.CreateMessage(ctx, m, nil); err == nil {
		t.Fatal("CreateMessage with a canceled context succeeded")
	}
	if _, err := e.s.Message(e.ctx, ten, m.ID); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("a failed create stored its message: err = %v", err)
	}
}

func testConcurrentCreates(t *testing.T, e *env) {
	ten := e.tenant()
	const writers, each = 16, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var created []*detour.Message
	for range writers {
		wg.Go(func() {
			for range each {
				m := e.message(ten, t0)
				if _, _, err := e.s.CreateMessage(e.ctx, m, nil); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				created = append(created, m)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(created) != writers*each {
		t.Fatalf("%d of %d creates succeeded", len(created), writers*each)
	}
	for _, m := range created {
		sameMessage(t, m, e.get(t, ten, m.ID), true)
	}
}

func testUpdateMessage(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.create(t, e.message(ten, t0))
	at := t0.Add(time.Minute)
	var seen *detour.Message
	e.update(t, m.ID, func(m *detour.Message) {
		seen = m.Clone()
		m.Status = detour.StatusFailed
		m.Step = 1
		m.StepStartedAt = at
		m.ErrorCode, m.ErrorDetail = detour.ReasonNoSteps, "every step failed"
		m.UpdatedAt = at
	})
	sameMessage(t, m, seen, true) // fn sees the message as stored
	want := *m
	want.Status, want.Step, want.StepStartedAt, want.UpdatedAt = detour.StatusFailed, 1, at, at
	want.ErrorCode, want.ErrorDetail = detour.ReasonNoSteps, "every step failed"
	sameMessage(t, &want, e.get(t, ten, m.ID), true)

	// A function that changes nothing saves nothing and is no error.
	e.update(t, m.ID, func(*detour.Message) {})
	sameMessage(t, &want, e.get(t, ten, m.ID), true)

	// UpdateMessage finds any tenant's message.
	other := e.create(t, e.message(e.tenant(), t0))
	e.update(t, other.ID, func(m *detour.Message) { m.Status = detour.StatusSending })
	if got := e.get(t, other.TenantID, other.ID); got.Status != detour.StatusSending {
		t.Fatalf("status = %s, want sending", got.Status)
	}
}

func testUpdateFnError(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.create(t, e.message(ten, t0))
	boom := errors.New("boom")
	err := e.s.UpdateMessage(e.ctx, m.ID, func(m *detour.Message) error {
		m.Status = detour.StatusCanceled
		m.Attempts = append(m.Attempts, e.attempt(m, t0, "p1"))
		m.Timer = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateMessage returned %v, want fn's error", err)
	}
	sameMessage(t, m, e.get(t, ten, m.ID), true)

	// A domain error keeps its code.
	err = e.s.UpdateMessage(e.ctx, m.ID, func(*detour.Message) error {
		return detour.Errorf(detour.CodeNotCancelable, "already final")
	})
	wantCode(t, err, detour.CodeNotCancelable)
}

func testUpdateNotFound(t *testing.T, e *env) {
	called := false
	err := e.s.UpdateMessage(e.ctx, "msg_00000000000000000000000000", func(*detour.Message) error { called = true; return nil })
	wantCode(t, err, detour.CodeNotFound)
	if called {
		t.Fatal("fn was called for a missing message")
	}
}

func testUpdateAttempts(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.create(t, e.message(ten, t0))
	a1 := e.attempt(m, t0.Add(time.Second), "")
	e.update(t, m.ID, func(m *detour.Message) { m.Attempts = append(m.Attempts, a1) })
	want := *m
	want.Attempts = []*detour.Attempt{a1}
	sameMessage(t, &want, e.get(t, ten, m.ID), true)

	// Change the first attempt and add two more in one update.
	sent := t0.Add(2 * time.Second)
	a1c := *a1
	a1c.Status, a1c.ProviderID, a1c.Segments, a1c.SentAt, a1c.UpdatedAt = detour.AttemptSent, "prov-1", 2, sent, sent
	a2 := e.attempt(m, t0.Add(3*time.Second), "")
	a2.Step, a2.Channel, a2.Route = 1, "whatsapp", ""
	a3 := e.attempt(m, t0.Add(4*time.Second), "")
	e.update(t, m.ID, func(m *detour.Message) {
		if len(m.Attempts) != 1 || m.Attempts[0].ID != a1.ID {
			t.Errorf("fn saw attempts %v, want [%s]", m.Attempts, a1.ID)
			return
		}
		*m.Attempts[0] = a1c
		m.Attempts = append(m.Attempts, a2, a3)
	})
	want.Attempts = []*detour.Attempt{&a1c, a2, a3}
	sameMessage(t, &want, e.get(t, ten, m.ID), true)

	// Every timestamp and failure field of an attempt round-trips.
	end := t0.Add(5 * time.Second)
	a2c := *a2
	a2c.Status, a2c.ErrorCode, a2c.ErrorDetail = detour.AttemptFailed, detour.ReasonRejected, "no"
	a2c.SentAt, a2c.EndedAt, a2c.DeliveredAt, a2c.ReadAt, a2c.UpdatedAt = sent, end, end.Add(time.Second), end.Add(2*time.Second), end
	e.update(t, m.ID, func(m *detour.Message) { *m.Attempts[1] = a2c })
	want.Attempts = []*detour.Attempt{&a1c, &a2c, a3}
	sameMessage(t, &want, e.get(t, ten, m.ID), true)
}

func testUpdateTimer(t *testing.T, e *env) {
	ten := e.tenant()
	m := e.message(ten, t0)
	m.Timer = nil
	e.create(t, m)
	want := *m

	// Insert.
	tm := &detour.Timer{Kind: detour.TimerSend, Step: 0, RunAt: t0.Add(time.Minute)}
	e.update(t, m.ID, func(m *detour.Message) { m.Timer = tm })
	want.Timer = tm
	sameMessage(t, &want, e.get(t, ten, m.ID), true)
	if n, err := e.s.Due(e.ctx, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("Due = %d, %v; want 1", n, err)
	}

	// Update every field.
	tm2 := &detour.Timer{Kind: detour.TimerFallback, Step: 1, RunAt: t0.Add(time.Hour), Owner: "node_x", Lease: 7}
	e.update(t, m.ID, func(m *detour.Message) { *m.Timer = *tm2 })
	want.Timer = tm2
	sameMessage(t, &want, e.get(t, ten, m.ID), true)
	if n, err := e.s.Due(e.ctx, t0.Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("Due = %d, %v after moving the timer; want 0", n, err)
	}

	// Replace with a new timer value.
	tm3 := &detour.Timer{Kind: detour.TimerExpire, RunAt: t0.Add(2 * time.Hour)}
	e.update(t, m.ID, func(m *detour.Message) { m.Timer = tm3 })
	want.Timer = tm3
	sameMessage(t, &want, e.get(t, ten, m.ID), true)

	// Delete.
	e.update(t, m.ID, func(m *detour.Message) { m.Timer = nil })
	want.Timer = nil
	sameMessage(t, &want, e.get(t, ten, m.ID), true)
	if _, ok, err := e.s.NextDue(e.ctx); err != nil || ok {
		t.Fatalf("NextDue after deleting the only timer: ok=%v err=%v", ok, err)
	}
}
