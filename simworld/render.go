package simworld

import (
	"strings"

	wasim "github.com/detourhq/detour/sim/whatsapp"
)

// whatsAppText is what a phone shows of a WhatsApp message: the text or
// interactive body; a template as its name and body parameters
// ("otp_code: 424242"), since the simulator has no approved template
// bodies; media as its type and caption, or link or id; reply buttons in
// brackets after the body.
func whatsAppText(m *wasim.Message) string {
	var b strings.Builder
	switch {
	case m.Template != "":
		b.WriteString(m.Template)
		if len(m.TemplateParams) > 0 {
			b.WriteString(": ")
			b.WriteString(strings.Join(m.TemplateParams, ", "))
		}
	case m.MediaLink != "" || m.MediaID != "":
		b.WriteString("[" + m.Type + "] ")
		if m.Text != "" {
			b.WriteString(m.Text)
		} else {
			b.WriteString(m.MediaLink + m.MediaID)
		}
	case m.Text != "":
		b.WriteString(m.Text)
	default:
		b.WriteString("[" + m.Type + "]")
	}
	for _, t := range m.Buttons {
		b.WriteString(" [" + t + "]")
	}
	return b.String()
}
