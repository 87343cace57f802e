package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) envLookup { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfg, err := parseConfig("serve", nil, envOf(nil), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		want := Config{Addr: "127.0.0.1:8080", DataDir: "./data", LogFormat: "text", WSMessageRate: 10, WSMessageBurst: 20, WSMaxSocketsPerUser: 20, WSMaxSocketsPerIP: 200, AuthRate: 10, RetentionEvery: time.Hour}
		if !reflect.DeepEqual(cfg, want) {
			t.Fatalf("got %+v, want %+v", cfg, want)
		}
	})

	t.Run("environment", func(t *testing.T) {
		cfg, err := parseConfig("serve", nil, envOf(map[string]string{
			"CASECIRCLE_ADDR": "0.0.0.0:9000", "DATABASE_URL": "postgres://u:p@db/cc",
			"CASECIRCLE_DATA_DIR": "/var/lib/cc", "CASECIRCLE_LOG_FORMAT": "json",
			"CASECIRCLE_ALLOWED_ORIGINS": "https://a.example, https://b.example/", "CASECIRCLE_DEMO": "true",
			"CASECIRCLE_WS_MESSAGE_RATE": "2.5", "CASECIRCLE_WS_MESSAGE_BURST": "5", "CASECIRCLE_AUTH_RATE": "100", "CASECIRCLE_RETENTION_EVERY": "15m",
			"CASECIRCLE_WS_MAX_SOCKETS_PER_USER": "3", "CASECIRCLE_WS_MAX_SOCKETS_PER_IP": "4000",
		}), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		want := Config{Addr: "0.0.0.0:9000", DatabaseURL: "postgres://u:p@db/cc", DataDir: "/var/lib/cc",
			LogFormat: "json", AllowedOrigins: []string{"https://a.example", "https://b.example"}, Demo: true,
			WSMessageRate: 2.5, WSMessageBurst: 5, WSMaxSocketsPerUser: 3, WSMaxSocketsPerIP: 4000, AuthRate: 100, RetentionEvery: 15 * time.Minute}
		if !reflect.DeepEqual(cfg, want) {
			t.Fatalf("got %+v, want %+v", cfg, want)
		}
	})

	t.Run("flags override the environment; repeated origins replace the env list", func(t *testing.T) {
		cfg, err := parseConfig("serve", []string{"--addr", ":1", "--allowed-origin", "https://x.example", "--allowed-origin=https://y.example", "--demo=false"},
			envOf(map[string]string{"CASECIRCLE_ADDR": ":2", "CASECIRCLE_ALLOWED_ORIGINS": "https://env.example", "CASECIRCLE_DEMO": "1"}), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Addr != ":1" || cfg.Demo || !reflect.DeepEqual(cfg.AllowedOrigins, []string{"https://x.example", "https://y.example"}) {
			t.Fatalf("got %+v", cfg)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"origin with a path", []string{"--allowed-origin", "https://a.example/app"}, nil, "--allowed-origin"},
		{"origin without scheme", []string{"--allowed-origin", "a.example"}, nil, "--allowed-origin"},
		{"bad boolean in env", nil, map[string]string{"CASECIRCLE_DEMO": "perhaps"}, "CASECIRCLE_DEMO"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"unknown flag", []string{"--port", "8080"}, nil, "not defined"},
		{"bad trusted proxy", []string{"--trusted-proxy", "proxy.local"}, nil, "--trusted-proxy"},
		{"bad secure-cookies", nil, map[string]string{"CASECIRCLE_SECURE_COOKIES": "maybe"}, "CASECIRCLE_SECURE_COOKIES"},
		{"container without DATABASE_URL", nil, map[string]string{"CASECIRCLE_REQUIRE_DATABASE_URL": "true"}, "DATABASE_URL is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig("serve", tc.args, envOf(tc.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}

	t.Run("trusted proxies and secure cookies", func(t *testing.T) {
		cfg, err := parseConfig("serve", []string{"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.0.2.7", "--secure-cookies"}, envOf(nil), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[0].String() != "10.0.0.0/8" || cfg.TrustedProxies[1].String() != "192.0.2.7/32" || !cfg.SecureCookies {
			t.Fatalf("got %v %v", cfg.TrustedProxies, cfg.SecureCookies)
		}
	})

	t.Run("help documents every flag and its variable", func(t *testing.T) {
		var out bytes.Buffer
		_, err := parseConfig("serve", []string{"--help"}, envOf(nil), &out)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("err = %v, want flag.ErrHelp", err)
		}
		for _, f := range serveFlags {
			if !strings.Contains(out.String(), "--"+f.name) || !strings.Contains(out.String(), f.env) {
				t.Errorf("--help lacks --%s or %s:\n%s", f.name, f.env, out.String())
			}
		}
	})
}

func TestRunExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, envOf(nil), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "serve") {
		t.Fatalf("--help: exit %d, output %q", code, stdout.String())
	}
	if code := run([]string{"frobnicate"}, envOf(nil), &stdout, &stderr); code != 2 {
		t.Fatalf("unknown command: exit %d, want 2", code)
	}
	if code := run([]string{"serve", "--log-format", "xml"}, envOf(nil), &stdout, &stderr); code != 2 {
		t.Fatalf("bad flag: exit %d, want 2", code)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://cc:s3cret@db.example:5432/cc?sslmode=require": "postgres://cc:xxxxx@db.example:5432/cc?sslmode=require",
		"postgres:///cc?host=/run/pg&password=s3cret":             "postgres:///cc?host=%2Frun%2Fpg&password=xxxxx",
		"host=db user=cc password=s3cret dbname=cc":               "host=db user=cc password=xxxxx dbname=cc",
		"host=db password='s3 cret' dbname=cc":                    "host=db password=xxxxx dbname=cc",
	} {
		got := redactURL(in)
		if got != want || strings.Contains(got, "s3") {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultPublicURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080", "0.0.0.0:9000": "http://localhost:9000",
		"[::]:8080": "http://localhost:8080", "[::1]:8080": "http://[::1]:8080",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := defaultPublicURL(a); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	if _, err := parseConfig("serve", []string{"--public-url", "https://evil.example/path?x"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("a public URL with a path and query was accepted")
	}
}
