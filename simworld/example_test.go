package simworld_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/client"
	"github.com/detourhq/detour/config"
	"github.com/detourhq/detour/server"
	"github.com/detourhq/detour/simworld"
)

// A Detour node on a simulated world: WhatsApp goes silent, and the OTP
// reaches the phone by SMS once fallback_after has passed.
func ExampleStartNode() {
	dir, _ := os.MkdirTemp("", "simworld-example-")
	defer os.RemoveAll(dir)
	cfg, _ := config.Load("", nil, map[string]any{"server.addr": "127.0.0.1:0", "server.data": dir})
	ctx := context.Background()
	n, err := simworld.StartNode(ctx, cfg, server.Options{}, simworld.Config{FallbackAfter: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Stop(ctx)
	key, _, _ := server.CreateKey(ctx, n.Server.Store(), "example", time.Now())
	c := client.New(n.URL(), key)

	_ = n.World.SetMode(simworld.WhatsApp, simworld.Silent)
	_, err = c.Send(ctx, &detour.SendRequest{To: "+447400123456", Content: detour.Content{
		Text:     "Your code is 424242",
		Template: &detour.Template{Name: "otp_code", Language: "en", Params: []string{"424242"}},
	}}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got := n.World.Handset("+447400123456"); len(got) > 0 {
			fmt.Println(got[0].Channel, got[0].From, got[0].Text)
			return
		}
	}
	fmt.Println("nothing arrived")
	// Output: sms Detour Your code is 424242
}
