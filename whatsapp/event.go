package whatsapp

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// Channel is the channel name on receipts and inbound messages.
const Channel = "whatsapp"

// Events is what one webhook payload carries, in payload order: every
// entry and every change is read. Statuses and messages of business
// numbers that are not configured are left out and counted in Foreign.
type Events struct {
	Statuses []StatusEvent
	Messages []MessageEvent
	Foreign  int
}

// StatusEvent is one entry of value.statuses[]: a receipt for a message
// we sent.
type StatusEvent struct {
	Receipt       detour.Receipt
	CallbackData  string // biz_opaque_callback_data: the attempt id the send carried
	RecipientID   string // the recipient's WhatsApp id (digits)
	PhoneNumberID string // metadata.phone_number_id
	ErrorCode     int    // errors[0].code of a failed status, 0 if none
}

// MessageEvent is one entry of value.messages[]: a message a user sent to
// one of our numbers. Inbound.ID is left empty for the store to assign.
type MessageEvent struct {
	Inbound       detour.Inbound
	Type          string // text, image, audio, video, document, sticker, reaction, button, interactive, location, contacts, order, unsupported
	ContextID     string // context.id: the wamid of our message this one answers, if any
	ReplyID       string // button payload, button_reply.id or list_reply.id
	MediaID       string // the media id of image, audio, video, document and sticker messages
	PhoneNumberID string
}

// The webhook payload after the spec's WebhookPayload, Entry, Change,
// Metadata, StatusMessageValue/Statuses and IncomingMessage schemas. Only
// the fields we read are declared; the rest is ignored.
type payload struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Metadata struct {
					DisplayPhoneNumber string `json:"display_phone_number"`
					PhoneNumberID      string `json:"phone_number_id"`
				} `json:"metadata"`
				Statuses []wireStatus  `json:"statuses"`
				Messages []wireMessage `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type wireStatus struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Timestamp    string `json:"timestamp"`
	RecipientID  string `json:"recipient_id"`
	CallbackData string `json:"biz_opaque_callback_data"`
	Errors       []struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"errors"`
}

type wireMedia struct {
	ID       string `json:"id"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type wireMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Context   *struct {
		ID string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *wireMedia `json:"image"`
	Audio    *wireMedia `json:"audio"`
	Video    *wireMedia `json:"video"`
	Document *wireMedia `json:"document"`
	Sticker  *wireMedia `json:"sticker"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Location *struct {
		Latitude  coord  `json:"latitude"`
		Longitude coord  `json:"longitude"`
		Name      string `json:"name"`
	} `json:"location"`
}

// ErrMalformed is returned for a body that is not a webhook payload.
var ErrMalformed = errors.New("whatsapp: malformed webhook payload")

// ParseWebhook reads a webhook body (already authenticated) into events.
// route maps a metadata.phone_number_id to its route name and reports
// whether the number is ours. Payloads for other objects than
// whatsapp_business_account, other change fields, unknown statuses and
// unknown message types yield no events; they are not errors. now stamps
// events without a usable timestamp.
func ParseWebhook(body []byte, route func(phoneNumberID string) (string, bool), now time.Time) (*Events, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		// A field of an unexpected JSON type is skipped and the rest
		// decoded; only a body that is not JSON at all is refused.
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return nil, ErrMalformed
		}
	}
	ev := &Events{}
	if p.Object != "whatsapp_business_account" {
		return ev, nil
	}
	for _, e := range p.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" {
				continue
			}
			v := &ch.Value
			if len(v.Statuses) == 0 && len(v.Messages) == 0 {
				continue
			}
			name, ok := route(v.Metadata.PhoneNumberID)
			if !ok {
				ev.Foreign += len(v.Statuses) + len(v.Messages)
				continue
			}
			for i := range v.Statuses {
				if s, ok := statusEvent(&v.Statuses[i], name, v.Metadata.PhoneNumberID, now); ok {
					ev.Statuses = append(ev.Statuses, s)
				}
			}
			to := e164(v.Metadata.DisplayPhoneNumber)
			for i := range v.Messages {
				if m, ok := messageEvent(&v.Messages[i], name, v.Metadata.PhoneNumberID, to, now); ok {
					ev.Messages = append(ev.Messages, m)
				}
			}
		}
	}
	return ev, nil
}

var statuses = map[string]detour.AttemptStatus{
	"sent":      detour.AttemptSent,
	"delivered": detour.AttemptDelivered,
	"read":      detour.AttemptRead,
	"failed":    detour.AttemptFailed,
}

