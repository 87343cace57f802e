package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/server"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	*httptest.Server
	logs *syncBuffer
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	db := pgtest.NewDB(t)
	logs := &syncBuffer{}
	srv, err := server.New(server.Config{DB: db.DB, Service: closedAtEnd(t, casestudy.NewService(db.DB)), Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close) // first: the hub's goroutines and any sockets
	return &testServer{Server: ts, logs: logs}
}

func (ts *testServer) do(t *testing.T, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func TestProbes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for path, want := range map[string]string{"/healthz": `{"status":"ok"}`, "/readyz": `{"status":"ready"}`} {
		res, body := ts.do(t, "GET", path, nil)
		if res.StatusCode != 200 || strings.TrimSpace(body) != want {
			t.Errorf("%s = %d %s, want 200 %s", path, res.StatusCode, body, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.do(t, "GET", "/", nil)
	ts.do(t, "GET", "/no/such/page", nil)
	res, body := ts.do(t, "GET", "/metrics", nil)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics = %d", res.StatusCode)
	}
	for _, want := range []string{
		`casecircle_http_requests_total{method="GET",route="/",status="200"} 1`,
		`casecircle_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`casecircle_http_request_duration_seconds_bucket{method="GET",route="/",status="200",le="+Inf"} 1`,
		`go_goroutines `,
		`go_sql_max_open_connections{db_name="casecircle"} 40`,
		`go_sql_in_use_connections{db_name="casecircle"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "/no/such/page") {
		t.Error("raw paths must not become metric labels")
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res, _ := ts.do(t, "GET", "/healthz", nil)
	generated := res.Header.Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(generated) {
		t.Fatalf("generated request id %q", generated)
	}
	res, _ = ts.do(t, "GET", "/", http.Header{"X-Request-Id": {"lb-1234.abc"}})
	if got := res.Header.Get("X-Request-ID"); got != "lb-1234.abc" {
		t.Errorf("a plain incoming id should be kept, got %q", got)
	}
	if !strings.Contains(ts.logs.String(), "request_id=lb-1234.abc") {
		t.Errorf("log lines lack the request id:\n%s", ts.logs.String())
	}
	res, _ = ts.do(t, "GET", "/", http.Header{"X-Request-Id": {"evil\" msg=forged " + strings.Repeat("x", 80)}})
	if got := res.Header.Get("X-Request-ID"); strings.Contains(got, "evil") {
		t.Errorf("an unsafe incoming id must be replaced, got %q", got)
	}
}

func TestLogsCarryNoPathOrQuery(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.do(t, "GET", "/?q=ConfidentialClientName", nil)
	ts.do(t, "GET", "/join/SECRET-INVITE-TOKEN", nil)
	ts.do(t, "GET", "/no/such/SECRET-PATH", nil)
	logs := ts.logs.String()
	for _, secret := range []string{"ConfidentialClientName", "SECRET-INVITE-TOKEN", "SECRET-PATH"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `route=/ `) || !strings.Contains(logs, "route=/join/:token") || !strings.Contains(logs, "route=unmatched") {
		t.Errorf("log lacks the route patterns:\n%s", logs)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, path := range []string{"/", "/healthz", "/nope"} {
		res, _ := ts.do(t, "GET", path, nil)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: missing nosniff or Referrer-Policy", path)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	t.Run("unknown API route is JSON 404", func(t *testing.T) {
		res, body := ts.do(t, "GET", "/api/v1/nothing", http.Header{"Accept": {"text/html"}})
		var e errorJSON
		if res.StatusCode != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" || e.Error.Message == "" {
			t.Fatalf("got %d %s", res.StatusCode, body)
		}
	})
	t.Run("wrong method is a 404 too", func(t *testing.T) {
		res, body := ts.do(t, "POST", "/healthz", nil)
		var e errorJSON
		if res.StatusCode != 404 && res.StatusCode != 405 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" {
			t.Fatalf("got %d %s", res.StatusCode, body)
		}
	})
	t.Run("a browser gets an HTML error page", func(t *testing.T) {
		res, body := ts.do(t, "GET", "/no/such/page", http.Header{"Accept": {"text/html,application/xhtml+xml"}})
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Page not found") {
			t.Fatalf("got %d %s", res.StatusCode, body)
		}
	})
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, page := ts.do(t, "GET", "/", nil)
	m := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("home page links no fingerprinted stylesheet:\n%s", page)
	}
	res, body := ts.do(t, "GET", m[1], nil)
	if res.StatusCode != 200 || !strings.Contains(body, "--accent") {
		t.Fatalf("GET %s = %d", m[1], res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("Cache-Control %q", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type %q", ct)
	}
	res, _ = ts.do(t, "GET", m[1], http.Header{"If-None-Match": {res.Header.Get("ETag")}})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", res.StatusCode)
	}
	for _, path := range []string{"/static/app.css", "/static/app.000000000000.css", "/static/../go.mod"} {
		if res, _ := ts.do(t, "GET", path, nil); res.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, res.StatusCode)
		}
	}
}
