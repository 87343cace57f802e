package casestudy

import (
	"unicode/utf8"

	"github.com/casecircle/casecircle/internal/password"
)

// Password rules. Argon2 has no 72-byte limit (unlike bcrypt), so every character counts.
const (
	MinPasswordLength = 12  // characters
	MaxPasswordLength = 256 // characters
)

// ValidatePassword applies the password rules, naming field in the error.
func ValidatePassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return FieldErrorf(field, "Use at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		return FieldErrorf(field, "Use at most %d characters.", MaxPasswordLength)
	case password.IsCommon(pw):
		return FieldErrorf(field, "This password is too common; choose another.")
	}
	return nil
}
