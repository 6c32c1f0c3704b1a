// Package sqlite is Detour's embedded store: one SQLite file in WAL mode
// with synchronous=FULL, so that a write that returned has been fsynced.
//
// All writes go through one writer connection owned by one goroutine, which
// commits concurrent callers' writes together (group commit): one fsync
// carries a whole batch, so durability does not cost throughput. Reads use
// a separate pool of connections that WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/detourhq/detour"

	sqlite3 "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the name of the database file inside the data directory.
const FileName = "detour.db"

// Defaults for Options.
const (
	DefaultMaxBatch    = 512
	DefaultBusyTimeout = 10 * time.Second
)

// Options tunes a DB. The zero value is usable.
type Options struct {
	// Now is the clock for times the store sets itself (tenants, orphan
	// receipts, idempotency keys without a time). Default time.Now.
	Now func() time.Time
	// Logger receives errors that have no caller to go to, such as a claim
	// callback failing. Default: discard.
	Logger *slog.Logger
	// MaxBatch bounds how many writes share one commit. Default 512.
	MaxBatch int
	// Readers is the size of the read connection pool. Default: twice
	// GOMAXPROCS, at least 4.
	Readers int
	// Exclusive makes this process the only server of the data directory:
	// Open fails while another exclusive store holds it, and the writer
	// keeps messages in flight in memory instead of reading them back for
	// every change. Commands that only add keys or read leave it off.
	Exclusive bool
	// CacheSize bounds how many messages in flight the writer keeps in
	// memory when Exclusive. Default 50,000.
	CacheSize int
}

// DB is a Detour store in one SQLite file. It implements detour.Store.
type DB struct {
	path   string
	now    func() time.Time
	log    *slog.Logger
	ids    *detour.IDSource
	read   *sql.DB
	reads  stmtCache
	write  *sql.DB
	w      *writer
	closer sync.Once
	cerr   error
	lock   *os.File // held while Exclusive

	orphanCursor int64 // where RetryOrphans resumes; writer goroutine only
}

var _ detour.Store = (*DB)(nil)

// errClosed is returned by calls on a closed DB.
var errClosed = detour.Errorf(detour.CodeUnavailable, "the store is closed")

// Open opens (creating if needed) the database in dir/detour.db, applies
// pending migrations and starts the writer. Close it when done.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Readers <= 0 {
		opts.Readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db := &DB{path: path, now: opts.Now, log: opts.Logger, ids: detour.NewIDSource(opts.Now, nil)}
	var cache *msgCache
	if opts.Exclusive {
		lock, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		db.lock = lock
		if opts.CacheSize <= 0 {
			opts.CacheSize = 50000
		}
		cache = newMsgCache(opts.CacheSize)
	}
	ok := false
	defer func() {
		if !ok && db.lock != nil {
			db.lock.Close()
		}
	}()

	var err error
	if db.write, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	conn, err := openConn(ctx, db.write)
	if err != nil {
		db.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, conn); err != nil {
		conn.Close()
		db.write.Close()
		return nil, err
	}
	if db.read, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		conn.Close()
		db.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.read.SetMaxOpenConns(opts.Readers)
	db.read.SetMaxIdleConns(opts.Readers)
	db.read.SetConnMaxLifetime(0)
	db.reads.db = db.read
	for _, q := range []string{selectMessage, selectAttempts} {
		if _, err := db.reads.stmt(ctx, q); err != nil {
			db.reads.close()
			db.read.Close()
			conn.Close()
			db.write.Close()
			return nil, fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
	}
	db.w = startWriter(conn, opts.MaxBatch, opts.Logger, cache, db.ids, opts.Now)
	ok = true
	return db, nil
}

// openConn opens the writer connection. While another process creates
// the file and switches it to WAL, SQLite answers SQLITE_BUSY at once
// without waiting for busy_timeout; openConn waits and retries as long.
func openConn(ctx context.Context, pool *sql.DB) (*sql.Conn, error) {
	deadline := time.Now().Add(DefaultBusyTimeout)
	for {
		conn, err := pool.Conn(ctx)
		var se *sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sqliteBusy is SQLITE_BUSY, the primary result code for a locked database.
const sqliteBusy = 5

// dsn returns the connection string for the database at path. The writer
// takes its write lock at BEGIN IMMEDIATE; readers are query-only.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(DefaultBusyTimeout.Milliseconds()))
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-16000)")
	if readOnly {
		// The writer switched the file to WAL before any reader opens;
		// the mode is persistent.
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_foreign_keys", "1")
	}
	return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
}

// Ready reports whether the database answers and every migration is
// applied.
func (db *DB) Ready(ctx context.Context) error {
	if db.w.isClosed() {
		return errClosed
	}
	var n, top int
	err := db.reads.queryRow(ctx, `SELECT count(*), coalesce(max(version), 0) FROM schema_migrations`).Scan(&n, &top)
	if err != nil {
		return wrap("ready", err)
	}
	want, err := migrations()
	if err != nil {
		return wrap("ready", err)
	}
	if n != len(want) || top != want[len(want)-1].version {
		return fmt.Errorf("sqlite: schema has %d migrations up to %d, this build needs %d", n, top, len(want))
	}
	return nil
}

// Stats counts the writer's work since Open.
type Stats struct {
	Ops     int64 // write calls run
	Commits int64 // transactions committed; Ops/Commits is the mean batch size
	// Busy is the time the writer spent running batches, Commit the part
	// of it spent committing (writing the WAL and fsyncing). Busy growing
	// as fast as the clock means the one writer is what limits writes.
	Busy, Commit time.Duration
}

// Stats returns the writer's counters.
func (db *DB) Stats() Stats {
	return Stats{Ops: db.w.ops.Load(), Commits: db.w.commits.Load(),
		Busy: time.Duration(db.w.busy.Load()), Commit: time.Duration(db.w.commitNs.Load())}
}

// Close waits for queued writes to commit, stops the writer and closes
// every connection. Safe to call twice.
func (db *DB) Close() error {
	db.closer.Do(func() {
		errs := []error{db.w.close()}
		db.reads.close()
		errs = append(errs, db.read.Close(), db.write.Close())
		if db.lock != nil {
			errs = append(errs, db.lock.Close())
		}
		db.cerr = errors.Join(errs...)
	})
	return db.cerr
}

// wrap turns an unexpected driver error into an internal error that names
// what failed. Domain errors and context errors pass through unchanged.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var de *detour.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrConnDone) || err.Error() == "sql: database is closed" {
		return errClosed
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}
