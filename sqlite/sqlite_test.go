package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/sqlite"
	"github.com/detourhq/detour/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// open opens a store in dir and closes it when the test ends.
func open(t testing.TB, dir string, opts sqlite.Options) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStore runs the shared suite twice: as a plain store, and as an
// exclusive one whose writer keeps messages in flight in memory.
func TestStore(t *testing.T) {
	for name, opts := range map[string]sqlite.Options{"plain": {}, "exclusive": {Exclusive: true}} {
		t.Run(name, func(t *testing.T) {
			dirs := map[detour.Store]string{}
			storetest.Run(t, storetest.Harness{
				Open: func(t *testing.T) detour.Store {
					dir := filepath.Join(t.TempDir(), "data")
					db := open(t, dir, opts)
					dirs[db] = dir
					return db
				},
				Reopen: func(t *testing.T, s detour.Store) detour.Store {
					dir := dirs[s]
					if err := s.Close(); err != nil {
						t.Fatalf("Close: %v", err)
					}
					db := open(t, dir, opts)
					dirs[db] = dir
					return db
				},
			})
		})
	}
}

func TestExclusiveLocksTheDirectory(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir, sqlite.Options{Exclusive: true})
	if _, err := sqlite.Open(context.Background(), dir, sqlite.Options{Exclusive: true}); err == nil {
		t.Fatal("a second exclusive store opened the same directory")
	}
	// Commands that add keys or check still open it.
	other := open(t, dir, sqlite.Options{})
	other.Close()
	db.Close()
	again := open(t, dir, sqlite.Options{Exclusive: true})
	again.Close()
}
