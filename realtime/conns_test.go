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

func TestCloseAllSendsGoingAwayResume(t *testing.T) {
	conns := realtime.NewConns()
	registered := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		userID, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		remove, ok := conns.Add(conn, userID)
		if !ok {
			return
		}
		defer remove()
		registered <- struct{}{}
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")

	var clients []*websocket.Conn
	for i := range 3 {
		c, _, err := websocket.DefaultDialer.Dial(wsURL+"?user="+strconv.Itoa(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		<-registered
	}
	if n := conns.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}

	conns.CloseAll()

	for i, c := range clients {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("client %d: got %v, want a close frame", i, err)
		}
		if ce.Code != realtime.CloseGoingAway || ce.Text != realtime.CloseGoingAwayReason {
			t.Errorf("client %d: close %d %q, want %d %q", i, ce.Code, ce.Text, realtime.CloseGoingAway, realtime.CloseGoingAwayReason)
		}
	}

	t.Run("connections after shutdown are refused with the same frame", func(t *testing.T) {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err = c.ReadMessage()
		if !websocket.IsCloseError(err, realtime.CloseGoingAway) {
			t.Fatalf("got %v, want close 1001", err)
		}
	})
}

func TestCloseUserClosesOnlyThatUsersSockets(t *testing.T) {
	conns := realtime.NewConns()
	registered := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		userID, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		remove, _ := conns.Add(conn, userID)
		defer remove()
		registered <- struct{}{}
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http")
	dial := func(user string) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(wsURL+"?user="+user, nil)
		if err != nil {
			t.Fatal(err)
		}
		<-registered
		return c
	}
	tab1, tab2, other := dial("7"), dial("7"), dial("8")
	defer tab1.Close()
	defer tab2.Close()
	defer other.Close()

	conns.CloseUser(7)
	for _, c := range []*websocket.Conn{tab1, tab2} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, realtime.CloseSessionEnded) {
			t.Fatalf("user 7's tab: %v, want close %d", err, realtime.CloseSessionEnded)
		}
	}
	if n := conns.Len(); n != 1 {
		t.Fatalf("%d connections left, want user 8's one", n)
	}
	if err := other.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatalf("user 8's socket was closed: %v", err)
	}
}
