package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/detourhq/detour"
	"github.com/detourhq/detour/verify"
)

// VerifyKeyFile is the file in the data directory that keeps the
// verification secret when the configuration gives none.
const VerifyKeyFile = "verify.key"

// verifySecret returns the configured secret or, without one, the secret
// kept in dir's verify.key, made (32 random bytes, hex, mode 0600) the
// first time. A key file that others may read is refused.
func verifySecret(configured detour.Secret, dir string) (detour.Secret, error) {
	if configured != "" {
		return configured, nil
	}
	path := filepath.Join(dir, VerifyKeyFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			f.Close()
			os.Remove(path)
			return "", fmt.Errorf("making %s: %w", path, err)
		}
		_, err = f.WriteString(hex.EncodeToString(b[:]) + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", fmt.Errorf("making %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return "", fmt.Errorf("making %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s may be read by others (mode %s): chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < verify.MinSecretLength {
		return "", fmt.Errorf("%s holds %d bytes, a secret needs at least %d", path, len(s), verify.MinSecretLength)
	}
	return detour.Secret(s), nil
}
