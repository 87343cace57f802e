// Package pgtest gives every test its own fresh, migrated PostgreSQL database.
//
// With TEST_DATABASE_URL (or DATABASE_URL) set it uses that server, which must let the role
// create databases. Otherwise it starts one private cluster per test binary (see embeddedpg).
// Either way it migrates a template database once and clones it for each test, which takes a
// few milliseconds instead of a full migration.
//
// A test package that uses it declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// so that the cluster and the template are removed when the tests finish.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"go.uber.org/goleak"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/casecircle/casecircle/internal/embeddedpg"
	"github.com/casecircle/casecircle/internal/postgres"
)

// server is the state shared by the tests of one binary.
type server struct {
	once      sync.Once
	err       error
	cluster   *embeddedpg.Cluster // nil when an external server is used
	tmpDir    string
	adminURL  string // a URL for the maintenance database, from which databases are created
	template  string
	urlFor    func(database string) string
	createdMu sync.Mutex
}

// shared is per test binary by nature: TestMain has no other way to reach it.
var shared server

// Main runs the tests and then tears down the shared cluster and template.
func Main(m *testing.M) {
	code := m.Run()
	shared.close()
	if code == 0 {
		// Every goroutine a test started has an owner that stopped it: none may outlive the
		// tests (database/sql's own pool goroutines end with their pools).
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// DB is a test database: its URL and an open connection pool, both closed with the test.
type DB struct {
	*sqlx.DB
	URL  string
	Name string
}

// NewDB returns a new migrated database for t, dropped when t ends.
func NewDB(t testing.TB) *DB {
	t.Helper()
	url, name := NewDatabaseURL(t)
	db, err := postgres.Open(context.Background(), url) // the pool settings the server uses
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &DB{DB: db, URL: url, Name: name}
}

// NewDatabaseURL creates a new migrated database for t, dropped when t ends, and returns its URL
// and name without opening it (for tests that boot a whole server on it).
func NewDatabaseURL(t testing.TB) (string, string) {
	t.Helper()
	s := mustStart(t)
	name := "t_" + randomSuffix()
	if err := s.exec(context.Background(), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pq.QuoteIdentifier(name), pq.QuoteIdentifier(s.template))); err != nil {
		t.Fatalf("pgtest: cloning template: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})
	return s.urlFor(name), name
}

// NewEmptyDatabaseURL creates a new database with no schema at all, dropped when t ends, for
// tests of migrations themselves.
func NewEmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	s := mustStart(t)
	name := "e_" + randomSuffix()
	if err := s.exec(context.Background(), "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		_ = s.exec(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
	})
	return s.urlFor(name)
}

func mustStart(t testing.TB) *server {
	t.Helper()
	shared.once.Do(shared.start)
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err) // never a skip: data tests without PostgreSQL prove nothing
	}
	return &shared
}

func (s *server) start() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if base := externalURL(); base != "" {
		u, err := url.Parse(base)
		if err != nil {
			s.err = fmt.Errorf("TEST_DATABASE_URL must be a postgres:// URL: %v", err)
			return
		}
		s.adminURL = base
		s.urlFor = func(database string) string {
			v := *u
			v.Path = "/" + database
			return v.String()
		}
	} else {
		s.tmpDir, s.err = TempDir("ccpg")
		if s.err != nil {
			return
		}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		s.cluster, s.err = embeddedpg.Start(ctx, embeddedpg.Config{Dir: s.tmpDir + "/pg", Logger: quiet, Ephemeral: true})
		if s.err != nil {
			return
		}
		s.adminURL = s.cluster.URL("postgres")
		s.urlFor = s.cluster.URL
	}
	s.template = "tpl_" + randomSuffix()
	if s.err = s.exec(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(s.template)); s.err != nil {
		return
	}
	db, err := postgres.Open(ctx, s.urlFor(s.template))
	if err != nil {
		s.err = err
		return
	}
	defer db.Close()
	s.err = postgres.Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func (s *server) exec(ctx context.Context, stmt string) error {
	// CREATE DATABASE … TEMPLATE fails while another session is connected to the template, and
	// parallel tests clone at the same time: serialise the statements of this binary.
	s.createdMu.Lock()
	defer s.createdMu.Unlock()
	db, err := sqlx.Open("postgres", s.adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func (s *server) close() {
	if s.template != "" && s.err == nil {
		_ = s.exec(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(s.template)+" WITH (FORCE)")
	}
	if s.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.cluster.Stop(ctx)
	}
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

func externalURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return os.Getenv("DATABASE_URL")
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TempDir makes a short-named directory under the system temp dir (a Unix socket path is
// limited to 107 bytes) that the postgres OS user can enter when the tests run as root.
// The caller removes it.
func TempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o755) // MkdirTemp makes it 0700, closed to the postgres user
}

// Dump returns a plain-text pg_dump (schema and data) of the database at url, made by the
// installed PostgreSQL's own pg_dump: what someone holding a backup would hold.
func Dump(t testing.TB, url string) string {
	t.Helper()
	bins, err := embeddedpg.FindBinaries(0)
	if err != nil {
		t.Fatalf("pgtest: pg_dump: %v", err)
	}
	// pg_dump lives beside the server programs, or in the version's own directory when those
	// were found through links elsewhere.
	pgDump := ""
	for _, dir := range []string{bins.Dir, fmt.Sprintf("/usr/lib/postgresql/%d/bin", bins.Major)} {
		if _, err := os.Stat(filepath.Join(dir, "pg_dump")); err == nil {
			pgDump = filepath.Join(dir, "pg_dump")
			break
		}
	}
	if pgDump == "" {
		if pgDump, err = exec.LookPath("pg_dump"); err != nil {
			t.Fatalf("pgtest: no pg_dump beside %s", bins.Dir)
		}
	}
	out, err := exec.Command(pgDump, "--no-owner", "--no-privileges", "--dbname", url).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("pgtest: pg_dump: %v: %s", err, stderr)
	}
	return string(out)
}
