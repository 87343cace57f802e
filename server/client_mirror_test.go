package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/realtime"
)

// The browser's protocol module mirrors realtime/protocol.go: its close codes are the
// server's, it handles every frame type the server sends, and it takes timings and limits from
// hello rather than copying them.
func TestBrowserClientMirrorsTheProtocol(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../frontend/static/room-client.js")
	if err != nil {
		t.Fatal(err)
	}
	client := string(b)
	if m := regexp.MustCompile(`PROTOCOL_VERSION = (\d+)`).FindStringSubmatch(client); m == nil || m[1] != strconv.Itoa(realtime.ProtocolVersion) {
		t.Errorf("the client speaks protocol version %v, the server %d", m, realtime.ProtocolVersion)
	}
	for name, code := range map[string]int{
		"GOING_AWAY": realtime.CloseGoingAway, "POLICY": 1008, "TOO_BIG": 1009, "SESSION_ENDED": realtime.CloseSignedOut,
		"ACCESS_CHANGED": realtime.CloseAccessChanged, "SLOW": realtime.CloseSlow,
	} {
		if !regexp.MustCompile(`\b` + name + `: ` + strconv.Itoa(code) + `\b`).MatchString(client) {
			t.Errorf("the client's CLOSE.%s is not %d", name, code)
		}
	}
	for _, typ := range []string{realtime.TypeHello, realtime.TypeSubscribed, realtime.TypeUnsubscribed, realtime.TypeEvent,
		realtime.TypeAck, realtime.TypeError, realtime.TypeResyncRequired, realtime.TypePresence, realtime.TypeTypingNotice} {
		if !regexp.MustCompile(`case '` + typ + `':`).MatchString(client) {
			t.Errorf("the client does not handle %q frames", typ)
		}
	}
	for _, field := range []string{"typing_every_ms", "typing_timeout_ms", "max_message_chars"} {
		if !regexp.MustCompile(`f\.` + field).MatchString(client) {
			t.Errorf("the client does not read hello's %s", field)
		}
	}
	if regexp.MustCompile(`typingSentAt < \d`).MatchString(client) {
		t.Error("the client throttles typing by a copied constant instead of hello's typing_every_ms")
	}
}

// The pages call the JSON API through api.js alone, so that requests, errors and findings are
// handled one way: no other script fetches, but for the two that read no API (the health
// check, and the room page's own HTML), and none reads findings but through findingsOf.
func TestPagesCallTheAPIThroughOneModule(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../frontend/static/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts (%v)", err)
	}
	allowed := []string{`fetch('/readyz'`, `fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } })`}
	for _, f := range files {
		if filepath.Base(f) == "api.js" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, a := range allowed {
			src = strings.ReplaceAll(src, a, "")
		}
		if strings.Contains(src, "fetch(") {
			t.Errorf("%s calls fetch itself; use api.js", filepath.Base(f))
		}
		if strings.Contains(src, "details.findings") || strings.Contains(src, "error.findings") || strings.Contains(src, "err.findings") {
			t.Errorf("%s reads an error's findings itself; use findingsOf from api.js", filepath.Base(f))
		}
	}
}
