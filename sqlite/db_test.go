package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sqlite"
)

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func newMessage(ids *detour.IDSource, tenant string) *detour.Message {
	return &detour.Message{
		ID: ids.New("msg_"), TenantID: tenant, To: "+447400123456",
		Content:   detour.Content{Text: "Your code is 123456"},
		Steps:     []detour.Step{{Channel: "sandbox", FallbackAfter: detour.Duration(10 * time.Second)}},
		Priority:  detour.PriorityOTP,
		Status:    detour.StatusQueued,
		CreatedAt: t0, UpdatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
		Timer: &detour.Timer{Kind: detour.TimerSend, RunAt: t0},
	}
}

func TestGroupCommit(t *testing.T) {
	db := open(t, t.TempDir(), sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	const n = 400
	var wg sync.WaitGroup
	for range n {
		m := newMessage(ids, "ten_1")
		wg.Go(func() {
			if _, _, err := db.CreateMessage(context.Background(), m, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st := db.Stats()
	if st.Ops != n {
		t.Fatalf("%d ops, want %d", st.Ops, n)
	}
	if st.Commits*4 > st.Ops {
		t.Fatalf("%d commits for %d concurrent writes: no batching", st.Commits, st.Ops)
	}
	if st.Commit <= 0 || st.Busy < st.Commit {
		t.Fatalf("writer busy %v, committing %v: want 0 < commit <= busy", st.Busy, st.Commit)
	}
	t.Logf("%d ops in %d commits; writer busy %v, committing %v", st.Ops, st.Commits, st.Busy, st.Commit)
}

// A failing write is rolled back alone; the rest of its batch commits.
func TestFailedOpDoesNotSpoilItsBatch(t *testing.T) {
	db := open(t, t.TempDir(), sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	dup := newMessage(ids, "ten_1")
	if _, _, err := db.CreateMessage(context.Background(), dup, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var good []*detour.Message
	for i := range 50 {
		m := newMessage(ids, "ten_1")
		if i%5 == 0 {
			m.ID = dup.ID // fails on the primary key after inserting nothing else
		} else {
			good = append(good, m)
		}
		wg.Go(func() {
			_, _, err := db.CreateMessage(context.Background(), m, nil)
			if (m.ID == dup.ID) != (err != nil) {
				t.Errorf("create %s: err = %v", m.ID, err)
			}
			if err != nil && detour.ErrorCode(err) != detour.CodeInternal {
				t.Errorf("a driver error surfaced as code %s", detour.ErrorCode(err))
			}
		})
	}
	wg.Wait()
	for _, m := range good {
		if _, err := db.Message(context.Background(), "ten_1", m.ID); err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPanickingCallbackFailsOnlyItsCall(t *testing.T) {
	db := open(t, t.TempDir(), sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	m := newMessage(ids, "ten_1")
	if _, _, err := db.CreateMessage(context.Background(), m, nil); err != nil {
		t.Fatal(err)
	}
	err := db.UpdateMessage(context.Background(), m.ID, func(m *detour.Message) error {
		m.Status = detour.StatusSending
		panic("bug")
	})
	if err == nil {
		t.Fatal("a panicking callback succeeded")
	}
	if got, err := db.Message(context.Background(), "ten_1", m.ID); err != nil || got.Status != detour.StatusQueued {
		t.Fatalf("after the panic: %v, %v", got, err)
	}
}

func TestCloseTwiceAndAfterClose(t *testing.T) {
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Writes queued before Close are committed, not dropped.
	ids := detour.NewIDSource(time.Now, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		m := newMessage(ids, "ten_1")
		wg.Go(func() {
			_, _, err := db.CreateMessage(context.Background(), m, nil)
			errs <- err
		})
	}
	time.Sleep(time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && detour.ErrorCode(err) != detour.CodeUnavailable {
			t.Fatalf("a write racing Close failed with %v, want success or unavailable", err)
		}
	}
	_, _, err = db.CreateMessage(context.Background(), newMessage(ids, "ten_1"), nil)
	if detour.ErrorCode(err) != detour.CodeUnavailable {
		t.Fatalf("write after Close: %v, want unavailable", err)
	}
	if err := db.Ready(context.Background()); err == nil {
		t.Fatal("Ready after Close succeeded")
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	dbs := make([]*sqlite.DB, 4)
	for i := range dbs {
		wg.Go(func() {
			db, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			dbs[i] = db
		})
	}
	wg.Wait()
	for _, db := range dbs {
		if db == nil {
			continue
		}
		if err := db.Ready(context.Background()); err != nil {
			t.Error(err)
		}
		db.Close()
	}
}

// Two stores on one file, as when `detour keys create` runs beside a
// server: both write, neither fails on the lock.
func TestTwoProcessesWrite(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, sqlite.Options{})
	b := open(t, dir, sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	var wg sync.WaitGroup
	for i := range 100 {
		db := a
		if i%2 == 1 {
			db = b
		}
		m := newMessage(ids, "ten_1")
		wg.Go(func() {
			if _, _, err := db.CreateMessage(context.Background(), m, nil); err != nil {
				t.Error(err)
			}
		})
	}
	_, k := detour.NewAPIKey(ids, t0)
	if err := b.CreateAPIKey(context.Background(), "acme", k); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	page, err := a.Messages(context.Background(), detour.MessageFilter{TenantID: "ten_1", Limit: 500})
	if err != nil || len(page.Messages) != 100 {
		t.Fatalf("%d messages, %v", len(page.Messages), err)
	}
	if _, err := a.APIKey(context.Background(), k.ID); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFindsProblems(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir, sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	m := newMessage(ids, "ten_1")
	if _, _, err := db.CreateMessage(context.Background(), m, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("Check on a sound store: %v", err)
	}
	// Break the invariant behind the store's back.
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM timers`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO events (tenant_id, id, type, message_id, data, created_at)
		VALUES ('ten_1', 'evt_X', 'message.status', 'msg_gone', '{}', 0)`); err != nil {
		t.Fatal(err)
	}
	err = db.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "without a timer") || !strings.Contains(err.Error(), m.ID) {
		t.Fatalf("Check = %v, want it to name %s as lacking a timer", err, m.ID)
	}
	if !strings.Contains(err.Error(), "events without their message (e.g. evt_X)") {
		t.Fatalf("Check = %v, want it to name the event without its message", err)
	}
}

func TestCanceledWaitKeepsContract(t *testing.T) {
	db := open(t, t.TempDir(), sqlite.Options{})
	ids := detour.NewIDSource(time.Now, nil)
	// Callers that give up either changed nothing or wait for the commit.
	var wg sync.WaitGroup
	for i := range 200 {
		m := newMessage(ids, "ten_1")
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%3)*time.Microsecond)
		wg.Go(func() {
			defer cancel()
			_, _, err := db.CreateMessage(ctx, m, nil)
			_, gerr := db.Message(context.Background(), "ten_1", m.ID)
			if (err == nil) != (gerr == nil) {
				t.Errorf("create err = %v but read err = %v", err, gerr)
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("create err = %v", err)
			}
		})
	}
	wg.Wait()
}

func TestFileIsWAL(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, sqlite.Options{})
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}
