package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/detourhq/detour"
)

// The request body of POST /{version}/{phone-number-id}/messages, after
// the spec's Message schema (BaseMessageProperties plus one of TextMessage,
// TemplateMessage, ImageMessage, ..., InteractiveMessage) and the examples
// of the sendMessage operation. Field order follows the spec's examples so
// that bodies read like Meta's documentation.
type request struct {
	MessagingProduct string       `json:"messaging_product"`
	RecipientType    string       `json:"recipient_type"`
	To               string       `json:"to"`
	Type             string       `json:"type"`
	Text             *textObject  `json:"text,omitempty"`
	Template         *templateObj `json:"template,omitempty"`
	Image            *mediaObject `json:"image,omitempty"`
	Video            *mediaObject `json:"video,omitempty"`
	Audio            *mediaObject `json:"audio,omitempty"`
	Document         *mediaObject `json:"document,omitempty"`
	Interactive      *interactive `json:"interactive,omitempty"`
	// BizOpaqueCallbackData comes back on every status webhook of the
	// message: we put the attempt id there. The v23.0 spec has the field
	// only on calls (CallRequestPayload), not in its message schemas;
	// Meta's public send-message docs describe it (at most 512 characters).
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

type textObject struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type templateObj struct {
	Name       string              `json:"name"`
	Language   templateLanguage    `json:"language"`
	Components []templateComponent `json:"components,omitempty"`
}

type templateLanguage struct {
	Code string `json:"code"`
}

type templateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type,omitempty"` // buttons
	Index      string              `json:"index,omitempty"`    // buttons
	Parameters []templateParameter `json:"parameters"`
}

type templateParameter struct {
	Type    string `json:"type"`
	Text    string `json:"text,omitempty"`
	Payload string `json:"payload,omitempty"`
}

type mediaObject struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type interactive struct {
	Type   string             `json:"type"`
	Header *interactiveHeader `json:"header,omitempty"`
	Body   interactiveText    `json:"body"`
	Footer *interactiveText   `json:"footer,omitempty"`
	Action interactiveAction  `json:"action"`
}

type interactiveHeader struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type interactiveText struct {
	Text string `json:"text"`
}

type interactiveAction struct {
	Buttons  []replyButton `json:"buttons,omitempty"`
	Button   string        `json:"button,omitempty"`
	Sections []section     `json:"sections,omitempty"`
}

type replyButton struct {
	Type  string      `json:"type"`
	Reply replyObject `json:"reply"`
}

type replyObject struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type section struct {
	Title string       `json:"title,omitempty"`
	Rows  []sectionRow `json:"rows"`
}

type sectionRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// errContent marks content this package cannot express as a Cloud API
// request; the send is Permanent content_not_supported.
type errContent struct{ msg string }

func (e *errContent) Error() string { return e.msg }

// buildRequest returns the JSON body for one send. The recipient is E.164;
// the Cloud API takes it as digits without the plus.
func buildRequest(s *detour.Send) ([]byte, error) {
	to, ok := recipientDigits(s.To)
	if !ok {
		return nil, errRecipient
	}
	if s.Content == nil {
		return nil, &errContent{"no content"}
	}
	req := request{
		MessagingProduct:      "whatsapp",
		RecipientType:         "individual",
		To:                    to,
		BizOpaqueCallbackData: s.AttemptID,
	}
	c := s.Content
	switch c.Kind() {
	case detour.KindText:
		req.Type, req.Text = "text", &textObject{Body: c.Text}
	case detour.KindTemplate:
		req.Type, req.Template = "template", templateOf(c.Template)
	case detour.KindMedia:
		m := c.Media
		obj := &mediaObject{ID: m.ID, Link: m.URL, Caption: m.Caption}
		switch m.Type {
		case "image":
			req.Image = obj
		case "video":
			req.Video = obj
		case "audio":
			if m.Caption != "" {
				return nil, &errContent{"audio cannot have a caption"}
			}
			req.Audio = obj
		case "document":
			obj.Filename = m.Filename
			req.Document = obj
		default:
			return nil, &errContent{fmt.Sprintf("media type %q", m.Type)}
		}
		if (m.ID == "") == (m.URL == "") {
			return nil, &errContent{"media needs exactly one of url and id"}
		}
		req.Type = m.Type
	case detour.KindInteractive:
		in, err := interactiveOf(c.Interactive)
		if err != nil {
			return nil, err
		}
		req.Type, req.Interactive = "interactive", in
	default:
		return nil, &errContent{"content must set exactly one kind"}
	}
	return json.Marshal(&req)
}

func templateOf(t *detour.Template) *templateObj {
	obj := &templateObj{Name: t.Name, Language: templateLanguage{Code: t.Language}}
	text := func(values []string) []templateParameter {
		params := make([]templateParameter, len(values))
		for i, p := range values {
			params[i] = templateParameter{Type: "text", Text: p}
		}
		return params
	}
	if len(t.Header) > 0 {
		obj.Components = append(obj.Components, templateComponent{Type: "header", Parameters: text(t.Header)})
	}
	if len(t.Params) > 0 {
		obj.Components = append(obj.Components, templateComponent{Type: "body", Parameters: text(t.Params)})
	}
	for _, b := range t.Buttons {
		c := templateComponent{Type: "button", SubType: b.Type, Index: strconv.Itoa(b.Index)}
		switch b.Type {
		case "quick_reply":
			c.Parameters = []templateParameter{{Type: "payload", Payload: b.Value}}
		default:
			// An authentication template's copy-code button is a url
			// button whose parameter is the code.
			c.SubType = "url"
			c.Parameters = []templateParameter{{Type: "text", Text: b.Value}}
		}
		obj.Components = append(obj.Components, c)
	}
	return obj
}

func interactiveOf(in *detour.Interactive) (*interactive, error) {
	obj := &interactive{Type: in.Type, Body: interactiveText{Text: in.Body}}
	if in.Header != "" {
		obj.Header = &interactiveHeader{Type: "text", Text: in.Header}
	}
	if in.Footer != "" {
		obj.Footer = &interactiveText{Text: in.Footer}
	}
	switch in.Type {
	case "button":
		if len(in.Buttons) == 0 {
			return nil, &errContent{"a button message needs buttons"}
		}
		for _, b := range in.Buttons {
			obj.Action.Buttons = append(obj.Action.Buttons, replyButton{Type: "reply", Reply: replyObject{ID: b.ID, Title: b.Title}})
		}
	case "list":
		if in.List == nil || len(in.List.Sections) == 0 {
			return nil, &errContent{"a list message needs a list"}
		}
		obj.Action.Button = in.List.Button
		for _, s := range in.List.Sections {
			sec := section{Title: s.Title, Rows: make([]sectionRow, len(s.Rows))}
			for i, r := range s.Rows {
				sec.Rows[i] = sectionRow{ID: r.ID, Title: r.Title, Description: r.Description}
			}
			obj.Action.Sections = append(obj.Action.Sections, sec)
		}
	default:
		return nil, &errContent{fmt.Sprintf("interactive type %q", in.Type)}
	}
	return obj, nil
}

// errRecipient is a recipient that is not an E.164 number: Permanent
// invalid_recipient, and no request is made.
var errRecipient = errors.New("recipient is not an E.164 number")

// recipientDigits turns "+4915112345678" into "4915112345678".
func recipientDigits(e164 string) (string, bool) {
	d, ok := strings.CutPrefix(e164, "+")
	if !ok || len(d) < 3 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", false
		}
	}
	return d, true
}
