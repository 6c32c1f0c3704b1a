package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "127.0.0.1:8080" || c.Server.Data != "./detour-data" {
		t.Fatalf("defaults changed: %+v", c.Server)
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "detour.yaml")
	yaml := "server:\n  addr: 127.0.0.1:9000\n  data: /from/file\ndispatch:\n  send_timeout: 5s\nchannels:\n  sandbox:\n    routes:\n      - name: fast\n        receipt_delay: 1ms\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, []string{"DETOUR_DATA=/from/env", "DETOUR_DISPATCH__LEASE=40s", "OTHER=1"}, map[string]any{"server.addr": "127.0.0.1:9100"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "127.0.0.1:9100" {
		t.Errorf("flag should win over file: %s", c.Server.Addr)
	}
	if c.Server.Data != "/from/env" {
		t.Errorf("env should win over file: %s", c.Server.Data)
	}
	if c.Dispatch.SendTimeout != 5*time.Second || c.Dispatch.Lease != 40*time.Second {
		t.Errorf("durations: %s %s", c.Dispatch.SendTimeout, c.Dispatch.Lease)
	}
	if len(c.Channels.Sandbox.Routes) != 1 || c.Channels.Sandbox.Routes[0].Name != "fast" || c.Channels.Sandbox.Routes[0].ReceiptDelay != time.Millisecond {
		t.Errorf("routes: %+v", c.Channels.Sandbox.Routes)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	for env, field := range map[string]string{
		"DETOUR_ADDR=nonsense":                               "server.addr",
		"DETOUR_DISPATCH__SEND_TIMEOUT=1h":                   "dispatch.send_timeout",
		"DETOUR_MESSAGES__IDEMPOTENCY_TTL=1h":                "messages.idempotency_ttl",
		"DETOUR_LOG__LEVEL=loud":                             "log.level",
		"DETOUR_MESSAGES__DEFAULT_VALIDITY=100h":             "messages.default_validity",
		"DETOUR_SERVER__MAX_BODY_BYTES=10":                   "server.max_body_bytes",
		"DETOUR_DISPATCH__BACKOFF_BASE=2h":                   "dispatch.backoff_base",
		"DETOUR_DISPATCH__CONCURRENCY=0":                     "dispatch.concurrency",
		"DETOUR_SERVER__SHUTDOWN_TIMEOUT=-1s":                "server.shutdown_timeout",
		"DETOUR_DISPATCH__MAX_TRIES_PER_STEP=0":              "dispatch.max_tries_per_step",
		"DETOUR_SERVER__RATE_LIMIT=0":                        "server.rate_limit",
		"DETOUR_DISPATCH__POLL_INTERVAL=1ns":                 "dispatch.poll_interval",
		"DETOUR_DISPATCH__CLAIM_BATCH=0":                     "dispatch.claim_batch",
		"DETOUR_LOG__FORMAT=xml":                             "log.format",
		"DETOUR_MESSAGES__MAX_VALIDITY=1ms":                  "messages.max_validity",
		"DETOUR_DISPATCH__LEASE=1ms":                         "dispatch.lease",
		"DETOUR_SERVER__RATE_BURST=0":                        "server.rate_burst",
		"DETOUR_SERVER__DATA=":                               "server.data",
		"DETOUR_MESSAGES__DEFAULT_VALIDITY=1ms":              "messages.default_validity",
		"DETOUR_SERVER__MAX_BODY_BYTES=99999999999":          "server.max_body_bytes",
		"DETOUR_DISPATCH__BACKOFF_MAX=1ms":                   "dispatch.backoff_base",
		"DETOUR_DISPATCH__CONCURRENCY=100000000":             "dispatch.concurrency",
		"DETOUR_DISPATCH__CLAIM_BATCH=100000":                "dispatch.claim_batch",
		"DETOUR_DISPATCH__SEND_TIMEOUT=0s":                   "dispatch.send_timeout",
		"DETOUR_MESSAGES__IDEMPOTENCY_TTL=23h59m59s":         "messages.idempotency_ttl",
		"DETOUR_VERIFY__SECRET=too-short":                    "verify.secret",
		"DETOUR_VERIFY__EXPIRY=2h":                           "verify.expiry",
		"DETOUR_VERIFY__CODE_LENGTH=3":                       "verify.code_length",
		"DETOUR_VERIFY__FALLBACK_AFTER=30s":                  "verify.fallback_after",
		"DETOUR_VERIFY__WHATSAPP__TEMPLATE_TTL=20m":          "verify.whatsapp.template_ttl",
		"DETOUR_VERIFY__WHATSAPP__TEMPLATE=Auth":             "verify.whatsapp.template",
		"DETOUR_VERIFY__LIMITS__PER_NUMBER__WINDOW=0s":       "verify.limits.per_number",
		"DETOUR_VERIFY__LIMITS__PREFIX__DIGITS=0":            "verify.limits.prefix",
		"DETOUR_VERIFY__LOCALE=":                             "verify.locale",
		"DETOUR_VERIFY__BRAND=a brand name that is too long": "verify.brand",
	} {
		_, err := Load("", []string{env}, nil)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: want an error naming %s, got %v", env, field, err)
		}
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil, nil); err == nil {
		t.Fatal("a missing config file must be an error")
	}
}

