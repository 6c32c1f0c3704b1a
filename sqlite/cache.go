package sqlite

import (
	"context"

	"github.com/detourhq/detour"
)

// msgCache keeps, for the writer, the last committed state of messages that
// are still moving (they have a timer), so that claiming a message,
// recording its outcome and applying its receipt do not read it back from
// the file each time. It is correct only while this process is the only
// one writing messages, which Options.Exclusive guarantees with a lock on
// the data directory.
//
// Changes are staged per op and per batch and become visible to later
// loads only as the savepoint is released and the batch commits: a rolled
// back op or a failed batch leaves the committed state untouched.
type msgCache struct {
	max       int
	committed map[string]*detour.Message
	batch     map[string]*detour.Message // nil value: forget the message
	op        map[string]*detour.Message
}

func newMsgCache(max int) *msgCache {
	return &msgCache{max: max, committed: map[string]*detour.Message{},
		batch: map[string]*detour.Message{}, op: map[string]*detour.Message{}}
}

// get returns a private copy of the newest state of id, or nil.
func (c *msgCache) get(id string) *detour.Message {
	for _, layer := range []map[string]*detour.Message{c.op, c.batch, c.committed} {
		if m, ok := layer[id]; ok {
			if m == nil {
				return nil
			}
			return m.Clone()
		}
	}
	return nil
}

// put stages m as saved by the running op. A message with nothing left to
// do is forgotten: late receipts for it read it from the file.
func (c *msgCache) put(m *detour.Message) {
	if m.Timer == nil {
		c.op[m.ID] = nil
		return
	}
	k := m.Clone()
	normalize(k)
	c.op[m.ID] = k
}

// endOp merges the op's changes into the batch if it succeeded.
func (c *msgCache) endOp(ok bool) {
	if ok {
		for id, m := range c.op {
			c.batch[id] = m
		}
	}
	clear(c.op)
}

// endBatch makes the batch's changes visible if it committed.
func (c *msgCache) endBatch(ok bool) {
	if ok {
		for id, m := range c.batch {
			if m == nil {
				delete(c.committed, id)
			} else {
				c.committed[id] = m
			}
		}
		if len(c.committed) > c.max {
			// Forget about a quarter, in map order: a cache, not a store.
			n := len(c.committed) / 4
			for id := range c.committed {
				if n == 0 {
					break
				}
				delete(c.committed, id)
				n--
			}
		}
	}
	clear(c.batch)
	clear(c.op)
}

// load returns message id as the writer sees it: from the cache if it is
// there, else from the file.
func (t *wtx) load(ctx context.Context, tenantID, id string) (*detour.Message, error) {
	if c := t.w.cache; c != nil {
		if m := c.get(id); m != nil {
			if tenantID != "" && m.TenantID != tenantID {
				return nil, detour.ErrNotFound
			}
			return m, nil
		}
	}
	return loadMessage(ctx, t, tenantID, id)
}

// remember stages m's new state in the cache, if there is one.
func (t *wtx) remember(m *detour.Message) {
	if c := t.w.cache; c != nil {
		c.put(m)
	}
}
