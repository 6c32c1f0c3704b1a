package verify_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/clocktest"
	"github.com/detourhq/detour/dispatch"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/verify"
	"github.com/detourhq/detour/whatsapp"
)

// TestWhatsAppGetsTheAuthenticationTemplate sends a verification through
// the real WhatsApp channel to a fake Graph API and asserts the request:
// the authentication template with the code as its body parameter and as
// its copy-code button's parameter — also when the user wrote in the last
// 24 hours, when the channel would otherwise send the text as free-form.
func TestWhatsAppGetsTheAuthenticationTemplate(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	var paths []string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, paths = append(bodies, b), append(paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"447400123456","wa_id":"447400123456"}],` +
			`"messages":[{"id":"wamid.HBgLNDQ3NDAwMTIzNDU2FQIAERgSQUIxMjM0NTY3ODkwQUJDREVGAA=="}]}`))
	}))
	defer graph.Close()

	clock := clocktest.New(t0)
	store, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	wa, err := whatsapp.NewChannel(whatsapp.Config{BaseURL: graph.URL, Token: "EAAGtoken", AppSecret: "app-secret", VerifyToken: "verify", Clock: clock,
		Numbers: []whatsapp.Number{{Name: "main", PhoneNumberID: "106540352242922"}},
		LastInbound: func(context.Context, string, string) (time.Time, bool, error) {
			return t0.Add(-time.Minute), true, nil // the customer-service window is open
		}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := verify.NewRenderer(verify.RendererConfig{Store: store, Secret: secret, Clock: clock, TemplateChannels: []string{whatsapp.Channel}})
	engine, err := dispatch.New(dispatch.Config{Store: store, Clock: clock, Rand: rand.New(rand.NewPCG(1, 2)),
		Channels: []detour.Channel{r.Wrap(wa), r.Wrap(&phone{name: "sms"})}, DefaultPolicy: []detour.Step{{Channel: "sms"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Stop()
	svc, err := verify.New(verify.Config{Messages: engine, Store: store, Secret: secret, Clock: clock,
		Channels: []string{"whatsapp", "sms"}, Template: "auth_code"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, _, err := svc.StartVerification(ctx, tenant, &detour.VerificationRequest{To: number, Locale: "pt-BR"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.RunOnce(ctx, 10); err != nil {
		t.Fatal(err)
	}
	engine.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || paths[0] != "POST /v23.0/106540352242922/messages Bearer EAAGtoken" {
		t.Fatalf("requests: %q", paths)
	}
	var got map[string]any
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	code, _ := got["template"].(map[string]any)["components"].([]any)[0].(map[string]any)["parameters"].([]any)[0].(map[string]any)["text"].(string)
	m, _ := store.Message(ctx, tenant, v.Sends[0].MessageID)
	want := map[string]any{
		"messaging_product": "whatsapp", "recipient_type": "individual", "to": "447400123456", "type": "template",
		"biz_opaque_callback_data": m.Attempts[0].ID,
		"template": map[string]any{"name": "auth_code", "language": map[string]any{"code": "pt_BR"}, "components": []any{
			map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": code}}},
			map[string]any{"type": "button", "sub_type": "url", "index": "0", "parameters": []any{map[string]any{"type": "text", "text": code}}},
		}},
	}
	if !reflect.DeepEqual(got, want) || len(code) != 6 {
		t.Fatalf("request body\n%s\nwant the authentication template with the code in its body and copy-code button", bodies[0])
	}
	if got, err := svc.CheckVerification(ctx, tenant, v.ID, code); err != nil || got.Status != detour.VerificationApproved {
		t.Fatalf("the code sent on WhatsApp does not check: %v %v", got, err)
	}
}
