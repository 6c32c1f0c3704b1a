// Package client is a Go client for Detour's HTTP API v1. Its results are
// the API's own wire types (package api), and errors from the server are
// *Error values carrying the problem+json body.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
)

// Client calls one Detour server with one API key. It is safe for
// concurrent use.
type Client struct {
	base string
	key  string
	http *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through h (for
// timeouts, TLS settings, proxies or tests).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.http = h }
}

// defaultHTTP keeps enough idle connections for many concurrent senders
// and bounds every call.
var defaultHTTP = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}()

// New returns a client for the server at baseURL (such as
// "http://127.0.0.1:8080") that authenticates with apiKey.
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: apiKey, http: defaultHTTP}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Send asks the server to send a message. With a non-empty idempotencyKey,
// repeating the call (after a timeout, say) returns the first message
// instead of sending a second one.
func (c *Client) Send(ctx context.Context, req *detour.SendRequest, idempotencyKey string) (*api.Message, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("detour client: encoding the request: %w", err)
	}
	var h http.Header
	if idempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	var m api.Message
	if err := c.do(ctx, http.MethodPost, "/v1/messages", body, h, http.StatusAccepted, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Message returns one message with its attempt trail.
func (c *Client) Message(ctx context.Context, id string) (*api.Message, error) {
	var m api.Message
	if err := c.do(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id), nil, nil, http.StatusOK, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// ListOptions filters and pages a listing. Zero values mean no filter and
// the server's default page size.
type ListOptions struct {
	Status        string    // only this status
	To            string    // only to this E.164 number
	ClientRef     string    // only with this client_ref
	CreatedAfter  time.Time // created at or after
	CreatedBefore time.Time // created before
	Limit         int       // messages per page, 1 to 500
	Cursor        string    // NextCursor of the previous page
}

// query encodes the options as query parameters.
func (o ListOptions) query() string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("status", o.Status)
	set("to", o.To)
	set("client_ref", o.ClientRef)
	if !o.CreatedAfter.IsZero() {
		set("created_after", o.CreatedAfter.UTC().Format(time.RFC3339Nano))
	}
	if !o.CreatedBefore.IsZero() {
		set("created_before", o.CreatedBefore.UTC().Format(time.RFC3339Nano))
	}
	if o.Limit != 0 {
		set("limit", strconv.Itoa(o.Limit))
	}
	set("cursor", o.Cursor)
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Messages lists messages, newest first, one page at a time: pass the
// page's NextCursor as opts.Cursor to get the next one.
func (c *Client) Messages(ctx context.Context, opts ListOptions) (*api.MessageList, error) {
	var l api.MessageList
	if err := c.do(ctx, http.MethodGet, "/v1/messages"+opts.query(), nil, nil, http.StatusOK, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Cancel stops a message that has not reached a final status.
func (c *Client) Cancel(ctx context.Context, id string) (*api.Message, error) {
	var m api.Message
	if err := c.do(ctx, http.MethodPost, "/v1/messages/"+url.PathEscape(id)+"/cancel", nil, nil, http.StatusOK, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Health returns nil when the server answers its liveness check.
func (c *Client) Health(ctx context.Context) error {
	var h api.Health
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, http.StatusOK, &h)
}

// maxResponse bounds how much of a response the client reads.
const maxResponse = 32 << 20

// do sends one request and decodes a want-status answer into out; any
// other status becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, body []byte, h http.Header, want int, out any) error {
	_, err := c.call(ctx, method, path, body, h, out, want)
	return err
}

// call sends one request and decodes an answer with one of the wanted
// statuses into out, returning the status; any other status becomes an
// *Error.
func (c *Client) call(ctx context.Context, method, path string, body []byte, h http.Header, out any, want ...int) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("detour client: %w", err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("detour client: %s %s: %w", method, path, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // keep the connection reusable
		res.Body.Close()
	}()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return 0, fmt.Errorf("detour client: %s %s: reading the answer: %w", method, path, err)
	}
	if !slices.Contains(want, res.StatusCode) {
		return res.StatusCode, errorFrom(res, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return res.StatusCode, fmt.Errorf("detour client: %s %s: decoding the answer: %w", method, path, err)
	}
	return res.StatusCode, nil
}
