package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// querier runs queries on one connection or transaction. Loading a message
// works the same on the writer (inside its batch, seeing its own writes)
// and on a reader transaction.
type querier interface {
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, q string, args ...any) *sql.Row
	exec(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// stmtCache prepares each query once on a connection pool. database/sql
// re-prepares a cached statement on each pool connection as needed.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the cached statement for q, preparing it on a free pool
// connection if needed. The lock is not held while preparing: a caller
// holding a connection in a transaction must never wait here for another.
func (c *stmtCache) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s := c.cached(q); s != nil {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[q]; prev != nil {
		s.Close()
		return prev, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = s
	return s, nil
}

// cached returns the statement for q if it was prepared before, else nil.
func (c *stmtCache) cached(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

func (c *stmtCache) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (c *stmtCache) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, q)
	if err != nil {
		// Let the error surface from Scan, as database/sql does.
		return c.db.QueryRowContext(ctx, q, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (c *stmtCache) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// readTx is a read transaction on a reader connection: every query in it
// sees the same snapshot. It uses cached statements but never prepares
// into the cache itself: that would need a second pool connection while
// holding one, and a full pool would deadlock. Open warms the cache with
// the queries that run in read transactions.
type readTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

// readTx begins a deferred (read) transaction. Call done when finished.
func (db *DB) readTx(ctx context.Context) (*readTx, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &readTx{tx: tx, cache: &db.reads}, nil
}

func (r *readTx) done() { r.tx.Rollback() }

func (r *readTx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := r.cache.cached(q); s != nil {
		return r.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return r.tx.QueryContext(ctx, q, args...)
}

func (r *readTx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := r.cache.cached(q); s != nil {
		return r.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return r.tx.QueryRowContext(ctx, q, args...)
}

func (r *readTx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return r.tx.ExecContext(ctx, q, args...)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
