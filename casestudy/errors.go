// Package casestudy is casecircle's domain: groups, members, roles, cases, messages, live
// sessions and the archive, with their validation, error codes, services and all of the SQL.
package casestudy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/casecircle/casecircle/internal/postgres"
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
	// Op is the operation that failed, e.g. "casestudy.(*Service).PostMessage".
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

// ErrorCode returns the code of err when it is (or wraps) an *Error, EUNAVAILABLE when the
// database could not be reached, and EINTERNAL otherwise.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e := AsError(err); e != nil {
		return e.Code
	}
	return EINTERNAL
}

// Messages of the errors that classify a database error.
const (
	unavailableMessage = "The database cannot be reached right now; try again in a few seconds."
	conflictMessage    = "Someone changed this at the same moment; reload and try again."
	internalMessage    = "Something went wrong on our side; it has been logged."
)

// dbError is the one place where an error of the database becomes the domain's: an *Error is
// kept as it is; a connection failure becomes EUNAVAILABLE, a unique violation nobody
// expected ECONFLICT, anything else EINTERNAL; each keeps op and the cause for the log.
func dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return err
	}
	switch {
	case postgres.IsUnavailable(err):
		return &Error{Code: EUNAVAILABLE, Message: unavailableMessage, RetryAfter: 5 * time.Second, Op: op, Err: err}
	case postgres.IsUniqueViolation(err, ""):
		return &Error{Code: ECONFLICT, Message: conflictMessage, Op: op, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // the caller gave up or ran out of time: not a fault to classify
	}
	return &Error{Code: EINTERNAL, Message: internalMessage, Op: op, Err: err}
}

// AsError returns err as the domain's *Error: itself when it is one (or wraps one), the
// classification of a database that could not be reached, or nil for any other error, which
// is a fault of ours.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if postgres.IsUnavailable(err) {
		return dbError("", err).(*Error)
	}
	return nil
}
