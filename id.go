package detour

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// IDs are a prefix and 26 characters of Crockford base32 over 48 bits of
// milliseconds and 80 random bits: unique without coordination, and sorted
// by creation time, so listing newest first is an index scan.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDSource makes IDs. The zero value is not usable; use NewIDSource.
type IDSource struct {
	mu    sync.Mutex
	clock func() time.Time
	rand  io.Reader
	last  int64
	seq   [10]byte
}

// NewIDSource returns an IDSource over a clock and a source of randomness
// (crypto/rand when r is nil).
func NewIDSource(now func() time.Time, r io.Reader) *IDSource {
	if r == nil {
		r = rand.Reader
	}
	return &IDSource{clock: now, rand: r}
}

// New returns a new ID with the given prefix, such as "msg_". Within one
// millisecond IDs from one source increase, keeping them sorted.
func (s *IDSource) New(prefix string) string {
	s.mu.Lock()
	ms := s.clock().UnixMilli()
	if ms <= s.last {
		ms = s.last
		// Same millisecond: increment the random part.
		for i := len(s.seq) - 1; i >= 0; i-- {
			s.seq[i]++
			if s.seq[i] != 0 {
				break
			}
		}
	} else {
		s.last = ms
		if _, err := io.ReadFull(s.rand, s.seq[:]); err != nil {
			panic("detour: no randomness: " + err.Error())
		}
		s.seq[0] &= 0x7f // room to increment without overflow
	}
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(ms)<<16)
	copy(raw[6:], s.seq[:])
	s.mu.Unlock()
	return prefix + encodeBase32(raw[:])
}

// encodeBase32 encodes the 128 bits of b as 26 Crockford base32 characters.
func encodeBase32(b []byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s looks like an ID with the given prefix, so that
// lookups of garbage never reach a store.
func ValidID(prefix, s string) bool {
	if len(s) != len(prefix)+26 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return true
}