func TestSMSRoutesAreValidatedAndTheirPasswordsNeverPrinted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "detour.yaml")
	yaml := "channels:\n  sms:\n    routes:\n      - name: op1\n        host: 127.0.0.1\n        port: 2775\n        system_id: detour\n        password: pa55w0rd\n        prefixes: [\"44\"]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Channels.SMS.Routes[0]
	if r.Password.Reveal() != "pa55w0rd" || r.Window != 100 || r.BindMode != "transceiver" || r.Prefixes[0] != "44" {
		t.Fatalf("route: window %d mode %s prefixes %v", r.Window, r.BindMode, r.Prefixes)
	}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "pa55w0rd") {
		t.Fatal("printing the configuration shows a route password")
	}
	bad := strings.Replace(yaml, "port: 2775", "port: 0", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil, nil); err == nil || !strings.Contains(err.Error(), "channels.sms.routes[0].port") {
		t.Fatalf("bad port: %v", err)
	}
}

func TestVerifyDefaultsAndSecret(t *testing.T) {
	c, err := Load("", []string{"DETOUR_VERIFY__SECRET=0123456789abcdef0123456789abcdef-s3cr3t",
		"DETOUR_VERIFY__LIMITS__PER_NUMBER__MAX=3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := c.Verify
	if len(v.Channels) != 2 || v.Channels[0] != "whatsapp" || v.FallbackAfter < v.WhatsApp.TemplateTTL+c.Dispatch.SendTimeout ||
		v.Limits.PerNumber.Max != 3 || v.Limits.PerNumber.Window != 10*time.Minute || v.Limits.Prefix.MaxNumbers == 0 {
		t.Fatalf("verify: %+v", v)
	}
	if v.Secret.Reveal() != "0123456789abcdef0123456789abcdef-s3cr3t" {
		t.Fatal("the secret was not read")
	}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "s3cr3t") {
		t.Fatal("printing the configuration shows the verify secret")
	}
	// A request may put WhatsApp first whatever the default order: with
	// WhatsApp among the channels the floor holds; without it, only 1s.
	if _, err := Load("", []string{"DETOUR_VERIFY__FALLBACK_AFTER=5s"}, map[string]any{"verify.channels": []string{"sms", "whatsapp"}}); err == nil ||
		!strings.Contains(err.Error(), "verify.fallback_after") {
		t.Fatalf("whatsapp last, 5s fallback: %v", err)
	}
	if _, err := Load("", []string{"DETOUR_VERIFY__FALLBACK_AFTER=5s"}, map[string]any{"verify.channels": []string{"sms"}}); err != nil {
		t.Fatal(err)
	}
}
