package simworld

import (
	"testing"

	wasim "github.com/detourhq/detour/sim/whatsapp"
)

func TestWhatsAppText(t *testing.T) {
	for _, tc := range []struct {
		m    wasim.Message
		want string
	}{
		{wasim.Message{Type: "text", Text: "hello"}, "hello"},
		{wasim.Message{Type: "template", Template: "otp_code", TemplateParams: []string{"424242", "10"}}, "otp_code: 424242, 10"},
		{wasim.Message{Type: "template", Template: "hello_world"}, "hello_world"},
		{wasim.Message{Type: "image", MediaLink: "https://example.com/a.jpg", Text: "Your receipt"}, "[image] Your receipt"},
		{wasim.Message{Type: "document", MediaID: "1234"}, "[document] 1234"},
		{wasim.Message{Type: "interactive", Text: "Keep the booking?", Buttons: []string{"Yes", "No"}}, "Keep the booking? [Yes] [No]"},
		{wasim.Message{Type: "reaction"}, "[reaction]"},
	} {
		if got := whatsAppText(&tc.m); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.m, got, tc.want)
		}
	}
}
