package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The reference Standard Webhooks library (not ours) computes the spec's
// vector the same way and verifies what Deliver sends, with either secret
// of a rotation, against a real HTTP receiver.
func TestReferenceLibraryVerifiesDeliveries(t *testing.T) {
	ref, err := standardwebhooks.NewWebhook(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ref.Sign(vectorID, time.Unix(vectorUnix, 0), []byte(vectorPayload)); got != vectorSig {
		t.Fatalf("reference library signs the vector as %s", got)
	}

	oldSecret, newSecret := NewSecret(), NewSecret()
	var receivers []*standardwebhooks.Webhook
	for _, s := range []string{oldSecret.Reveal(), newSecret.Reveal()} {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		receivers = append(receivers, wh)
	}
	oldKey, _ := ParseSecret(oldSecret.Reveal())
	newKey, _ := ParseSecret(newSecret.Reveal())
	stranger, _ := standardwebhooks.NewWebhook(NewSecret().Reveal())

	verified := make(chan []error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var errs []error
		for _, wh := range receivers {
			errs = append(errs, wh.Verify(body, r.Header))
		}
		errs = append(errs, stranger.Verify(body, r.Header))
		verified <- errs
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := NewClient(Config{AllowPrivateNetworks: true})
	defer c.Close()

	// The reference library checks the timestamp against the real clock.
	res := c.Deliver(context.Background(), srv.URL, [][]byte{oldKey, newKey}, "evt_01", time.Now(), []byte(`{"id":"evt_01","type":"message.status"}`))
	if res.Outcome != Delivered {
		t.Fatalf("Deliver = %+v", res)
	}
	errs := <-verified
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("reference library refused: old secret %v, new secret %v", errs[0], errs[1])
	}
	if errs[2] == nil {
		t.Fatal("reference library accepted a delivery with a secret that did not sign it")
	}
}
