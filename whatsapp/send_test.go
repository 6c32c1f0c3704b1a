package whatsapp

import (
	"context"
	"reflect"
	"testing"

	"github.com/detourhq/detour"
)

func TestSendBuildsTheExactRequest(t *testing.T) {
	const head = `"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","biz_opaque_callback_data":"att_1",`
	tests := []struct {
		name    string
		content detour.Content
		body    string
	}{
		{"text", detour.Content{Text: "Your code is 123456"},
			`{` + head + `"type":"text","text":{"preview_url":false,"body":"Your code is 123456"}}`},
		{"template with params", detour.Content{Template: &detour.Template{Name: "otp_code", Language: "en_US", Params: []string{"123456", "10"}}},
			`{` + head + `"type":"template","template":{"name":"otp_code","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"123456"},{"type":"text","text":"10"}]}]}}`},
		{"authentication template with a copy-code button", detour.Content{Template: &detour.Template{Name: "auth_code", Language: "en_US",
			Params: []string{"424242"}, Buttons: []detour.TemplateButton{{Type: "copy_code", Index: 0, Value: "424242"}}}},
			`{` + head + `"type":"template","template":{"name":"auth_code","language":{"code":"en_US"},"components":[` +
				`{"type":"body","parameters":[{"type":"text","text":"424242"}]},` +
				`{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"424242"}]}]}}`},
		{"template with header and quick reply", detour.Content{Template: &detour.Template{Name: "order_update", Language: "en",
			Header: []string{"Order 42"}, Buttons: []detour.TemplateButton{{Type: "quick_reply", Index: 1, Value: "TRACK_42"}}}},
			`{` + head + `"type":"template","template":{"name":"order_update","language":{"code":"en"},"components":[` +
				`{"type":"header","parameters":[{"type":"text","text":"Order 42"}]},` +
				`{"type":"button","sub_type":"quick_reply","index":"1","parameters":[{"type":"payload","payload":"TRACK_42"}]}]}}`},
		{"template without params", detour.Content{Template: &detour.Template{Name: "hello_world", Language: "en"}},
			`{` + head + `"type":"template","template":{"name":"hello_world","language":{"code":"en"}}}`},
		{"image by link", detour.Content{Media: &detour.Media{Type: "image", URL: "https://example.com/a.jpg", Caption: "Your receipt"}},
			`{` + head + `"type":"image","image":{"link":"https://example.com/a.jpg","caption":"Your receipt"}}`},
		{"video by id", detour.Content{Media: &detour.Media{Type: "video", ID: "1003383421387256"}},
			`{` + head + `"type":"video","video":{"id":"1003383421387256"}}`},
		{"audio", detour.Content{Media: &detour.Media{Type: "audio", URL: "https://example.com/a.ogg"}},
			`{` + head + `"type":"audio","audio":{"link":"https://example.com/a.ogg"}}`},
		{"document with filename", detour.Content{Media: &detour.Media{Type: "document", ID: "42", Caption: "Invoice", Filename: "invoice.pdf"}},
			`{` + head + `"type":"document","document":{"id":"42","caption":"Invoice","filename":"invoice.pdf"}}`},
		{"buttons", detour.Content{Interactive: &detour.Interactive{Type: "button", Header: "Delivery", Body: "Is 3pm fine?", Footer: "Reply below",
			Buttons: []detour.Button{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}}},
			`{` + head + `"type":"interactive","interactive":{"type":"button","header":{"type":"text","text":"Delivery"},"body":{"text":"Is 3pm fine?"},"footer":{"text":"Reply below"},
			"action":{"buttons":[{"type":"reply","reply":{"id":"yes","title":"Yes"}},{"type":"reply","reply":{"id":"no","title":"No"}}]}}}`},
		{"list", detour.Content{Interactive: &detour.Interactive{Type: "list", Body: "Pick a slot",
			List: &detour.List{Button: "Slots", Sections: []detour.ListSection{
				{Title: "Morning", Rows: []detour.ListRow{{ID: "m9", Title: "9:00", Description: "early"}, {ID: "m11", Title: "11:00"}}},
				{Title: "Afternoon", Rows: []detour.ListRow{{ID: "a3", Title: "15:00"}}}}}}},
			`{` + head + `"type":"interactive","interactive":{"type":"list","body":{"text":"Pick a slot"},"action":{"button":"Slots","sections":[
			{"title":"Morning","rows":[{"id":"m9","title":"9:00","description":"early"},{"id":"m11","title":"11:00"}]},
			{"title":"Afternoon","rows":[{"id":"a3","title":"15:00"}]}]}}}`},
	}
	g := newGraph(t, 200, []byte(okResponse))
	c, err := NewClient(testConfig(g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := tt.content
			if err := content.Validate(); err != nil {
				t.Fatalf("test content is invalid: %v", err)
			}
			out := c.Send(context.Background(), testPNID, &detour.Send{AttemptID: "att_1", To: "+16505551234", Content: &content})
			want := detour.AcceptedOutcome("main", "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA")
			if !reflect.DeepEqual(out, want) {
				t.Errorf("outcome %+v, want %+v", out, want)
			}
			r := g.last(t)
			if r.Method != "POST" || r.Path != "/v23.0/"+testPNID+"/messages" {
				t.Errorf("request %s %s", r.Method, r.Path)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
				t.Errorf("Authorization %q", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			jsonEqual(t, r.Body, tt.body)
		})
	}
}

func TestSendRefusesWithoutARequest(t *testing.T) {
	g := newGraph(t, 200, []byte(okResponse))
	c, err := NewClient(testConfig(g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		pnid   string
		send   detour.Send
		reason detour.Code
	}{
		{"not E.164", testPNID, detour.Send{To: "16505551234", Content: &detour.Content{Text: "x"}}, detour.ReasonInvalidRecipient},
		{"letters", testPNID, detour.Send{To: "+1650abc", Content: &detour.Content{Text: "x"}}, detour.ReasonInvalidRecipient},
		{"no content", testPNID, detour.Send{To: "+16505551234", Content: &detour.Content{}}, detour.ReasonContentUnsupported},
		{"two kinds", testPNID, detour.Send{To: "+16505551234", Content: &detour.Content{Text: "x", Media: &detour.Media{Type: "image", URL: "https://example.com/a.png"}}}, detour.ReasonContentUnsupported},
		{"audio caption", testPNID, detour.Send{To: "+16505551234", Content: &detour.Content{Media: &detour.Media{Type: "audio", ID: "1", Caption: "no"}}}, detour.ReasonContentUnsupported},
		{"bad phone number id", "../admin", detour.Send{To: "+16505551234", Content: &detour.Content{Text: "x"}}, detour.ReasonRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := c.Send(context.Background(), tt.pnid, &tt.send)
			if out.Result != detour.Permanent || out.Reason != tt.reason {
				t.Errorf("outcome %+v, want permanent %s", out, tt.reason)
			}
		})
	}
	if len(g.requests) != 0 {
		t.Errorf("%d requests made", len(g.requests))
	}
}

func TestSendRouteName(t *testing.T) {
	g := newGraph(t, 200, []byte(okResponse))
	c, _ := NewClient(testConfig(g.URL, nil))
	out := c.Send(context.Background(), testPNID2, &detour.Send{To: "+16505551234", Content: &detour.Content{Text: "x"}})
	if out.Route != "support" {
		t.Errorf("route %q, want support", out.Route)
	}
}
