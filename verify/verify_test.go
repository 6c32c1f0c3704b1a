package verify_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/verify"
)

func TestTheSameCodeGoesOutOnEveryChannelAndIsStoredNowhere(t *testing.T) {
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{Locale: "es-MX", Brand: "Acme"})
	if v.Status != detour.VerificationPending || v.ChecksLeft() != 5 || len(v.Sends) != 1 || v.Sends[0].Status != detour.StatusQueued ||
		v.Sends[0].Channel != "whatsapp" || !v.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("started: %+v", v)
	}
	w.run()
	wa := w.wa.sends()
	if len(wa) != 1 || len(w.sms.sends()) != 0 {
		t.Fatalf("sends: %d whatsapp, %d sms", len(wa), len(w.sms.sends()))
	}
	tpl := wa[0].Content.Template
	code := w.wa.code(t)
	if wa[0].Content.Text != "" || tpl == nil || tpl.Name != "verification_code" || tpl.Language != "es" || len(code) != 6 ||
		len(tpl.Buttons) != 1 || tpl.Buttons[0] != (detour.TemplateButton{Type: "copy_code", Index: 0, Value: code}) {
		t.Fatalf("WhatsApp got %+v, want the authentication template alone with the code in its body and copy-code button", wa[0].Content)
	}
	// No delivery receipt within the fallback window: the SMS goes, with
	// the same code, in the verification's language.
	w.clock.Advance(40 * time.Second)
	w.run()
	sms := w.sms.sends()
	if len(sms) != 1 || sms[0].Content.Template != nil || sms[0].Content.Text != "Acme: Tu código es "+code+". Caduca en 9 minutos." {
		t.Fatalf("SMS got %+v", sms)
	}
	got, err := w.svc.Verification(w.ctx, tenant, v.ID)
	if err != nil || got.Sends[0].Channel != "sms" || got.Sends[0].Status != detour.StatusSent {
		t.Fatalf("verification after the fallback: %+v %v", got, err)
	}
	m := w.message(v.Sends[0].MessageID)
	if m.Priority != detour.PriorityOTP || len(m.Steps) != 2 || m.Steps[0].FallbackAfter.Std() != 40*time.Second ||
		!m.ExpiresAt.Equal(v.ExpiresAt) || m.Metadata["verification_id"] != v.ID {
		t.Fatalf("message: %+v", m)
	}
	stored := []string{m.Content.Text, m.Content.Template.Params[0], m.Content.Template.Buttons[0].Value}
	if contains(stored, code) || !contains(stored, "{{verification_code:"+v.ID+"}}") {
		t.Fatalf("the stored message carries %q, want the token and never the code", stored)
	}
	if w.check(v.ID, code).Status != detour.VerificationApproved {
		t.Fatal("the code that went out does not check")
	}
}

func TestApprovalCancelsThePendingFallback(t *testing.T) {
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{})
	w.run() // WhatsApp accepts it; no receipt comes
	code := w.wa.code(t)
	w.clock.Advance(10 * time.Second)
	got := w.check(v.ID, code)
	if got.Status != detour.VerificationApproved || got.ChecksLeft() != 0 || got.Checks != 1 || got.Sends[0].Status != detour.StatusCanceled {
		t.Fatalf("approved: %+v", got)
	}
	// Past the fallback window: the SMS step never sends.
	w.clock.Advance(time.Minute)
	w.run()
	w.clock.Advance(10 * time.Minute)
	w.run()
	if n := len(w.sms.sends()); n != 0 {
		t.Fatalf("the SMS fallback went out %d times after the approval", n)
	}
	m := w.message(v.Sends[0].MessageID)
	if m.Status != detour.StatusCanceled || m.Timer != nil {
		t.Fatalf("message %s, timer %+v", m.Status, m.Timer)
	}
	evs := w.events()
	if len(evs) != 1 || evs[0].Status != detour.VerificationApproved || evs[0].Previous != detour.VerificationPending || evs[0].Checks != 1 {
		t.Fatalf("events %+v", evs)
	}
	// A code is approved once: checking again is refused.
	_, err := w.svc.CheckVerification(w.ctx, tenant, v.ID, code)
	wantCode(t, err, detour.CodeNotPending)
}

