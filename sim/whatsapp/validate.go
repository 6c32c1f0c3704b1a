package wasim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The request body of sendMessage, after the spec's Message schema
// (BaseMessageProperties and one of TextMessage, TemplateMessage,
// ImageMessage, ..., InteractiveMessage) and its nested objects. Fields
// that are not declared are ignored, as Graph ignores them (the spec's
// additionalProperties: false sits inside allOf branches that would then
// refuse every base property, so it cannot be meant literally).
type sendRequest struct {
	MessagingProduct      string  `json:"messaging_product"`
	RecipientType         *string `json:"recipient_type"`
	To                    string  `json:"to"`
	Type                  string  `json:"type"`
	BizOpaqueCallbackData string  `json:"biz_opaque_callback_data"`
	Context               *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	Text *struct {
		Body       *string `json:"body"`
		PreviewURL bool    `json:"preview_url"`
	} `json:"text"`
	Template *template `json:"template"`
	Image    *media    `json:"image"`
	Video    *media    `json:"video"`
	Audio    *media    `json:"audio"`
	Document *media    `json:"document"`
	Sticker  *media    `json:"sticker"`
	Location *struct {
		Latitude  json.RawMessage `json:"latitude"`
		Longitude json.RawMessage `json:"longitude"`
		Name      string          `json:"name"`
		Address   string          `json:"address"`
	} `json:"location"`
	Reaction *struct {
		MessageID string  `json:"message_id"`
		Emoji     *string `json:"emoji"`
	} `json:"reaction"`
	Contacts    []json.RawMessage `json:"contacts"`
	Interactive *interactive      `json:"interactive"`
}

type media struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type template struct {
	Name     string `json:"name"`
	Language *struct {
		Code   string  `json:"code"`
		Policy *string `json:"policy"`
	} `json:"language"`
	Components []struct {
		Type       string      `json:"type"`
		SubType    string      `json:"sub_type"`
		Index      json.Number `json:"index"`
		Parameters []parameter `json:"parameters"`
	} `json:"components"`
}

type parameter struct {
	Type     string  `json:"type"`
	Text     *string `json:"text"`
	Payload  *string `json:"payload"`
	Currency *struct {
		FallbackValue *string `json:"fallback_value"`
		Code          string  `json:"code"`
		Amount1000    *int64  `json:"amount_1000"`
	} `json:"currency"`
	DateTime *struct {
		FallbackValue *string `json:"fallback_value"`
	} `json:"date_time"`
	Image    *media `json:"image"`
	Video    *media `json:"video"`
	Document *media `json:"document"`
}

