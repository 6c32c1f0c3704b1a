package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
)

// TestWebhookEndpoints drives the webhook calls against a real node: an
// endpoint is registered, receives a message's events, shows them in its
// delivery log, and gets one again by replay.
func TestWebhookEndpoints(t *testing.T) {
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { got.Add(1) }))
	defer recv.Close()
	cfg, err := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Webhooks.AllowPrivateNetworks = true
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	key, _, err := server.CreateKey(ctx, srv.Store(), "hooks", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := client.New("http://"+srv.Addr(), key)

	u := recv.URL
	ep, err := c.CreateEndpoint(ctx, api.EndpointRequest{URL: &u, EventTypes: &[]string{detour.EventMessageStatus}})
	if err != nil || ep.Secret == "" || !ep.Enabled {
		t.Fatalf("create: %+v %v", ep, err)
	}
	if _, err := c.Send(ctx, &detour.SendRequest{To: "+447400123456", Content: detour.Content{Text: "hi"}}, ""); err != nil {
		t.Fatal(err)
	}
	var log *api.DeliveryList
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if log, err = c.Deliveries(ctx, ep.ID, 10, ""); err == nil && len(log.Data) == 2 &&
			log.Data[0].Status == detour.DeliveryDelivered && log.Data[1].Status == detour.DeliveryDelivered {
			break
		}
	}
	if log == nil || len(log.Data) != 2 || got.Load() != 2 {
		t.Fatalf("delivery log %+v (%d received)", log, got.Load())
	}
	if _, err := c.Replay(ctx, log.Data[0].EventID, ep.ID); err != nil {
		t.Fatal(err)
	}
	off := false
	if upd, err := c.UpdateEndpoint(ctx, ep.ID, api.EndpointRequest{Enabled: &off}); err != nil || upd.Enabled || upd.DisabledReason != "manual" {
		t.Fatalf("disable: %+v %v", upd, err)
	}
	rot, err := c.RotateSecret(ctx, ep.ID, api.RotateRequest{})
	if err != nil || rot.Secret == "" || rot.Secret == ep.Secret || len(rot.Secrets) != 2 {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	if l, err := c.Endpoints(ctx); err != nil || len(l.Data) != 1 {
		t.Fatalf("endpoints: %+v %v", l, err)
	}
}
