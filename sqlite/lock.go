package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockName is the lock file an exclusive store holds in its data
// directory.
const LockName = "detour.lock"

// lockDir takes an exclusive, non-blocking lock on dir's lock file. The
// kernel releases it when the process dies, so a crash never leaves the
// directory locked.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sqlite: another Detour server is using the data directory %s", dir)
		}
		return nil, fmt.Errorf("sqlite: lock data directory: %w", err)
	}
	return f, nil
}
