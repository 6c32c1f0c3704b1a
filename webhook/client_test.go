package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// receiver is a real HTTP receiver on 127.0.0.1 that answers with h and
// counts the requests it got.
type receiver struct {
	*httptest.Server
	hits atomic.Int32
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		h(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c := NewClient(cfg)
	t.Cleanup(c.Close)
	return c
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

var testKey, _ = ParseSecret(vectorSecret)

func deliver(c *Client, url string) Result {
	return c.Deliver(context.Background(), url, [][]byte{testKey}, vectorID, time.Unix(vectorUnix, 0), []byte(vectorPayload))
}

func TestDeliverSendsSignedRequest(t *testing.T) {
	type seen struct {
		method, path, query string
		header              http.Header
		body                string
	}
	got := make(chan seen, 1)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header, string(b)}
		io.WriteString(w, `{"ok":true}`)
	})
	c := newClient(t, Config{AllowPrivateNetworks: true, UserAgent: "Detour-Test/1"})
	res := deliver(c, rcv.URL+"/hooks/detour?tenant=t1")
	if res.Outcome != Delivered || res.StatusCode != 200 || res.Error != "" || res.ResponseSnippet != `{"ok":true}` || res.Reason != "" {
		t.Fatalf("Result = %+v", res)
	}
	s := <-got
	if s.method != "POST" || s.path != "/hooks/detour" || s.query != "tenant=t1" || s.body != vectorPayload {
		t.Fatalf("request = %s %s?%s %q", s.method, s.path, s.query, s.body)
	}
	want := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "Detour-Test/1",
		"Webhook-Id":        vectorID,
		"Webhook-Timestamp": "1614265330",
		"Webhook-Signature": vectorSig,
	}
	for k, v := range want {
		if s.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, s.header.Get(k), v)
		}
	}
}

func TestDeliverClassifiesAnswers(t *testing.T) {
	tests := []struct {
		code    int
		outcome Outcome
		reason  detour.Code
	}{
		{200, Delivered, ""},
		{201, Delivered, ""},
		{204, Delivered, ""},
		{410, Gone, detour.ReasonRejected},
		{500, Retry, detour.ReasonProviderError},
		{503, Retry, detour.ReasonProviderError},
		{404, Retry, detour.ReasonProviderError},
		{400, Retry, detour.ReasonProviderError},
		{429, Retry, detour.ReasonThrottled},
		{408, Retry, detour.ReasonTimeout},
		{304, Retry, detour.ReasonProviderError},
	}
	c := newClient(t, Config{AllowPrivateNetworks: true})
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			rcv := newReceiver(t, status(tt.code))
			res := deliver(c, rcv.URL)
			if res.Outcome != tt.outcome || res.Reason != tt.reason || res.StatusCode != tt.code || res.Blocked {
				t.Fatalf("%d: Result = %+v", tt.code, res)
			}
			if (tt.outcome == Delivered) != (res.Error == "") {
				t.Fatalf("%d: Error = %q", tt.code, res.Error)
			}
		})
	}
}

func TestDeliverDoesNotFollowRedirects(t *testing.T) {
	target := newReceiver(t, status(200))
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	c := newClient(t, Config{AllowPrivateNetworks: true})
	res := deliver(c, rcv.URL)
	if res.Outcome != Retry || res.StatusCode != 307 || !strings.Contains(res.Error, "redirects are not followed") {
		t.Fatalf("Result = %+v", res)
	}
	if n := target.hits.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

func TestDeliverTimeoutRetries(t *testing.T) {
	release := make(chan struct{})
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release) // before rcv.Close (cleanup) waits for the handler
	c := newClient(t, Config{AllowPrivateNetworks: true, Timeout: 50 * time.Millisecond})
	res := deliver(c, rcv.URL)
	if res.Outcome != Retry || res.Reason != detour.ReasonTimeout || res.StatusCode != 0 || res.Error != "no answer in time" {
		t.Fatalf("Result = %+v", res)
	}
}

