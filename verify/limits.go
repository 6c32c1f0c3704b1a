package verify

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/detourhq/detour"
)

// Limits are the abuse controls on verification messages. Every message a
// verification sends (its start and each resend) counts, per tenant.
//
// The counters live in this process's memory and follow the service's
// clock: each node counts alone (with several nodes, a limit applies per
// node) and a restart forgets them. A zero Max (or MaxNumbers) turns a
// limit off.
type Limits struct {
	// PerNumber bounds the messages to one number, such as 5 per 10
	// minutes.
	PerNumber Limit `koanf:"per_number"`
	// PerTenant bounds all of a tenant's verification messages.
	PerTenant Limit `koanf:"per_tenant"`
	// Prefix bounds how many distinct numbers sharing their first digits
	// get messages: the signature of SMS pumping, where a fraudster makes
	// an app send codes to many numbers of a premium range they are paid
	// for.
	Prefix PrefixLimit `koanf:"prefix"`
	// Countries is an allow-list of ISO 3166 region codes ("GB", "ES"):
	// numbers of other countries are refused. Empty allows every country.
	Countries []string `koanf:"countries"`
}

// Limit is at most Max events in any window of Window.
type Limit struct {
	Max    int           `koanf:"max"`
	Window time.Duration `koanf:"window"`
}

// PrefixLimit is at most MaxNumbers distinct numbers starting with the
// same Digits digits (after the "+") in any window of Window.
type PrefixLimit struct {
	Digits     int           `koanf:"digits"`
	MaxNumbers int           `koanf:"max_numbers"`
	Window     time.Duration `koanf:"window"`
}

// Validate checks the limits; errors name the field as in the
// configuration file, under prefix.
func (l Limits) Validate(prefix string) error {
	for name, lim := range map[string]Limit{"per_number": l.PerNumber, "per_tenant": l.PerTenant} {
		if lim.Max < 0 || lim.Max > 1_000_000 || lim.Max > 0 && lim.Window <= 0 {
			return fmt.Errorf("%s.%s: max is 0 (off) to 1000000, with a positive window", prefix, name)
		}
	}
	p := l.Prefix
	if p.MaxNumbers < 0 || p.MaxNumbers > 1_000_000 || p.MaxNumbers > 0 && (p.Window <= 0 || p.Digits < 1 || p.Digits > 14) {
		return fmt.Errorf("%s.prefix: max_numbers is 0 (off) to 1000000, with a positive window and 1 to 14 digits", prefix)
	}
	for _, c := range l.Countries {
		if len(c) != 2 || strings.ToUpper(c) != c || strings.ToLower(c) == c {
			return fmt.Errorf("%s.countries: %q is not an ISO 3166 region code such as GB", prefix, c)
		}
	}
	return nil
}

// limiter applies Limits.
type limiter struct {
	l         Limits
	countries map[string]bool

	mu        sync.Mutex
	numbers   map[string]*window // tenant \x00 number
	tenants   map[string]*window
	prefixes  map[string]map[string]time.Time // tenant \x00 prefix → number → last message
	nextSweep time.Time
}

func newLimiter(l Limits) *limiter {
	lim := &limiter{l: l, numbers: map[string]*window{}, tenants: map[string]*window{},
		prefixes: map[string]map[string]time.Time{}}
	if len(l.Countries) > 0 {
		lim.countries = map[string]bool{}
		for _, c := range l.Countries {
			lim.countries[c] = true
		}
	}
	return lim
}

// CountryRetryAfter is the Retry-After of a number whose country is not
// in the allow-list.
const CountryRetryAfter = 24 * time.Hour

// country refuses a number of a region not in the allow-list.
func (l *limiter) country(region string) error {
	if l.countries == nil || l.countries[region] {
		return nil
	}
	// Like every abuse control it answers 429 with Retry-After: a day,
	// since only a change of the allow-list lets it pass.
	e := detour.FieldErrorf(detour.CodeVerifyCountryBlocked, "to", "verifications to numbers of this country (%s) are not allowed", region)
	e.RetryAfter = CountryRetryAfter
	return e
}

