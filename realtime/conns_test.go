package realtime_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
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
		remove, ok := conns.Add(conn)
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
	for range 3 {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
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
