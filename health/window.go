package health

import "time"

// bucket holds one second of one route's observations. Receipts are
// counted in the bucket of the second their message was sent; the
// receipt latencies in the bucket of the second they arrived.
type bucket struct {
	sec         int64              // the unix second held; the bucket is empty for any other
	submits     [numClasses]uint32 // by Class-1
	delivered   uint32             // positive receipts for this second's sends
	inTime      uint32             // of which within the expected receipt time
	undelivered uint32             // negative receipts for this second's sends
	answered    uint32             // receipts of either kind within the expected receipt time
	receipts    uint32             // positive receipts that arrived in this second
	submitLat   hist               // submit latencies of this second's submits
	receiptLat  hist               // accepted→delivered latencies of receipts arriving this second
}

func (b *bucket) sent() uint32 { return b.submits[OK-1] }

// judged returns the submits that are a health signal (all but Rejected).
func (b *bucket) judged() uint32 {
	return b.submits[OK-1] + b.submits[Throttled-1] + b.submits[Hard-1]
}

// window is a ring of one-second buckets.
type window struct{ b []bucket }

func newWindow(span time.Duration) window { return window{b: make([]bucket, seconds(span))} }

func (w *window) slot(sec int64) *bucket {
	n := int64(len(w.b))
	return &w.b[((sec%n)+n)%n]
}

// write returns the bucket of second sec for adding to it, emptying a stale
// one, or nil if sec has left the window that ends at second now.
func (w *window) write(sec, now int64) *bucket {
	if sec <= now-int64(len(w.b)) || sec > now {
		return nil
	}
	b := w.slot(sec)
	switch {
	case b.sec == sec:
	case b.sec > sec:
		return nil
	default:
		*b = bucket{sec: sec}
	}
	return b
}

// read returns the bucket of second sec, or nil if it holds nothing.
func (w *window) read(sec int64) *bucket {
	if b := w.slot(sec); b.sec == sec {
		return b
	}
	return nil
}

// oldest returns the oldest second the window ending at second now holds.
func (w *window) oldest(now int64) int64 { return now - int64(len(w.b)) + 1 }

// tally sums counters of a run of buckets.
type tally struct {
	submits     [numClasses]int
	sent        int
	delivered   int
	inTime      int
	undelivered int
	answered    int
	span        int64 // seconds covered
}

func (t *tally) add(b *bucket) {
	for i, n := range b.submits {
		t.submits[i] += int(n)
	}
	t.sent += int(b.sent())
	t.delivered += int(b.delivered)
	t.inTime += int(min(b.inTime, b.sent()))
	t.undelivered += int(b.undelivered)
	t.answered += int(min(b.answered, b.sent()))
}

func (t *tally) judged() int {
	return t.submits[OK-1] + t.submits[Throttled-1] + t.submits[Hard-1]
}

func (t *tally) all() int { return t.judged() + t.submits[Rejected-1] }

// share returns n/d, or 0 when d is 0.
func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// recentTally sums the submits of the newest seconds down to from: at least
// span seconds, stretched further back until minJudged health-relevant
// submits are in.
func (w *window) recentTally(now, from, span int64, minJudged int) tally {
	var t tally
	for s := now; s >= from; s-- {
		if b := w.read(s); b != nil {
			t.add(b)
		}
		t.span = now - s + 1
		if t.span >= span && t.judged() >= minJudged {
			break
		}
	}
	return t
}

// maturedTallies sums the sends of matured seconds, newest first, from
// newest down to from. fast holds the fewest newest seconds with at least
// minSent sends (or all there are); recent at least span seconds and also
// at least minSent sends.
func (w *window) maturedTallies(newest, from, span int64, minSent int) (fast, recent tally) {
	fastDone := false
	for s := newest; s >= from; s-- {
		if b := w.read(s); b != nil {
			recent.add(b)
		}
		recent.span = newest - s + 1
		if !fastDone {
			fast = recent
			fastDone = recent.sent >= minSent
		}
		if fastDone && recent.span >= span {
			break
		}
	}
	return fast, recent
}
