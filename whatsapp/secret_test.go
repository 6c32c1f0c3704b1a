package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/detourhq/detour"
)

// TestSecretsNeverShow sends through failures that echo the token, logs
// at debug level, formats the configuration every way, and looks for the
// token, app secret and verify token everywhere.
func TestSecretsNeverShow(t *testing.T) {
	var logs bytes.Buffer
	var texts []string
	echo := fmt.Sprintf(`{"error":{"message":"bad token %s for app %s","type":"OAuthException","code":190,"error_data":{"details":"%s"}}}`, testToken, testAppSecret, testVerifyToken)
	g := newGraph(t, 401, []byte(echo))
	c, err := NewClient(testConfig(g.URL, &logs))
	if err != nil {
		t.Fatal(err)
	}
	out := c.Send(context.Background(), testPNID, &detour.Send{AttemptID: "a", To: "+16505551234", Content: &detour.Content{Text: "x"}})
	texts = append(texts, out.Detail, fmt.Sprintf("%+v", out))

	gone := httptest.NewServer(nil)
	gone.Close()
	c2, _ := NewClient(testConfig(gone.URL, &logs))
	texts = append(texts, c2.Send(context.Background(), testPNID, &detour.Send{To: "+16505551234", Content: &detour.Content{Text: "x"}}).Detail)

	h, _ := NewWebhookHandler(testConfig(g.URL, &logs), &sinks{}, (&sinks{}).Inbound)
	body := readTestdata(t, "status_sent.json")
	post(h, body, Sign(body, "wrong"))
	post(h, body, "")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", nil))
	texts = append(texts, w.Body.String())

	cfg := testConfig(g.URL, nil)
	j, _ := json.Marshal(cfg.Numbers)
	texts = append(texts, fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, j), logs.String())
	bad := cfg
	bad.Numbers = nil
	texts = append(texts, bad.Validate().Error())

	all := strings.Join(texts, "\n")
	for _, s := range []string{testToken, testAppSecret, testVerifyToken} {
		if strings.Contains(all, s) {
			t.Errorf("secret %q shows in:\n%s", s[:6], all)
		}
	}
	if !strings.Contains(logs.String(), "whatsapp send refused") {
		t.Errorf("nothing was logged; the test proves nothing:\n%s", logs.String())
	}
}
