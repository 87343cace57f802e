// Package casestudy is casecircle's domain: groups, members, roles, cases, messages, live
// sessions and the archive, with their validation, error codes, services and all of the SQL.
package casestudy

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/lib/pq"
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
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, with ERATELIMITED, says when trying again can succeed.
	RetryAfter time.Duration
	// Details, when set, is more for the client to act on, e.g. the open findings of a case.
	Details any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

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

// errUnavailable is what a failed database connection becomes: the request was fine, the
// database could not be reached, and trying again later can succeed.
var errUnavailable = &Error{Code: EUNAVAILABLE, Message: "The database cannot be reached right now; try again in a few seconds.", RetryAfter: 5 * time.Second}

// AsError returns err as the domain's *Error: itself when it is one, EUNAVAILABLE when the
// database could not be reached (classified here once, for every caller), or nil for any
// other error, which is a fault of ours.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if isUnavailable(err) {
		return errUnavailable
	}
	return nil
}

// isUnavailable says whether err means the database could not be reached or went away: a
// refused or broken connection, a server shutting down or starting up, too many connections.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code.Class() == "08": // connection exception
			return true
		case pqErr.Code == "57P01", pqErr.Code == "57P02", pqErr.Code == "57P03", pqErr.Code == "53300":
			// admin shutdown, crash shutdown, cannot connect now, too many connections
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &netErr)
}
