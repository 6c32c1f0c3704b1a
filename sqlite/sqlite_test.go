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

func TestStore(t *testing.T) {
	dirs := map[detour.Store]string{}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) detour.Store {
			dir := filepath.Join(t.TempDir(), "data")
			db := open(t, dir, sqlite.Options{})
			dirs[db] = dir
			return db
		},
		Reopen: func(t *testing.T, s detour.Store) detour.Store {
			dir := dirs[s]
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			db := open(t, dir, sqlite.Options{})
			dirs[db] = dir
			return db
		},
	})
}
