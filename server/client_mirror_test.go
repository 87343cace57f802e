package server_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/casecircle/casecircle/realtime"
)

// The browser's protocol module mirrors realtime/protocol.go: its close codes are the
// server's, it handles every frame type the server sends, and it takes timings and limits from
// hello rather than copying them.
func TestBrowserClientMirrorsTheProtocol(t *testing.T) {
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
