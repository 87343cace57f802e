// Package postgres is casecircle's plumbing to PostgreSQL: opening a pool, migrating the schema,
// and telling kinds of database errors apart. It knows no table of the domain's; the SQL lives
// in casestudy.
package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // the PostgreSQL driver, registered as "postgres"
	"github.com/lib/pq/pqerror"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/casecircle/casecircle/migrations"
)

// Open connects to PostgreSQL and checks the connection works.
func Open(ctx context.Context, databaseURL string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to database: %w", err)
	}
	return db, nil
}

// Migrate brings the schema up to date. Each migration runs in its own transaction, and a
// session-level advisory lock serialises migrators, so several instances may start at once.
func Migrate(ctx context.Context, db *sqlx.DB, log *slog.Logger) error {
	locker, err := lock.NewPostgresSessionLocker(
		// Poll for the lock every second for up to five minutes: a long migration on another
		// instance must not make this one give up.
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS,
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	log.Info("database schema up to date", "version", version, "applied_now", len(results))
	return nil
}

// connectionExceptions is the class of the codes of connection failures (08xxx).
const connectionExceptions = "08"

// Code returns the PostgreSQL error code of err, or "" when err is not (and wraps no) error
// from the server.
func Code(err error) pqerror.Code {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code
	}
	return ""
}

// IsUniqueViolation says whether err is a unique violation of the named constraint (of any
// constraint when constraint is "").
func IsUniqueViolation(err error, constraint string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == pqerror.UniqueViolation && (constraint == "" || pqErr.Constraint == constraint)
}

// IsRace says whether err is what two transactions racing for the same rows give: a unique
// violation or a deadlock. Trying again, after the other has committed, can succeed.
func IsRace(err error) bool {
	code := Code(err)
	return code == pqerror.UniqueViolation || code == pqerror.TRDeadlockDetected
}

// IsUnavailable says whether err means the database could not be reached or went away: a
// refused or broken connection, a server shutting down or starting up, too many connections.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow, pqerror.TooManyConnections:
			return true
		}
		return pqErr.Code.Class() == connectionExceptions
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &netErr)
}
