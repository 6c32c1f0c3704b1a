package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
)

// StartVerification sends a one-time code to req.To. created is false when
// the server answered with the verification already pending for that
// number, and sent nothing (set req.New to start anew).
func (c *Client) StartVerification(ctx context.Context, req *detour.VerificationRequest) (v *api.Verification, created bool, err error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, false, fmt.Errorf("detour client: encoding the request: %w", err)
	}
	v = new(api.Verification)
	status, err := c.call(ctx, http.MethodPost, "/v1/verifications", body, nil, v, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, false, err
	}
	return v, status == http.StatusCreated, nil
}

// Verification returns one verification with its messages.
func (c *Client) Verification(ctx context.Context, id string) (*api.Verification, error) {
	return c.verification(ctx, http.MethodGet, id, "", nil)
}

// CheckVerification checks a code. A wrong code is not an error: the
// answer's Status stays "pending" with one check fewer in ChecksLeft, or
// becomes "max_attempts_reached"; "approved" means the code was right.
func (c *Client) CheckVerification(ctx context.Context, id, code string) (*api.Verification, error) {
	return c.verification(ctx, http.MethodPost, id, "/check", detour.CheckRequest{Code: code})
}

// ResendVerification sends the code again, on channel or ("") on the
// channel after the one the last message went out on.
func (c *Client) ResendVerification(ctx context.Context, id, channel string) (*api.Verification, error) {
	return c.verification(ctx, http.MethodPost, id, "/resend", detour.ResendRequest{Channel: channel})
}

// CancelVerification ends a pending verification.
func (c *Client) CancelVerification(ctx context.Context, id string) (*api.Verification, error) {
	return c.verification(ctx, http.MethodPost, id, "/cancel", nil)
}

func (c *Client) verification(ctx context.Context, method, id, action string, req any) (*api.Verification, error) {
	var body []byte
	if req != nil {
		var err error
		if body, err = json.Marshal(req); err != nil {
			return nil, fmt.Errorf("detour client: encoding the request: %w", err)
		}
	}
	var v api.Verification
	if err := c.do(ctx, method, "/v1/verifications/"+url.PathEscape(id)+action, body, nil, http.StatusOK, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
