package server_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/sqlite"
)

// startAt starts a node on an existing data directory.
func startAt(t *testing.T, dir string, tune func(*config.Config)) *node {
	t.Helper()
	return start(t, func(c *config.Config) {
		c.Server.Data = dir
		if tune != nil {
			tune(c)
		}
	})
}

var tenDigits = regexp.MustCompile(`[0-9]{10}`)

// codeOn waits for the sandbox to have handed a verification code to to,
// and returns the last one: what the user reads on the handset.
func (n *node) codeOn(to string) string {
	n.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if sent := n.srv.Sandbox().Sent(to); len(sent) > 0 {
			if code := tenDigits.FindString(sent[len(sent)-1].Content.Text); code != "" {
				return code
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("no code reached %s", to)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestVerificationCodesStillCheckAfterARestart(t *testing.T) {
	dir := t.TempDir()
	n := startAt(t, dir, nil)
	key := n.key("acme")
	r := n.do("POST", "/v1/verifications", key, `{"to":"+447400123456","code_length":10}`)
	if r.status != 201 || r.body["channels"].([]any)[0] != "sandbox" {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	code := n.codeOn("+447400123456")
	n.stop()
	st, err := os.Stat(filepath.Join(dir, server.VerifyKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("verify.key: %v %v", st, err)
	}
	n = startAt(t, dir, nil)
	if r := n.do("POST", "/v1/verifications/"+id+"/check", key, `{"code":"`+code+`"}`); r.status != 200 || r.body["status"] != "approved" {
		t.Fatalf("check after the restart: %d %s", r.status, r.raw)
	}
	n.stop()

	// A key file others may read is refused; a configured secret needs
	// none.
	if err := os.Chmod(filepath.Join(dir, server.VerifyKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(context.Background(), cfg, server.Options{}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key file readable by others: %v", err)
	}
	other := t.TempDir()
	startAt(t, other, func(c *config.Config) { c.Verify.Secret = "a configured secret of thirty-two bytes!" }).stop()
	if _, err := os.Stat(filepath.Join(other, server.VerifyKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was made although the secret is configured: %v", err)
	}
}

// TestVerificationCodeIsNeverStoredLoggedOrReturned runs verifications
// through the API with every log line captured, then looks for the code
// everywhere it must not be: logs, API answers (bodies and headers, of
// successes and errors), client errors, events, every row of every table
// of the SQLite file, and the raw bytes of the data directory. Codes have
// ten digits, so none appears by chance.
func TestVerificationCodeIsNeverStoredLoggedOrReturned(t *testing.T) {
	dir := t.TempDir()
	n := startAt(t, dir, func(c *config.Config) { c.Log.Level = "debug" })
	key := n.key("acme")
	c := client.New(n.base, key)
	ctx := context.Background()
	var seen []string // everything the API and the client said
	do := func(method, path, body string) map[string]any {
		t.Helper()
		r := n.do(method, path, key, body)
		seen = append(seen, r.raw, fmt.Sprint(r.header))
		return r.body
	}
	const to, other = "+447400123456", "+447400123457"
	v := do("POST", "/v1/verifications", `{"to":"`+to+`","code_length":10,"brand":"Acme","locale":"fr"}`)
	id := v["id"].(string)
	do("POST", "/v1/verifications", `{"to":"`+to+`"}`) // the pending one
	code := n.codeOn(to)
	for _, wrong := range []string{"0000000000", code[:9]} {
		do("POST", "/v1/verifications/"+id+"/check", `{"code":"`+wrong+`"}`)
	}
	do("POST", "/v1/verifications/"+id+"/resend", "")
	do("GET", "/v1/verifications/"+id, "")
	if got := do("POST", "/v1/verifications/"+id+"/check", `{"code":"`+code+`"}`); got["status"] != "approved" {
		t.Fatalf("the code that went out does not check: %v", got)
	}
	_, err := c.CheckVerification(ctx, id, code) // approved once only: an error
	seen = append(seen, fmt.Sprint(err))
	_, err = c.ResendVerification(ctx, id, "")
	seen = append(seen, fmt.Sprint(err))
	_, err = c.CancelVerification(ctx, id)
	seen = append(seen, fmt.Sprint(err))

	// A second verification runs out of checks, a third is canceled.
	v2, _, err := c.StartVerification(ctx, &detour.VerificationRequest{To: other, CodeLength: 10})
	if err != nil {
		t.Fatal(err)
	}
	code2 := n.codeOn(other)
	for range 6 {
		got, err := c.CheckVerification(ctx, v2.ID, "1234567890")
		seen = append(seen, fmt.Sprint(got, err))
	}
	v3 := do("POST", "/v1/verifications", `{"to":"+447400123458","code_length":10}`)
	code3 := n.codeOn("+447400123458")
	do("POST", "/v1/verifications/"+v3["id"].(string)+"/cancel", "")

	for _, path := range []string{"/v1/events", "/v1/events?type=verification.status", "/v1/messages?limit=500"} {
		do("GET", path, "")
	}
	msgs := n.do("GET", "/v1/messages?limit=500", key, "")
	for _, m := range msgs.body["data"].([]any) {
		do("GET", "/v1/messages/"+url.PathEscape(m.(map[string]any)["id"].(string)), "")
	}
	n.stop()

	codes := []string{code, code2, code3}
	look := func(where, text string) {
		t.Helper()
		for _, c := range codes {
			if strings.Contains(text, c) {
				t.Errorf("a code is in %s: %.300s", where, text)
			}
		}
	}
	logs := n.logs.String()
	if !strings.Contains(logs, `"route":"POST /v1/verifications/{id}/check"`) {
		t.Fatal("the debug log did not capture the requests")
	}
	look("the logs", logs)
	for _, s := range seen {
		look("an API answer or a client error", s)
	}
	if !strings.Contains(strings.Join(seen, " "), "verification.status") {
		t.Fatal("no verification.status event was listed")
	}

	// Every row of every table, as text and, for bytes, as hex too.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var name string
		_ = tables.Scan(&name)
		names = append(names, name)
	}
	tables.Close()
	scanned := map[string]int{}
	for _, table := range names {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					fmt.Fprintf(&b, "%s|%s|", raw, hex.EncodeToString(raw))
				} else {
					fmt.Fprintf(&b, "%v|", v)
				}
			}
			look("table "+table, b.String())
			scanned[table]++
		}
		rows.Close()
	}
	if scanned["verifications"] != 3 || scanned["messages"] < 4 || scanned["events"] == 0 {
		t.Fatalf("rows scanned: %v", scanned)
	}
	// And the raw bytes of the data directory, WAL included.
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err == nil {
			look("the file "+f.Name(), string(b))
		}
	}
}
