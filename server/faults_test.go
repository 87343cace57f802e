package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/realtime"
	"github.com/casecircle/casecircle/server"
)

// lostAnswers is a process's service whose commits reach the database but whose answers never
// reach the process: it stores events under the server's node id and delivers nothing, as a
// COMMIT whose answer was lost does.
func lostAnswers(t testing.TB, s *apiServer) *casestudy.Service {
	return closedAtEnd(t, casestudy.NewService(s.db.DB, casestudy.WithNodeID(s.node)))
}

// An event this node stored without hearing so (the answer to its COMMIT lost) reaches this
// node's subscribers through its own NOTIFY: the bus does not ignore the node's own notices.
// Edits and deletes too.
func TestOwnEventsWhoseAnswerWasLostAreDelivered(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	a := f.author.dialWS(s.URL)
	a.subscribe(f.room, 0)
	lost := lostAnswers(t, s)
	ctx := context.Background()
	ev, err := lost.PostMessage(ctx, f.member.id, f.cid, f.room, casestudy.NewMessage{ClientID: "lost-1", Body: "stored, answer lost"})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.events(1)[0]; got.Seq != ev.Seq || got.Message.Body != "stored, answer lost" {
		t.Fatalf("got %+v", got)
	}
	if _, err := lost.EditMessage(ctx, f.member.id, f.cid, f.room, ev.Message.ID, "edited, answer lost", casestudy.Decisions{}, false); err != nil {
		t.Fatal(err)
	}
	if got := a.events(1)[0]; got.Type != casestudy.EventMessageEdited || got.Message.Body != "edited, answer lost" {
		t.Fatalf("got %+v", got)
	}
	if _, err := lost.DeleteMessage(ctx, f.member.id, f.cid, f.room, ev.Message.ID); err != nil {
		t.Fatal(err)
	}
	if got := a.events(1)[0]; got.Type != casestudy.EventMessageDeleted {
		t.Fatalf("got %+v", got)
	}
	a.quiet(200 * time.Millisecond) // and each once
}

// Without a bus (one process and no LISTEN), resending a message whose first try was stored
// without its answer acks it and delivers it to the room, the sender included.
func TestResentMessageIsDeliveredOnTheResendPath(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.DatabaseURL = "" })
	f := newRoomFixture(t, s)
	a, b := f.author.dialWS(s.URL), f.member.dialWS(s.URL)
	a.subscribe(f.room, 0)
	b.subscribe(f.room, 0)
	if _, err := lostAnswers(t, s).PostMessage(context.Background(), f.member.id, f.cid, f.room,
		casestudy.NewMessage{ClientID: "retry-1", Body: "first try, answer lost"}); err != nil {
		t.Fatal(err)
	}
	a.quiet(200 * time.Millisecond) // nothing yet: no bus, and the storing process never heard
	b.send(map[string]any{"type": "publish", "room": f.room, "client_id": "retry-1", "body": "first try, answer lost", "ref": "r"})
	var acked, delivered bool
	for !acked || !delivered { // the sender gets both, in either order
		fr := b.next()
		switch fr.Type {
		case realtime.TypeAck:
			acked = fr.Seq == 1
		case realtime.TypeEvent:
			delivered = fr.event(t).Seq == 1
		}
	}
	if got := a.events(1)[0]; got.Seq != 1 || got.Message.ClientID != "retry-1" {
		t.Fatalf("got %+v", got)
	}
}

// stopListenerBackends freezes the PostgreSQL backends of every LISTEN connection (SIGSTOP):
// the connections stay open and answer nothing, as a hung peer does. They are thawed when
// the test ends.
func stopListenerBackends(t *testing.T, s *apiServer) {
	t.Helper()
	// This test's database only: other tests' servers (one cluster serves the whole package)
	// may still be closing their own listeners.
	var pids []int
	if err := s.db.Select(&pids, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
		realtime.ListenerApplicationName); err != nil || len(pids) == 0 {
		t.Fatalf("listener backends %v: %v", pids, err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("stopping backend %d: %v", pid, err)
		}
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	}
}

// A LISTEN connection that stops answering is noticed by its ping's deadline, cut and made
// again; the node catches up from the database, and says so in its log and metrics.
func TestHungListenerIsReplaced(t *testing.T) {
	t.Parallel()
	quick := func(c *server.Config) { c.BusPingEvery, c.BusPingTimeout = 100*time.Millisecond, 300*time.Millisecond }
	n1 := newAPIServer(t, quick)
	n2 := newAPIServerOn(t, n1.db, quick)
	f := newRoomFixture(t, n1)
	a := f.author.dialWS(n1.URL)
	a.subscribe(f.room, 0)
	stopListenerBackends(t, n1)
	on2 := *f.member
	on2.base = n2.URL
	on2.mustStatus(on2.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{"client_id": "while-hung", "body": "from node two"}), 200)
	if got := a.events(1)[0]; got.Message.Body != "from node two" {
		t.Fatalf("got %+v", got)
	}
	// The event may also have come by the room's first catch-up read, if that ran late (a busy
	// machine): the reset is awaited, not assumed done by now.
	hung := regexp.MustCompile(`casecircle_bus_listener_resets_total\{reason="hung"\} [1-9]`)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := f.author.raw("GET", "/metrics", "", nil, nil)
		if hung.Match(r.body) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reset was not counted:\n%s", grepLines(string(r.body), "casecircle_bus"))
		}
	}
}

// Shutting down finishes in bounded time even while a ping waits on a LISTEN connection that
// answers nothing (the ping holds the listener's lock that closing it needs).
func TestShutdownWithAHungListener(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.BusPingEvery, c.BusPingTimeout = 50*time.Millisecond, time.Hour })
	stopListenerBackends(t, s)
	time.Sleep(200 * time.Millisecond) // a ping is now waiting for an answer that cannot come
	closed := make(chan struct{})
	go func() { s.srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10 s")
	}
}

// With the database unreachable, the API, the sign-in and the WebSocket upgrade answer 503
// unavailable with Retry-After, as docs/api.md promises, and nothing is logged as a fault of
// ours.
func TestDatabaseDownAnswers503(t *testing.T) {
	t.Parallel()
	dead, err := sqlx.Open("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dead.Close() })
	var logs syncBuffer
	srv, err := server.New(server.Config{DB: dead, Service: closedAtEnd(t, casestudy.NewService(dead)), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := (&apiServer{Server: ts}).newClient(t)
	u, _ := url.Parse(ts.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "casecircle_session", Value: "some-token"}})
	for _, r := range []response{
		c.call("GET", "/api/v1/communities", nil),
		c.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ann@example.org", "password": "whatever it is"}),
		c.raw("GET", "/api/v1/ws", "", nil, http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Origin": {ts.URL}}),
	} {
		if r.status != 503 || r.err(t).Error.Code != "unavailable" || r.header.Get("Retry-After") == "" {
			t.Fatalf("database down: %d %s %v", r.status, r.body, r.header)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("an unreachable database was logged as our fault:\n%s", logs.String())
	}
}
