package smpp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/detourhq/detour/smpp"
)

// A route with two transceiver binds, a window of 100 each and at most 50
// submits per second; receipts go to the handler.
func ExampleClient() {
	c := smpp.NewClient(smpp.ClientConfig{
		Addr:       "smsc.example.net:2775",
		SystemID:   "detour",
		Password:   "secret",
		Binds:      2,
		Window:     100,
		Throughput: 50,
		OnDeliver: func(ctx context.Context, m *smpp.DeliverSM) smpp.Status {
			// Store the receipt or the inbound message; a non-OK status
			// makes the SMSC deliver it again later.
			return smpp.StatusOK
		},
	})
	if err := c.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Stop(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Submit(ctx, &smpp.SubmitSM{
		SourceAddrTON: 5, SourceAddr: "Detour",
		DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "447700900123",
		RegisteredDelivery: 1,
		ShortMessage:       []byte("Your code is 123456"),
	})
	var se *smpp.StatusError
	switch {
	case errors.As(err, &se):
		fmt.Println("refused:", se.Status) // classify: throttled, invalid destination, ...
	case err != nil:
		fmt.Println("not sent or fate unknown, send again:", err)
	default:
		fmt.Println("accepted as", res.MessageID)
	}
}
