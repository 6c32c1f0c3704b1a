package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sqlite"
)

// Open a store, accept a message and claim it for sending.
func Example() {
	dir, err := os.MkdirTemp("", "detour-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	ids := detour.NewIDSource(time.Now, nil)
	m := &detour.Message{
		ID: ids.New("msg_"), TenantID: "ten_example", To: "+447400123456",
		Content:  detour.Content{Text: "Your code is 123456"},
		Steps:    []detour.Step{{Channel: "sandbox"}},
		Priority: detour.PriorityOTP, Status: detour.StatusQueued,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		Timer: &detour.Timer{Kind: detour.TimerSend, RunAt: now},
	}
	if _, _, err := db.CreateMessage(ctx, m, &detour.Idempotency{Key: "order-42", RequestHash: []byte("h")}); err != nil {
		log.Fatal(err)
	}

	claimed, err := db.Claim(ctx, detour.ClaimRequest{Owner: "node_1", Now: now, Lease: 30 * time.Second, Limit: 100},
		func(m *detour.Message) error {
			m.SetStatus(detour.StatusSending, now)
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range claimed {
		fmt.Println(c.Status, c.Timer.Owner, c.Timer.Lease, c.Timer.RunAt.Sub(now))
	}
	// Output: sending node_1 1 30s
}
