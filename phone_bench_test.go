package detour_test

import (
	"testing"

	"github.com/detourhq/detour"
)

func BenchmarkParseE164(b *testing.B) {
	for b.Loop() {
		if _, _, err := detour.ParseE164("+447400123456"); err != nil {
			b.Fatal(err)
		}
	}
}
