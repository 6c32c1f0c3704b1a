package simworld_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/logtest"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/sim/smsc"
	wasim "github.com/detourhq/detour/sim/whatsapp"
	"github.com/detourhq/detour/simworld"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fastWhatsApp and fastSMSC keep the simulators' delays short so that a
// test on the real clock takes little time; the shapes are the real ones.
var (
	fastWhatsApp = wasim.Behavior{Latency: smsc.Uniform(time.Millisecond, 5*time.Millisecond),
		StatusDelay: smsc.Uniform(20*time.Millisecond, 60*time.Millisecond)}
	fastSMSC = smsc.Behavior{ReceiptDelay: smsc.Uniform(20*time.Millisecond, 60*time.Millisecond), Delivered: 1}
)

// node is a Detour node on a simulated world, with an API key and a
// client.
type node struct {
	t *testing.T
	*simworld.Node
	key    string
	client *client.Client
	logs   *logtest.Buffer
}

// startNode runs a node on a fresh data directory over a world with
// fallbackAfter and fast simulators; tune may change the node's
// configuration. Retries are quick so that an outage falls through in
// well under a second.
func startNode(t *testing.T, fallbackAfter time.Duration, tune func(*config.Config)) *node {
	t.Helper()
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dispatch.BackoffBase, cfg.Dispatch.MaxTriesPerStep = 30*time.Millisecond, 3
	if tune != nil {
		tune(&cfg)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	wb, sb := fastWhatsApp, fastSMSC
	n, err := simworld.StartNode(context.Background(), cfg, server.Options{Logger: log},
		simworld.Config{FallbackAfter: fallbackAfter, WhatsApp: &wb, SMSC: &sb, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	key, _, err := server.CreateKey(context.Background(), n.Server.Store(), "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &node{t: t, Node: n, key: key, client: client.New(n.URL(), key), logs: logs}
}

// otp is the content the tests send: a template for WhatsApp, which takes
// no free-form text outside the 24-hour window, with the text SMS sends.
func otp(code string) detour.Content {
	return detour.Content{Text: "Your Detour code is " + code,
		Template: &detour.Template{Name: "otp_code", Language: "en", Params: []string{code}}}
}

// send sends content to a number on the default policy and waits until
// the message is final.
func (n *node) send(to string, content detour.Content) *api.Message {
	n.t.Helper()
	m, err := n.client.Send(context.Background(), &detour.SendRequest{To: to, Content: content}, "")
	if err != nil {
		n.t.Fatal(err)
	}
	return n.wait(m.ID)
}

// wait waits until message id is final.
func (n *node) wait(id string) *api.Message {
	n.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := n.client.Message(context.Background(), id)
		if err != nil {
			n.t.Fatal(err)
		}
		if detour.Status(m.Status).Final() {
			return m
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("message never final: %+v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// handset waits until the phone shows want messages and returns them.
func (n *node) handset(number string, want int) []simworld.Received {
	n.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got simworld.HandsetMessages
		if code := n.do("GET", "/v1/sim/handsets/"+number, "", &got); code != 200 {
			n.t.Fatalf("handset: %d", code)
		}
		if len(got.Data) >= want || time.Now().After(deadline) {
			if len(got.Data) != want {
				n.t.Fatalf("handset %s shows %d messages, want %d: %+v", number, len(got.Data), want, got.Data)
			}
			return got.Data
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// do calls the API with the node's key and decodes the JSON answer into
// out (a problem into an *api.Problem); it returns the status.
func (n *node) do(method, path, body string, out any) int {
	n.t.Helper()
	var r io.Reader
	if body != "" {
		r = bytes.NewBufferString(body)
	}
	req, _ := http.NewRequest(method, n.URL()+path, r)
	req.Header.Set("Authorization", "Bearer "+n.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			n.t.Fatalf("%s %s: %d: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}
