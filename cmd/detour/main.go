// Command detour is the Detour messaging gateway: the server, its
// administration commands, a client for its API and a demo.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/detourhq/detour/client"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		var ce *client.Error
		if errors.As(err, &ce) {
			fmt.Fprintln(os.Stderr, "detour:", ce.Error())
		} else {
			fmt.Fprintln(os.Stderr, "detour:", err)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "detour",
		Short:         "Detour: business messages that arrive, even when a channel is down",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newKeys(), newSend(), newMessages(), newVerify(), newDemo(), newLoad(), newCheck(), newSim(), newChannels(), newDrill())
	return root
}
