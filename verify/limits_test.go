package verify

import (
	"fmt"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func wantLimited(t *testing.T, err error, code detour.Code, wait time.Duration) {
	t.Helper()
	e, ok := err.(*detour.Error)
	if !ok || e.Code != code || e.RetryAfter != wait || e.Field != "to" {
		t.Fatalf("got %v, want %s with Retry-After %s", err, code, wait)
	}
}

func TestPerNumberIsASlidingWindow(t *testing.T) {
	l := newLimiter(Limits{PerNumber: Limit{Max: 5, Window: 10 * time.Minute}})
	for i := range 5 {
		if err := l.take("ten_1", "+447400123456", t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// The sixth in the window waits for the first to leave it.
	wantLimited(t, l.take("ten_1", "+447400123456", t0.Add(5*time.Minute)), detour.CodeVerifyRateLimited, 5*time.Minute)
	if err := l.take("ten_2", "+447400123456", t0.Add(5*time.Minute)); err != nil {
		t.Fatalf("another tenant's count: %v", err)
	}
	if err := l.take("ten_1", "+447400123457", t0.Add(5*time.Minute)); err != nil {
		t.Fatalf("another number: %v", err)
	}
	if err := l.take("ten_1", "+447400123456", t0.Add(10*time.Minute)); err != nil {
		t.Fatalf("once the first left the window: %v", err)
	}
	wantLimited(t, l.take("ten_1", "+447400123456", t0.Add(10*time.Minute)), detour.CodeVerifyRateLimited, time.Minute)
}

func TestPerTenant(t *testing.T) {
	l := newLimiter(Limits{PerTenant: Limit{Max: 3, Window: time.Minute}, PerNumber: Limit{Max: 1, Window: time.Hour}})
	for i := range 3 {
		if err := l.take("ten_1", fmt.Sprintf("+4474001234%02d", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	wantLimited(t, l.take("ten_1", "+447400123499", t0.Add(20*time.Second)), detour.CodeVerifyTenantRateLimited, 40*time.Second)
	// A refusal counts nothing: the number's own limit is untouched.
	if err := l.take("ten_1", "+447400123499", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// TestPrefixVelocityStopsPumping: a fraudster sends codes to a run of
// numbers of one premium range; past the distinct-number limit for the
// prefix, new numbers in it are refused while known ones and other
// prefixes go on.
func TestPrefixVelocityStopsPumping(t *testing.T) {
	l := newLimiter(Limits{Prefix: PrefixLimit{Digits: 8, MaxNumbers: 10, Window: time.Hour}})
	for i := range 10 {
		if err := l.take("ten_1", fmt.Sprintf("+4474001234%02d", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("number %d: %v", i, err)
		}
	}
	at := t0.Add(30 * time.Minute)
	for i := 10; i < 100; i++ {
		wantLimited(t, l.take("ten_1", fmt.Sprintf("+4474001234%02d", i), at), detour.CodeVerifyPrefixVelocity, 30*time.Minute)
	}
	if err := l.take("ten_1", "+447400123405", at); err != nil {
		t.Fatalf("a number already seen in the window: %v", err)
	}
	if err := l.take("ten_1", "+447400993400", at); err != nil {
		t.Fatalf("another prefix: %v", err)
	}
	if err := l.take("ten_2", "+447400123450", at); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	// The first number leaves the window an hour after it came.
	if err := l.take("ten_1", "+447400123450", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

func TestCountryAllowList(t *testing.T) {
	l := newLimiter(Limits{Countries: []string{"GB", "ES"}})
	if l.country("GB") != nil || l.country("ES") != nil {
		t.Fatal("allowed countries refused")
	}
	if e, ok := l.country("FR").(*detour.Error); !ok || e.Code != detour.CodeVerifyCountryBlocked || e.Field != "to" || e.RetryAfter != CountryRetryAfter {
		t.Fatalf("FR: %v", e)
	}
	if newLimiter(Limits{}).country("FR") != nil {
		t.Fatal("an empty allow-list allows every country")
	}
}

func TestCountersAreForgottenOnceIdle(t *testing.T) {
	lim := Limits{PerNumber: Limit{Max: 5, Window: 10 * time.Minute}, PerTenant: Limit{Max: 100, Window: time.Minute},
		Prefix: PrefixLimit{Digits: 6, MaxNumbers: 100, Window: time.Hour}}
	l := newLimiter(lim)
	for i := range 50 {
		if err := l.take("ten_1", fmt.Sprintf("+4474001234%02d", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.take("ten_1", "+33612345678", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(l.numbers) != 1 || len(l.tenants) != 1 || len(l.prefixes) != 1 {
		t.Fatalf("after two idle hours: %d numbers, %d tenants, %d prefixes kept", len(l.numbers), len(l.tenants), len(l.prefixes))
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, bad := range []Limits{
		{PerNumber: Limit{Max: 1}},
		{PerTenant: Limit{Max: -1, Window: time.Minute}},
		{Prefix: PrefixLimit{MaxNumbers: 5, Window: time.Hour}},
		{Countries: []string{"gb"}},
		{Countries: []string{"GBR"}},
	} {
		if err := bad.Validate("verify.limits"); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := (Limits{}).Validate("x"); err != nil {
		t.Fatal(err)
	}
}
