package detour

import (
	"fmt"
	"log/slog"
)

// Secret is a string that must never be printed or logged: passwords,
// tokens, app secrets. Every way of formatting it (fmt verbs, JSON, slog)
// shows "[redacted]"; Reveal returns the value for the one place that
// needs it (a bind, an Authorization header).
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String hides the value.
func (s Secret) String() string { return redacted }

// GoString hides the value from %#v.
func (s Secret) GoString() string { return redacted }

// Format hides the value from every fmt verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// MarshalJSON hides the value in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText hides the value in text encodings (YAML, slog's text).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue hides the value in structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
