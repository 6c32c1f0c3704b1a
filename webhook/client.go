package webhook

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
	"unicode/utf8"
)

// Config sets up a Client. Zero fields take the defaults below.
type Config struct {
	// Timeout bounds one delivery: connecting, sending, and reading the
	// answer. Default 10 s.
	Timeout time.Duration
	// MaxResponseBytes is how much of a receiver's response body is read;
	// past it the body is dropped with its connection. Default 64 KiB.
	MaxResponseBytes int64
	// AllowPrivateNetworks lets webhooks reach loopback, private,
	// link-local and other special addresses (webhooks.allow_private_networks).
	AllowPrivateNetworks bool
	// UserAgent is sent with every delivery. Default "Detour-Webhooks/1".
	UserAgent string
}

// Defaults.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	DefaultUserAgent        = "Detour-Webhooks/1"
	// SnippetBytes is the most of a response body a Result keeps.
	SnippetBytes = 1 << 10
)

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	return c
}

// Client delivers webhooks. It never follows redirects, uses no proxy, and
// unless private networks are allowed checks every address it connects to
// (after DNS, so a name that changes what it resolves to cannot slip
// through). It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config) *Client {
	cfg = cfg.withDefaults()
	d := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivateNetworks {
		d.Control = controlDial
	}
	t := &http.Transport{
		Proxy:                  nil, // a proxy would connect for us, past the check
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    64, // a busy receiver takes many deliveries at once: keep their connections
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    cfg.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Client{cfg: cfg, http: &http.Client{
		Transport: t,
		// A redirect is an answer, not a success: following it would send
		// the signed event somewhere the tenant did not register, perhaps
		// to a private address.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// controlDial runs after DNS, right before each connection, on the address
// actually dialed.
func controlDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Why: "unparsable"}
	}
	if why := refused(ap.Addr()); why != "" {
		return &BlockedError{Addr: ap.Addr().Unmap(), Why: why}
	}
	return nil
}

// Close drops the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Deliver posts one signed event to endpointURL and says what came of it.
// body is sent as application/json and signed with every secret (two
// during a rotation); id is the event id, the same on every retry; ts is
// this attempt's time. It never returns an error: every failure is a
// Result, classified by classify.
func (c *Client) Deliver(ctx context.Context, endpointURL string, secrets [][]byte, id string, ts time.Time, body []byte) Result {
	u, err := parseURL(endpointURL)
	if err != nil {
		return Result{Outcome: Retry, Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Result{Outcome: Retry, Error: "the request could not be built"}
	}
	req.Header = Headers(secrets, id, ts, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)

	start := time.Now()
	resp, err := c.http.Do(req)
	var snippet []byte
	status := 0
	if err == nil {
		status = resp.StatusCode
		snippet = c.readBody(resp.Body)
		resp.Body.Close()
	}
	r := classify(ctx, status, err)
	r.Latency = time.Since(start)
	r.ResponseSnippet = toSnippet(snippet)
	return r
}

// readBody reads at most MaxResponseBytes of body, so that a short answer
// leaves its connection reusable, and keeps the first SnippetBytes.
func (c *Client) readBody(body io.Reader) []byte {
	var keep bytes.Buffer
	lim := io.LimitReader(body, c.cfg.MaxResponseBytes)
	_, _ = io.CopyN(&keep, lim, SnippetBytes)
	_, _ = io.Copy(io.Discard, lim) // a read error (timeout, reset) does not change the answer
	return keep.Bytes()
}

// toSnippet returns b as valid UTF-8, at most SnippetBytes long.
func toSnippet(b []byte) string {
	if len(b) > SnippetBytes {
		b = b[:SnippetBytes]
	}
	return string(bytes.ToValidUTF8(bytes.TrimRightFunc(b, func(r rune) bool { return r == utf8.RuneError }), []byte("\uFFFD")))
}
