package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/detourhq/detour"
)

// Check verifies the database file and the store's invariants: SQLite's
// integrity check passes; no timer, attempt or idempotency key outlives its
// message; every message that is not final has a timer. It returns an
// error listing every problem found.
func (db *DB) Check(ctx context.Context) error {
	var problems []string
	rows, err := db.reads.query(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return wrap("check", err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return wrap("check", err)
		}
		if line != "ok" {
			problems = append(problems, "integrity: "+line)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("check", err)
	}

	var live []string
	for _, s := range detour.Statuses {
		if !s.Final() {
			live = append(live, "'"+string(s)+"'")
		}
	}
	checks := []struct{ what, query string }{
		{"timers without their message", `SELECT message_id FROM timers
			WHERE message_id NOT IN (SELECT id FROM messages)`},
		{"attempts without their message", `SELECT id FROM attempts
			WHERE message_id NOT IN (SELECT id FROM messages)`},
		{"idempotency keys without their message", `SELECT tenant_id || '/' || key FROM idempotency_keys
			WHERE message_id NOT IN (SELECT id FROM messages)`},
		{"message parts without their attempt", `SELECT provider_id FROM attempt_parts
			WHERE attempt_id NOT IN (SELECT id FROM attempts)`},
		{"events without their message", `SELECT id FROM events
			WHERE message_id <> '' AND message_id NOT IN (SELECT id FROM messages)`},
		{"unfinished messages without a timer", `SELECT id FROM messages
			WHERE status IN (` + strings.Join(live, ", ") + `)
			AND id NOT IN (SELECT message_id FROM timers)`},
	}
	for _, c := range checks {
		var n int
		var sample []string
		rows, err := db.read.QueryContext(ctx, c.query)
		if err != nil {
			return wrap("check", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return wrap("check", err)
			}
			if n++; n <= 5 {
				sample = append(sample, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap("check", err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s (e.g. %s)", n, c.what, strings.Join(sample, ", ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("sqlite: check %s: %d problems:\n  %s", db.path, len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}
