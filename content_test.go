package detour_test

import (
	"strings"
	"testing"

	"github.com/detourhq/detour"
)

func TestContentValidation(t *testing.T) {
	btn := func(n int) []detour.Button {
		var b []detour.Button
		for i := 0; i < n; i++ {
			b = append(b, detour.Button{ID: string(rune('a' + i)), Title: "Yes"})
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		c     detour.Content
		code  detour.Code
		field string
	}{
		{"text", detour.Content{Text: "hi"}, "", ""},
		{"empty", detour.Content{}, detour.CodeEmptyContent, "content"},
		{"blank", detour.Content{Text: " \n"}, detour.CodeEmptyContent, "content.text"},
		{"text with a template", detour.Content{Text: "hi", Template: &detour.Template{Name: "x", Language: "en"}}, "", ""},
		{"text with a bad template", detour.Content{Text: "hi", Template: &detour.Template{Name: "X y", Language: "en"}}, detour.CodeInvalidRequest, "content.template.name"},
		{"two kinds", detour.Content{Text: "hi", Media: &detour.Media{Type: "image", URL: "https://x.y/z"}}, detour.CodeInvalidRequest, "content"},
		{"too long", detour.Content{Text: strings.Repeat("é", detour.MaxTextLength+1)}, detour.CodeInvalidRequest, "content.text"},
		{"bad utf8", detour.Content{Text: "\xff"}, detour.CodeInvalidRequest, "content.text"},
		{"template", detour.Content{Template: &detour.Template{Name: "otp_code", Language: "en_US", Params: []string{"123456"}}}, "", ""},
		{"template name", detour.Content{Template: &detour.Template{Name: "OTP Code", Language: "en"}}, detour.CodeInvalidRequest, "content.template.name"},
		{"template language", detour.Content{Template: &detour.Template{Name: "otp", Language: "e"}}, detour.CodeInvalidRequest, "content.template.language"},
		{"template no name", detour.Content{Template: &detour.Template{Language: "en"}}, detour.CodeMissingField, "content.template.name"},
		{"media url", detour.Content{Media: &detour.Media{Type: "image", URL: "https://example.com/a.png", Caption: "look"}}, "", ""},
		{"media id", detour.Content{Media: &detour.Media{Type: "document", ID: "1234", Filename: "a.pdf"}}, "", ""},
		{"media neither", detour.Content{Media: &detour.Media{Type: "image"}}, detour.CodeMissingField, "content.media.url"},
		{"media both", detour.Content{Media: &detour.Media{Type: "image", URL: "https://x.y/z", ID: "1"}}, detour.CodeInvalidRequest, "content.media"},
		{"media bad url", detour.Content{Media: &detour.Media{Type: "image", URL: "file:///etc/passwd"}}, detour.CodeInvalidRequest, "content.media.url"},
		{"media type", detour.Content{Media: &detour.Media{Type: "hologram", URL: "https://x.y/z"}}, detour.CodeInvalidRequest, "content.media.type"},
		{"audio caption", detour.Content{Media: &detour.Media{Type: "audio", URL: "https://x.y/z", Caption: "no"}}, detour.CodeInvalidRequest, "content.media.caption"},
		{"buttons", detour.Content{Interactive: &detour.Interactive{Type: "button", Body: "ok?", Buttons: btn(3)}}, "", ""},
		{"four buttons", detour.Content{Interactive: &detour.Interactive{Type: "button", Body: "ok?", Buttons: btn(4)}}, detour.CodeInvalidRequest, "content.interactive.buttons"},
		{"duplicate ids", detour.Content{Interactive: &detour.Interactive{Type: "button", Body: "ok?", Buttons: []detour.Button{{ID: "a", Title: "x"}, {ID: "a", Title: "y"}}}}, detour.CodeInvalidRequest, "content.interactive.buttons.id"},
		{"long title", detour.Content{Interactive: &detour.Interactive{Type: "button", Body: "ok?", Buttons: []detour.Button{{ID: "a", Title: strings.Repeat("x", 21)}}}}, detour.CodeInvalidRequest, "content.interactive.buttons.title"},
		{"list", detour.Content{Interactive: &detour.Interactive{Type: "list", Body: "pick", List: &detour.List{Button: "Options", Sections: []detour.ListSection{{Rows: []detour.ListRow{{ID: "1", Title: "One"}}}}}}}, "", ""},
		{"list no list", detour.Content{Interactive: &detour.Interactive{Type: "list", Body: "pick"}}, detour.CodeMissingField, "content.interactive.list"},
		{"interactive type", detour.Content{Interactive: &detour.Interactive{Type: "carousel", Body: "pick"}}, detour.CodeInvalidRequest, "content.interactive.type"},
		{"interactive body", detour.Content{Interactive: &detour.Interactive{Type: "button", Buttons: btn(1)}}, detour.CodeMissingField, "content.interactive.body"},
	} {
		err := tc.c.Validate()
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: unexpected %v", tc.name, err)
			}
			continue
		}
		e, ok := err.(*detour.Error)
		if !ok || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got %v, want %s at %s", tc.name, err, tc.code, tc.field)
		}
	}
}

func TestParseE164(t *testing.T) {
	for in, want := range map[string]string{
		"+447400123456": "GB", "+1202555012": "", "+33612345678": "FR", "+5511987654321": "BR", "+4915123456789": "DE",
	} {
		n, region, err := detour.ParseE164(in)
		if want == "" {
			// Too short for its country.
			if err == nil {
				t.Errorf("%s should be invalid", in)
			}
			continue
		}
		if err != nil || n != in || region != want {
			t.Errorf("%s: %q %q %v", in, n, region, err)
		}
	}
	for _, in := range []string{"447400123456", "+44 7400 123456", "+44-7400123456", "+4474001234567890", "+0447400123456", "+447700900123", "+", "+1", "++447400123456", "+44740012345a"} {
		if _, _, err := detour.ParseE164(in); detour.ErrorCode(err) != detour.CodeInvalidRecipient {
			t.Errorf("%q: got %v, want invalid_recipient", in, err)
		}
	}
	if _, _, err := detour.ParseE164(""); detour.ErrorCode(err) != detour.CodeMissingField {
		t.Errorf("empty: %v", err)
	}
}

func FuzzParseE164(f *testing.F) {
	for _, s := range []string{"+447400123456", "", "+", "+0", "+99999999999999999", "+44\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, _, err := detour.ParseE164(s)
		if err == nil && (n != s || s[0] != '+' || len(s) > 16) {
			t.Fatalf("accepted %q as %q", s, n)
		}
		if err != nil && detour.ErrorCode(err) == detour.CodeInternal {
			t.Fatalf("uncoded error for %q: %v", s, err)
		}
	})
}
