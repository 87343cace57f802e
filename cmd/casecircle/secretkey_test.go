package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/internal/pgtest"
)

func TestSecretKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key, created, err := loadSecretKey(dir)
	if err != nil || !created || len(key) != 32 {
		t.Fatalf("first start: %d bytes, created %v, %v", len(key), created, err)
	}
	info, err := os.Stat(filepath.Join(dir, secretKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	again, created, err := loadSecretKey(dir)
	if err != nil || created || string(again) != string(key) {
		t.Fatalf("second start: created %v, same key %v, %v", created, string(again) == string(key), err)
	}
	if err := os.Chmod(filepath.Join(dir, secretKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadSecretKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file was accepted: %v", err)
	}
}

func TestSecretKeyFromEnvironment(t *testing.T) {
	env := func(v string) envLookup {
		return func(k string) string {
			if k == "CASECIRCLE_SECRET_KEY" {
				return v
			}
			return ""
		}
	}
	hexKey := strings.Repeat("ab", 32)
	cfg, err := parseConfig("serve", nil, env(hexKey), os.Stderr)
	if err != nil || len(cfg.SecretKey) != 32 || cfg.SecretKey[0] != 0xab {
		t.Fatalf("hex key: %v %v", cfg.SecretKey, err)
	}
	if _, err := parseConfig("serve", nil, env("c2hvcnQ="), os.Stderr); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("a short key was accepted: %v", err)
	}
	if _, err := parseConfig("serve", nil, env("not a key!"), os.Stderr); err == nil {
		t.Fatal("garbage accepted as a key")
	}
}

// TestAnotherKeyIsRefused: a process whose key is not the one the database's label books were
// written with refuses to start, instead of writing books nobody can read.
func TestAnotherKeyIsRefused(t *testing.T) {
	url, _ := pgtest.NewDatabaseURL(t)
	first := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text", SecretKey: testSecretKey})
	defer first.Close()
	other := NewMain(Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text", SecretKey: []byte(strings.Repeat("x", 32))}, quietLogger())
	defer other.Close()
	if err := other.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Fatalf("a second key was accepted: %v", err)
	}
}

// TestContainerNeedsTheKey: where a database URL is required (the container image), the key must
// come from the environment: there is no data directory to keep a key file in.
func TestContainerNeedsTheKey(t *testing.T) {
	env := map[string]string{"CASECIRCLE_REQUIRE_DATABASE_URL": "true", "DATABASE_URL": "postgres://u:p@db/cc"}
	lookup := func(k string) string { return env[k] }
	if _, err := parseConfig("serve", nil, lookup, os.Stderr); err == nil || !strings.Contains(err.Error(), "CASECIRCLE_SECRET_KEY is required") {
		t.Fatalf("no key: %v", err)
	}
	env["CASECIRCLE_SECRET_KEY"] = strings.Repeat("0f", 32)
	if _, err := parseConfig("serve", nil, lookup, os.Stderr); err != nil {
		t.Fatal(err)
	}
}
