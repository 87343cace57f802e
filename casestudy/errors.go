// Package casestudy is casecircle's domain: groups, members, roles, cases, messages, live
// sessions and the archive, with their validation, error codes, services and all of the SQL.
package casestudy

import (
	"context"
	"errors"
	"time"

	"github.com/casecircle/casecircle/casestudy/errs"
	"github.com/casecircle/casecircle/internal/postgres"
)

// The domain's error type and codes live in the leaf package errs, so that the rule packages
// (casestudy/session) can return them too; here they keep their names.

// Error codes, independent of any transport. The HTTP layer maps each to a status.
const (
	ECONFLICT     = errs.ECONFLICT
	EFORBIDDEN    = errs.EFORBIDDEN
	EINTERNAL     = errs.EINTERNAL
	EINVALID      = errs.EINVALID
	ENOTFOUND     = errs.ENOTFOUND
	ERATELIMITED  = errs.ERATELIMITED
	ETOOLARGE     = errs.ETOOLARGE
	EUNAUTHORIZED = errs.EUNAUTHORIZED
	EUNAVAILABLE  = errs.EUNAVAILABLE
	EVALIDATION   = errs.EVALIDATION
)

// Error is the one error type of the domain (see errs.Error).
type Error = errs.Error

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error { return errs.Errorf(code, format, args...) }

// FieldErrorf returns a validation *Error that names the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return errs.FieldErrorf(field, format, args...)
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
