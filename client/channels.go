package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/health"
)

// Channels returns every channel and route with its health.
func (c *Client) Channels(ctx context.Context) (*api.ChannelList, error) {
	var l api.ChannelList
	if err := c.do(ctx, http.MethodGet, "/v1/channels", nil, nil, http.StatusOK, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// ForceRoute forces a route "down" or "healthy", or returns it to the
// detector with "auto".
func (c *Client) ForceRoute(ctx context.Context, channel, route, state, note string) (*health.RouteHealth, error) {
	body, err := json.Marshal(api.ForceRequest{State: state, Note: note})
	if err != nil {
		return nil, err
	}
	var r health.RouteHealth
	path := "/v1/channels/" + url.PathEscape(channel) + "/routes/" + url.PathEscape(route) + "/force"
	if err := c.do(ctx, http.MethodPost, path, body, nil, http.StatusOK, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
