package detour

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ContentKind names what a message carries. Channels declare which kinds
// they can carry.
type ContentKind string

// Content kinds.
const (
	KindText        ContentKind = "text"
	KindTemplate    ContentKind = "template"
	KindMedia       ContentKind = "media"
	KindInteractive ContentKind = "interactive"
)

// Limits on content, chosen to fit the strictest channel that carries each
// kind (WhatsApp's limits for templates, media and interactive messages).
const (
	MaxTextLength      = 4096
	MaxTemplateParams  = 50
	MaxParamLength     = 1024
	MaxCaptionLength   = 1024
	MaxButtons         = 3
	MaxButtonTitle     = 20
	MaxListRows        = 10
	MaxListRowTitle    = 24
	MaxListRowDescr    = 72
	MaxInteractiveBody = 1024
	MaxHeaderLength    = 60
	MaxIDLength        = 200
)

// Content is what a message carries: exactly one of its fields is set, or
// Text together with Template: the same message as free-form text and as
// a pre-approved template, for a channel that may send free-form only
// sometimes (WhatsApp outside the 24-hour window sends the template, SMS
// sends the text).
type Content struct {
	Text        string       `json:"text,omitempty"`
	Template    *Template    `json:"template,omitempty"`
	Media       *Media       `json:"media,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
}

// Template is a pre-approved message template with its parameters.
type Template struct {
	Name     string           `json:"name"`
	Language string           `json:"language"`
	Params   []string         `json:"params,omitempty"`  // body parameters, in order
	Header   []string         `json:"header,omitempty"`  // header text parameters
	Buttons  []TemplateButton `json:"buttons,omitempty"` // parameters of the template's buttons
}

// TemplateButton gives the parameter of one of a template's buttons.
type TemplateButton struct {
	// Type is quick_reply (Value is the payload sent back when tapped),
	// url (Value completes the button's URL) or copy_code (Value is the
	// code an authentication template's copy-code button copies).
	Type  string `json:"type"`
	Index int    `json:"index"` // the button's position in the template, 0–9
	Value string `json:"value"`
}

// TemplateButtonTypes lists the accepted TemplateButton.Type values.
var TemplateButtonTypes = []string{"quick_reply", "url", "copy_code"}

// Media is an image, video, audio clip or document, by URL or by a channel's
// media id.
type Media struct {
	Type     string `json:"type"` // image, video, audio, document
	URL      string `json:"url,omitempty"`
	ID       string `json:"id,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Interactive is a message with reply buttons or a list to choose from.
type Interactive struct {
	Type    string   `json:"type"` // button or list
	Header  string   `json:"header,omitempty"`
	Body    string   `json:"body"`
	Footer  string   `json:"footer,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	List    *List    `json:"list,omitempty"`
}

// Button is one reply button of an interactive message.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// List is the menu of an interactive list message.
type List struct {
	Button   string        `json:"button"`
	Sections []ListSection `json:"sections"`
}

// ListSection is a titled group of rows in a list.
type ListSection struct {
	Title string    `json:"title,omitempty"`
	Rows  []ListRow `json:"rows"`
}

// ListRow is one choice in a list.
type ListRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// MediaTypes lists the accepted Media.Type values.
var MediaTypes = []string{"image", "video", "audio", "document"}

// Kind returns the kind of content set, or "" when none or several are set.
// Text with a template alternative is text.
func (c *Content) Kind() ContentKind {
	if c.Text != "" && c.Template != nil && c.Media == nil && c.Interactive == nil {
		return KindText
	}
	var kind ContentKind
	n := 0
	if c.Text != "" {
		kind, n = KindText, n+1
	}
	if c.Template != nil {
		kind, n = KindTemplate, n+1
	}
	if c.Media != nil {
		kind, n = KindMedia, n+1
	}
	if c.Interactive != nil {
		kind, n = KindInteractive, n+1
	}
	if n != 1 {
		return ""
	}
	return kind
}

// TextOnly returns the content as free-form text alone, and
// TemplateOnly as its template alone; both return c unchanged when it
// carries no alternative.
func (c *Content) TextOnly() *Content {
	if c.Text == "" || c.Template == nil {
		return c
	}
	return &Content{Text: c.Text}
}

// TemplateOnly returns the content's template alone, or c when it has no
// text alternative.
func (c *Content) TemplateOnly() *Content {
	if c.Text == "" || c.Template == nil {
		return c
	}
	return &Content{Template: c.Template}
}

// Validate checks that exactly one kind of content is set and that it is
// well formed. Errors name the field at fault.
func (c *Content) Validate() error {
	switch {
	case c.Text == "" && c.Template == nil && c.Media == nil && c.Interactive == nil:
		return FieldErrorf(CodeEmptyContent, "content", "content must set one of text, template, media or interactive")
	case c.Kind() == "":
		return FieldErrorf(CodeInvalidRequest, "content", "content must set exactly one of text, template, media or interactive (or text with a template)")
	}
	if c.Text != "" && c.Template != nil {
		if err := c.Template.validate(); err != nil {
			return err
		}
	}
	switch {
	case c.Text != "":
		if strings.TrimSpace(c.Text) == "" {
			return FieldErrorf(CodeEmptyContent, "content.text", "text must not be blank")
		}
		return checkText("content.text", c.Text, MaxTextLength, true)
	case c.Template != nil:
		return c.Template.validate()
	case c.Media != nil:
		return c.Media.validate()
	default:
		return c.Interactive.validate()
	}
}

func (t *Template) validate() error {
	if err := checkText("content.template.name", t.Name, 512, true); err != nil {
		return err
	}
	for _, r := range t.Name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return FieldErrorf(CodeInvalidRequest, "content.template.name", "template names use lowercase letters, digits and underscores")
		}
	}
	if !validLanguage(t.Language) {
		return FieldErrorf(CodeInvalidRequest, "content.template.language", "language must be a code such as en or en_US")
	}
	if len(t.Params) > MaxTemplateParams {
		return FieldErrorf(CodeInvalidRequest, "content.template.params", "at most %d parameters", MaxTemplateParams)
	}
	for _, p := range t.Params {
		if err := checkText("content.template.params", p, MaxParamLength, true); err != nil {
			return err
		}
	}
	if len(t.Header) > 1 {
		return FieldErrorf(CodeInvalidRequest, "content.template.header", "a template header takes at most one text parameter")
	}
	for _, p := range t.Header {
		if err := checkText("content.template.header", p, MaxHeaderLength, true); err != nil {
			return err
		}
	}
	if len(t.Buttons) > 10 {
		return FieldErrorf(CodeInvalidRequest, "content.template.buttons", "a template has at most 10 buttons")
	}
	seen := map[int]bool{}
	for _, b := range t.Buttons {
		ok := false
		for _, k := range TemplateButtonTypes {
			ok = ok || b.Type == k
		}
		switch {
		case !ok:
			return FieldErrorf(CodeInvalidRequest, "content.template.buttons.type", "a template button is %s", strings.Join(TemplateButtonTypes, ", "))
		case b.Index < 0 || b.Index > 9 || seen[b.Index]:
			return FieldErrorf(CodeInvalidRequest, "content.template.buttons.index", "button indexes are 0 to 9, each at most once")
		}
		seen[b.Index] = true
		if err := checkText("content.template.buttons.value", b.Value, MaxParamLength, true); err != nil {
			return err
		}
	}
	return nil
}

func validLanguage(s string) bool {
	if len(s) < 2 || len(s) > 12 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z' && i > 2:
		case (r == '_' || r == '-') && i >= 2:
		default:
			return false
		}
	}
	return true
}

func (m *Media) validate() error {
	ok := false
	for _, t := range MediaTypes {
		ok = ok || m.Type == t
	}
	if !ok {
		return FieldErrorf(CodeInvalidRequest, "content.media.type", "media type must be one of %s", strings.Join(MediaTypes, ", "))
	}
	switch {
	case m.URL == "" && m.ID == "":
		return FieldErrorf(CodeMissingField, "content.media.url", "media needs a url or an id")
	case m.URL != "" && m.ID != "":
		return FieldErrorf(CodeInvalidRequest, "content.media", "media takes a url or an id, not both")
	case m.URL != "":
		u, err := url.Parse(m.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(m.URL) > 2048 {
			return FieldErrorf(CodeInvalidRequest, "content.media.url", "media url must be an absolute http(s) URL of at most 2048 bytes")
		}
	default:
		if err := checkText("content.media.id", m.ID, MaxIDLength, true); err != nil {
			return err
		}
	}
	if err := checkText("content.media.caption", m.Caption, MaxCaptionLength, false); err != nil {
		return err
	}
	if m.Caption != "" && m.Type == "audio" {
		return FieldErrorf(CodeInvalidRequest, "content.media.caption", "audio cannot have a caption")
	}
	return checkText("content.media.filename", m.Filename, 240, false)
}

func (in *Interactive) validate() error {
	if err := checkText("content.interactive.body", in.Body, MaxInteractiveBody, true); err != nil {
		return err
	}
	if err := checkText("content.interactive.header", in.Header, MaxHeaderLength, false); err != nil {
		return err
	}
	if err := checkText("content.interactive.footer", in.Footer, MaxHeaderLength, false); err != nil {
		return err
	}
	switch in.Type {
	case "button":
		if in.List != nil {
			return FieldErrorf(CodeInvalidRequest, "content.interactive.list", "a button message has no list")
		}
		if len(in.Buttons) == 0 || len(in.Buttons) > MaxButtons {
			return FieldErrorf(CodeInvalidRequest, "content.interactive.buttons", "a button message has 1 to %d buttons", MaxButtons)
		}
		ids := map[string]bool{}
		for _, b := range in.Buttons {
			if err := checkChoice("content.interactive.buttons", b.ID, b.Title, MaxButtonTitle, ids); err != nil {
				return err
			}
		}
	case "list":
		if len(in.Buttons) > 0 {
			return FieldErrorf(CodeInvalidRequest, "content.interactive.buttons", "a list message has no buttons")
		}
		if in.List == nil {
			return FieldErrorf(CodeMissingField, "content.interactive.list", "a list message needs a list")
		}
		if err := checkText("content.interactive.list.button", in.List.Button, MaxButtonTitle, true); err != nil {
			return err
		}
		if len(in.List.Sections) == 0 || len(in.List.Sections) > MaxListRows {
			return FieldErrorf(CodeInvalidRequest, "content.interactive.list.sections", "a list has 1 to %d sections", MaxListRows)
		}
		rows, ids := 0, map[string]bool{}
		for _, s := range in.List.Sections {
			if err := checkText("content.interactive.list.sections.title", s.Title, MaxListRowTitle, len(in.List.Sections) > 1); err != nil {
				return err
			}
			if len(s.Rows) == 0 {
				return FieldErrorf(CodeInvalidRequest, "content.interactive.list.sections.rows", "every section has at least one row")
			}
			for _, r := range s.Rows {
				rows++
				if err := checkChoice("content.interactive.list.sections.rows", r.ID, r.Title, MaxListRowTitle, ids); err != nil {
					return err
				}
				if err := checkText("content.interactive.list.sections.rows.description", r.Description, MaxListRowDescr, false); err != nil {
					return err
				}
			}
		}
		if rows > MaxListRows {
			return FieldErrorf(CodeInvalidRequest, "content.interactive.list.sections", "a list has at most %d rows in all", MaxListRows)
		}
	default:
		return FieldErrorf(CodeInvalidRequest, "content.interactive.type", "interactive type must be button or list")
	}
	return nil
}

func checkChoice(field, id, title string, maxTitle int, seen map[string]bool) error {
	if err := checkText(field+".id", id, MaxIDLength, true); err != nil {
		return err
	}
	if seen[id] {
		return FieldErrorf(CodeInvalidRequest, field+".id", "ids must be unique, %q repeats", id)
	}
	seen[id] = true
	return checkText(field+".title", title, maxTitle, true)
}

// checkText checks that s is valid UTF-8 of at most max characters and, if
// required, not blank.
func checkText(field, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return FieldErrorf(CodeInvalidRequest, field, "must be valid UTF-8")
	}
	if required && strings.TrimSpace(s) == "" {
		if s == "" {
			return FieldErrorf(CodeMissingField, field, "is required")
		}
		return FieldErrorf(CodeInvalidRequest, field, "must not be blank")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return FieldErrorf(CodeInvalidRequest, field, "is %d characters long, the limit is %d", n, max)
	}
	return nil
}

// RenderParams replaces {{1}}, {{2}} ... in text with params, the way
// WhatsApp fills a template's body; placeholders without a parameter stay.
func RenderParams(text string, params []string) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	for i := len(params); i >= 1; i-- { // {{10}} before {{1}}
		text = strings.ReplaceAll(text, "{{"+strconv.Itoa(i)+"}}", params[i-1])
	}
	return text
}
