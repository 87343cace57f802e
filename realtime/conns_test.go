package realtime_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/casecircle/casecircle/realtime"
)

// trackedServer upgrades every request, registers the socket in conns under the user named by
// ?user=, and holds it open until the client goes. dial waits until the socket is registered.
func trackedServer(t *testing.T, conns *realtime.Conns) (dial func(user int) *websocket.Conn) {
	t.Helper()
	registered := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		userID, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		remove, ok := conns.Add(conn, userID, "")
		registered <- struct{}{}
		if !ok {
			return
		}
		defer remove()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")
	return func(user int) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(wsURL+"?user="+strconv.Itoa(user), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		<-registered
		return c
	}
}

// readClose reads until the server's close frame and returns it.
func readClose(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a close frame", err)
	}
	return ce
}

func TestCloseAllSendsGoingAwayResume(t *testing.T) {
	conns := realtime.NewConns()
	dial := trackedServer(t, conns)
	clients := []*websocket.Conn{dial(1), dial(2), dial(3)}
	if n := conns.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}

	conns.CloseAll()

	for i, c := range clients {
		if ce := readClose(t, c); ce.Code != realtime.CloseGoingAway || ce.Text != realtime.CloseGoingAwayReason {
			t.Errorf("client %d: close %d %q, want %d %q", i, ce.Code, ce.Text, realtime.CloseGoingAway, realtime.CloseGoingAwayReason)
		}
	}
	t.Run("connections after shutdown are refused with the same frame", func(t *testing.T) {
		if ce := readClose(t, dial(4)); ce.Code != realtime.CloseGoingAway {
			t.Fatalf("close %d, want 1001", ce.Code)
		}
	})
}

func TestCloseUserClosesOnlyThatUsersSockets(t *testing.T) {
	conns := realtime.NewConns()
	dial := trackedServer(t, conns)
	tab1, tab2, other := dial(7), dial(7), dial(8)

	conns.CloseUser(7)

	for _, c := range []*websocket.Conn{tab1, tab2} {
		if ce := readClose(t, c); ce.Code != realtime.CloseSignedOut {
			t.Fatalf("user 7's tab: close %d, want %d", ce.Code, realtime.CloseSignedOut)
		}
	}
	if n := conns.Len(); n != 1 {
		t.Fatalf("%d connections left, want user 8's one", n)
	}
	if err := other.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatalf("user 8's socket was closed: %v", err)
	}
}
