// Package password hashes and checks passwords with argon2id, and knows which passwords are too
// common to allow. It holds no policy of the product's beyond that list: the length rules and
// their messages are the domain's (casestudy.ValidatePassword).
package password

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// params are the argon2id costs for new hashes (OWASP's minimum recommendation: 19 MiB, two
// passes, one lane). They are written into each hash (PHC string format), so they can be raised
// later without invalidating stored hashes.
var params = argon2Params{memoryKiB: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

type argon2Params struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
	saltLen   int
	keyLen    uint32
}

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is read once from the shipped list; it never changes after start.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			set[strings.ToLower(line)] = true
		}
	}
	return set
})

// IsCommon says whether a password is on the shipped list of common passwords (compared
// without case) or is one character repeated.
func IsCommon(password string) bool {
	first, _ := utf8.DecodeRuneInString(password)
	return commonPasswords()[strings.ToLower(password)] || strings.Trim(password, string(first)) == ""
}

// Hash returns an argon2id hash in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func Hash(password string) (string, error) {
	p := params
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, p.keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memoryKiB, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify says whether password matches the PHC-format hash, in constant time.
func Verify(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id PHC hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	var p argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.time, &p.threads); err != nil {
		return false, fmt.Errorf("bad argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Dummy is a hash to verify against when an e-mail has no account, so that answering "wrong
// e-mail" costs as much time as answering "wrong password". It is made on first use, not at
// start-up: hashing costs tens of milliseconds and 19 MiB, which commands such as
// `casecircle anonymise` should not pay.
var Dummy = sync.OnceValue(func() string {
	h, err := Hash("casecircle-timing-equaliser")
	if err != nil {
		panic(err)
	}
	return h
})
