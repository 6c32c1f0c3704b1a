package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/detourhq/detour"
)

// The writer owns the only writing connection. Write calls become ops
// queued to its goroutine, which runs every queued op (up to maxBatch) in
// one transaction, each op inside its own savepoint, and commits once: one
// fsync per batch. A caller returns only after its op has committed.

// op states: an op is pending until the writer takes it or its caller gives
// up on it, whichever comes first.
const (
	opPending int32 = iota
	opTaken
	opAbandoned
)

type op struct {
	fn    func(*wtx) error
	state atomic.Int32
	err   error
	done  chan struct{}
}

type writer struct {
	conn     *sql.Conn
	stmts    map[string]*sql.Stmt
	maxBatch int
	log      *slog.Logger

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan *op
	exited chan struct{}

	ops      atomic.Int64
	commits  atomic.Int64
	busy     atomic.Int64 // nanoseconds spent running batches
	commitNs atomic.Int64 // nanoseconds of those spent in COMMIT (WAL write and fsync)

	cache *msgCache        // nil unless this process is the only writer
	ids   *detour.IDSource // event ids
	now   func() time.Time // the store's clock
	hooks hookCache        // enabled webhook endpoints

	newDeliveries bool          // the batch being written queued webhook deliveries
	delivered     chan struct{} // signalled after a commit that queued deliveries
}

func startWriter(conn *sql.Conn, maxBatch int, log *slog.Logger, cache *msgCache, ids *detour.IDSource, now func() time.Time) *writer {
	w := &writer{
		now:      now,
		cache:    cache,
		ids:      ids,
		conn:     conn,
		stmts:    map[string]*sql.Stmt{},
		maxBatch: maxBatch,
		log:      log,
		queue:    make(chan *op, 4*maxBatch),
		exited:   make(chan struct{}),
		hooks:    hookCache{on: cache != nil},

		delivered: make(chan struct{}, 1),
	}
	go w.loop()
	return w
}

// do queues fn and waits until it has committed or failed. If ctx ends
// before the writer takes the op, the op never runs and do returns ctx's
// error; once taken, do waits for the outcome, so an error always means
// nothing was written.
func (w *writer) do(ctx context.Context, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{fn: fn, done: make(chan struct{})}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errClosed
	}
	select {
	case w.queue <- o:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		if o.state.CompareAndSwap(opPending, opAbandoned) {
			return ctx.Err()
		}
		<-o.done
		return o.err
	}
}

func (w *writer) isClosed() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}

// close stops taking ops, waits for the queued ones to finish and closes
// the connection.
func (w *writer) close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.exited
	for _, s := range w.stmts {
		s.Close()
	}
	return w.conn.Close()
}

func (w *writer) loop() {
	defer close(w.exited)
	batch := make([]*op, 0, w.maxBatch)
	for {
		o, ok := <-w.queue
		if !ok {
			return
		}
		batch = append(batch[:0], o)
	fill:
		for len(batch) < w.maxBatch {
			select {
			case o, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		start := time.Now()
		w.run(batch)
		w.busy.Add(int64(time.Since(start)))
		clear(batch)
	}
}

// run executes one batch in one transaction and answers every op in it.
func (w *writer) run(batch []*op) {
	committed := false
	defer func() {
		if w.cache != nil {
			w.cache.endBatch(committed)
		}
		if !committed {
			w.hooks.reset() // it may hold endpoints of the lost batch
		} else if w.newDeliveries {
			select {
			case w.delivered <- struct{}{}:
			default:
			}
		}
		w.newDeliveries = false
		for _, o := range batch {
			if o.state.Load() == opTaken {
				close(o.done)
			}
		}
	}()
	taken := 0
	for _, o := range batch {
		if o.state.CompareAndSwap(opPending, opTaken) {
			taken++
		}
	}
	if taken == 0 {
		return
	}
	tx := &wtx{w: w}
	ctx := context.Background()
	if _, err := tx.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		w.failAll(batch, wrap("begin", err))
		return
	}
	for _, o := range batch {
		if o.state.Load() != opTaken {
			continue
		}
		w.ops.Add(1)
		if err := w.runOne(ctx, tx, o); err != nil {
			// The transaction itself is broken: nothing of it can commit.
			w.rollback(ctx, tx)
			w.failAll(batch, wrap("write", err))
			return
		}
	}
	start := time.Now()
	_, err := tx.exec(ctx, "COMMIT")
	w.commitNs.Add(int64(time.Since(start)))
	if err != nil {
		w.rollback(ctx, tx)
		w.failAll(batch, wrap("commit", err))
		return
	}
	w.commits.Add(1)
	committed = true
}

// runOne runs one op inside its own savepoint. The op's own failure is
// recorded on it and its writes are undone; runOne returns an error only
// when the transaction as a whole can no longer commit.
func (w *writer) runOne(ctx context.Context, tx *wtx, o *op) error {
	if _, err := tx.exec(ctx, "SAVEPOINT op"); err != nil {
		return err
	}
	o.err = call(tx, o.fn)
	if w.cache != nil {
		w.cache.endOp(o.err == nil)
	}
	if o.err != nil {
		w.hooks.reset() // it may hold endpoints the op wrote or dropped
		if _, err := tx.exec(ctx, "ROLLBACK TO op"); err != nil {
			return fmt.Errorf("rollback to savepoint after %v: %w", o.err, err)
		}
	}
	_, err := tx.exec(ctx, "RELEASE op")
	return err
}

// call runs fn, turning a panic in it (a bug in a caller's callback) into
// an error so that it fails one op, not the process.
func call(tx *wtx, fn func(*wtx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: panic in write: %v", r)
		}
	}()
	return fn(tx)
}

func (w *writer) rollback(ctx context.Context, tx *wtx) {
	if _, err := tx.exec(ctx, "ROLLBACK"); err != nil {
		w.log.Error("sqlite: rollback failed", "err", err)
	}
}

// failAll gives err to every taken op that has no error of its own.
func (w *writer) failAll(batch []*op, err error) {
	w.log.Error("sqlite: write batch failed", "ops", len(batch), "err", err)
	for _, o := range batch {
		if o.state.Load() == opTaken && o.err == nil {
			o.err = err
		}
	}
}

// wtx is the writer's open transaction as seen by one op: its statements
// are prepared once on the writer connection and reused.
//
// Its methods ignore the context they are given: cancelling one caller
// must not interrupt a statement, since SQLite may then roll back the
// whole transaction and with it the other callers' writes.
type wtx struct {
	w *writer
}

var _ querier = (*wtx)(nil)

func (t *wtx) stmt(q string) (*sql.Stmt, error) {
	ctx := context.Background()
	if s := t.w.stmts[q]; s != nil {
		return s, nil
	}
	s, err := t.w.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	t.w.stmts[q] = s
	return s, nil
}

func (t *wtx) exec(_ context.Context, q string, args ...any) (sql.Result, error) {
	s, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.Exec(args...)
}

func (t *wtx) query(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.Query(args...)
}

func (t *wtx) queryRow(_ context.Context, q string, args ...any) *sql.Row {
	s, err := t.stmt(q)
	if err != nil {
		return t.w.conn.QueryRowContext(context.Background(), q, args...)
	}
	return s.QueryRow(args...)
}

// mustAffect returns an error unless res changed exactly one row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return errors.New("expected to change one row, changed " + fmt.Sprint(n))
	}
	return nil
}
