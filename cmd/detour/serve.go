package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
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
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Detour server",
		Long: `Run the Detour server. With no configuration it listens on 127.0.0.1:8080,
keeps its data in ./detour-data (SQLite, fsynced on every commit) and sends
through the sandbox channel. SIGTERM or SIGINT drains it: requests in flight
finish, sends in flight are recorded, then it exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			log := server.NewLogger(cfg.Log, os.Stderr)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := server.New(ctx, cfg, server.Options{Logger: log})
			if err != nil {
				return err
			}
			if err := srv.Start(ctx); err != nil {
				srv.Stop(context.Background())
				return err
			}
			if pprofAddr != "" {
				go servePprof(pprofAddr, log)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "detour: serving on http://%s (data in %s)\n", srv.Addr(), cfg.Server.Data)
			<-ctx.Done()
			log.Info("detour: draining")
			sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
			defer cancel()
			return srv.Stop(sctx)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&pprofAddr, "pprof-addr", "", "serve Go's pprof profiles on this address (e.g. 127.0.0.1:6060); off by default")
	return cmd
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
