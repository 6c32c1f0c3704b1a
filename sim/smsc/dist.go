package smsc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Dist is a distribution of delays. The zero value is always zero.
//
// Three shapes cover what operators show: Fixed, Uniform between two
// bounds, and LogNormal given its median and 99th percentile (most receipts
// come quickly, a long tail comes much later), which is how real receipt
// delays look.
type Dist struct {
	kind     distKind
	a, b     time.Duration // fixed: a; uniform: [a, b]; log-normal: median a, p99 b
	sigma    float64       // log-normal: standard deviation of ln(delay)
	capDelay time.Duration // log-normal: upper bound of a draw
}

type distKind uint8

const (
	distFixed distKind = iota
	distUniform
	distLogNormal
)

// z99 is the 99th percentile of the standard normal distribution.
const z99 = 2.3263478740408408

// Fixed returns the distribution that is always d.
func Fixed(d time.Duration) Dist { return Dist{kind: distFixed, a: max(d, 0)} }

// Uniform returns the uniform distribution between lo and hi inclusive.
func Uniform(lo, hi time.Duration) Dist {
	lo = max(lo, 0)
	if hi < lo {
		lo, hi = max(hi, 0), lo
	}
	return Dist{kind: distUniform, a: lo, b: hi}
}

// LogNormal returns the log-normal distribution with the given median and
// 99th percentile. Draws are capped at ten times p99 so one unlucky draw
// cannot hold a receipt for ever. A p99 at or below the median gives
// Fixed(median).
func LogNormal(median, p99 time.Duration) Dist {
	if median <= 0 || p99 <= median {
		return Fixed(median)
	}
	sigma := math.Log(float64(p99)/float64(median)) / z99
	return Dist{kind: distLogNormal, a: median, b: p99, sigma: sigma, capDelay: 10 * p99}
}

// Sample draws one delay.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.kind {
	case distUniform:
		if d.b == d.a {
			return d.a
		}
		return d.a + time.Duration(r.Int64N(int64(d.b-d.a)+1))
	case distLogNormal:
		v := float64(d.a) * math.Exp(d.sigma*r.NormFloat64())
		if v > float64(d.capDelay) {
			return d.capDelay
		}
		return time.Duration(v)
	}
	return d.a
}

// String returns the form ParseDist reads: "200ms", "100ms-2s" or
// "200ms~5s".
func (d Dist) String() string {
	switch d.kind {
	case distUniform:
		return d.a.String() + "-" + d.b.String()
	case distLogNormal:
		return d.a.String() + "~" + d.b.String()
	}
	return d.a.String()
}

// ParseDist reads a distribution: "200ms" is Fixed, "100ms-2s" Uniform
// between the two, "200ms~5s" LogNormal with median 200ms and 99th
// percentile 5s.
func ParseDist(s string) (Dist, error) {
	s = strings.TrimSpace(s)
	parse := func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return 0, err
		}
		if d < 0 {
			return 0, fmt.Errorf("negative delay %s", v)
		}
		return d, nil
	}
	if a, b, ok := strings.Cut(s, "~"); ok {
		lo, err1 := parse(a)
		hi, err2 := parse(b)
		if err1 != nil || err2 != nil || hi < lo {
			return Dist{}, fmt.Errorf("smsc: delay %q: want MEDIAN~P99 with P99 >= MEDIAN, e.g. 200ms~5s", s)
		}
		return LogNormal(lo, hi), nil
	}
	// A leading '-' would be a negative duration, not a range.
	if i := strings.Index(s[min(1, len(s)):], "-"); i >= 0 {
		i++
		lo, err1 := parse(s[:i])
		hi, err2 := parse(s[i+1:])
		if err1 != nil || err2 != nil || hi < lo {
			return Dist{}, fmt.Errorf("smsc: delay %q: want MIN-MAX with MAX >= MIN, e.g. 100ms-2s", s)
		}
		return Uniform(lo, hi), nil
	}
	d, err := parse(s)
	if err != nil {
		return Dist{}, fmt.Errorf("smsc: delay %q: want a duration (200ms), MIN-MAX or MEDIAN~P99", s)
	}
	return Fixed(d), nil
}
