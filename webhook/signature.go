package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every Standard Webhooks signing secret; base64 of the
// key bytes follows it.
const SecretPrefix = "whsec_"

// Key sizes ParseSecret accepts, in bytes (the limits Svix's libraries
// enforce); NewSecret makes keys of SecretBytes.
const (
	SecretBytes    = 32
	minSecretBytes = 24
	maxSecretBytes = 64
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock before Verify refuses it (the Standard Webhooks default).
const DefaultTolerance = 5 * time.Minute

// Verification errors. None of them carries a secret or a signature.
var (
	ErrMissingHeaders   = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrInvalidTimestamp = errors.New("webhook: webhook-timestamp is not Unix seconds")
	ErrTimestampSkew    = errors.New("webhook: webhook-timestamp is outside the tolerance")
	ErrNoMatch          = errors.New("webhook: no signature matches")
	ErrInvalidSecret    = errors.New("webhook: secret is not whsec_ followed by base64 of 24 to 64 bytes")
)

// NewSecret returns a new signing secret: "whsec_" and the base64 of 32
// random bytes.
func NewSecret() detour.Secret { return detour.NewWebhookSecret() }

// ParseSecret returns the key bytes of a "whsec_..." secret. The prefix is
// optional, as in the reference libraries. The error never quotes s.
func ParseSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// Sign returns the signature of one delivery with one key:
// "v1," and the base64 of HMAC-SHA256(secret, id + "." + unix(ts) + "." + body).
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, ts.Unix(), body))
}

func mac(secret []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Headers returns the three Standard Webhooks headers of one delivery,
// signed with every secret given: during a rotation the old and the new
// secret are both valid and webhook-signature holds "v1,<old> v1,<new>".
func Headers(secrets [][]byte, id string, ts time.Time, body []byte) http.Header {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Sign(s, id, ts, body)
	}
	h := make(http.Header, 3)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return h
}

// Verify checks a delivery the way a receiver does: the headers are
// present, the timestamp is within tolerance of now (either way), and one
// of the v1 signatures in webhook-signature is secret's signature of the
// id, timestamp and body. It is for receivers written in Go and for tests.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrTimestampSkew
	}
	want := mac(secret, id, unix, body)
	for _, sig := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}
