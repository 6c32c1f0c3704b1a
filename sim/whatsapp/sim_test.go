package wasim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sim/smsc"
)

func TestHealthySendGetsSignedStatuses(t *testing.T) {
	d := newDetour(t)
	s, clk := start(t, d.URL, Healthy, Behavior{StatusDelay: smsc.Fixed(200 * time.Millisecond)})
	c := client(t, s, 5*time.Second)

	out, v := send(c, "+16505551234", detour.Content{Text: "Your code is 123456"})
	if out.Result != detour.Accepted || !strings.HasPrefix(out.ProviderID, "wamid.") {
		t.Fatalf("outcome %+v verdict %+v", out, v)
	}
	r := d.receipt(t)
	if r.Status != detour.AttemptSent || r.ProviderID != out.ProviderID || r.Route != "main" {
		t.Fatalf("first receipt %+v", r)
	}
	if m := s.Messages(); len(m) != 1 || m[0].Delivered || m[0].Text != "Your code is 123456" || m[0].To != "16505551234" {
		t.Fatalf("messages before the delay %+v", m)
	}
	clk.Advance(200 * time.Millisecond)
	r = d.receipt(t)
	if r.Status != detour.AttemptDelivered || r.ProviderID != out.ProviderID {
		t.Fatalf("second receipt %+v", r)
	}
	m := s.Messages()
	if len(m) != 1 || !m[0].Delivered || m[0].CallbackData != "att_1" || m[0].WAMID != out.ProviderID {
		t.Fatalf("messages %+v", m)
	}
	waitFor(t, func() bool { return s.Counters().Posted["delivered"] == 1 })
	ctr := s.Counters()
	if ctr.Accepted != 1 || ctr.Posted["sent"] != 1 || ctr.PostFailures != 0 {
		t.Fatalf("counters %+v", ctr)
	}
}

