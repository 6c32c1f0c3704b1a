package api

import (
	"errors"
	"testing"

	"github.com/detourhq/detour"
)

// FuzzDecodeSendRequest checks that the decoder never panics and returns
// either a request or a *detour.Error with a code the API knows. Seeds are
// in testdata/fuzz/FuzzDecodeSendRequest.
func FuzzDecodeSendRequest(f *testing.F) {
	f.Add([]byte(validBody))
	f.Add([]byte(richBody))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeSendRequest(body)
		if err == nil {
			if req == nil {
				t.Fatal("no request and no error")
			}
			return
		}
		if req != nil {
			t.Fatal("a request and an error")
		}
		var e *detour.Error
		if !errors.As(err, &e) {
			t.Fatalf("%T %v is not a *detour.Error", err, err)
		}
		if !knownCode(e.Code) || e.Code == detour.CodeInternal || statusOf(e.Code) != 400 {
			t.Fatalf("decoding gave code %q (status %d)", e.Code, statusOf(e.Code))
		}
	})
}

func TestDecodeSendRequest(t *testing.T) {
	req, err := decodeSendRequest([]byte(" \n" + richBody + "\n "))
	if err != nil {
		t.Fatal(err)
	}
	if req.To != "+447400123456" || len(req.Channels) != 2 || req.Channels[1].Route != "default" || req.Metadata["k"] != "v" {
		t.Errorf("%+v", req)
	}
}
