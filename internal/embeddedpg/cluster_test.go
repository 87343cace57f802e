package embeddedpg_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/internal/embeddedpg"
	"github.com/casecircle/casecircle/internal/pgtest"
)

func TestFindBinaries(t *testing.T) {
	b, err := embeddedpg.FindBinaries(0)
	if errors.Is(err, embeddedpg.ErrNoBinaries) {
		t.Fatal("no PostgreSQL binaries on this machine: install them with `apt-get install -y postgresql` (make test does)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if b.Major < 10 || !strings.HasPrefix(b.Version+".", strconv.Itoa(b.Major)+".") {
		t.Fatalf("implausible version %+v", b)
	}
	if _, err := embeddedpg.FindBinaries(b.Major); err != nil {
		t.Fatalf("asking for the installed major version: %v", err)
	}
	_, err = embeddedpg.FindBinaries(99)
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL 99") || !strings.Contains(err.Error(), "postgresql-99") {
		t.Fatalf("a cluster of a missing version should say what to install, got %v", err)
	}
}

func TestStartRefusesUnsuitableDirectories(t *testing.T) {
	base, err := pgtest.TempDir("ccx")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)

	t.Run("a non-empty directory that is no cluster", func(t *testing.T) {
		dir := filepath.Join(base, "busy")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := embeddedpg.Start(context.Background(), embeddedpg.Config{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "neither empty nor a PostgreSQL cluster") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("a path too long for a Unix socket", func(t *testing.T) {
		dir := filepath.Join(base, strings.Repeat("d", 120))
		_, err := embeddedpg.Start(context.Background(), embeddedpg.Config{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "too long for a Unix socket") {
			t.Fatalf("got %v", err)
		}
	})

	if os.Geteuid() == 0 {
		t.Run("a directory the postgres user cannot enter", func(t *testing.T) {
			closed := filepath.Join(base, "closed")
			if err := os.MkdirAll(closed, 0o700); err != nil {
				t.Fatal(err)
			}
			_, err := embeddedpg.Start(context.Background(), embeddedpg.Config{Dir: filepath.Join(closed, "pg")})
			if err == nil || !strings.Contains(err.Error(), "cannot enter "+closed) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
