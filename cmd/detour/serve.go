package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/simworld"
)

// serverFlags are the flags every command that opens the data directory
// shares: --config, --data and, for serve, --addr.
type serverFlags struct {
	config, data, addr   string
	allowPrivateWebhooks bool
}

func (f *serverFlags) register(cmd *cobra.Command, withAddr bool) {
	cmd.Flags().StringVar(&f.config, "config", os.Getenv("DETOUR_CONFIG"), "YAML configuration file (env DETOUR_CONFIG)")
	cmd.Flags().StringVar(&f.data, "data", "", "data directory (env DETOUR_DATA; default ./detour-data)")
	if withAddr {
		cmd.Flags().StringVar(&f.addr, "addr", "", "listen address (env DETOUR_ADDR; default 127.0.0.1:8080)")
		cmd.Flags().BoolVar(&f.allowPrivateWebhooks, "allow-private-webhooks", false,
			"let webhooks reach loopback, private and link-local addresses (webhooks.allow_private_networks)")
	}
}

func (f *serverFlags) load() (config.Config, error) {
	over := map[string]any{}
	if f.data != "" {
		over["server.data"] = f.data
	}
	if f.addr != "" {
		over["server.addr"] = f.addr
	}
	if f.allowPrivateWebhooks {
		over["webhooks.allow_private_networks"] = true
	}
	return config.Load(f.config, os.Environ(), over)
}

func newServe() *cobra.Command {
	var f serverFlags
	var pprofAddr string
	var simulate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Detour server",
		Long: `Run the Detour server. With no configuration it listens on 127.0.0.1:8080,
keeps its data in ./detour-data (SQLite, fsynced on every commit) and sends
through the sandbox channel. SIGTERM or SIGINT drains it: requests in flight
finish, sends in flight are recorded, then it exits.

--simulate runs it on a simulated world instead of the configured channels:
a WhatsApp Cloud API simulator with one business number and two SMSC
simulators (routes smsc-1 and smsc-2), speaking their real protocols on
loopback with generated credentials; the default policy is WhatsApp, then
SMS after 10s without a delivery receipt. Under /v1/sim (API key needed)
GET /v1/sim shows the simulators, POST /v1/sim/{whatsapp|smsc-1|smsc-2}
{"mode":"healthy|silent|down|throttled"} switches one, and
GET /v1/sim/handsets/{number} lists what a phone received.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			log := server.NewLogger(cfg.Log, os.Stderr)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if pprofAddr != "" {
				go servePprof(pprofAddr, log)
			}
			return serve(ctx, cmd.ErrOrStderr(), cfg, log, simulate)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&pprofAddr, "pprof-addr", "", "serve Go's pprof profiles on this address (e.g. 127.0.0.1:6060); off by default")
	cmd.Flags().BoolVar(&simulate, "simulate", false, "run on built-in simulators of WhatsApp and two SMSCs instead of the configured channels, with /v1/sim")
	return cmd
}

// serve runs a node until ctx ends, then drains it.
func serve(ctx context.Context, progress io.Writer, cfg config.Config, log *slog.Logger, simulate bool) error {
	var srv *server.Server
	stopNode := func(ctx context.Context) error { return srv.Stop(ctx) }
	if simulate {
		n, err := simworld.StartNode(ctx, cfg, server.Options{Logger: log}, simworld.Config{})
		if err != nil {
			return err
		}
		srv, stopNode = n.Server, n.Stop
		fmt.Fprintf(progress, "detour: serving on %s (data in %s) on a simulated world:\n", n.URL(), cfg.Server.Data)
		printWorld(progress, n.World, simworld.DefaultFallbackAfter)
	} else {
		var err error
		if srv, err = server.New(ctx, cfg, server.Options{Logger: log}); err != nil {
			return err
		}
		if err := srv.Start(ctx); err != nil {
			srv.Stop(context.Background())
			return err
		}
		fmt.Fprintf(progress, "detour: serving on http://%s (data in %s)\n", srv.Addr(), cfg.Server.Data)
	}
	<-ctx.Done()
	log.Info("detour: draining")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	return stopNode(sctx)
}

// printWorld describes the simulators and the endpoints that drive them.
func printWorld(out io.Writer, w *simworld.World, fallbackAfter time.Duration) {
	for _, s := range w.Simulators() {
		where := "SMSC, SMPP 3.4 on " + s.Addr
		if s.Channel == "whatsapp" {
			where = "Cloud API on http://" + s.Addr
		}
		fmt.Fprintf(out, "  %-9s %-37s route %s/%s, %s\n", s.Name, where, s.Channel, s.Route, s.Mode)
	}
	fmt.Fprintf(out, "  policy    whatsapp, then sms after %s without a delivery receipt\n", fallbackAfter)
	fmt.Fprintln(out, "  control   GET /v1/sim, POST /v1/sim/{whatsapp|smsc-1|smsc-2} {\"mode\":\"healthy|silent|down|throttled\"},")
	fmt.Fprintln(out, "            GET /v1/sim/handsets/{number}; every call needs an API key (detour keys create)")
}

// servePprof serves the runtime profiles on their own listener, never on
// the API's.
func servePprof(addr string, log interface{ Error(string, ...any) }) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("pprof server stopped", "err", err)
	}
}
