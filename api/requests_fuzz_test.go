package api

import (
	"errors"
	"testing"

	"github.com/detourhq/detour"
)

// FuzzDecodeRequests feeds one body to the strict decoder of every other
// request type (webhook endpoints, secret rotation, replay, forcing a route,
// verifications and their checks): it never panics, and an error is a
// *detour.Error with a code the API knows that answers 400. Seeds are in
// testdata/fuzz/FuzzDecodeRequests.
func FuzzDecodeRequests(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://93.184.215.14/h","event_types":["message.status"],"description":"crm"}`,
		`{"enabled":true}`, `{"expire_previous_in":"1h"}`, `{"endpoint_id":"whe_01ARZ3NDEKTSV4RRFFQ69G5FAV"}`,
		`{"state":"down","note":"maintenance"}`, `{"to":"+447400123456","channels":["whatsapp","sms"],"code_length":6}`,
		`{"code":"123456"}`, `{"channel":"sms"}`, `{"url":5}`, `{"event_types":"x"}`, `[]`, `{"a":1}`, `{}{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []func() any{
			func() any { return new(EndpointRequest) }, func() any { return new(RotateRequest) },
			func() any { return new(ReplayRequest) }, func() any { return new(ForceRequest) },
			func() any { return new(detour.VerificationRequest) }, func() any { return new(detour.CheckRequest) },
			func() any { return new(detour.ResendRequest) },
		}
		for _, target := range targets {
			err := decodeObject(body, target())
			if err == nil {
				continue
			}
			var e *detour.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v is not a *detour.Error", err, err)
			}
			if !knownCode(e.Code) || e.Code == detour.CodeInternal || statusOf(e.Code) != 400 {
				t.Fatalf("decoding gave code %q (status %d)", e.Code, statusOf(e.Code))
			}
		}
	})
}
