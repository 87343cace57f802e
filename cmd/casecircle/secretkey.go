package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The server's secret key keys the digests of the cases' label books (casestudy.WithSecretKey).
// It never goes into the database, and every process sharing a database needs the same one. It
// comes from CASECIRCLE_SECRET_KEY (never a flag: flags show in process lists), or from the file
// secret.key in the data directory, made with a random key (mode 0600) on first start.

// secretKeyFile is the key's file name in the data directory.
const secretKeyFile = "secret.key"

// minSecretKey is the shortest key accepted, in bytes.
const minSecretKey = 32

// parseSecretKey reads a key written as hex or base64 (standard or URL alphabet, padded or not).
func parseSecretKey(raw string) ([]byte, error) {
	raw = strings.TrimSpace(raw)
	var key []byte
	var err error
	switch {
	case len(raw)%2 == 0 && isHex(raw):
		key, err = hex.DecodeString(raw)
	default:
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if key, err = enc.DecodeString(raw); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, errors.New("the secret key must be hex or base64")
	}
	if len(key) < minSecretKey {
		return nil, fmt.Errorf("the secret key must be at least %d bytes (this one has %d); make one with: openssl rand -hex 32", minSecretKey, len(key))
	}
	return key, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// loadSecretKey returns the key in dataDir/secret.key, making the file with a random key on
// first start. A key file that others may read is refused rather than used.
func loadSecretKey(dataDir string) (key []byte, created bool, err error) {
	if dataDir == "" {
		return nil, false, errors.New("set CASECIRCLE_SECRET_KEY, or --data-dir for a secret.key file")
	}
	path := filepath.Join(dataDir, secretKeyFile)
	if info, err := os.Stat(path); err == nil {
		if info.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("%s can be read by other users: chmod 600 it", path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, false, err
		}
		key, err := parseSecretKey(string(raw))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil { // the embedded cluster's owner must reach into it
		return nil, false, err
	}
	key = make([]byte, minSecretKey)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		return loadSecretKey(dataDir)
	}
	if err != nil {
		return nil, false, err
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(key)); err != nil {
		f.Close()
		return nil, false, err
	}
	return key, true, f.Close()
}
