package health

import (
	"math/bits"
	"time"
)

// hist is a small fixed latency histogram: four buckets per doubling from
// one microsecond to 2^29 µs (about 9 minutes), each at most 25% wide, so
// a quantile is off by at most a quarter. Larger values land in the last
// bucket.
type hist [histSize]uint32

const (
	histSub  = 4                   // buckets per doubling
	histTop  = 28                  // doublings covered above 4 µs
	histSize = histSub*histTop + 1 // and the overflow bucket
)

// histIndex returns the bucket of d.
func histIndex(d time.Duration) int {
	v := uint64(max(0, d/time.Microsecond))
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 1 // v is in [2^e, 2^(e+1))
	i := histSub*(e-1) + int((v>>(e-2))&(histSub-1))
	return min(i, histSize-1)
}

// histBounds returns the range [lo, hi) of bucket i, in microseconds.
func histBounds(i int) (lo, hi float64) {
	if i < histSub {
		return float64(i), float64(i + 1)
	}
	e := i/histSub + 1
	sub := uint64(i % histSub)
	return float64((histSub + sub) << (e - 2)), float64((histSub + sub + 1) << (e - 2))
}

func (h *hist) add(d time.Duration) { h[histIndex(d)]++ }

func (h *hist) merge(o *hist) {
	for i, n := range o {
		h[i] += n
	}
}

func (h *hist) count() uint64 {
	var n uint64
	for _, c := range h {
		n += uint64(c)
	}
	return n
}

// quantile returns the q-quantile (0 < q <= 1), interpolated linearly
// inside its bucket, or 0 for an empty histogram.
func (h *hist) quantile(q float64) time.Duration {
	total := h.count()
	if total == 0 {
		return 0
	}
	rank := q * float64(total) // the rank-th smallest value, 1-based
	var seen float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if seen+float64(c) >= rank {
			lo, hi := histBounds(i)
			frac := max(0, (rank-seen)/float64(c))
			return time.Duration((lo + frac*(hi-lo)) * float64(time.Microsecond))
		}
		seen += float64(c)
	}
	_, hi := histBounds(histSize - 1)
	return time.Duration(hi * float64(time.Microsecond))
}