func TestTheRendererSendsNoCodeOfAnEndedVerification(t *testing.T) {
	// The service died between approving and canceling the messages: the
	// fallback comes due, and the renderer refuses it.
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{})
	w.run()
	if _, err := w.store.UpdateVerification(w.ctx, tenant, v.ID, func(v *detour.Verification) error {
		v.SetStatus(detour.VerificationApproved, w.clock.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(41 * time.Second)
	w.run()
	if n := len(w.sms.sends()); n != 0 {
		t.Fatalf("the code of an approved verification went out by SMS (%d)", n)
	}
	m := w.message(v.Sends[0].MessageID)
	last := m.Attempts[len(m.Attempts)-1]
	if m.Status != detour.StatusSent || last.Channel != "sms" || last.ErrorCode != detour.ReasonCanceled {
		t.Fatalf("message %s, last attempt %+v", m.Status, last)
	}

	// A message naming the token of another number's or another tenant's
	// verification renders nothing.
	v2 := w.start(&detour.VerificationRequest{To: "+447400123457"})
	for _, forged := range []struct{ tenant, to string }{{tenant, "+447400999999"}, {"ten_2", "+447400123457"}} {
		m, _, err := w.engine.SendMessage(w.ctx, forged.tenant, &detour.SendRequest{To: forged.to,
			Content: detour.Content{Text: "code {{verification_code:" + v2.ID + "}}"}, Channels: []detour.Step{{Channel: "sms"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.run()
		got, _ := w.store.Message(w.ctx, forged.tenant, m.ID)
		if got.Status != detour.StatusFailed || got.ErrorCode != detour.ReasonRejected {
			t.Fatalf("forged token for %+v: %s %s", forged, got.Status, got.ErrorCode)
		}
	}
	for _, s := range w.sms.sends() {
		if s.To != "+447400123457" {
			t.Fatalf("a forged token sent %q", s.Content.Text)
		}
	}
}

func TestBruteForceStopsAtFiveChecks(t *testing.T) {
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{})
	w.run()
	code := w.wa.code(t)
	for i := 1; i <= 4; i++ {
		got := w.check(v.ID, wrong(code))
		if got.Status != detour.VerificationPending || got.ChecksLeft() != 5-i {
			t.Fatalf("wrong check %d: %s, %d left", i, got.Status, got.ChecksLeft())
		}
	}
	got := w.check(v.ID, "not even digits")
	if got.Status != detour.VerificationMaxAttempts || got.ChecksLeft() != 0 || got.Sends[0].Status != detour.StatusCanceled {
		t.Fatalf("fifth wrong check: %+v", got)
	}
	// The right code after five wrong ones does not approve.
	if got := w.check(v.ID, code); got.Status != detour.VerificationMaxAttempts || got.Checks != 5 {
		t.Fatalf("right code after the fifth: %s, %d checks", got.Status, got.Checks)
	}
	evs := w.events()
	if len(evs) != 1 || evs[0].Status != detour.VerificationMaxAttempts || evs[0].Checks != 5 {
		t.Fatalf("events %+v", evs)
	}
	for _, bad := range []struct {
		code string
		want detour.Code
	}{{"", detour.CodeMissingField}, {strings.Repeat("1", 65), detour.CodeInvalidRequest}} {
		_, err := w.svc.CheckVerification(w.ctx, tenant, v.ID, bad.code)
		wantCode(t, err, bad.want)
	}
	_, err := w.svc.CheckVerification(w.ctx, "ten_2", v.ID, code)
	wantCode(t, err, detour.CodeNotFound)
}

// TestConcurrentChecksNeverShareAnAttempt races checks of one verification
// through the service against the real SQLite store: however they
// interleave, exactly five checks are made and each pending answer saw a
// different count.
func TestConcurrentChecksNeverShareAnAttempt(t *testing.T) {
	w := newWorld(t, func(c *verify.Config) { c.Limits = verify.Limits{} })
	for round := range 10 {
		v := w.start(&detour.VerificationRequest{To: "+44740012340" + string(rune('0'+round))})
		w.run()
		code := w.wa.code(t)
		// Rounds 0-4 race only wrong codes; rounds 5-9 first spend four
		// attempts, then race the right code against wrong ones for the
		// last attempt.
		racers := 48
		if round >= 5 {
			for range 4 {
				w.check(v.ID, wrong(code))
			}
			racers = 16
		}
		var mu sync.Mutex
		seen := map[int]int{}
		var wg sync.WaitGroup
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				try := wrong(code)
				if round >= 5 && i == racers/2 {
					try = code
				}
				got, err := w.svc.CheckVerification(w.ctx, tenant, v.ID, try)
				if detour.ErrorCode(err) == detour.CodeNotPending {
					return // checked after the right code approved it
				}
				if err != nil {
					t.Error(err)
					return
				}
				if got.Status == detour.VerificationPending {
					mu.Lock()
					seen[got.Checks]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		final, err := w.store.Verification(w.ctx, tenant, v.ID)
		if err != nil || final.Checks != 5 || !final.Status.Final() {
			t.Fatalf("round %d: %d checks stored, status %s (%v); want 5 and a final status", round, final.Checks, final.Status, err)
		}
		for checks, n := range seen {
			if n != 1 {
				t.Fatalf("round %d: %d checks each answered pending after check %d", round, n, checks)
			}
		}
		if round < 5 && len(seen) != 4 {
			t.Fatalf("round %d: pending answers %v, want one for each of checks 1 to 4", round, seen)
		}
	}
	// One final event per verification, whatever won the last attempt.
	if evs := w.events(); len(evs) != 10 {
		t.Fatalf("%d status events for 10 verifications: %+v", len(evs), evs)
	}
}

func TestExpiry(t *testing.T) {
	w := newWorld(t, func(c *verify.Config) { c.SweepInterval = time.Minute })
	v := w.start(&detour.VerificationRequest{Expiry: detour.Duration(2 * time.Minute)})
	w.run()
	code := w.wa.code(t)
	w.clock.Advance(2 * time.Minute)
	got := w.check(v.ID, code)
	if got.Status != detour.VerificationExpired || got.Checks != 0 {
		t.Fatalf("a check after the expiry: %s, %d checks", got.Status, got.Checks)
	}
	// Expired unnoticed: the sweep expires it, with its event.
	v2 := w.start(&detour.VerificationRequest{To: "+447400123457"})
	other := w.start(&detour.VerificationRequest{To: "+447400123458", Expiry: detour.Duration(time.Hour)})
	if err := w.svc.Start(w.ctx); err != nil {
		t.Fatal(err)
	}
	defer w.svc.Stop()
	if !w.clock.WaitForWaiters(1, 5*time.Second) {
		t.Fatal("the sweep did not start")
	}
	w.clock.Advance(10 * time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := w.store.Verification(w.ctx, tenant, v2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == detour.VerificationExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweep did not expire the verification")
		}
		time.Sleep(time.Millisecond)
	}
	if got, _ := w.svc.Verification(w.ctx, tenant, other.ID); got.Status != detour.VerificationPending {
		t.Fatalf("not due: %s", got.Status)
	}
	evs := w.events()
	if len(evs) != 2 || evs[0].VerificationID != v.ID || evs[1].VerificationID != v2.ID || evs[1].Status != detour.VerificationExpired {
		t.Fatalf("events %+v", evs)
	}
	// An expired verification is not pending for the number: a start
	// sends a new code.
	if _, err := w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{}); detour.ErrorCode(err) != detour.CodeNotPending {
		t.Fatalf("resend of an expired verification: %v", err)
	}
	w.start(&detour.VerificationRequest{})
}

func TestOnePendingVerificationPerNumber(t *testing.T) {
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{})
	again, created, err := w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: number, Locale: "fr"})
	if err != nil || created || again.ID != v.ID {
		t.Fatalf("second start: %s created=%v %v", again.ID, created, err)
	}
	w.run()
	if n := len(w.wa.sends()); n != 1 {
		t.Fatalf("%d messages for one verification", n)
	}
	replaced, created, err := w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: number, New: true})
	if err != nil || !created || replaced.ID == v.ID {
		t.Fatalf("new start: %+v %v %v", replaced, created, err)
	}
	old, _ := w.svc.Verification(w.ctx, tenant, v.ID)
	if old.Status != detour.VerificationCanceled || old.Sends[0].Status != detour.StatusCanceled {
		t.Fatalf("replaced: %s, message %s", old.Status, old.Sends[0].Status)
	}
	w.run()
	// The old code no longer checks anywhere; the new one does.
	oldCode, newCode := w.wa.sends()[0].Content.Template.Params[0], w.wa.code(t)
	if _, err := w.svc.CheckVerification(w.ctx, tenant, v.ID, oldCode); err != nil {
		t.Fatal(err)
	}
	if got := w.check(replaced.ID, oldCode); oldCode != newCode && got.Status != detour.VerificationPending {
		t.Fatalf("the old code on the new verification: %s", got.Status)
	}
	if got := w.check(replaced.ID, newCode); got.Status != detour.VerificationApproved {
		t.Fatalf("new code: %s", got.Status)
	}
}

