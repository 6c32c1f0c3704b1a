package simworld

import (
	"context"
	"errors"
	"sync"

	"github.com/detourhq/detour/api"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
)

// Node is a Detour node whose channels are a simulated world.
type Node struct {
	Server *server.Server // the Detour node
	World  *World         // its channels' peers and the handsets

	stopOnce sync.Once
	stopErr  error
}

// StartNode starts a world, points cfg at it (see World.Configure) and
// starts a Detour node on it with the /v1/sim endpoints added to opts;
// the WhatsApp webhooks go to the node. The rest of cfg (address, data
// directory, dispatch tuning) is used as given. The world takes the
// node's clock and logger unless wc names its own.
func StartNode(ctx context.Context, cfg config.Config, opts server.Options, wc Config) (*Node, error) {
	if wc.Clock == nil {
		wc.Clock = opts.Clock
	}
	if wc.Logger == nil {
		wc.Logger = opts.Logger
	}
	w, err := New(wc)
	if err != nil {
		return nil, err
	}
	if err := w.Start(ctx); err != nil {
		return nil, err
	}
	fail := func(err error) (*Node, error) {
		w.Stop()
		return nil, err
	}
	if err := w.Configure(&cfg); err != nil {
		return fail(err)
	}
	if err := cfg.Validate(); err != nil {
		return fail(err)
	}
	opts.Extras = append(append([]api.Extra(nil), opts.Extras...), w.Endpoints()...)
	srv, err := server.New(ctx, cfg, opts)
	if err != nil {
		return fail(err)
	}
	if err := srv.Start(ctx); err != nil {
		return fail(errors.Join(err, srv.Stop(context.Background())))
	}
	n := &Node{Server: srv, World: w}
	if err := w.Connect(n.URL()); err != nil {
		return fail(errors.Join(err, srv.Stop(context.Background())))
	}
	return n, nil
}

// URL returns the node's base URL, "http://" and its address.
func (n *Node) URL() string { return "http://" + n.Server.Addr() }

// Stop drains the node, then stops the world. Safe to call twice.
func (n *Node) Stop(ctx context.Context) error {
	n.stopOnce.Do(func() {
		n.stopErr = n.Server.Stop(ctx)
		n.World.Stop()
	})
	return n.stopErr
}
