package realtime

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// sweepBackend answers ValidSignIns only when the test says so: the session "fresh" is live,
// any other has ended.
type sweepBackend struct {
	asked   chan []string
	proceed chan struct{}
}

func (b *sweepBackend) EnterRoom(context.Context, int64, int64) (Access, error) { return Access{}, nil }
func (b *sweepBackend) Replay(context.Context, int64, int64, int) ([]Event, error) {
	return nil, nil
}
func (b *sweepBackend) Publish(context.Context, int64, PublishFrame) (func() (Event, error), error) {
	return nil, errors.New("unused")
}
func (b *sweepBackend) Edit(context.Context, int64, EditFrame) (Event, error) {
	return Event{}, errors.New("unused")
}
func (b *sweepBackend) Delete(context.Context, int64, DeleteFrame) (Event, error) {
	return Event{}, errors.New("unused")
}
func (b *sweepBackend) MarkRead(context.Context, int64, int64, int64) (int64, error) { return 0, nil }
func (b *sweepBackend) ValidSignIns(ctx context.Context, tokens []string) (map[string]bool, error) {
	select {
	case b.asked <- tokens:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-b.proceed:
	case <-ctx.Done():
	}
	live := map[string]bool{} // "old" has ended, "fresh" is live: of those asked about
	for _, t := range tokens {
		live[t] = t == "fresh"
	}
	return live, nil
}

// A socket opened while the session sweep's query runs is not closed by that sweep: its
// session was not among those asked about. (It was, one run in five, closing a fresh tab as
// "session ended".)
func TestSweepClosesOnlySessionsItAskedAbout(t *testing.T) {
	backend := &sweepBackend{asked: make(chan []string), proceed: make(chan struct{})}
	conns := NewConns()
	h := NewHub(backend, conns, Options{SignInSweep: 20 * time.Millisecond})
	t.Cleanup(h.Close)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, Member{ID: 1, Name: "Ann"}, r.URL.Query().Get("session"), "127.0.0.1")
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(conns.CloseAll)
	dial := func(session string) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"?session="+session, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	old := dial("old")
	if tokens := <-backend.asked; len(tokens) != 1 || tokens[0] != "old" {
		t.Fatalf("asked about %v", tokens)
	}
	fresh := dial("fresh") // opened while the query runs
	for conns.Len() < 2 {
		time.Sleep(time.Millisecond) // Serve registers the socket just after the handshake
	}
	close(backend.proceed)
	closeCode := func(c *websocket.Conn) int {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return ce.Code
				}
				return 0 // still open when the deadline passed
			}
		}
	}
	if code := closeCode(old); code != CloseSignedOut {
		t.Fatalf("the ended session's socket: %d", code)
	}
	drained := make(chan struct{})
	go func() { // later sweeps ask about "fresh" too; let them, until the hub has closed
		defer close(drained)
		for {
			select {
			case <-backend.asked:
			case <-time.After(time.Second):
				return
			}
		}
	}()
	t.Cleanup(func() { h.Close(); <-drained })
	if code := closeCode(fresh); code != 0 {
		t.Fatalf("a socket opened during the sweep was closed with %d", code)
	}
}
