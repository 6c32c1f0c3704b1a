package smsc

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestParseDist(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Dist
	}{
		{"200ms", Fixed(200 * time.Millisecond)},
		{"0s", Fixed(0)},
		{"100ms-2s", Uniform(100*time.Millisecond, 2*time.Second)},
		{"200ms~5s", LogNormal(200*time.Millisecond, 5*time.Second)},
	} {
		got, err := ParseDist(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
		if again, _ := ParseDist(got.String()); again != got {
			t.Errorf("%q does not round-trip through %q", tc.in, got.String())
		}
	}
	for _, bad := range []string{"", "soon", "-1s", "2s-1s", "5s~1s", "1s-", "~"} {
		if _, err := ParseDist(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDistSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	if d := Fixed(time.Second).Sample(r); d != time.Second {
		t.Fatalf("fixed %s", d)
	}
	u := Uniform(time.Second, 2*time.Second)
	for i := 0; i < 1000; i++ {
		if d := u.Sample(r); d < time.Second || d > 2*time.Second {
			t.Fatalf("uniform %s", d)
		}
	}
	ln := LogNormal(200*time.Millisecond, 5*time.Second)
	var ds []time.Duration
	for i := 0; i < 20000; i++ {
		ds = append(ds, ln.Sample(r))
	}
	slices.Sort(ds)
	med, p99 := ds[len(ds)/2], ds[len(ds)*99/100]
	if med < 180*time.Millisecond || med > 220*time.Millisecond {
		t.Errorf("median %s, want about 200ms", med)
	}
	if p99 < 4*time.Second || p99 > 6*time.Second {
		t.Errorf("p99 %s, want about 5s", p99)
	}
	if ds[len(ds)-1] > 50*time.Second {
		t.Errorf("max %s beyond the cap", ds[len(ds)-1])
	}
}
