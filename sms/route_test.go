package sms

import (
	"math/rand/v2"
	"testing"
)

func TestCandidatesByDestinationPriorityAndWeight(t *testing.T) {
	table, err := NewTable([]Route{
		{Name: "uk-a", Prefixes: []string{"44"}, Priority: 1, Weight: 3, Cost: 0.01},
		{Name: "uk-b", Countries: []string{"GB"}, Priority: 1, Weight: 1, Cost: 0.01},
		{Name: "backup", Priority: 2},
		{Name: "fr", Prefixes: []string{"33"}, Priority: 0},
		{Name: "uk-cheap", Prefixes: []string{"447"}, Priority: 1, Cost: 0.001, Weight: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	first := map[string]int{}
	for i := 0; i < 4000; i++ {
		c := table.Candidates("+447400123456", "GB", rnd, func(r *Route) bool { return r.Name == "uk-cheap" })
		if len(c) != 3 || c[2].Name != "backup" {
			t.Fatalf("candidates %v", names(c))
		}
		first[c[0].Name]++
	}
	if share := float64(first["uk-a"]) / 4000; share < 0.70 || share > 0.80 {
		t.Fatalf("weight 3:1 should put uk-a first about 75%% of the time, got %.2f", share)
	}
	// Cost does not choose: uk-cheap, weight 1 of 5, goes first about a
	// fifth of the time.
	first = map[string]int{}
	for i := 0; i < 4000; i++ {
		first[table.Candidates("+447400123456", "GB", rnd, nil)[0].Name]++
	}
	if share := float64(first["uk-cheap"]) / 4000; share < 0.15 || share > 0.25 {
		t.Fatalf("weights 3:1:1 should put uk-cheap first about 20%% of the time, got %.2f", share)
	}
	if c := table.Candidates("+33612345678", "FR", rnd, nil); len(c) != 2 || c[0].Name != "fr" || c[1].Name != "backup" {
		t.Fatalf("france: %v", names(c))
	}
}

func TestTableValidation(t *testing.T) {
	for _, routes := range [][]Route{
		{{}},
		{{Name: "a"}, {Name: "a"}},
		{{Name: "a", Prefixes: []string{"+44"}}},
		{{Name: "a", Weight: -1}},
		{{Name: "a", Cost: -1}},
	} {
		if _, err := NewTable(routes); err == nil {
			t.Errorf("%+v accepted", routes)
		}
	}
}

func names(rs []*Route) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}
