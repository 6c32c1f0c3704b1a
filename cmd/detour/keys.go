package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/sqlite"
)

func newKeys() *cobra.Command {
	keys := &cobra.Command{Use: "keys", Short: "Manage API keys"}
	var f serverFlags
	var tenant string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key for a tenant and print it once",
		Long: `Create an API key for a tenant (the tenant is created if new) and print it.
The key is shown only now: Detour stores only a hash of it. This works on the
data directory whether or not the server is running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			db, err := f.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			plain, k, err := server.CreateKey(ctx, db, tenant, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "created key %s for tenant %q; it is shown only once:\n", k.ID, tenant)
			fmt.Fprintln(cmd.OutOrStdout(), plain)
			return nil
		},
	}
	create.Flags().StringVar(&tenant, "tenant", "", "tenant name (required)")
	_ = create.MarkFlagRequired("tenant")
	f.register(create, false)
	keys.AddCommand(create)
	return keys
}

func newCheck() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the data directory's integrity and consistency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			db, err := f.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Check(ctx); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

// openStore opens the configured data directory without taking it over:
// these commands work while a server runs on it.
func (f *serverFlags) openStore(ctx context.Context) (*sqlite.DB, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, cfg.Server.Data, sqlite.Options{})
}
