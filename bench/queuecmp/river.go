package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/detourhq/detour"
)

// dispatchArgs is the River job that sends one message. The message itself
// lives in the application's messages table, written in the same
// transaction as the job.
type dispatchArgs struct {
	MessageID string `json:"message_id"`
}

// Kind names the job kind.
func (dispatchArgs) Kind() string { return "dispatch" }

// messagesSchema is the application table River's jobs point to.
const messagesSchema = `CREATE TABLE IF NOT EXISTS messages (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL,
	recipient  TEXT NOT NULL,
	content    TEXT NOT NULL,
	steps      TEXT NOT NULL,
	priority   TEXT NOT NULL,
	status     TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT`

// openRiverDB opens dir/river.db with full durability and applies River's
// migrations and the messages table.
func openRiverDB(ctx context.Context, dir string, conns int) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dsn := "file:" + filepath.Join(dir, "river.db") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// River's SQLite driver documents one connection as the way to avoid
	// SQLITE_BUSY; more can be tried with -river-conns.
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	var mode string
	var sync int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if mode != "wal" || sync != 2 {
		return nil, errors.Join(fmt.Errorf("river db: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync), db.Close())
	}
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, errors.Join(fmt.Errorf("river migrate: %w", err), db.Close())
	}
	if _, err := db.ExecContext(ctx, messagesSchema); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// newRiverClient returns a River client working the default queue with
// cfg.Workers workers.
func newRiverClient(db *sql.DB, w river.Worker[dispatchArgs], errs *failHandler, cfg config) (*river.Client[*sql.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return nil, err
	}
	return river.NewClient(riversqlite.New(db), &river.Config{
		ErrorHandler:      errs,
		FetchCooldown:     cfg.RiverCooldown,
		FetchPollInterval: cfg.RiverPoll,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
	})
}

// failHandler ends the run on a job error or panic instead of letting
// River retry it seconds later, which would only blur the figures.
type failHandler struct{ fail func(error) }

func (h *failHandler) HandleError(_ context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.fail(fmt.Errorf("river job %d: %w", job.ID, err))
	return nil
}

func (h *failHandler) HandlePanic(_ context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.fail(fmt.Errorf("river job %d panicked: %v\n%s", job.ID, v, trace))
	return nil
}

// insertMessage writes m's row inside tx.
func insertMessage(ctx context.Context, tx *sql.Tx, m *detour.Message) error {
	content, err := json.Marshal(m.Content)
	if err != nil {
		return err
	}
	steps, err := json.Marshal(m.Steps)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO messages
		(id, tenant_id, recipient, content, steps, priority, status, created_at, updated_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.TenantID, m.To, string(content), string(steps), string(m.Priority), string(m.Status),
		m.CreatedAt.UnixMicro(), m.UpdatedAt.UnixMicro(), m.ExpiresAt.UnixMicro())
	return err
}

// markSent records the outcome of a send inside tx.
func markSent(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
		string(detour.StatusSent), time.Now().UnixMicro(), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, fmt.Errorf("message %s: %d rows updated", id, n))
	}
	return nil
}

// verifyRiver checks that every message was marked sent and every job
// completed.
func verifyRiver(ctx context.Context, db *sql.DB, ids []string) error {
	var sent, jobs, open int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE status = ?`, string(detour.StatusSent)).Scan(&sent); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&jobs); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state <> 'completed'`).Scan(&open); err != nil {
		return err
	}
	if sent != len(ids) || jobs != len(ids) || open != 0 {
		return fmt.Errorf("%d messages: %d sent, %d jobs completed, %d jobs not completed", len(ids), sent, jobs, open)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// riverPlain uses River as its documentation shows: each accept is its own
// transaction (message row + InsertTx); the worker updates the message in
// its own transaction and returns nil, and River's completer marks the job
// completed. A message counts as done when River reports the job
// completed, i.e. once the completion is committed.
type riverPlain struct {
	cfg    config
	db     *sql.DB
	client *river.Client[*sql.Tx]
	errs   failHandler
	cancel func()
}

func openRiverPlain(ctx context.Context, dir string, cfg config) (system, error) {
	db, err := openRiverDB(ctx, dir, cfg.RiverConns)
	if err != nil {
		return nil, err
	}
	s := &riverPlain{cfg: cfg, db: db}
	s.client, err = newRiverClient(db, &plainWorker{s: s}, &s.errs, cfg)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

func (s *riverPlain) Accept(ctx context.Context, m *detour.Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := insertMessage(ctx, tx, m); err != nil {
		return err
	}
	if _, err := s.client.InsertTx(ctx, tx, dispatchArgs{MessageID: m.ID}, nil); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *riverPlain) Start(ctx context.Context, done func(id string), fail func(error)) error {
	s.errs.fail = fail
	s.cancel = subscribeCompleted(s.client, done)
	return s.client.Start(ctx)
}

// subscribeCompleted calls done with the message id of every job River
// reports completed, that is once its completion has committed. The
// returned func ends the subscription.
func subscribeCompleted(client *river.Client[*sql.Tx], done func(id string)) func() {
	events, cancel := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: 1 << 20, // never drop a completion event
		Kinds:    []river.EventKind{river.EventKindJobCompleted},
	})
	go func() {
		for ev := range events {
			var a dispatchArgs
			if err := json.Unmarshal(ev.Job.EncodedArgs, &a); err == nil {
				done(a.MessageID)
			}
		}
	}()
	return cancel
}