func TestSilentSendsOnlySent(t *testing.T) {
	d := newDetour(t)
	s, clk := start(t, d.URL, Silent, Behavior{StatusDelay: smsc.Fixed(time.Second)})
	c := client(t, s, 5*time.Second)
	out, _ := send(c, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Accepted {
		t.Fatalf("outcome %+v", out)
	}
	if r := d.receipt(t); r.Status != detour.AttemptSent {
		t.Fatalf("receipt %+v", r)
	}
	clk.Advance(time.Hour)
	// Back to healthy: the silenced message stays undelivered.
	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if ctr := s.Counters(); ctr.Statuses["delivered"] != 0 || ctr.Silenced != 1 || ctr.Queued != 0 {
		t.Fatalf("counters %+v", ctr)
	}
	if m := s.Messages(); m[0].Delivered || m[0].Status != "sent" {
		t.Fatalf("message %+v", m[0])
	}
}

func TestDownModesAsOurClientSeesThem(t *testing.T) {
	s, _ := start(t, "", Down5xx, Behavior{})
	c := client(t, s, 500*time.Millisecond)
	out, _ := send(c, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Retryable || out.Reason != detour.ReasonProviderError {
		t.Fatalf("down-5xx: %+v", out)
	}
	if err := s.SetMode(DownTimeout); err != nil {
		t.Fatal(err)
	}
	out, _ = send(c, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Retryable || out.Reason != detour.ReasonTimeout {
		t.Fatalf("down-timeout: %+v", out)
	}
	if err := s.SetMode(DownRefused); err != nil {
		t.Fatal(err)
	}
	out, _ = send(c, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Retryable || out.Reason != detour.ReasonUnreachable {
		t.Fatalf("down-refused: %+v", out)
	}
	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	if out, _ = send(c, "+16505551234", detour.Content{Text: "hi"}); out.Result != detour.Accepted {
		t.Fatalf("healthy again: %+v", out)
	}
	ctr := s.Counters()
	if ctr.Errors[CodeTransient] != 1 || ctr.Held != 1 || ctr.Accepted != 1 {
		t.Fatalf("counters %+v", ctr)
	}
}

func TestThrottleNotOnWhatsAppAndToken(t *testing.T) {
	s, clk := start(t, "", Healthy, Behavior{ThrottleAbove: 2, NotOnWhatsApp: Prefixes("+4477")})
	c := client(t, s, 5*time.Second)
	for i := 0; i < 2; i++ {
		if out, _ := send(c, "+16505551234", detour.Content{Text: "hi"}); out.Result != detour.Accepted {
			t.Fatalf("send %d: %+v", i, out)
		}
	}
	out, v := send(c, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Retryable || out.Reason != detour.ReasonThrottled || !v.SlowDown || !strings.Contains(out.Detail, "130429") {
		t.Fatalf("throttled: %+v %+v", out, v)
	}
	clk.Advance(time.Second)
	if out, _ := send(c, "+16505551234", detour.Content{Text: "hi"}); out.Result != detour.Accepted {
		t.Fatalf("after a second: %+v", out)
	}
	clk.Advance(time.Second)
	out, _ = send(c, "+447700900123", detour.Content{Text: "hi"})
	if out.Result != detour.Permanent || out.Reason != detour.ReasonInvalidRecipient || !strings.Contains(out.Detail, "131026") {
		t.Fatalf("not on WhatsApp: %+v", out)
	}

	cfg := clientConfig(s.URL())
	cfg.Token = "EAAGwrong-token"
	bad, err := whatsappClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, v = send(bad, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Permanent || !v.RouteUnusable || !strings.Contains(out.Detail, "graph error 190 (HTTP 401") {
		t.Fatalf("wrong token: %+v %+v", out, v)
	}
	ctr := s.Counters()
	if ctr.Errors[CodeThrottled] != 1 || ctr.Errors[CodeUndeliverable] != 1 || ctr.Errors[CodeAccessToken] != 1 {
		t.Fatalf("counters %+v", ctr.Errors)
	}
}

func TestUndeliverableAsFailedStatus(t *testing.T) {
	d := newDetour(t)
	s, _ := start(t, d.URL, Healthy, Behavior{NotOnWhatsApp: Prefixes("4477"), UndeliverableAsStatus: true})
	c := client(t, s, 5*time.Second)
	out, _ := send(c, "+447700900123", detour.Content{Text: "hi"})
	if out.Result != detour.Accepted {
		t.Fatalf("outcome %+v", out)
	}
	r := d.receipt(t)
	if r.Status != detour.AttemptFailed || r.Reason != detour.ReasonInvalidRecipient || r.ProviderID != out.ProviderID {
		t.Fatalf("receipt %+v", r)
	}
}

func TestEveryContentOurClientSendsIsAccepted(t *testing.T) {
	s, _ := start(t, "", Healthy, Behavior{})
	c := client(t, s, 5*time.Second)
	contents := []detour.Content{
		{Text: "Your code is 123456"},
		{Template: &detour.Template{Name: "otp_code", Language: "en_US", Params: []string{"123456", "10"}}},
		{Template: &detour.Template{Name: "hello_world", Language: "en"}},
		{Media: &detour.Media{Type: "image", URL: "https://example.com/a.jpg", Caption: "Your receipt"}},
		{Media: &detour.Media{Type: "video", ID: "1003383421387256"}},
		{Media: &detour.Media{Type: "audio", URL: "https://example.com/a.ogg"}},
		{Media: &detour.Media{Type: "document", ID: "42", Caption: "Invoice", Filename: "invoice.pdf"}},
		{Interactive: &detour.Interactive{Type: "button", Header: "Delivery", Body: "Is 3pm fine?", Footer: "Reply below",
			Buttons: []detour.Button{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}}},
		{Interactive: &detour.Interactive{Type: "list", Body: "Pick a slot", List: &detour.List{Button: "Slots", Sections: []detour.ListSection{
			{Title: "Morning", Rows: []detour.ListRow{{ID: "m9", Title: "9:00", Description: "early"}}},
			{Title: "Afternoon", Rows: []detour.ListRow{{ID: "a3", Title: "15:00"}}}}}}},
		{Template: &detour.Template{Name: "auth_code", Language: "en_US", Params: []string{"424242"},
			Buttons: []detour.TemplateButton{{Type: "copy_code", Index: 0, Value: "424242"}}}},
		{Template: &detour.Template{Name: "order_update", Language: "en", Header: []string{"Order 42"},
			Buttons: []detour.TemplateButton{{Type: "quick_reply", Index: 1, Value: "TRACK_42"}}}},
	}
	for i, content := range contents {
		if out, _ := send(c, "+16505551234", content); out.Result != detour.Accepted {
			t.Errorf("content %d: %+v", i, out)
		}
	}
	m := s.Messages()
	if len(m) != len(contents) {
		t.Fatalf("%d messages", len(m))
	}
	if m[1].Template != "otp_code" || strings.Join(m[1].TemplateParams, ",") != "123456,10" || m[1].TemplateLanguage != "en_US" {
		t.Errorf("template message %+v", m[1])
	}
	if m[3].MediaLink != "https://example.com/a.jpg" || m[3].Text != "Your receipt" || m[7].Buttons[1] != "No" {
		t.Errorf("media/interactive messages %+v %+v", m[3], m[7])
	}
	ids := map[string]bool{}
	for _, x := range m {
		ids[x.WAMID] = true
	}
	if len(ids) != len(m) {
		t.Errorf("wamids repeat: %v", ids)
	}
}

func TestMalformedRequestsGetGraphErrors(t *testing.T) {
	s, _ := start(t, "", Healthy, Behavior{})
	base := `"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234"`
	long := strings.Repeat("x", 21)
	tests := []struct {
		name, path, body string
		status, code     int
		details          string
	}{
		{"not json", "", `{"messaging_product":`, 400, 100, "not valid JSON"},
		{"no product", "", `{"to":"16505551234","type":"text","text":{"body":"hi"}}`, 400, 100, "messaging_product is required"},
		{"wrong product", "", `{"messaging_product":"sms","to":"16505551234","type":"text","text":{"body":"hi"}}`, 400, 100, "messaging_product"},
		{"no to", "", `{"messaging_product":"whatsapp","type":"text","text":{"body":"hi"}}`, 400, 100, "to is required"},
		{"bad to", "", `{"messaging_product":"whatsapp","to":"call me","type":"text","text":{"body":"hi"}}`, 400, 100, "Param to"},
		{"unknown type", "", `{` + base + `,"type":"fax","fax":{}}`, 400, 100, "Param type must be one of"},
		{"text without body", "", `{` + base + `,"type":"text","text":{}}`, 400, 100, "text['body']"},
		{"text wrong type", "", `{` + base + `,"type":"text","text":{"body":5}}`, 400, 100, "text.body must be of type string"},
		{"template without language", "", `{` + base + `,"type":"template","template":{"name":"otp"}}`, 400, 100, "template['language']"},
		{"template param without text", "", `{` + base + `,"type":"template","template":{"name":"otp","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text"}]}]}}`, 400, 100, "['parameters'][0]['text']"},
		{"image with link and id", "", `{` + base + `,"type":"image","image":{"id":"1","link":"https://x.example/a.jpg"}}`, 400, 100, "only one of"},
		{"image without either", "", `{` + base + `,"type":"image","image":{}}`, 400, 100, "either 'id' or 'link'"},
		{"four buttons", "", `{` + base + `,"type":"interactive","interactive":{"type":"button","body":{"text":"?"},"action":{"buttons":[` +
			`{"type":"reply","reply":{"id":"a","title":"A"}},{"type":"reply","reply":{"id":"b","title":"B"}},{"type":"reply","reply":{"id":"c","title":"C"}},{"type":"reply","reply":{"id":"d","title":"D"}}]}}}`,
			400, 100, "between 1 and 3"},
		{"long button title", "", `{` + base + `,"type":"interactive","interactive":{"type":"button","body":{"text":"?"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"` + long + `"}}]}}}`,
			400, 100, "at most 20"},
		{"list without sections", "", `{` + base + `,"type":"interactive","interactive":{"type":"list","body":{"text":"?"},"action":{"button":"Pick","sections":[]}}}`,
			400, 100, "sections"},
		{"unknown number", "/v23.0/999/messages", `{` + base + `,"type":"text","text":{"body":"hi"}}`, 400, 100, ""},
		{"wrong version", "/v2.0/" + testPNID + "/messages", `{}`, 400, 2500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/v23.0/" + testPNID + "/messages"
			}
			status, e := post(t, s.URL()+path, testToken, tt.body)
			if status != tt.status || e.Code != tt.code || e.Type == "" || e.Message == "" || len(e.FBTraceID) != 23 {
				t.Fatalf("HTTP %d %+v", status, e)
			}
			if tt.details != "" && (e.ErrorData == nil || !strings.Contains(e.ErrorData.Details, tt.details)) {
				t.Fatalf("details %+v, want %q", e.ErrorData, tt.details)
			}
		})
	}
	if status, e := post(t, s.URL()+"/v23.0/"+testPNID+"/messages", "", `{}`); status != 401 || e.Code != 190 {
		t.Fatalf("no token: HTTP %d %+v", status, e)
	}
	if n := s.Counters().Accepted; n != 0 {
		t.Fatalf("accepted %d", n)
	}
}

type graphErr struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	FBTraceID string `json:"fbtrace_id"`
	ErrorData *struct {
		MessagingProduct string `json:"messaging_product"`
		Details          string `json:"details"`
	} `json:"error_data"`
}

func post(t *testing.T, url, token, body string) (int, graphErr) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Error graphErr `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	return resp.StatusCode, env.Error
}

func TestInboundInjection(t *testing.T) {
	d := newDetour(t)
	s, _ := start(t, d.URL, Healthy, Behavior{})
	if err := s.InjectInbound("+4915112345678", testPNID, "Does it come in blue?"); err != nil {
		t.Fatal(err)
	}
	select {
	case in := <-d.inbound:
		if in.From != "+4915112345678" || in.To != "+"+testDisplay || in.Text != "Does it come in blue?" || in.Route != "main" ||
			!strings.HasPrefix(in.ProviderID, "wamid.") {
			t.Fatalf("inbound %+v", in)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no inbound message")
	}
	if err := s.InjectInbound("+4915112345678", "999", "x"); err == nil {
		t.Fatal("an unknown number was accepted")
	}
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	d := newDetour(t)
	d.failNext = 2
	s, clk := start(t, d.URL, Healthy, Behavior{})
	c := client(t, s, 5*time.Second)
	out, _ := send(c, "+16505551234", detour.Content{Text: "hi"})
	if out.Result != detour.Accepted {
		t.Fatalf("outcome %+v", out)
	}
	waitFor(t, func() bool { return s.Counters().PostFailures == 1 })
	clk.Advance(time.Second)
	waitFor(t, func() bool { return s.Counters().PostFailures == 2 })
	clk.Advance(2 * time.Second)
	seen := map[detour.AttemptStatus]bool{}
	seen[d.receipt(t).Status] = true
	seen[d.receipt(t).Status] = true
	if !seen[detour.AttemptSent] || !seen[detour.AttemptDelivered] {
		t.Fatalf("receipts %v", seen)
	}
}

// TestWebhookShapeMatchesSavedPayloads compares a status batch with the
// saved payload's structure, key by key.
func TestWebhookShapeMatchesSavedPayloads(t *testing.T) {
	s, err := New(Config{Token: testToken, AppSecret: testAppSecret,
		Numbers: []Number{{PhoneNumberID: testPNID, DisplayPhoneNumber: testDisplay}}})
	if err != nil {
		t.Fatal(err)
	}
	b := s.statusBatch([]status{{wamid: "wamid.X", pnid: testPNID, recipient: "16505551234", callback: "att_1",
		category: "utility", status: "sent", at: time.Unix(1749416383, 0)}})
	want := `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` +
		`"statuses":[{"id":"wamid.X","status":"sent","timestamp":"1749416383","recipient_id":"16505551234","biz_opaque_callback_data":"att_1",` +
		`"conversation":{"id":"` + hookStatusOf(&status{pnid: testPNID, recipient: "16505551234", status: "sent"}).Conversation.ID +
		`","expiration_timestamp":"1749502783","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"utility"}}]}}]}]}`
	if string(b.body) != want {
		t.Fatalf("body\n%s\nwant\n%s", b.body, want)
	}
	s.Stop(context.Background())
}

func TestStopEndsHeldRequests(t *testing.T) {
	s, _ := start(t, "", DownTimeout, Behavior{})
	c := client(t, s, time.Minute)
	done := make(chan detour.Outcome, 1)
	go func() {
		out, _ := send(c, "+16505551234", detour.Content{Text: "hi"})
		done <- out
	}()
	waitFor(t, func() bool { return s.Counters().Held == 1 })
	s.Stop(context.Background())
	if out := <-done; out.Result != detour.Retryable {
		t.Fatalf("outcome %+v", out)
	}
	s.Stop(context.Background()) // twice is fine
}

// waitFor polls cond (real time, bounded) for work done by goroutines.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

// TestThrottledMode switches to Throttled and back at run time: past the
// mode's rate our client sees 130429, a retryable slow-down.
func TestThrottledMode(t *testing.T) {
	s, clk := startConfig(t, Config{ThrottledRate: 2})
	c := client(t, s, 5*time.Second)
	burst := func(n int) (ok, throttled int) {
		for i := 0; i < n; i++ {
			out, v := send(c, "+16505551234", detour.Content{Text: "hi"})
			switch {
			case out.Result == detour.Accepted:
				ok++
			case out.Reason == detour.ReasonThrottled && v.SlowDown && strings.Contains(out.Detail, "130429"):
				throttled++
			default:
				t.Fatalf("send: %+v", out)
			}
		}
		return ok, throttled
	}
	if ok, th := burst(4); ok != 4 || th != 0 {
		t.Fatalf("healthy: %d ok, %d throttled", ok, th)
	}
	if err := s.SetMode(Throttled); err != nil {
		t.Fatal(err)
	}
	if ok, th := burst(5); ok != 2 || th != 3 {
		t.Fatalf("throttled: %d ok, %d throttled", ok, th)
	}
	clk.Advance(500 * time.Millisecond)
	if ok, th := burst(2); ok != 1 || th != 1 {
		t.Fatalf("half a second later: %d ok, %d throttled", ok, th)
	}
	if err := s.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	if ok, th := burst(4); ok != 4 || th != 0 {
		t.Fatalf("healthy again: %d ok, %d throttled", ok, th)
	}
	if ctr := s.Counters(); ctr.Errors[CodeThrottled] != 4 || ctr.Accepted != 11 {
		t.Fatalf("counters %+v", ctr)
	}
	for i, name := range modeNames {
		if m, err := ParseMode(strings.ToUpper(name)); err != nil || m != Mode(i) {
			t.Errorf("ParseMode(%q) = %s, %v", name, m, err)
		}
	}
	if _, err := ParseMode("down"); err == nil {
		t.Error("ParseMode takes a name that is not a mode")
	}
}

// TestOnDeliveredWhenTheHandsetHasIt calls OnDelivered once the delivered
// status comes due, with the message as the handset shows it, and never
// for a message accepted in Silent mode.
func TestOnDeliveredWhenTheHandsetHasIt(t *testing.T) {
	got := make(chan Message, 10)
	s, clk := startConfig(t, Config{Behavior: Behavior{StatusDelay: smsc.Fixed(time.Second)},
		OnDelivered: func(m Message) { got <- m }})
	c := client(t, s, 5*time.Second)
	tpl := detour.Content{Template: &detour.Template{Name: "otp_code", Language: "en", Params: []string{"424242"}}}
	out, _ := send(c, "+16505551234", tpl)
	if out.Result != detour.Accepted {
		t.Fatalf("outcome %+v", out)
	}
	accepted := clk.Now()
	if err := s.SetMode(Silent); err != nil {
		t.Fatal(err)
	}
	if out, _ := send(c, "+16505551235", tpl); out.Result != detour.Accepted {
		t.Fatalf("silent outcome %+v", out)
	}
	select {
	case m := <-got:
		t.Fatalf("delivered before its time: %+v", m)
	default:
	}
	clk.Advance(time.Second)
	select {
	case m := <-got:
		if m.WAMID != out.ProviderID || m.To != "16505551234" || m.Template != "otp_code" || len(m.TemplateParams) != 1 ||
			m.TemplateParams[0] != "424242" || !m.Delivered || !m.DeliveredAt.Equal(accepted.Add(time.Second)) {
			t.Fatalf("delivered %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnDelivered was not called")
	}
	clk.Advance(time.Hour)
	waitFor(t, func() bool { return s.Counters().Statuses["sent"] == 2 })
	select {
	case m := <-got:
		t.Fatalf("a silenced message was delivered: %+v", m)
	default:
	}
}

// TestSetWebhookURL points webhooks elsewhere at run time: the next
// statuses go to the new URL, and a bad URL is refused.
func TestSetWebhookURL(t *testing.T) {
	s, _ := start(t, "", Healthy, Behavior{})
	c := client(t, s, 5*time.Second)
	if out, _ := send(c, "+16505551234", detour.Content{Text: "before"}); out.Result != detour.Accepted {
		t.Fatalf("outcome %+v", out)
	}
	waitFor(t, func() bool { return s.Counters().Statuses["delivered"] == 1 })
	if err := s.InjectInbound("+4915112345678", testPNID, "x"); err == nil {
		t.Fatal("an inbound message without a webhook URL was accepted")
	}
	if err := s.SetWebhookURL("ftp://example.com/x"); err == nil || !strings.Contains(err.Error(), "WebhookURL") {
		t.Fatalf("a bad URL: %v", err)
	}
	d := newDetour(t)
	if err := s.SetWebhookURL(d.URL); err != nil {
		t.Fatal(err)
	}
	out, _ := send(c, "+16505551234", detour.Content{Text: "after"})
	if r := d.receipt(t); r.ProviderID != out.ProviderID {
		t.Fatalf("receipt %+v", r)
	}
	waitFor(t, func() bool { return s.Counters().Posted["delivered"] == 1 })
	if ctr := s.Counters(); ctr.Posted["sent"] != 1 || ctr.Statuses["sent"] != 2 {
		t.Fatalf("the statuses from before the URL were posted: %+v", ctr)
	}
}
