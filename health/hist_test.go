package health

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistBuckets(t *testing.T) {
	prevHi := 0.0
	for i := range histSize {
		lo, hi := histBounds(i)
		if lo != prevHi || hi <= lo || (i >= histSub && (hi-lo)/lo > 0.25+1e-9) {
			t.Fatalf("bucket %d: [%g, %g) after %g", i, lo, hi, prevHi)
		}
		prevHi = hi
	}
	for _, d := range []time.Duration{0, -time.Second, time.Microsecond, 3 * time.Microsecond, 999 * time.Microsecond,
		time.Millisecond, 20 * time.Millisecond, time.Second, 9 * time.Minute} {
		i := histIndex(d)
		lo, hi := histBounds(i)
		us := float64(max(0, d) / time.Microsecond)
		if us < lo || us >= hi {
			t.Fatalf("%s in bucket %d [%g, %g)", d, i, lo, hi)
		}
	}
	if i := histIndex(time.Hour); i != histSize-1 {
		t.Fatalf("an hour in bucket %d", i)
	}
}

func TestHistQuantile(t *testing.T) {
	var h hist
	if h.quantile(0.5) != 0 {
		t.Fatal("empty histogram")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 10000 {
		d := time.Duration(rnd.ExpFloat64() * float64(50*time.Millisecond))
		all = append(all, d)
		h.add(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		exact := all[int(q*float64(len(all)))-1]
		got := h.quantile(q)
		if r := float64(got) / float64(exact); r < 0.8 || r > 1.25 {
			t.Fatalf("q%g = %s, exact %s", q, got, exact)
		}
	}
}
