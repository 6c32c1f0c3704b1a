package verify

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/detourhq/detour"
)

func testCodes(t *testing.T) *codes {
	t.Helper()
	c, err := newCodes(detour.Secret("a test secret of at least thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCodesAreDerivedFromTheSecretIDAndSeed(t *testing.T) {
	c := testCodes(t)
	id, seed := "ver_01JDPB7M0000000000000000A1", []byte("0123456789abcdef")
	code := c.derive(id, seed, 6)
	// Pinned: pending verifications keep their codes across upgrades only
	// while the derivation stays exactly this.
	if code != "583188" || c.derive(id, seed, 10) != "5831882854" {
		t.Fatalf("the derivation changed: %q, %q; pending codes would no longer check", code, c.derive(id, seed, 10))
	}
	for _, n := range []int{4, 10} {
		if got := c.derive(id, seed, n); len(got) != n || got[:4] != code[:4] {
			t.Fatalf("%d digits: %q (the same stream, so it starts like %q)", n, got, code)
		}
	}
	other, _ := newCodes(detour.Secret("another secret of at least thirty-two bytes"))
	differs := 0
	for i := range 20 {
		s := []byte(fmt.Sprintf("seed %11d", i))
		a, b, x := c.derive(id, s, 10), other.derive(id, s, 10), c.derive("ver_01JDPB7M0000000000000000A2", s, 10)
		if a != b && a != x {
			differs++
		}
	}
	if differs < 19 {
		t.Fatalf("only %d of 20 codes change with the secret and the id", differs)
	}
	h := c.hash(id, code)
	if len(h) != 32 || !bytes.Equal(h, c.hash(id, code)) || bytes.Equal(h, c.hash(id, code+"0")) || bytes.Equal(h, other.hash(id, code)) {
		t.Fatal("hash")
	}
	if bytes.Contains(h, []byte(code)) {
		t.Fatal("the hash holds the code")
	}
	if _, err := newCodes(detour.Secret("short")); err == nil {
		t.Fatal("a short secret was accepted")
	}
}

// TestCodeDigitsAreUniform draws 200,000 digits and checks each is as
// likely: a modulo without rejection would make 0–5 about 2% likelier.
func TestCodeDigitsAreUniform(t *testing.T) {
	c := testCodes(t)
	var counts [10]int
	seed := make([]byte, seedLength)
	const codes = 20000
	for i := range codes {
		seed[0], seed[1], seed[2] = byte(i), byte(i>>8), byte(i>>16)
		for _, d := range c.derive("ver_01JDPB7M0000000000000000A1", seed, 10) {
			counts[d-'0']++
		}
	}
	chi := 0.0
	want := codes * 10 / 10.0
	for _, n := range counts {
		chi += math.Pow(float64(n)-want, 2) / want
	}
	// 9 degrees of freedom: 27.9 is the 0.1% critical value.
	if chi > 27.9 {
		t.Fatalf("digit counts %v: chi-square %.1f", counts, chi)
	}
}