func (s *riverPlain) Verify(ctx context.Context, ids []string) error {
	return verifyRiver(ctx, s.db, ids)
}

func (s *riverPlain) Close() error {
	return closeRiver(s.client, s.db, s.cancel)
}

func closeRiver(client *river.Client[*sql.Tx], db *sql.DB, cancel func()) error {
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	err := client.Stop(ctx)
	if cancel != nil {
		cancel()
	}
	return errors.Join(err, db.Close())
}

type plainWorker struct {
	river.WorkerDefaults[dispatchArgs]
	s *riverPlain
}

func (w *plainWorker) Work(ctx context.Context, job *river.Job[dispatchArgs]) error {
	if err := sleep(ctx, w.s.cfg.SendLatency); err != nil {
		return err
	}
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := markSent(ctx, tx, job.Args.MessageID); err != nil {
		return err
	}
	return tx.Commit()
}

// riverBatched gives River the same group commit as our store: every
// application write (an accept: message row + job; an outcome: message
// update) goes to one writer goroutine that commits all the writes waiting
// for it in one transaction, inserting the batch's jobs with one
// InsertManyTx.
//
// With completeTx the outcome's transaction also completes the
// job (JobCompleteTx), and a message counts as done once it commits.
// Without it River's completer completes the job, as in riverPlain, and a
// message counts as done when River reports the job completed.
type riverBatched struct {
	cfg        config
	completeTx bool
	db         *sql.DB
	client     *river.Client[*sql.Tx]
	errs       failHandler
	gc         *groupCommit
	done       func(id string)
	cancel     func()
}

func openRiverBatched(ctx context.Context, dir string, cfg config) (system, error) {
	return openRiverGroupCommit(ctx, dir, cfg, false)
}

func openRiverBatchedCompleteTx(ctx context.Context, dir string, cfg config) (system, error) {
	return openRiverGroupCommit(ctx, dir, cfg, true)
}

func openRiverGroupCommit(ctx context.Context, dir string, cfg config, completeTx bool) (system, error) {
	db, err := openRiverDB(ctx, dir, cfg.RiverConns)
	if err != nil {
		return nil, err
	}
	s := &riverBatched{cfg: cfg, completeTx: completeTx, db: db}
	s.client, err = newRiverClient(db, &batchedWorker{s: s}, &s.errs, cfg)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	s.gc = newGroupCommit(db, cfg.BatchMax, func(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error {
		_, err := s.client.InsertManyTx(ctx, tx, jobs)
		return err
	})
	return s, nil
}

func (s *riverBatched) Accept(ctx context.Context, m *detour.Message) error {
	return s.gc.do(ctx, func(tx *sql.Tx) error { return insertMessage(ctx, tx, m) },
		&river.InsertManyParams{Args: dispatchArgs{MessageID: m.ID}})
}

func (s *riverBatched) Start(ctx context.Context, done func(id string), fail func(error)) error {
	s.errs.fail = fail
	s.done = done
	if !s.completeTx {
		s.cancel = subscribeCompleted(s.client, done)
	}
	s.gc.start()
	return s.client.Start(ctx)
}

func (s *riverBatched) Verify(ctx context.Context, ids []string) error {
	return verifyRiver(ctx, s.db, ids)
}

func (s *riverBatched) Close() error {
	return closeRiver(s.client, s.db, func() {
		s.gc.stop()
		if s.cancel != nil {
			s.cancel()
		}
	})
}

type batchedWorker struct {
	river.WorkerDefaults[dispatchArgs]
	s *riverBatched
}

func (w *batchedWorker) Work(ctx context.Context, job *river.Job[dispatchArgs]) error {
	if err := sleep(ctx, w.s.cfg.SendLatency); err != nil {
		return err
	}
	err := w.s.gc.do(ctx, func(tx *sql.Tx) error {
		if err := markSent(ctx, tx, job.Args.MessageID); err != nil {
			return err
		}
		if !w.s.completeTx {
			return nil
		}
		_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
		return err
	}, nil)
	if err != nil {
		return err
	}
	if w.s.completeTx {
		w.s.done(job.Args.MessageID)
	}
	return nil
}
