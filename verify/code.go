package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/detourhq/detour"
)

// MinSecretLength is the shortest server secret accepted, in bytes.
const MinSecretLength = 32

// seedLength is how many random bytes each verification's code comes
// from.
const seedLength = 16

// codes holds the server secret for its two uses: deriving a
// verification's code from its seed, and hashing a code for checks.
//
// Codes are derived rather than drawn and kept, because a verification's
// later sends (a fallback to SMS minutes after WhatsApp, a resend after a
// restart) need the same code and nothing may store it: the code is
// CodeLength decimal digits read without bias from
// HMAC-SHA256(secret, "detour/verify/code" ‖ id ‖ seed ‖ counter), where
// the seed is 16 bytes of crypto/rand. Without the secret the seed says
// nothing about the code, as the hash says nothing about it.
type codes struct {
	secret []byte
}

func newCodes(secret detour.Secret) (*codes, error) {
	s := secret.Reveal()
	if len(s) < MinSecretLength {
		return nil, fmt.Errorf("verify: the secret must be at least %d bytes, it is %d", MinSecretLength, len(s))
	}
	return &codes{secret: []byte(s)}, nil
}

// derive returns the code of the verification with the given id and seed.
func (c *codes) derive(id string, seed []byte, length int) string {
	digits := make([]byte, 0, length)
	var ctr [4]byte
	for block := uint32(0); len(digits) < length; block++ {
		mac := hmac.New(sha256.New, c.secret)
		mac.Write([]byte("detour/verify/code\x00"))
		mac.Write([]byte(id))
		mac.Write([]byte{0})
		mac.Write(seed)
		binary.BigEndian.PutUint32(ctr[:], block)
		mac.Write(ctr[:])
		for _, b := range mac.Sum(nil) {
			// 250 is the largest multiple of 10 a byte holds: bytes at or
			// above it are dropped so that every digit is as likely.
			if b < 250 && len(digits) < length {
				digits = append(digits, '0'+b%10)
			}
		}
	}
	return string(digits)
}

// hash returns HMAC-SHA256(secret, id + code), what a verification keeps
// of its code. Ids have a fixed length, so id + code is unambiguous.
func (c *codes) hash(id, code string) []byte {
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(id))
	mac.Write([]byte(code))
	return mac.Sum(nil)
}

// newSeed reads a verification's seed from r.
func newSeed(r io.Reader) ([]byte, error) {
	seed := make([]byte, seedLength)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, errors.New("verify: no randomness for a code: " + err.Error())
	}
	return seed, nil
}