type interactive struct {
	Type   string `json:"type"`
	Header *struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Image    *media `json:"image"`
		Video    *media `json:"video"`
		Document *media `json:"document"`
	} `json:"header"`
	Body *struct {
		Text string `json:"text"`
	} `json:"body"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Action *struct {
		Button  string `json:"button"`
		Buttons []struct {
			Type  string `json:"type"`
			Reply *struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"reply"`
		} `json:"buttons"`
		Sections []struct {
			Title string `json:"title"`
			Rows  []struct {
				ID          string `json:"id"`
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"rows"`
			ProductItems []json.RawMessage `json:"product_items"`
		} `json:"sections"`
		Name      string `json:"name"`
		CatalogID string `json:"catalog_id"`
	} `json:"action"`
}

// Limits from the spec (maxLength, minItems, maxItems) unless noted.
const (
	maxTextBody     = 4096 // Meta's send-message docs; the spec gives none
	maxCaption      = 1024 // MediaObject_1.caption
	maxTemplateText = 32768
	maxButtonTitle  = 20
	maxButtonID     = 256
	maxHeaderText   = 60
	maxBodyText     = 1024
	maxFooterText   = 60
	maxListButton   = 20
	maxSections     = 10
	maxRows         = 10 // per section in the spec; Meta's docs cap all sections together at 10 too
	maxRowID        = 200
	maxRowTitle     = 24
	maxRowDesc      = 72
	maxSectionTitle = 24
	maxCallbackData = 512 // Meta's docs; not in the v23.0 message schemas
	maxContacts     = 5
	maxTemplateName = 512 // Meta's docs
)

// messageTypes are the values of type the spec's Message discriminator
// maps.
var messageTypes = []string{"audio", "contacts", "document", "image", "interactive", "location", "reaction", "sticker", "template", "text", "video"}

// decodeSend reads and checks a send body. The returned error is the
// details of a code 100 answer.
func decodeSend(body []byte) (*sendRequest, error) {
	var r sendRequest
	if err := json.Unmarshal(body, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("Param %s must be of type %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return nil, errors.New("The request body is not valid JSON")
	}
	return &r, checkSend(&r)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "struct", "map", "ptr":
		return "object"
	case "slice":
		return "array"
	case "bool":
		return "boolean"
	}
	return "number"
}

func required(name string) error { return fmt.Errorf("The parameter %s is required.", name) }

func tooLong(name string, n int) error {
	return fmt.Errorf("Param %s must be at most %d characters long.", name, n)
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func checkSend(r *sendRequest) error {
	switch {
	case r.MessagingProduct == "":
		return required("messaging_product")
	case r.MessagingProduct != "whatsapp":
		return errors.New("Param messaging_product must be 'whatsapp'")
	case r.RecipientType != nil && *r.RecipientType != "individual" && *r.RecipientType != "group":
		return errors.New("Param recipient_type must be one of {INDIVIDUAL, GROUP}")
	case r.To == "":
		return required("to")
	case runes(r.BizOpaqueCallbackData) > maxCallbackData:
		return tooLong("biz_opaque_callback_data", maxCallbackData)
	}
	if r.RecipientType == nil || *r.RecipientType == "individual" {
		if _, ok := recipientDigits(r.To); !ok {
			return errors.New("Param to must be a phone number: digits with an optional leading +")
		}
	}
	if r.Type == "" {
		r.Type = "text" // Graph's default type
	}
	switch r.Type {
	case "text":
		return checkText(r)
	case "template":
		return checkTemplate(r.Template)
	case "image", "video", "document", "sticker":
		return checkMedia(r.Type, mediaOf(r), true)
	case "audio":
		return checkMedia("audio", r.Audio, false)
	case "interactive":
		return checkInteractive(r.Interactive)
	case "location":
		l := r.Location
		switch {
		case l == nil:
			return required("location")
		case len(l.Latitude) == 0:
			return required("location['latitude']")
		case len(l.Longitude) == 0:
			return required("location['longitude']")
		}
		return nil
	case "reaction":
		switch {
		case r.Reaction == nil:
			return required("reaction")
		case r.Reaction.MessageID == "":
			return required("reaction['message_id']")
		case r.Reaction.Emoji == nil:
			return required("reaction['emoji']")
		}
		return nil
	case "contacts":
		if len(r.Contacts) < 1 || len(r.Contacts) > maxContacts {
			return fmt.Errorf("Param contacts must have between 1 and %d elements", maxContacts)
		}
		return nil
	}
	return fmt.Errorf("Param type must be one of {%s} - got %q.", strings.ToUpper(strings.Join(messageTypes, ", ")), r.Type)
}

func mediaOf(r *sendRequest) *media {
	switch r.Type {
	case "image":
		return r.Image
	case "video":
		return r.Video
	case "document":
		return r.Document
	case "sticker":
		return r.Sticker
	}
	return nil
}

func checkText(r *sendRequest) error {
	switch {
	case r.Text == nil:
		return required("text")
	case r.Text.Body == nil || *r.Text.Body == "":
		return required("text['body']")
	case runes(*r.Text.Body) > maxTextBody:
		return tooLong("text['body']", maxTextBody)
	}
	return nil
}

// checkMedia checks a MediaObject: exactly one of id and link (oneOf),
// the link an http(s) URL, the caption within MediaObject_1's limit.
func checkMedia(name string, m *media, caption bool) error {
	if m == nil {
		return required(name)
	}
	switch {
	case m.ID == "" && m.Link == "":
		return fmt.Errorf("Param %s must have either 'id' or 'link'", name)
	case m.ID != "" && m.Link != "":
		return fmt.Errorf("Param %s must have only one of 'id' and 'link'", name)
	case m.Link != "" && !httpURL(m.Link):
		return fmt.Errorf("Param %s['link'] must be an http(s) URL", name)
	case m.Caption != "" && !caption:
		return fmt.Errorf("Param %s['caption'] is not supported for %s", name, name)
	case runes(m.Caption) > maxCaption:
		return tooLong(name+"['caption']", maxCaption)
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func checkTemplate(t *template) error {
	switch {
	case t == nil:
		return required("template")
	case t.Name == "":
		return required("template['name']")
	case runes(t.Name) > maxTemplateName:
		return tooLong("template['name']", maxTemplateName)
	case t.Language == nil:
		return required("template['language']")
	case t.Language.Code == "":
		return required("template['language']['code']")
	case t.Language.Policy != nil && *t.Language.Policy != "deterministic":
		return errors.New("Param template['language']['policy'] must be 'deterministic'")
	}
	for i, c := range t.Components {
		name := fmt.Sprintf("template['components'][%d]", i)
		switch strings.ToLower(c.Type) {
		case "header", "body":
			if strings.EqualFold(c.Type, "header") && len(c.Parameters) == 0 {
				return fmt.Errorf("Param %s['parameters'] must have at least 1 element", name)
			}
			for j := range c.Parameters {
				if err := checkParameter(fmt.Sprintf("%s['parameters'][%d]", name, j), &c.Parameters[j]); err != nil {
					return err
				}
			}
		case "button":
			switch c.SubType {
			case "quick_reply", "url", "catalog":
			case "":
				return required(name + "['sub_type']")
			default:
				return fmt.Errorf("Param %s['sub_type'] must be one of {QUICK_REPLY, URL, CATALOG}", name)
			}
			// The spec's pattern ^[2-6, 11-14]$ is a character class;
			// its description says 0-9, which is what is checked.
			if idx := c.Index.String(); len(idx) != 1 || idx[0] < '0' || idx[0] > '9' {
				return fmt.Errorf("Param %s['index'] must be a position from 0 to 9", name)
			}
			if len(c.Parameters) == 0 {
				return fmt.Errorf("Param %s['parameters'] must have at least 1 element", name)
			}
			for j, p := range c.Parameters {
				pn := fmt.Sprintf("%s['parameters'][%d]", name, j)
				switch {
				case p.Type == "payload" && p.Payload == nil:
					return required(pn + "['payload']")
				case p.Type == "text" && p.Text == nil:
					return required(pn + "['text']")
				case p.Type != "payload" && p.Type != "text":
					return fmt.Errorf("Param %s['type'] must be one of {PAYLOAD, TEXT}", pn)
				}
			}
		case "":
			return required(name + "['type']")
		default:
			return fmt.Errorf("Param %s['type'] must be one of {HEADER, BODY, BUTTON}", name)
		}
	}
	return nil
}

func checkParameter(name string, p *parameter) error {
	switch p.Type {
	case "text":
		switch {
		case p.Text == nil:
			return required(name + "['text']")
		case runes(*p.Text) > maxTemplateText:
			return tooLong(name+"['text']", maxTemplateText)
		}
	case "currency":
		c := p.Currency
		switch {
		case c == nil:
			return required(name + "['currency']")
		case c.FallbackValue == nil:
			return required(name + "['currency']['fallback_value']")
		case c.Code == "":
			return required(name + "['currency']['code']")
		case c.Amount1000 == nil:
			return required(name + "['currency']['amount_1000']")
		}
	case "date_time":
		if p.DateTime == nil || p.DateTime.FallbackValue == nil {
			return required(name + "['date_time']['fallback_value']")
		}
	case "image":
		return checkMedia(name+"['image']", p.Image, true)
	case "video":
		return checkMedia(name+"['video']", p.Video, true)
	case "document":
		return checkMedia(name+"['document']", p.Document, true)
	case "":
		return required(name + "['type']")
	default:
		return fmt.Errorf("Param %s['type'] must be one of {CURRENCY, DATE_TIME, DOCUMENT, IMAGE, TEXT, VIDEO}", name)
	}
	return nil
}

func checkInteractive(in *interactive) error {
	if in == nil {
		return required("interactive")
	}
	if in.Action == nil {
		return required("interactive['action']")
	}
	if h := in.Header; h != nil {
		switch h.Type {
		case "text":
			if h.Text == "" {
				return required("interactive['header']['text']")
			}
			if runes(h.Text) > maxHeaderText {
				return tooLong("interactive['header']['text']", maxHeaderText)
			}
		case "image":
			if err := checkMedia("interactive['header']['image']", h.Image, false); err != nil {
				return err
			}
		case "video":
			if err := checkMedia("interactive['header']['video']", h.Video, false); err != nil {
				return err
			}
		case "document":
			if err := checkMedia("interactive['header']['document']", h.Document, false); err != nil {
				return err
			}
		case "":
			return required("interactive['header']['type']")
		default:
			return errors.New("Param interactive['header']['type'] must be one of {TEXT, VIDEO, IMAGE, DOCUMENT}")
		}
	}
	if f := in.Footer; f != nil && runes(f.Text) > maxFooterText {
		return tooLong("interactive['footer']['text']", maxFooterText)
	}
	needBody := in.Type != "product"
	if in.Body == nil || in.Body.Text == "" {
		if needBody {
			return required("interactive['body']['text']")
		}
	} else if runes(in.Body.Text) > maxBodyText {
		return tooLong("interactive['body']['text']", maxBodyText)
	}
	a := in.Action
	switch in.Type {
	case "button":
		if len(a.Buttons) < 1 || len(a.Buttons) > 3 {
			return errors.New("Param interactive['action']['buttons'] must have between 1 and 3 elements")
		}
		ids, titles := map[string]bool{}, map[string]bool{}
		for i, b := range a.Buttons {
			name := fmt.Sprintf("interactive['action']['buttons'][%d]", i)
			switch {
			case b.Type != "reply":
				return fmt.Errorf("Param %s['type'] must be 'reply'", name)
			case b.Reply == nil:
				return required(name + "['reply']")
			case b.Reply.ID == "":
				return required(name + "['reply']['id']")
			case runes(b.Reply.ID) > maxButtonID:
				return tooLong(name+"['reply']['id']", maxButtonID)
			case strings.TrimSpace(b.Reply.ID) != b.Reply.ID:
				return fmt.Errorf("Param %s['reply']['id'] must not have leading or trailing spaces", name)
			case b.Reply.Title == "":
				return required(name + "['reply']['title']")
			case runes(b.Reply.Title) > maxButtonTitle:
				return tooLong(name+"['reply']['title']", maxButtonTitle)
			case ids[b.Reply.ID] || titles[b.Reply.Title]:
				return fmt.Errorf("Param %s['reply']: button ids and titles must be unique", name)
			}
			ids[b.Reply.ID], titles[b.Reply.Title] = true, true
		}
	case "list":
		switch {
		case a.Button == "":
			return required("interactive['action']['button']")
		case runes(a.Button) > maxListButton:
			return tooLong("interactive['action']['button']", maxListButton)
		case len(a.Sections) < 1 || len(a.Sections) > maxSections:
			return fmt.Errorf("Param interactive['action']['sections'] must have between 1 and %d elements", maxSections)
		}
		rows, ids := 0, map[string]bool{}
		for i, s := range a.Sections {
			name := fmt.Sprintf("interactive['action']['sections'][%d]", i)
			switch {
			case len(a.Sections) > 1 && s.Title == "":
				return required(name + "['title']")
			case runes(s.Title) > maxSectionTitle:
				return tooLong(name+"['title']", maxSectionTitle)
			case len(s.Rows) == 0:
				return fmt.Errorf("Param %s['rows'] must have at least 1 element", name)
			}
			for j, row := range s.Rows {
				rn := fmt.Sprintf("%s['rows'][%d]", name, j)
				switch {
				case row.ID == "":
					return required(rn + "['id']")
				case runes(row.ID) > maxRowID:
					return tooLong(rn+"['id']", maxRowID)
				case ids[row.ID]:
					return fmt.Errorf("Param %s['id'] must be unique", rn)
				case row.Title == "":
					return required(rn + "['title']")
				case runes(row.Title) > maxRowTitle:
					return tooLong(rn+"['title']", maxRowTitle)
				case runes(row.Description) > maxRowDesc:
					return tooLong(rn+"['description']", maxRowDesc)
				}
				ids[row.ID] = true
			}
			rows += len(s.Rows)
		}
		if rows > maxRows {
			return fmt.Errorf("Param interactive['action']['sections'] must have at most %d rows in all", maxRows)
		}
	case "product", "product_list", "catalog_message", "flow", "call_permission_request":
		// Accepted with an action; their catalogs and flows are not
		// simulated.
	case "":
		return required("interactive['type']")
	default:
		return fmt.Errorf("Param interactive['type'] must be one of {BUTTON, CALL_PERMISSION_REQUEST, CATALOG_MESSAGE, LIST, PRODUCT, PRODUCT_LIST, FLOW} - got %q.", in.Type)
	}
	return nil
}

// recipientDigits reads a phone number recipient: digits, an optional
// leading +, and the spaces, dashes, dots and parentheses people write;
// 6 to 15 digits not starting with 0.
func recipientDigits(to string) (string, bool) {
	var b strings.Builder
	for i, c := range to {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 6 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return d, true
}
