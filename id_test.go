package detour_test

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/detourhq/detour"
)

func TestIDsAreUniqueAndSortedByTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := detour.NewIDSource(func() time.Time { return now }, nil)
	var ids []string
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		if i%1000 == 0 {
			now = now.Add(time.Millisecond)
		}
		id := src.New("msg_")
		if seen[id] || !detour.ValidID("msg_", id) {
			t.Fatalf("id %q repeats or is invalid", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids from one source must sort in creation order")
	}
	for _, bad := range []string{"", "msg_", "att_01ARZ3NDEKTSV4RRFFQ69G5FAV", "msg_01ARZ3NDEKTSV4RRFFQ69G5FA", "msg_01ARZ3NDEKTSV4RRFFQ69G5FAU", "msg_01arz3ndektsv4rrffq69g5fav"} {
		if detour.ValidID("msg_", bad) {
			t.Errorf("%q should be invalid", bad)
		}
	}
}

func TestAPIKeysRoundTripAndRejectForgeries(t *testing.T) {
	plain, k := detour.NewAPIKey(detour.NewIDSource(time.Now, nil), time.Now())
	id, hash, ok := detour.ParseAPIKey(plain)
	if !ok || id != k.ID || !k.Matches(hash) {
		t.Fatalf("round trip: %v %v", ok, id)
	}
	forged := plain[:len(plain)-1] + "A"
	if plain[len(plain)-1] == 'A' {
		forged = plain[:len(plain)-1] + "B"
	}
	if _, h, ok := detour.ParseAPIKey(forged); !ok || k.Matches(h) {
		t.Fatal("a changed secret must not match")
	}
	for _, bad := range []string{"", "dtr_", plain + "x", "xyz" + plain[3:], plain[:30] + "-" + plain[31:]} {
		if _, _, ok := detour.ParseAPIKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var d detour.Duration
	if err := json.Unmarshal([]byte(`"1m30s"`), &d); err != nil || d.Std() != 90*time.Second {
		t.Fatalf("%v %v", d, err)
	}
	b, _ := json.Marshal(detour.Duration(10 * time.Second))
	if string(b) != `"10s"` {
		t.Fatalf("marshal: %s", b)
	}
	for _, bad := range []string{`10`, `"-1s"`, `"soon"`, `null`} {
		var d detour.Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil && bad != `null` {
			t.Errorf("%s accepted", bad)
		}
	}
}