func TestDeliverCanceledRetries(t *testing.T) {
	rcv := newReceiver(t, status(200))
	c := newClient(t, Config{AllowPrivateNetworks: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := c.Deliver(ctx, rcv.URL, [][]byte{testKey}, "evt_1", time.Now(), []byte(`{}`))
	if res.Outcome != Retry || res.Blocked {
		t.Fatalf("Result = %+v", res)
	}
}

func TestDeliverCapsResponseBody(t *testing.T) {
	huge := strings.Repeat("é", 1<<20) // 2 MiB, multibyte so the cut can fall mid-rune
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, "x"+huge)
	})
	c := newClient(t, Config{AllowPrivateNetworks: true, MaxResponseBytes: 4 << 10})
	res := deliver(c, rcv.URL)
	if res.Outcome != Retry || res.StatusCode != 500 {
		t.Fatalf("Result = %+v", res)
	}
	if len(res.ResponseSnippet) > SnippetBytes || !strings.HasPrefix(res.ResponseSnippet, "xé") {
		t.Fatalf("snippet is %d bytes: %.20q", len(res.ResponseSnippet), res.ResponseSnippet)
	}
	if strings.ContainsRune(res.ResponseSnippet, '\uFFFD') {
		t.Fatal("snippet ends in a broken rune")
	}
}

func TestDeliverRefusesPrivateAddressesByDefault(t *testing.T) {
	rcv := newReceiver(t, status(200))
	_, port, _ := net.SplitHostPort(rcv.Listener.Addr().String())
	c := newClient(t, Config{})
	for _, url := range []string{
		rcv.URL,                               // 127.0.0.1
		"http://localhost:" + port + "/hooks", // a name that resolves to loopback
	} {
		res := deliver(c, url)
		if res.Outcome != Retry || !res.Blocked || res.Reason != detour.ReasonUnreachable || !strings.Contains(res.Error, "loopback") {
			t.Errorf("%s: Result = %+v", url, res)
		}
	}
	if n := rcv.hits.Load(); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}

	allowed := newClient(t, Config{AllowPrivateNetworks: true})
	if res := deliver(allowed, "http://localhost:"+port+"/"); res.Outcome != Delivered {
		t.Fatalf("with private networks allowed: %+v", res)
	}
}

func TestDeliverRefusesOtherSchemes(t *testing.T) {
	c := newClient(t, Config{AllowPrivateNetworks: true})
	for _, url := range []string{"ftp://example.com/x", "file:///etc/passwd", "/relative", "http://"} {
		if res := deliver(c, url); res.Outcome != Retry || res.Error == "" {
			t.Errorf("%s: Result = %+v", url, res)
		}
	}
}

