package detour_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/detourhq/detour"
)

func TestSecretsNeverPrint(t *testing.T) {
	const value = "hunter2-very-secret"
	type conf struct {
		User     string
		Password detour.Secret
	}
	c := conf{User: "smppclient1", Password: detour.Secret(value)}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, c), fmt.Sprintf(verb, c.Password))
	}
	j, _ := json.Marshal(c)
	out = append(out, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("bind", "password", c.Password, "conf", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("bind", "password", c.Password, "conf", c)
	out = append(out, buf.String())
	for _, s := range out {
		if strings.Contains(s, value) || strings.Contains(s, fmt.Sprintf("%x", value)) {
			t.Fatalf("the secret leaked: %s", s)
		}
	}
	if c.Password.Reveal() != value {
		t.Fatal("Reveal must give the value back")
	}
}
