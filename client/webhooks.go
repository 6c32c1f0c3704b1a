package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/detourhq/detour/api"
)

// CreateEndpoint registers a webhook endpoint; the answer carries its
// signing secret.
func (c *Client) CreateEndpoint(ctx context.Context, req api.EndpointRequest) (*api.Endpoint, error) {
	return c.endpointCall(ctx, http.MethodPost, "/v1/webhook-endpoints", req, http.StatusCreated)
}

// UpdateEndpoint changes the fields of req that are set (Enabled
// re-enables or disables the endpoint).
func (c *Client) UpdateEndpoint(ctx context.Context, id string, req api.EndpointRequest) (*api.Endpoint, error) {
	return c.endpointCall(ctx, http.MethodPatch, "/v1/webhook-endpoints/"+url.PathEscape(id), req, http.StatusOK)
}

// RotateSecret makes a new signing secret; the previous one keeps signing
// for req.ExpirePreviousIn (24 h by default).
func (c *Client) RotateSecret(ctx context.Context, id string, req api.RotateRequest) (*api.Endpoint, error) {
	return c.endpointCall(ctx, http.MethodPost, "/v1/webhook-endpoints/"+url.PathEscape(id)+"/rotate-secret", req, http.StatusOK)
}

func (c *Client) endpointCall(ctx context.Context, method, path string, req any, want int) (*api.Endpoint, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var e api.Endpoint
	if err := c.do(ctx, method, path, body, nil, want, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Endpoints lists the caller's webhook endpoints.
func (c *Client) Endpoints(ctx context.Context) (*api.EndpointList, error) {
	var l api.EndpointList
	if err := c.do(ctx, http.MethodGet, "/v1/webhook-endpoints", nil, nil, http.StatusOK, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Deliveries returns one page of an endpoint's delivery log, newest first;
// cursor is the previous page's NextCursor ("" for the first).
func (c *Client) Deliveries(ctx context.Context, endpointID string, limit int, cursor string) (*api.DeliveryList, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	path := "/v1/webhook-endpoints/" + url.PathEscape(endpointID) + "/deliveries"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l api.DeliveryList
	if err := c.do(ctx, http.MethodGet, path, nil, nil, http.StatusOK, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Replay sends an event again: to endpointID, or ("") to every endpoint
// that wants it.
func (c *Client) Replay(ctx context.Context, eventID, endpointID string) (*api.DeliveryList, error) {
	body, err := json.Marshal(api.ReplayRequest{EndpointID: endpointID})
	if err != nil {
		return nil, err
	}
	var l api.DeliveryList
	if err := c.do(ctx, http.MethodPost, "/v1/events/"+url.PathEscape(eventID)+"/replay", body, nil, http.StatusAccepted, &l); err != nil {
		return nil, err
	}
	return &l, nil
}
