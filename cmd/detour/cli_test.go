package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
)

// run executes the detour command line in-process and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// cliServer starts a server on a fresh data directory, makes a key for
// tenant with "detour keys create" (which works on the data directory of
// a running server) and points the CLI at both through the environment.
func cliServer(t *testing.T, tenant string) (srv *server.Server, url, key string) {
	t.Helper()
	data := t.TempDir()
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": data})
	if err != nil {
		t.Fatal(err)
	}
	srv, err = server.New(context.Background(), cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	out, err := run(t, "keys", "create", "--tenant", tenant, "--data", data)
	if err != nil {
		t.Fatalf("keys create while serving: %v", err)
	}
	url, key = "http://"+srv.Addr(), strings.TrimSpace(out)
	t.Setenv("DETOUR_URL", url)
	t.Setenv("DETOUR_API_KEY", key)
	return srv, url, key
}

func TestSendAndGetThroughTheCLI(t *testing.T) {
	_, url, key := cliServer(t, "cli")
	var out string
	var err error

	out, err = run(t, "send", "--to", "+447400123456", "--text", "hi", "--channel", "sandbox:10s", "--channel", "sandbox/default", "--priority", "otp", "--validity", "5m")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	var m struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Priority string `json:"priority"`
		Channels []struct {
			Channel       string `json:"channel"`
			Route         string `json:"route"`
			FallbackAfter string `json:"fallback_after"`
		} `json:"channels"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.ID == "" || m.Priority != "otp" || len(m.Channels) != 2 ||
		m.Channels[0].FallbackAfter != "10s" || m.Channels[1].Route != "default" {
		t.Fatalf("send printed %s (%v)", out, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.Status != "delivered" {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
		// --server and --key override the environment.
		out, err = run(t, "messages", "get", m.ID, "--server", url, "--key", key)
		if err != nil {
			t.Fatalf("messages get: %v", err)
		}
		_ = json.Unmarshal([]byte(out), &m)
	}
	if !strings.Contains(out, `"attempts"`) {
		t.Fatalf("get shows the attempt trail: %s", out)
	}
	if _, err := run(t, "send", "--to", "07400 123456", "--text", "hi"); err == nil || !strings.Contains(err.Error(), "invalid_recipient") {
		t.Fatalf("a bad number must fail with its code: %v", err)
	}
	t.Setenv("DETOUR_API_KEY", "")
	if _, err := run(t, "messages", "get", m.ID); err == nil || !strings.Contains(err.Error(), "DETOUR_API_KEY") {
		t.Fatalf("a missing key must say how to give one: %v", err)
	}
}

func TestVerifyThroughTheCLI(t *testing.T) {
	srv, _, _ := cliServer(t, "cli")
	var out string
	var err error

	out, err = run(t, "verify", "start", "+447400123456", "--code-length", "8", "--locale", "de", "--brand", "Acme")
	if err != nil {
		t.Fatalf("verify start: %v", err)
	}
	var v struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		ChecksLeft int    `json:"checks_left"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Status != "pending" {
		t.Fatalf("verify start printed %s (%v)", out, err)
	}
	var code string
	for deadline := time.Now().Add(10 * time.Second); code == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no code was sent")
		}
		if sent := srv.Sandbox().Sent("+447400123456"); len(sent) > 0 {
			text := sent[0].Content.Text // "Acme: Ihr Code lautet 12345678. Er läuft in 10 Minuten ab."
			code = strings.TrimSuffix(strings.Fields(text)[4], ".")
		}
	}
	if _, err := run(t, "verify", "check", v.ID, "00000000"); err == nil || !strings.Contains(err.Error(), "4 checks left") {
		t.Fatalf("a wrong code must fail the command: %v", err)
	}
	root := newRoot()
	var stdout bytes.Buffer
	root.SetOut(&stdout)
	root.SetIn(strings.NewReader(code + "\n"))
	root.SetArgs([]string{"verify", "check", v.ID, "-"})
	if err := root.ExecuteContext(context.Background()); err != nil || !strings.Contains(stdout.String(), `"approved"`) {
		t.Fatalf("check with the code on stdin: %v %s", err, stdout.String())
	}
	out, err = run(t, "verify", "get", v.ID)
	if err != nil || !strings.Contains(out, `"approved"`) || strings.Contains(out, code) {
		t.Fatalf("verify get: %v %s", err, out)
	}
	if _, err := run(t, "verify", "cancel", v.ID); err == nil || !strings.Contains(err.Error(), "verification_not_pending") {
		t.Fatalf("cancel of an approved verification: %v", err)
	}
}

// TestLoadFollowsEveryMessage: a large run (here: one past the listing
// threshold) is followed until every message is final, not until the first
// poll that finds none in flight, which can come before the first send.
func TestLoadFollowsEveryMessage(t *testing.T) {
	cliServer(t, "acme")
	defer func(n int) { listEachPollUpTo = n }(listEachPollUpTo)
	listEachPollUpTo = 0
	out, err := run(t, "load", "--messages", "300", "--concurrency", "4", "--warmup", "0", "--follow")
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Final     300 of 300") || !strings.Contains(out, "Statuses  delivered 300") {
		t.Fatalf("load did not follow every message:\n%s", out)
	}
}