func TestResendNextOrSameChannelAtMostFiveSends(t *testing.T) {
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{})
	w.run()
	code := w.wa.code(t)
	// The first message is on WhatsApp: the next channel is SMS, and the
	// WhatsApp message's own fallback is canceled.
	got, err := w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{})
	if err != nil || len(got.Sends) != 2 || got.Sends[0].Status != detour.StatusCanceled || got.Sends[1].Channel != "sms" {
		t.Fatalf("resend: %+v %v", got, err)
	}
	w.run()
	if w.sms.code(t) != code {
		t.Fatal("the resend carries another code")
	}
	if m := w.message(got.Sends[1].MessageID); len(m.Steps) != 1 || m.Steps[0].Channel != "sms" {
		t.Fatalf("resend policy %+v", m.Steps)
	}
	// SMS was the last channel: the next is SMS again. An explicit channel
	// starts the policy there.
	got, err = w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{})
	if err != nil || got.Sends[2].Channel != "sms" {
		t.Fatalf("second resend: %+v %v", got, err)
	}
	got, err = w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{Channel: "whatsapp"})
	if err != nil || got.Sends[3].Channel != "whatsapp" || len(w.message(got.Sends[3].MessageID).Steps) != 2 {
		t.Fatalf("resend on whatsapp: %+v %v", got, err)
	}
	_, err = w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{Channel: "fax"})
	wantCode(t, err, detour.CodeUnknownChannel)
	got, err = w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{})
	if err != nil || len(got.Sends) != 5 || got.SendsLeft() != 0 {
		t.Fatalf("fifth send: %+v %v", got, err)
	}
	w.clock.Advance(time.Minute)
	_, err = w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{})
	if e := wantCode(t, err, detour.CodeVerifyMaxSends); e.RetryAfter != 9*time.Minute {
		t.Fatalf("Retry-After %s, want the 9 minutes until the expiry", e.RetryAfter)
	}
	w.run()
	for _, s := range append(w.wa.sends(), w.sms.sends()...) {
		if c := s.Content; !strings.Contains(c.Text, code) && (c.Template == nil || c.Template.Params[0] != code) {
			t.Fatalf("a send carried another code: %+v", c)
		}
	}
	if got := w.check(v.ID, code); got.Status != detour.VerificationApproved {
		t.Fatal(got.Status)
	}
	_, err = w.svc.ResendVerification(w.ctx, tenant, v.ID, &detour.ResendRequest{})
	wantCode(t, err, detour.CodeNotPending)
}

