package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour"
)

// maxResponse bounds how much of a Graph API response is read.
const maxResponse = 1 << 20

// Client sends messages through the Cloud API. It is safe for concurrent
// use.
type Client struct {
	cfg     Config
	base    string // BaseURL + "/" + Version
	secrets []string
}

// NewClient returns a client for cfg (defaults applied, then validated).
func NewClient(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/") + "/" + cfg.Version}
	for _, s := range []detour.Secret{cfg.Token, cfg.AppSecret, cfg.VerifyToken} {
		c.secrets = append(c.secrets, s.Reveal())
	}
	return c, nil
}

// Numbers returns the configured business numbers, defaults applied.
func (c *Client) Numbers() []Number { return append([]Number(nil), c.cfg.Numbers...) }

// Send sends s from the business number phoneNumberID and returns the
// classified outcome. It is Submit without the verdict.
func (c *Client) Send(ctx context.Context, phoneNumberID string, s *detour.Send) detour.Outcome {
	out, _ := c.Submit(ctx, phoneNumberID, s)
	return out
}

// Submit sends s from the business number phoneNumberID. The outcome is
// Accepted with the wamid as ProviderID, or Retryable/Permanent with a
// reason; the verdict adds what the answer means for the number itself
// (RouteUnusable, SlowDown). The request carries the attempt id as
// biz_opaque_callback_data, so status webhooks name the attempt.
func (c *Client) Submit(ctx context.Context, phoneNumberID string, s *detour.Send) (detour.Outcome, Verdict) {
	route, ok := routeOf(c.cfg.Numbers, phoneNumberID)
	if !ok {
		route = s.Route
	}
	if !digitsRe.MatchString(phoneNumberID) {
		// Not a Meta id: the URL would be wrong, and it is ours to fix.
		v := Verdict{Result: detour.Permanent, Reason: detour.ReasonRejected, RouteUnusable: true}
		return v.Outcome(route, "phone number id must be numeric"), v
	}
	body, err := buildRequest(s)
	if err != nil {
		var v Verdict
		if errors.Is(err, errRecipient) {
			v = Verdict{Result: detour.Permanent, Reason: detour.ReasonInvalidRecipient}
		} else {
			v = Verdict{Result: detour.Permanent, Reason: detour.ReasonContentUnsupported}
		}
		return v.Outcome(route, err.Error()), v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+phoneNumberID+"/messages", bytes.NewReader(body))
	if err != nil {
		v := unusable
		return v.Outcome(route, c.scrub("building the request: "+err.Error())), v
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		v := transportVerdict(ctx, err)
		detail := c.scrub(transportDetail(err))
		c.log(ctx, "whatsapp send failed", route, s, v, detail)
		return v.Outcome(route, detail), v
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		v := transportVerdict(ctx, err)
		detail := c.scrub(fmt.Sprintf("reading the HTTP %d answer: %s", resp.StatusCode, transportDetail(err)))
		if resp.StatusCode/100 == 2 {
			v = providerError // Meta may have taken it
		}
		c.log(ctx, "whatsapp send failed", route, s, v, detail)
		return v.Outcome(route, detail), v
	}

	if resp.StatusCode/100 == 2 {
		if id := wamid(raw); id != "" {
			return detour.AcceptedOutcome(route, id), Verdict{Result: detour.Accepted}
		}
		v := providerError
		detail := fmt.Sprintf("HTTP %d without a message id", resp.StatusCode)
		c.log(ctx, "whatsapp send failed", route, s, v, detail)
		return v.Outcome(route, detail), v
	}

	gerr := parseGraphError(raw)
	v := Classify(resp.StatusCode, gerr)
	var detail string
	if gerr != nil {
		detail = gerr.detail(resp.StatusCode)
	} else {
		detail = fmt.Sprintf("HTTP %d without a Graph error object", resp.StatusCode)
	}
	detail = c.scrub(truncate(detail, 512))
	out := v.Outcome(route, detail)
	if v.Result == detour.Retryable {
		out.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.cfg.Clock.Now())
	}
	c.log(ctx, "whatsapp send refused", route, s, v, detail)
	return out, v
}

// wamid returns messages[0].id of a send response, "" if there is none.
func wamid(raw []byte) string {
	var r struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if json.Unmarshal(raw, &r) != nil || len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[0].ID
}

func transportVerdict(ctx context.Context, err error) Verdict {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), ctx.Err() != nil:
		return timedOut
	case errors.As(err, &ne) && ne.Timeout():
		return timedOut
	}
	return unreachable
}

// transportDetail describes a transport error without the request URL
// (which names the phone number id but nothing secret; it is dropped to
// keep details short).
func transportDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), time.Hour)
	}
	return 0
}

// scrub removes every configured secret from s. Graph errors do not echo
// tokens, but a proxy or a misconfigured base URL might; nothing this
// package returns or logs may carry one.
func (c *Client) scrub(s string) string {
	for _, sec := range c.secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func (c *Client) log(ctx context.Context, msg, route string, s *detour.Send, v Verdict, detail string) {
	c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, msg,
		slog.String("route", route), slog.String("attempt", s.AttemptID),
		slog.String("result", v.Result.String()), slog.String("reason", string(v.Reason)),
		slog.Bool("route_unusable", v.RouteUnusable), slog.String("detail", detail))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
