package postgres_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/internal/postgres"
)

func TestClassifyingErrors(t *testing.T) {
	unique := &pq.Error{Code: pqerror.UniqueViolation, Constraint: "users_email_key"}
	for _, c := range []struct {
		name                      string
		err                       error
		unavailable, race, unique bool
	}{
		{"nil", nil, false, false, false},
		{"unique, wrapped", fmt.Errorf("insert: %w", unique), false, true, true},
		{"deadlock", &pq.Error{Code: pqerror.TRDeadlockDetected}, false, true, false},
		{"connection failure", &pq.Error{Code: "08006"}, true, false, false},
		{"too many connections", &pq.Error{Code: pqerror.TooManyConnections}, true, false, false},
		{"shutting down", &pq.Error{Code: pqerror.AdminShutdown}, true, false, false},
		{"syntax", &pq.Error{Code: "42601"}, false, false, false},
		{"bad connection", driver.ErrBadConn, true, false, false},
		{"cut short", io.ErrUnexpectedEOF, true, false, false},
		{"other", errors.New("boom"), false, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := postgres.IsUnavailable(c.err); got != c.unavailable {
				t.Errorf("IsUnavailable = %v, want %v", got, c.unavailable)
			}
			if got := postgres.IsRace(c.err); got != c.race {
				t.Errorf("IsRace = %v, want %v", got, c.race)
			}
			if got := postgres.IsUniqueViolation(c.err, ""); got != c.unique {
				t.Errorf("IsUniqueViolation = %v, want %v", got, c.unique)
			}
		})
	}
	if !postgres.IsUniqueViolation(unique, "users_email_key") || postgres.IsUniqueViolation(unique, "other_key") {
		t.Error("IsUniqueViolation does not tell constraints apart")
	}
}

// A real server's errors carry the codes the classification expects.
func TestClassifyingAServersErrors(t *testing.T) {
	db, err := postgres.Open(context.Background(), pgtest.NewEmptyDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (k int PRIMARY KEY); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO t VALUES (1)`)
	if !postgres.IsUniqueViolation(err, "t_pkey") || !postgres.IsRace(err) || postgres.IsUnavailable(err) {
		t.Errorf("a duplicate key (%v) is not classified as a unique violation", err)
	}
	_, err = db.Exec(`SELECT pg_terminate_backend(pg_backend_pid())`)
	if !postgres.IsUnavailable(err) {
		t.Errorf("a terminated connection (%v) is not classified as unavailable", err)
	}
}
