package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/detourhq/detour"
)

// Claim leases up to c.Limit due timers, most urgent priority first and
// oldest first within a priority, and calls fn on each leased message in
// the same transaction. A message whose fn fails is logged, left as it was
// and not returned. Each priority is an index range scan over due timers
// only: far-future timers are never read.
func (db *DB) Claim(ctx context.Context, c detour.ClaimRequest, fn func(*detour.Message) error) ([]*detour.Message, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	now := micros(c.Now)
	runAt := fromMicros(micros(c.Now.Add(c.Lease))) // as it will read back
	var claimed []*detour.Message
	err := db.w.do(ctx, func(tx *wtx) error {
		claimed = claimed[:0]
		ids, err := dueTimers(ctx, tx, now, c.Limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			m, err := tx.load(ctx, "", id)
			if err != nil {
				return err
			}
			if m.Timer == nil {
				continue // cannot happen: the timer was just read
			}
			before := m.Clone()
			m.Timer.Owner = c.Owner
			m.Timer.Lease++
			m.Timer.RunAt = runAt
			if err := call(tx, func(*wtx) error { return fn(m) }); err != nil {
				db.log.Error("sqlite: claim callback failed; message left unclaimed", "message", id, "err", err)
				continue
			}
			if err := save(ctx, tx, before, m); err != nil {
				return err
			}
			tx.remember(m)
			normalize(m)
			claimed = append(claimed, m)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("claim", err)
	}
	return claimed, nil
}

// dueTimers returns the ids of up to limit timers due at now, in claim
// order.
func dueTimers(ctx context.Context, tx *wtx, now int64, limit int) ([]string, error) {
	var ids []string
	for rank := range detour.Priorities {
		if len(ids) == limit {
			break
		}
		rows, err := tx.query(ctx, `SELECT message_id FROM timers WHERE priority = ? AND run_at <= ?
			ORDER BY run_at, message_id LIMIT ?`, rank, now, limit-len(ids))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// NextDue returns the earliest RunAt of any timer: the minimum of each
// priority's first timer, four index lookups.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := db.reads.queryRow(ctx, `SELECT min(x) FROM (
		SELECT (SELECT run_at FROM timers WHERE priority = 0 ORDER BY run_at LIMIT 1) AS x
		UNION ALL SELECT (SELECT run_at FROM timers WHERE priority = 1 ORDER BY run_at LIMIT 1)
		UNION ALL SELECT (SELECT run_at FROM timers WHERE priority = 2 ORDER BY run_at LIMIT 1)
		UNION ALL SELECT (SELECT run_at FROM timers WHERE priority = 3 ORDER BY run_at LIMIT 1))`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, false, wrap("next due", err)
	}
	return fromMicros(next.Int64), true, nil
}

// Due counts the timers due at now.
func (db *DB) Due(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.reads.queryRow(ctx, `SELECT
		(SELECT count(*) FROM timers WHERE priority = 0 AND run_at <= ?1) +
		(SELECT count(*) FROM timers WHERE priority = 1 AND run_at <= ?1) +
		(SELECT count(*) FROM timers WHERE priority = 2 AND run_at <= ?1) +
		(SELECT count(*) FROM timers WHERE priority = 3 AND run_at <= ?1)`, micros(now)).Scan(&n)
	return n, wrap("count due timers", err)
}

// WaitingOn lists the messages waiting for a receipt of their current
// step on channel (and route) until a fallback deadline.
func (db *DB) WaitingOn(ctx context.Context, channel, route string) ([]string, error) {
	rows, err := db.reads.query(ctx, `SELECT t.message_id FROM timers t WHERE t.kind = 'fallback' AND t.owner = ''
		AND EXISTS (SELECT 1 FROM attempts a WHERE a.message_id = t.message_id AND a.step = t.step
			AND a.channel = ? AND (? = '' OR a.route = ?) AND a.status = 'sent')`, channel, route, route)
	if err != nil {
		return nil, wrap("messages waiting on a route", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("messages waiting on a route", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("messages waiting on a route", rows.Err())
}
