package drill_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/detourhq/detour/drill"
)

// TestShortDrill runs the outage drill with short phases: nothing is
// lost, the silent outage is detected from the missing receipts, and
// messages sent once it is known skip WhatsApp. Real time (about 40 s):
// skipped with -short.
func TestShortDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 40 s of real time; skipped with -short")
	}
	rep, err := drill.Run(context.Background(), drill.Options{Rate: 10, Before: 6 * time.Second, Silent: 14 * time.Second,
		Down: 6 * time.Second, After: 10 * time.Second, FallbackAfter: 4 * time.Second, Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	t.Logf("report:\n%s", b)
	if rep.Lost != 0 || rep.Delivered != rep.Sent || rep.Sent < 300 {
		for _, id := range rep.LostIDs {
			t.Logf("lost %s: %+v", id, rep.LostMessages[id])
		}
		t.Fatalf("sent %d, delivered %d, lost %d", rep.Sent, rep.Delivered, rep.Lost)
	}
	if rep.SilentDetectS == nil || *rep.SilentDetectS > 14 {
		t.Fatalf("silent outage detected after %v s", rep.SilentDetectS)
	}
	if rep.ByChannel["sms"] == 0 || rep.ByChannel["whatsapp"] == 0 {
		t.Fatalf("by channel %v", rep.ByChannel)
	}
}