func TestCancel(t *testing.T) {
	w := newWorld(t, nil)
	v := w.start(&detour.VerificationRequest{})
	w.run()
	code := w.wa.code(t)
	got, err := w.svc.CancelVerification(w.ctx, tenant, v.ID)
	if err != nil || got.Status != detour.VerificationCanceled || got.Sends[0].Status != detour.StatusCanceled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	w.clock.Advance(time.Minute)
	w.run()
	if len(w.sms.sends()) != 0 {
		t.Fatal("the fallback of a canceled verification went out")
	}
	if got := w.check(v.ID, code); got.Status != detour.VerificationCanceled || got.Checks != 0 {
		t.Fatalf("check after cancel: %s %d", got.Status, got.Checks)
	}
	_, err = w.svc.CancelVerification(w.ctx, tenant, v.ID)
	wantCode(t, err, detour.CodeNotPending)
	_, err = w.svc.CancelVerification(w.ctx, tenant, "ver_nope")
	wantCode(t, err, detour.CodeNotFound)
}

func TestBadRequestsNameTheirField(t *testing.T) {
	w := newWorld(t, nil)
	for _, tt := range []struct {
		req   detour.VerificationRequest
		code  detour.Code
		field string
	}{
		{detour.VerificationRequest{}, detour.CodeMissingField, "to"},
		{detour.VerificationRequest{To: "+1"}, detour.CodeInvalidRecipient, "to"},
		{detour.VerificationRequest{To: number, Channels: []string{}}, detour.CodeInvalidRequest, "channels"},
		{detour.VerificationRequest{To: number, Channels: []string{"sms", "fax"}}, detour.CodeUnknownChannel, "channels[1]"},
		{detour.VerificationRequest{To: number, Channels: []string{"sms", "sms"}}, detour.CodeInvalidRequest, "channels[1]"},
		{detour.VerificationRequest{To: number, CodeLength: 3}, detour.CodeInvalidRequest, "code_length"},
		{detour.VerificationRequest{To: number, CodeLength: 11}, detour.CodeInvalidRequest, "code_length"},
		{detour.VerificationRequest{To: number, Expiry: detour.Duration(30 * time.Second)}, detour.CodeInvalidRequest, "expiry"},
		{detour.VerificationRequest{To: number, Expiry: detour.Duration(2 * time.Hour)}, detour.CodeInvalidRequest, "expiry"},
		{detour.VerificationRequest{To: number, Locale: "e"}, detour.CodeInvalidRequest, "locale"},
		{detour.VerificationRequest{To: number, Template: "Auth Code"}, detour.CodeInvalidRequest, "template"},
		{detour.VerificationRequest{To: number, Brand: strings.Repeat("b", 21)}, detour.CodeInvalidRequest, "brand"},
		{detour.VerificationRequest{To: number, Brand: "a\nb"}, detour.CodeInvalidRequest, "brand"},
	} {
		_, _, err := w.svc.StartVerification(w.ctx, tenant, &tt.req)
		if e := wantCode(t, err, tt.code); e.Field != tt.field {
			t.Errorf("%+v: field %q, want %q", tt.req, e.Field, tt.field)
		}
	}
	if evs, _ := w.store.Events(w.ctx, detour.EventFilter{TenantID: tenant}); len(evs.Events) != 0 {
		t.Fatal("a refused start left events")
	}
	if _, err := w.store.PendingVerification(w.ctx, tenant, number); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("a refused start stored a verification: %v", err)
	}
}

