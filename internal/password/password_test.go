package password_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/internal/password"
)

const goodPassword = "correct horse battery staple"

func TestPasswordHashing(t *testing.T) {
	hash, err := password.Hash(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=19456,t=2,p=1" {
		t.Fatalf("hash %q is not argon2id m=19 MiB t=2 p=1 in PHC format", hash)
	}
	if salt, err := base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) != 16 {
		t.Fatalf("salt of %d bytes (err %v), want 16", len(salt), err)
	}
	if ok, _ := password.Verify(goodPassword, hash); !ok {
		t.Fatal("the right password does not verify")
	}
	if ok, _ := password.Verify(goodPassword+"x", hash); ok {
		t.Fatal("a wrong password verifies")
	}
	t.Run("no truncation at 72 bytes", func(t *testing.T) {
		long := strings.Repeat("abcdefgh", 10) // 80 bytes
		h, _ := password.Hash(long + "1")
		if ok, _ := password.Verify(long+"2", h); ok {
			t.Fatal("passwords differing after byte 72 are treated as equal")
		}
	})
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!$AA"} {
		if ok, err := password.Verify(goodPassword, bad); ok || err == nil {
			t.Errorf("Verify against %q = %v, %v; want false and an error", bad, ok, err)
		}
	}
}

func TestIsCommon(t *testing.T) {
	for pw, want := range map[string]bool{"Password1234": true, "aaaaaaaaaaaaaaa": true, "ééééééééééééé": true, goodPassword: false} {
		if got := password.IsCommon(pw); got != want {
			t.Errorf("IsCommon(%q) = %v, want %v", pw, got, want)
		}
	}
}

func TestDummyVerifiesNothing(t *testing.T) {
	if ok, err := password.Verify("", password.Dummy()); ok || err != nil {
		t.Fatalf("the dummy hash verified an empty password (%v, %v)", ok, err)
	}
}
