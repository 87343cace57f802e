// Package errs holds the domain's one error type, its codes and constructors. It is a leaf:
// casestudy and its rule packages (casestudy/session) return these errors, and casestudy
// re-exports them, so callers see casestudy.Error.
package errs

import (
	"fmt"
	"strings"
	"time"
)

// Error codes, independent of any transport. The HTTP layer maps each to a status.
const (
	ECONFLICT     = "conflict"     // the request clashes with current state, e.g. e-mail taken
	EFORBIDDEN    = "forbidden"    // signed in, a member, but lacking the role
	EINTERNAL     = "internal"     // a fault of ours; the message is generic
	EINVALID      = "invalid"      // malformed request
	ENOTFOUND     = "not_found"    // absent, or not visible to this user
	ERATELIMITED  = "rate_limited" // too many requests; try again later
	ETOOLARGE     = "too_large"    // request body or field beyond its limit
	EUNAUTHORIZED = "unauthorized" // not signed in
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) cannot be reached
	EVALIDATION   = "validation"   // well-formed but a field breaks a rule; Field names it
)

// Error is the one error type of the domain: a code, a message safe to show to the user, and
// the field it concerns, if any. Messages never contain case text or other confidential content.
// An error the domain did not expect (a fault of the database, or of ours) keeps the operation
// that failed and its cause, for the log; the user sees only the code and the message.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, with ERATELIMITED or EUNAVAILABLE, says when trying again can succeed.
	RetryAfter time.Duration
	// Details, when set, is more for the client to act on, e.g. the open findings of a case.
	Details any
	// Op is the operation that failed, e.g. "casestudy.Cases.CreateCase".
	Op string
	// Err is the cause, when the error classifies another one; never shown to the user.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	b.WriteString(e.Code + ": " + e.Message)
	if e.Field != "" {
		b.WriteString(" (" + e.Field + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so that errors.Is and errors.As see through the classification.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a validation *Error that names the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EVALIDATION, Message: fmt.Sprintf(format, args...), Field: field}
}
