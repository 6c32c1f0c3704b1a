package main

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/riverqueue/river"
)

// groupCommit is one writer goroutine that commits every write waiting for
// it in one transaction (one fsync), the way our store batches writes.
// It exists so River is measured with the same batching as our store.
type groupCommit struct {
	db     *sql.DB
	max    int
	insert func(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error

	ops      chan *gcOp
	quit     chan struct{}
	finished chan struct{}
	stopOnce sync.Once
}

// gcOp is one caller's write: fn runs inside the batch's transaction, and
// job, if set, is inserted with the batch's InsertManyTx.
type gcOp struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	job *river.InsertManyParams
	err chan error
}

func newGroupCommit(db *sql.DB, max int, insert func(context.Context, *sql.Tx, []river.InsertManyParams) error) *groupCommit {
	return &groupCommit{
		db:       db,
		max:      max,
		insert:   insert,
		ops:      make(chan *gcOp),
		quit:     make(chan struct{}),
		finished: make(chan struct{}),
	}
}

func (g *groupCommit) start() { go g.loop() }

// stop ends the writer; callers must have stopped calling do.
func (g *groupCommit) stop() {
	g.stopOnce.Do(func() {
		close(g.quit)
		<-g.finished
	})
}

// do runs fn (and inserts job) in the next batch and returns once that
// batch has committed.
func (g *groupCommit) do(ctx context.Context, fn func(tx *sql.Tx) error, job *river.InsertManyParams) error {
	op := &gcOp{ctx: ctx, fn: fn, job: job, err: make(chan error, 1)}
	select {
	case g.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errors.New("group commit stopped")
	}
	return <-op.err
}

func (g *groupCommit) loop() {
	defer close(g.finished)
	batch := make([]*gcOp, 0, g.max)
	for {
		batch = batch[:0]
		select {
		case op := <-g.ops:
			batch = append(batch, op)
		case <-g.quit:
			return
		}
	more:
		for len(batch) < g.max {
			select {
			case op := <-g.ops:
				batch = append(batch, op)
			default:
				break more
			}
		}
		if err := g.commit(batch); err != nil {
			// One write failed: run each alone so the others still commit.
			for _, op := range batch {
				op.err <- g.commit([]*gcOp{op})
			}
			continue
		}
		for _, op := range batch {
			op.err <- nil
		}
	}
}

func (g *groupCommit) commit(batch []*gcOp) error {
	ctx := context.Background()
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var jobs []river.InsertManyParams
	for _, op := range batch {
		if err := op.fn(tx); err != nil {
			return err
		}
		if op.job != nil {
			jobs = append(jobs, *op.job)
		}
	}
	if len(jobs) > 0 {
		if err := g.insert(ctx, tx, jobs); err != nil {
			return err
		}
	}
	return tx.Commit()
}