func statusEvent(w *wireStatus, route, pnid string, now time.Time) (StatusEvent, bool) {
	st, ok := statuses[w.Status]
	if !ok || w.ID == "" {
		return StatusEvent{}, false
	}
	ev := StatusEvent{
		Receipt: detour.Receipt{
			Channel:    Channel,
			Route:      route,
			ProviderID: w.ID,
			Status:     st,
			At:         unixTime(w.Timestamp, now),
		},
		CallbackData:  w.CallbackData,
		RecipientID:   w.RecipientID,
		PhoneNumberID: pnid,
	}
	if st == detour.AttemptFailed {
		ev.Receipt.Reason = detour.ReasonUndeliverable
		if len(w.Errors) > 0 {
			e := &w.Errors[0]
			ev.ErrorCode = e.Code
			ev.Receipt.Reason = ReceiptReason(e.Code)
			detail := strconv.Itoa(e.Code)
			for _, s := range []string{e.Title, e.ErrorData.Details} {
				if s != "" {
					detail += ": " + s
				}
			}
			ev.Receipt.Detail = truncate(detail, 512)
		}
	}
	return ev, true
}

func messageEvent(w *wireMessage, route, pnid, to string, now time.Time) (MessageEvent, bool) {
	if w.ID == "" || w.From == "" {
		return MessageEvent{}, false
	}
	ev := MessageEvent{Type: w.Type, PhoneNumberID: pnid}
	if w.Context != nil {
		ev.ContextID = w.Context.ID
	}
	var text string
	media := func(m *wireMedia) {
		if m == nil {
			text = "[" + w.Type + "]"
			return
		}
		ev.MediaID = m.ID
		text = m.Caption
		if text == "" {
			text = "[" + w.Type + "]"
		}
	}
	switch w.Type {
	case "text":
		if w.Text != nil {
			text = w.Text.Body
		}
	case "image":
		media(w.Image)
	case "video":
		media(w.Video)
	case "audio":
		media(w.Audio)
	case "document":
		media(w.Document)
	case "sticker":
		media(w.Sticker)
	case "reaction":
		if w.Reaction != nil {
			text = w.Reaction.Emoji
			if ev.ContextID == "" {
				ev.ContextID = w.Reaction.MessageID
			}
		}
	case "button":
		if w.Button != nil {
			text, ev.ReplyID = w.Button.Text, w.Button.Payload
		}
	case "interactive":
		if w.Interactive == nil {
			return MessageEvent{}, false
		}
		switch {
		case w.Interactive.ButtonReply != nil:
			text, ev.ReplyID = w.Interactive.ButtonReply.Title, w.Interactive.ButtonReply.ID
		case w.Interactive.ListReply != nil:
			text, ev.ReplyID = w.Interactive.ListReply.Title, w.Interactive.ListReply.ID
		default:
			return MessageEvent{}, false // nfm_reply and replies we do not know
		}
	case "location":
		if w.Location != nil {
			text = strings.TrimSpace(string(w.Location.Latitude) + "," + string(w.Location.Longitude) + " " + w.Location.Name)
		}
	case "contacts", "order":
		text = "[" + w.Type + "]"
	case "unsupported", "unknown":
		text = "[unsupported]"
	default:
		return MessageEvent{}, false // system messages and types we do not know
	}
	ev.Inbound = detour.Inbound{
		Channel:    Channel,
		Route:      route,
		ProviderID: w.ID,
		From:       e164(w.From),
		To:         to,
		Text:       text,
		ReceivedAt: unixTime(w.Timestamp, now),
	}
	return ev, true
}

// e164 turns Meta's digits ("16505551234") into "+16505551234". Anything
// but digits (a formatted display number) is dropped.
func e164(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 1)
	b.WriteByte('+')
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	if b.Len() == 1 {
		return ""
	}
	return b.String()
}

// unixTime reads Meta's timestamps: Unix seconds as a string.
func unixTime(s string, now time.Time) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return now
	}
	return time.Unix(n, 0).UTC()
}

// coord is a latitude or longitude: a JSON number in webhooks (the spec's
// LocationMessage of IncomingMessage), a string in the send schema. Either
// is taken; anything else is empty, never an error.
type coord string

func (c *coord) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		*c = ""
		return nil
	}
	*c = coord(s)
	return nil
}
