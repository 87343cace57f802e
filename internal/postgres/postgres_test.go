package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/internal/postgres"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func schemaVersion(t *testing.T, url string) int64 {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int64
	if err := db.Get(&v, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateIsIdempotent(t *testing.T) {
	url := pgtest.NewEmptyDatabaseURL(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db, quietLogger()); err != nil {
		t.Fatalf("first migration: %v", err)
	}
	first := schemaVersion(t, url)
	if first < 1 {
		t.Fatalf("schema version %d after migrating", first)
	}
	var rowsBefore int
	if err := db.Get(&rowsBefore, `SELECT count(*) FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, db, quietLogger()); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	var rowsAfter int
	if err := db.Get(&rowsAfter, `SELECT count(*) FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	if rowsAfter != rowsBefore || schemaVersion(t, url) != first {
		t.Fatalf("second run changed the schema history: %d rows → %d", rowsBefore, rowsAfter)
	}
	for _, table := range []string{"users", "communities"} {
		var exists bool
		if err := db.Get(&exists, `SELECT to_regclass($1) IS NOT NULL`, table); err != nil || !exists {
			t.Errorf("table %s missing after migration (err %v)", table, err)
		}
	}
}

func TestConcurrentMigratorsDoNotFail(t *testing.T) {
	url := pgtest.NewEmptyDatabaseURL(t)
	const migrators = 4
	var wg sync.WaitGroup
	errs := make(chan error, migrators)
	start := make(chan struct{})
	for range migrators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			db, err := postgres.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			<-start // all connected: race for the lock
			errs <- postgres.Migrate(ctx, db, quietLogger())
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a concurrent migrator failed: %v", err)
		}
	}
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct {
		t.Fatalf("a migration was recorded twice: %d rows for %d versions", applied, distinct)
	}
}