func TestAbuseControls(t *testing.T) {
	w := newWorld(t, func(c *verify.Config) {
		c.Limits = verify.Limits{PerNumber: verify.Limit{Max: 5, Window: 10 * time.Minute},
			Prefix: verify.PrefixLimit{Digits: 8, MaxNumbers: 3, Window: time.Hour}, Countries: []string{"GB"}}
	})
	v := w.start(&detour.VerificationRequest{})
	// Starts that return the pending verification send nothing and count
	// nothing.
	for range 10 {
		if got, created, err := w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: number}); err != nil || created || got.ID != v.ID {
			t.Fatalf("repeated start: %v %v", created, err)
		}
	}
	for i := range 4 {
		w.clock.Advance(time.Minute)
		if _, created, err := w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: number, New: true}); err != nil || !created {
			t.Fatalf("new start %d: %v", i, err)
		}
	}
	_, _, err := w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: number, New: true})
	if e := wantCode(t, err, detour.CodeVerifyRateLimited); e.RetryAfter != 6*time.Minute {
		t.Fatalf("Retry-After %s, want 6m (the first of five left the window then)", e.RetryAfter)
	}
	pending, _ := w.store.PendingVerification(w.ctx, tenant, number)
	_, err = w.svc.ResendVerification(w.ctx, tenant, pending.ID, &detour.ResendRequest{})
	wantCode(t, err, detour.CodeVerifyRateLimited) // resends count too
	w.clock.Advance(6 * time.Minute)
	if _, err := w.svc.ResendVerification(w.ctx, tenant, pending.ID, &detour.ResendRequest{}); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	// Pumping: two more distinct numbers in +44740012… pass, the next is
	// refused and stores nothing.
	w.start(&detour.VerificationRequest{To: "+447400123401"})
	w.start(&detour.VerificationRequest{To: "+447400123402"})
	_, _, err = w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: "+447400123403"})
	if e := wantCode(t, err, detour.CodeVerifyPrefixVelocity); e.RetryAfter <= 0 {
		t.Fatalf("Retry-After %s", e.RetryAfter)
	}
	if _, err := w.store.PendingVerification(w.ctx, tenant, "+447400123403"); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("a refused start was stored: %v", err)
	}
	w.start(&detour.VerificationRequest{To: "+447400993400"}) // another prefix

	_, _, err = w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: "+33612345678"})
	if e := wantCode(t, err, detour.CodeVerifyCountryBlocked); e.Field != "to" {
		t.Fatalf("field %q", e.Field)
	}
	if _, err := w.store.PendingVerification(w.ctx, tenant, "+33612345678"); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("a blocked start was stored: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy ran out") }