// take counts one message of tenant to number at now, or refuses it with
// the first limit it would break and how long until it would not.
// Nothing is counted when a limit refuses.
func (l *limiter) take(tenant, number string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	tk, nk := tenant, tenant+"\x00"+number
	if wait := l.tenants[tk].wait(now, l.l.PerTenant); wait > 0 {
		return limited(detour.CodeVerifyTenantRateLimited, wait, "this tenant sent %d verification messages in the last %s", l.l.PerTenant.Max, l.l.PerTenant.Window)
	}
	if wait := l.numbers[nk].wait(now, l.l.PerNumber); wait > 0 {
		return limited(detour.CodeVerifyRateLimited, wait, "%d verification messages went to this number in the last %s", l.l.PerNumber.Max, l.l.PerNumber.Window)
	}
	p := l.l.Prefix
	prefix := number
	if d := strings.TrimPrefix(number, "+"); len(d) > p.Digits {
		prefix = "+" + d[:p.Digits]
	}
	pk := tenant + "\x00" + prefix
	seen := l.prefixes[pk]
	if p.MaxNumbers > 0 {
		oldest := time.Time{}
		for n, at := range seen {
			switch {
			case !at.After(now.Add(-p.Window)):
				delete(seen, n)
			case oldest.IsZero() || at.Before(oldest):
				oldest = at
			}
		}
		if _, again := seen[number]; !again && len(seen) >= p.MaxNumbers {
			return limited(detour.CodeVerifyPrefixVelocity, oldest.Add(p.Window).Sub(now),
				"verification messages went to %d distinct numbers starting %s in the last %s", p.MaxNumbers, prefix, p.Window)
		}
	}
	if w := l.tenants[tk].add(now, l.l.PerTenant); w != nil {
		l.tenants[tk] = w
	}
	if w := l.numbers[nk].add(now, l.l.PerNumber); w != nil {
		l.numbers[nk] = w
	}
	if p.MaxNumbers > 0 {
		if seen == nil {
			seen = map[string]time.Time{}
			l.prefixes[pk] = seen
		}
		seen[number] = now
	}
	return nil
}

func limited(code detour.Code, wait time.Duration, format string, args ...any) error {
	e := detour.FieldErrorf(code, "to", format+"; retry after the Retry-After header's seconds", args...)
	e.RetryAfter = wait
	return e
}

// sweep forgets counters that no longer hold anything inside their
// window, once per shortest window, so memory follows recent traffic.
func (l *limiter) sweep(now time.Time) {
	if now.Before(l.nextSweep) {
		return
	}
	every := time.Hour
	for _, w := range []time.Duration{l.l.PerNumber.Window, l.l.PerTenant.Window, l.l.Prefix.Window} {
		if w > 0 {
			every = min(every, w)
		}
	}
	l.nextSweep = now.Add(every)
	for k, w := range l.numbers {
		if w.idle(now, l.l.PerNumber.Window) {
			delete(l.numbers, k)
		}
	}
	for k, w := range l.tenants {
		if w.idle(now, l.l.PerTenant.Window) {
			delete(l.tenants, k)
		}
	}
	for k, seen := range l.prefixes {
		for n, at := range seen {
			if !at.After(now.Add(-l.l.Prefix.Window)) {
				delete(seen, n)
			}
		}
		if len(seen) == 0 {
			delete(l.prefixes, k)
		}
	}
}

// window is a sliding-window log: the times of the last Max events, in a
// ring. A nil window has seen nothing.
type window struct {
	times []time.Time
	next  int // index of the oldest once the ring is full
}

// wait returns how long until one more event fits lim at now; 0 if now.
func (w *window) wait(now time.Time, lim Limit) time.Duration {
	if lim.Max <= 0 || w == nil || len(w.times) < lim.Max {
		return 0
	}
	oldest := w.times[w.next]
	if d := oldest.Add(lim.Window).Sub(now); d > 0 {
		return d
	}
	return 0
}

// add records an event at now and returns the window (new if w is nil,
// nil if lim is off).
func (w *window) add(now time.Time, lim Limit) *window {
	if lim.Max <= 0 {
		return w
	}
	if w == nil {
		w = &window{times: make([]time.Time, 0, min(lim.Max, 16))}
	}
	if len(w.times) < lim.Max {
		w.times = append(w.times, now)
		return w
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % len(w.times)
	return w
}

// idle reports whether every event of w is older than the window.
func (w *window) idle(now time.Time, win time.Duration) bool {
	for _, t := range w.times {
		if t.After(now.Add(-win)) {
			return false
		}
	}
	return true
}
