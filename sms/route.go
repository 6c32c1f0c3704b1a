// Package sms is Detour's SMS channel: it sends over SMPP 3.4 to operator
// SMSCs, across several routes chosen by destination, priority and
// weight, and re-sends a throttled or failed submit on another eligible
// route.
package sms

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Route says where a route may send and how it ranks against the others.
// The connection settings of a route live with its SMPP client.
type Route struct {
	Name      string
	Prefixes  []string // E.164 prefixes without "+", e.g. "447"; empty means any
	Countries []string // ISO 3166 region codes, e.g. "GB"; empty means any
	Priority  int      // lower goes first
	Weight    int      // share among routes of equal priority; 0 counts as 1
	Cost      float64  // per segment, as the operator bills it; reported, not used to choose (priority is)
}

// Covers reports whether the route may carry a message to number (E.164)
// in region. A route with prefixes and countries must match both.
func (r *Route) Covers(number, region string) bool {
	digits := strings.TrimPrefix(number, "+")
	if len(r.Prefixes) > 0 {
		ok := false
		for _, p := range r.Prefixes {
			ok = ok || strings.HasPrefix(digits, p)
		}
		if !ok {
			return false
		}
	}
	if len(r.Countries) > 0 {
		ok := false
		for _, c := range r.Countries {
			ok = ok || strings.EqualFold(c, region)
		}
		if !ok {
			return false
		}
	}
	return true
}

// Table holds the routes of the SMS channel.
type Table struct {
	routes      []*Route
	byName      map[string]*Route
	needsRegion bool // some route selects by country
}

// NewTable checks the routes and returns a table.
func NewTable(routes []Route) (*Table, error) {
	t := &Table{byName: map[string]*Route{}}
	for i := range routes {
		r := routes[i]
		switch {
		case r.Name == "":
			return nil, fmt.Errorf("route %d: name is required", i)
		case t.byName[r.Name] != nil:
			return nil, fmt.Errorf("route %d: name %q repeats", i, r.Name)
		case r.Weight < 0:
			return nil, fmt.Errorf("route %q: weight must not be negative", r.Name)
		case r.Cost < 0:
			return nil, fmt.Errorf("route %q: cost must not be negative", r.Name)
		}
		for _, p := range r.Prefixes {
			if p == "" || strings.Trim(p, "0123456789") != "" {
				return nil, fmt.Errorf("route %q: prefix %q is not digits (write 447, not +447)", r.Name, p)
			}
		}
		t.routes = append(t.routes, &r)
		t.byName[r.Name] = &r
		t.needsRegion = t.needsRegion || len(r.Countries) > 0
	}
	return t, nil
}

// Route returns the route with the given name, or nil.
func (t *Table) Route(name string) *Route { return t.byName[name] }

// Names lists the routes in configuration order.
func (t *Table) Names() []string {
	out := make([]string, len(t.routes))
	for i, r := range t.routes {
		out[i] = r.Name
	}
	return out
}

// Candidates returns the routes that cover number in region, in the order
// to try them: by priority, then a weighted random order among routes of
// equal priority (drawn from rnd), skipping those for which skip says true
// (routes that are down or were just tried).
func (t *Table) Candidates(number, region string, rnd *rand.Rand, skip func(*Route) bool) []*Route {
	var out []*Route
	for _, r := range t.routes {
		if r.Covers(number, region) && (skip == nil || !skip(r)) {
			out = append(out, r)
		}
	}
	// Weighted shuffle: each route gets a key u^(1/w); larger keys first
	// (Efraimidis–Spirakis), then a stable sort by priority keeps that
	// order among equals.
	keys := make(map[*Route]float64, len(out))
	for _, r := range out {
		w := float64(max(r.Weight, 1))
		keys[r] = math.Pow(rnd.Float64(), 1/w)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return keys[a] > keys[b]
	})
	return out
}
