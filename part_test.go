package detour_test

import (
	"testing"

	"github.com/detourhq/detour"
)

func TestMultipartIsDeliveredWhenEveryPartIs(t *testing.T) {
	parts := func() *detour.Attempt {
		return &detour.Attempt{Status: detour.AttemptSent, Parts: []detour.Part{
			{ProviderID: "a", Status: detour.AttemptSent}, {ProviderID: "b", Status: detour.AttemptSent}, {ProviderID: "c", Status: detour.AttemptSent}}}
	}
	a := parts()
	for _, step := range []struct {
		id   string
		st   detour.AttemptStatus
		want detour.AttemptStatus
	}{
		{"b", detour.AttemptDelivered, ""},
		{"b", detour.AttemptDelivered, ""}, // duplicate
		{"a", detour.AttemptRead, ""},
		{"c", detour.AttemptSent, ""}, // late sent for an undelivered part
		{"c", detour.AttemptDelivered, detour.AttemptDelivered},
	} {
		got, known := a.PartReceipt(step.id, step.st)
		if !known || got != step.want {
			t.Fatalf("%s %s: got %q %v, want %q", step.id, step.st, got, known, step.want)
		}
	}
	b := parts()
	if got, _ := b.PartReceipt("a", detour.AttemptDelivered); got != "" {
		t.Fatal(got)
	}
	if got, _ := b.PartReceipt("c", detour.AttemptFailed); got != detour.AttemptFailed {
		t.Fatalf("one failed part fails the whole: %q", got)
	}
	if _, known := b.PartReceipt("zzz", detour.AttemptDelivered); known {
		t.Fatal("an unknown part id is not known")
	}
}
