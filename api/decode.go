package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/detourhq/detour"
)

// bodyPool recycles the buffers request bodies are read into.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads at most limit bytes of a request body. A longer body is a
// body_too_large error. The caller returns buf to bodyPool.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (*bytes.Buffer, error) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		bodyPool.Put(buf)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, detour.Errorf(detour.CodeBodyTooLarge, "the body is larger than %d bytes", limit)
		}
		return nil, detour.Errorf(detour.CodeMalformedJSON, "the body could not be read")
	}
	return buf, nil
}

// checkJSONContentType refuses a request whose body is not declared JSON.
func checkJSONContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return detour.Errorf(detour.CodeUnsupportedMedia, "the body must be JSON, sent with Content-Type: application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return detour.Errorf(detour.CodeUnsupportedMedia, "JSON bodies are UTF-8")
	}
	return nil
}

// decodeSendRequest strictly decodes a send request: one JSON object with
// only known fields of the right types, and nothing after it. Every error is
// a *detour.Error whose code says what was wrong. Checking what the values
// mean is the service's job.
func decodeSendRequest(body []byte) (*detour.SendRequest, error) {
	req := new(detour.SendRequest)
	if err := decodeObject(body, req); err != nil {
		if de, ok := err.(*detour.Error); ok && de.Field == "" && de.Code == detour.CodeInvalidRequest {
			// A duration's own unmarshalling cannot know where it stands.
			if f := badDurationField(body); f != "" {
				return nil, &detour.Error{Code: de.Code, Message: f + ": " + de.Message, Field: f}
			}
		}
		return nil, err
	}
	return req, nil
}

// decodeObject strictly decodes body into v: one JSON object with only
// known fields of the right types, and nothing after it. Every error is a
// *detour.Error whose code says what was wrong.
func decodeObject(body []byte, v any) error {
	if err := checkObject(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return detour.Errorf(detour.CodeMalformedJSON, "the body has data after the JSON object")
	}
	return nil
}

// badDurationField returns the path of the first duration field of body
// that does not parse, or "". It runs only on the error path.
func badDurationField(body []byte) string {
	var probe struct {
		Validity json.RawMessage `json:"validity"`
		Channels []struct {
			FallbackAfter json.RawMessage `json:"fallback_after"`
		} `json:"channels"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return ""
	}
	bad := func(raw json.RawMessage) bool {
		var d detour.Duration
		return raw != nil && json.Unmarshal(raw, &d) != nil
	}
	if bad(probe.Validity) {
		return "validity"
	}
	for i, c := range probe.Channels {
		if bad(c.FallbackAfter) {
			return fmt.Sprintf("channels[%d].fallback_after", i)
		}
	}
	return ""
}

// checkObject checks that body starts with a JSON object.
func checkObject(body []byte) error {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return detour.Errorf(detour.CodeMalformedJSON, "the body is empty; it must be a JSON object")
	}
	if b[0] != '{' {
		return detour.Errorf(detour.CodeMalformedJSON, "the body must be a JSON object")
	}
	return nil
}

// jsonError turns an encoding/json error into a *detour.Error.
func jsonError(err error) error {
	var (
		de  *detour.Error
		te  *json.UnmarshalTypeError
		se  *json.SyntaxError
		msg = err.Error()
	)
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &te):
		if te.Field == "" {
			return detour.Errorf(detour.CodeInvalidType, "the body must be a JSON object")
		}
		return detour.FieldErrorf(detour.CodeInvalidType, te.Field, "%s must be %s, not a JSON %s", te.Field, jsonTypeName(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return detour.Errorf(detour.CodeMalformedJSON, "the body is not valid JSON (at byte %d)", se.Offset)
	case strings.HasPrefix(msg, `json: unknown field "`):
		field := strings.TrimSuffix(strings.TrimPrefix(msg, `json: unknown field "`), `"`)
		return detour.FieldErrorf(detour.CodeUnknownField, field, "the API has no field %q here", truncate(field, 64))
	default:
		// io.ErrUnexpectedEOF and the like: the JSON ended too early.
		return detour.Errorf(detour.CodeMalformedJSON, "the body is not valid JSON")
	}
}

// jsonTypeName names a Go kind as the JSON type a client must send.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "struct", "map", "ptr":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return "of another type"
}

// truncate shortens s to at most n bytes for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// readJSON reads and strictly decodes a JSON body into v. With optional,
// an empty body (with or without a JSON content type) decodes as {}.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	buf, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	if optional && buf.Len() == 0 {
		return nil
	}
	return decodeObject(buf.Bytes(), v)
}
