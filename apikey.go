package detour

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"
)

// API keys read "dtr_" + a 26-character key id + "_" + 43 characters of
// secret (32 random bytes, base64url). The id finds the stored key; only the
// SHA-256 of the secret is stored, and it is compared in constant time.
const (
	apiKeyPrefix = "dtr_"
	apiKeyLen    = len(apiKeyPrefix) + 26 + 1 + 43
)

// NewAPIKey makes a new key: the plaintext to show once, and the record to
// store.
func NewAPIKey(ids *IDSource, now time.Time) (plaintext string, k *APIKey) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		panic("detour: no randomness: " + err.Error())
	}
	id := ids.New("key_")
	s := base64.RawURLEncoding.EncodeToString(secret[:])
	sum := sha256.Sum256([]byte(s))
	return apiKeyPrefix + id[len("key_"):] + "_" + s, &APIKey{ID: id, Hash: sum[:], CreatedAt: now}
}

// ParseAPIKey splits a presented key into the stored key's id and the hash
// of its secret. ok is false when the key is not shaped like one of ours.
func ParseAPIKey(plaintext string) (id string, hash []byte, ok bool) {
	if len(plaintext) != apiKeyLen || plaintext[:len(apiKeyPrefix)] != apiKeyPrefix || plaintext[len(apiKeyPrefix)+26] != '_' {
		return "", nil, false
	}
	id = "key_" + plaintext[len(apiKeyPrefix):len(apiKeyPrefix)+26]
	if !ValidID("key_", id) {
		return "", nil, false
	}
	sum := sha256.Sum256([]byte(plaintext[len(apiKeyPrefix)+27:]))
	return id, sum[:], true
}

// Matches reports, in constant time, whether hash is this key's hash.
func (k *APIKey) Matches(hash []byte) bool {
	return subtle.ConstantTimeCompare(k.Hash, hash) == 1
}