func TestErrorsNeverCarrySecrets(t *testing.T) {
	secret := NewSecret().Reveal()
	key, _ := ParseSecret(secret)
	const token = "tok_s3cr3t"
	closed := newReceiver(t, status(200))
	closedURL := closed.URL
	closed.Close() // connection refused from now on
	fail := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })

	body := []byte(`{"a":1}`)
	now := time.Now()
	sig := Sign(key, "evt_1", now, body)
	forbidden := []string{secret, strings.TrimPrefix(secret, SecretPrefix), sig[3:], base64.RawStdEncoding.EncodeToString(key), token}
	for name, tc := range map[string]struct {
		url   string
		allow bool
	}{
		"blocked": {closedURL + "/?token=" + token, false},
		"refused": {closedURL + "/?token=" + token, true},
		"status":  {fail.URL + "/?token=" + token, true},
		"creds":   {strings.Replace(fail.URL, "http://", "http://user:"+token+"@", 1), true},
		"scheme":  {"gopher://user:" + token + "@example.com/", true},
	} {
		c := newClient(t, Config{AllowPrivateNetworks: tc.allow})
		res := c.Deliver(context.Background(), tc.url, [][]byte{key}, "evt_1", now, body)
		if res.Error == "" || res.Outcome != Retry {
			t.Errorf("%s: Result = %+v", name, res)
		}
		for _, f := range forbidden {
			if strings.Contains(res.Error, f) {
				t.Errorf("%s: Error %q carries %q", name, res.Error, f)
			}
		}
	}
	if err := ValidateURL("gopher://user:"+token+"@example.com/", false); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("ValidateURL = %v", err)
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url   string
		allow bool
		why   string // "" when valid
	}{
		{"https://203.0.114.7/hooks", false, ""}, // a public literal: no DNS needed
		{"https://[2606:4700::1111]/hooks", false, ""},
		{"http://127.0.0.1:8080/", false, "loopback"},
		{"http://127.0.0.1:8080/", true, ""},
		{"http://localhost/", false, "loopback"},
		{"http://localhost/", true, ""},
		{"http://10.1.2.3/", false, "private"},
		{"http://172.20.0.1/", false, "private"},
		{"http://192.168.1.1/", false, "private"},
		{"http://169.254.169.254/latest/meta-data", false, "link-local"},
		{"http://100.64.0.1/", false, "CGNAT"},
		{"http://0.0.0.0/", false, "unspecified"},
		{"http://[::1]/", false, "loopback"},
		{"http://[fd00::1]/", false, "unique local"},
		{"http://[fe80::1]/", false, "link-local"},
		{"http://[::ffff:127.0.0.1]/", false, "loopback"},
		{"http://[64:ff9b:1::a00:1]/", false, "NAT64"},
		{"http://[3fff::1]/", false, "documentation"},
		{"http://224.0.0.1/", false, "multicast"},
		{"ftp://example.com/", true, "scheme"},
		{"https:///path", true, "no host"},
		{"://", true, "parse"},
	}
	for _, tt := range tests {
		err := ValidateURL(tt.url, tt.allow)
		if tt.why == "" {
			if err != nil {
				t.Errorf("ValidateURL(%s, %v) = %v", tt.url, tt.allow, err)
			}
			continue
		}
		want := detour.CodeURLNotAllowed
		if tt.allow {
			want = detour.CodeInvalidRequest // allowed networks: only malformed URLs remain
		}
		var de *detour.Error
		if !errors.As(err, &de) || de.Code != want || de.Field != "url" || !strings.Contains(de.Message, tt.why) {
			t.Errorf("ValidateURL(%s, %v) = %v, want %s on url naming %q", tt.url, tt.allow, err, want, tt.why)
		}
	}
}

func TestRefusedAddresses(t *testing.T) {
	tests := map[string]string{
		"8.8.8.8":          "",
		"1.1.1.1":          "",
		"2606:4700::1111":  "",
		"64:ff9b::808:808": "", // NAT64 of 8.8.8.8
		"127.0.0.53":       "loopback",
		"10.255.255.255":   "private",
		"172.31.0.1":       "private",
		"172.32.0.1":       "",
		"192.168.0.1":      "private",
		"100.127.255.255":  "shared address space (CGNAT)",
		"169.254.169.254":  "link-local",
		"0.0.0.0":          "unspecified",
		"255.255.255.255":  "reserved",
		"239.1.1.1":        "multicast",
		"198.18.0.1":       "benchmarking",
		"::":               "unspecified",
		"::1":              "loopback",
		"fc00::1":          "private (unique local)",
		"fe80::1":          "link-local",
		"ff02::1":          "multicast",
		"::ffff:10.0.0.1":  "private",
		"64:ff9b::a00:1":   "private",  // NAT64 of 10.0.0.1
		"2002:7f00:1::":    "loopback", // 6to4 of 127.0.0.1
		"fe80::1%eth0":     "link-local",
		"2001:db8::1":      "documentation",
	}
	for s, want := range tests {
		if got := refused(netip.MustParseAddr(s)); got != want {
			t.Errorf("refused(%s) = %q, want %q", s, got, want)
		}
	}
}
