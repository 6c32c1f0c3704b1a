package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks test vector, from the reference libraries' tests
// (libraries/go/webhook_test.go, TestWebhookSign).
const (
	vectorSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorUnix    = 1614265330
	vectorPayload = `{"test": 2432232314}`
	vectorSig     = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesSpecVector(t *testing.T) {
	key, err := ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(key, vectorID, time.Unix(vectorUnix, 0), []byte(vectorPayload)); got != vectorSig {
		t.Fatalf("Sign = %s, want %s", got, vectorSig)
	}
	h := Headers([][]byte{key}, vectorID, time.Unix(vectorUnix, 0), []byte(vectorPayload))
	if h.Get(HeaderID) != vectorID || h.Get(HeaderTimestamp) != "1614265330" || h.Get(HeaderSignature) != vectorSig {
		t.Fatalf("Headers = %v", h)
	}
	if err := Verify(key, h, []byte(vectorPayload), time.Unix(vectorUnix, 0), DefaultTolerance); err != nil {
		t.Fatal(err)
	}
}

func TestRotationEitherSecretVerifies(t *testing.T) {
	old, _ := ParseSecret(NewSecret().Reveal())
	cur, _ := ParseSecret(NewSecret().Reveal())
	other, _ := ParseSecret(NewSecret().Reveal())
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"message.status"}`)
	h := Headers([][]byte{old, cur}, "evt_1", now, body)

	sigs := strings.Split(h.Get(HeaderSignature), " ")
	if len(sigs) != 2 || sigs[0] != Sign(old, "evt_1", now, body) || sigs[1] != Sign(cur, "evt_1", now, body) {
		t.Fatalf("webhook-signature = %q", h.Get(HeaderSignature))
	}
	for name, key := range map[string][]byte{"old": old, "current": cur} {
		if err := Verify(key, h, body, now, DefaultTolerance); err != nil {
			t.Errorf("%s secret: %v", name, err)
		}
	}
	if err := Verify(other, h, body, now, DefaultTolerance); !errors.Is(err, ErrNoMatch) {
		t.Errorf("unrelated secret: %v, want ErrNoMatch", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	key, _ := ParseSecret(vectorSecret)
	ts := time.Unix(vectorUnix, 0)
	body := []byte(vectorPayload)
	good := Headers([][]byte{key}, vectorID, ts, body)
	tests := []struct {
		name string
		edit func(h map[string][]string)
		body string
		now  time.Time
		want error
	}{
		{"tampered body", nil, `{"test": 2432232315}`, ts, ErrNoMatch},
		{"other id", func(h map[string][]string) { h["Webhook-Id"] = []string{"msg_other"} }, vectorPayload, ts, ErrNoMatch},
		{"too old", nil, vectorPayload, ts.Add(DefaultTolerance + time.Second), ErrTimestampSkew},
		{"too new", nil, vectorPayload, ts.Add(-DefaultTolerance - time.Second), ErrTimestampSkew},
		{"no signature", func(h map[string][]string) { delete(h, "Webhook-Signature") }, vectorPayload, ts, ErrMissingHeaders},
		{"bad timestamp", func(h map[string][]string) { h["Webhook-Timestamp"] = []string{"soon"} }, vectorPayload, ts, ErrInvalidTimestamp},
		{"other version", func(h map[string][]string) { h["Webhook-Signature"] = []string{"v2," + vectorSig[3:]} }, vectorPayload, ts, ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good.Clone()
			if tt.edit != nil {
				tt.edit(h)
			}
			if err := Verify(key, h, []byte(tt.body), tt.now, DefaultTolerance); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	s := NewSecret()
	if !strings.HasPrefix(s.Reveal(), SecretPrefix) {
		t.Fatalf("secret does not start with %s", SecretPrefix)
	}
	key, err := ParseSecret(s.Reveal())
	if err != nil || len(key) != SecretBytes {
		t.Fatalf("ParseSecret: %d bytes, %v", len(key), err)
	}
	if out := fmt.Sprintf("%v %s %+v", s, s, s); strings.Contains(out, s.Reveal()[len(SecretPrefix):]) {
		t.Fatalf("formatted secret shows its value: %s", out)
	}
	if NewSecret() == s {
		t.Fatal("two secrets are equal")
	}
}

func TestParseSecretRefusesWithoutQuoting(t *testing.T) {
	short := SecretPrefix + base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for _, s := range []string{"", "whsec_not base64!", short, "whsec_" + strings.Repeat("QUFB", 30)} {
		_, err := ParseSecret(s)
		if !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("ParseSecret(%q) = %v, want ErrInvalidSecret", s, err)
		}
		if s != "" && err != nil && strings.Contains(err.Error(), strings.TrimPrefix(s, SecretPrefix)) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
	if _, err := ParseSecret(strings.TrimPrefix(vectorSecret, SecretPrefix)); err != nil {
		t.Errorf("secret without prefix: %v", err)
	}
}