// TestCodesComeFromRand: the seeds come from Config.Rand (crypto/rand in
// production); without randomness nothing is started.
func TestCodesComeFromRand(t *testing.T) {
	w := newWorld(t, func(c *verify.Config) { c.Rand = failingReader{} })
	if _, _, err := w.svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: number}); err == nil {
		t.Fatal("a verification started without randomness")
	}
	if _, err := w.store.PendingVerification(w.ctx, tenant, number); detour.ErrorCode(err) != detour.CodeNotFound {
		t.Fatalf("something was stored: %v", err)
	}
	// The same seeds give the same codes to different verifications only
	// by chance: the id is part of the derivation.
	seeds := func() *verify.Service {
		svc, err := verify.New(verify.Config{Messages: w.engine, Store: w.store, Secret: secret, Clock: w.clock,
			Rand: strings.NewReader(strings.Repeat("fixed seed bytes", 10)), Channels: []string{"sms"}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	var codes []string
	for i, svc := range []*verify.Service{seeds(), seeds()} {
		v, _, err := svc.StartVerification(w.ctx, tenant, &detour.VerificationRequest{To: fmt.Sprintf("+44740012345%d", i), CodeLength: 10})
		if err != nil {
			t.Fatal(err)
		}
		w.run()
		codes = append(codes, w.sms.code(t))
		if got := w.check(v.ID, codes[i]); got.Status != detour.VerificationApproved {
			t.Fatal(got.Status)
		}
	}
	if codes[0] == codes[1] {
		t.Fatalf("two verifications with the same seed got the same code %s", codes[0])
	}
}

// A provider's error that quotes what it was sent never carries the code
// past the channel: the attempt records "[code]".
func TestAProviderErrorQuotingTheCodeIsScrubbed(t *testing.T) {
	w := newWorld(t, nil)
	w.wa.quote = true
	v := w.start(&detour.VerificationRequest{})
	w.run()
	code := w.wa.code(t)
	m := w.message(v.Sends[0].MessageID)
	for _, a := range m.Attempts {
		if strings.Contains(a.ErrorDetail, code) {
			t.Fatalf("attempt detail %q carries the code", a.ErrorDetail)
		}
	}
	if a := m.Attempts[0]; a.Channel != "whatsapp" || !strings.Contains(a.ErrorDetail, "[code]") {
		t.Fatalf("attempt %+v", a)
	}
}
