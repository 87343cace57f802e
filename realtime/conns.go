// Package realtime carries live events to browsers over WebSockets: connections, the wire
// protocol, rooms, presence and the bus that joins several server processes.
package realtime

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// CloseGoingAway is sent to every open socket when the server shuts down: the client should
// reconnect (to this or another node) and resume where it left off.
const (
	CloseGoingAway       = websocket.CloseGoingAway // 1001
	CloseGoingAwayReason = "going away, resume"
)

// closeWriteTimeout bounds the close frame's write, so a stalled client cannot hold up shutdown.
const closeWriteTimeout = time.Second

// Conns tracks open WebSocket connections. The HTTP server's graceful shutdown does not see
// hijacked connections, so it asks Conns to close them with a proper close frame.
type Conns struct {
	mu     sync.Mutex
	open   map[*websocket.Conn]struct{}
	closed bool
}

// NewConns returns an empty set.
func NewConns() *Conns {
	return &Conns{open: make(map[*websocket.Conn]struct{})}
}

// Add registers conn. It returns a function that removes it again, or ok=false, after having
// closed conn, when the server is already shutting down.
func (c *Conns) Add(conn *websocket.Conn) (remove func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		closeWith(conn, CloseGoingAway, CloseGoingAwayReason)
		return func() {}, false
	}
	c.open[conn] = struct{}{}
	return func() {
		c.mu.Lock()
		delete(c.open, conn)
		c.mu.Unlock()
	}, true
}

// Len is the number of open connections.
func (c *Conns) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open)
}

// CloseAll sends every open connection a "going away, resume" close frame, closes it, and
// refuses connections added later.
func (c *Conns) CloseAll() {
	c.mu.Lock()
	c.closed = true
	conns := make([]*websocket.Conn, 0, len(c.open))
	for conn := range c.open {
		conns = append(conns, conn)
	}
	c.open = make(map[*websocket.Conn]struct{})
	c.mu.Unlock()

	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			closeWith(conn, CloseGoingAway, CloseGoingAwayReason)
		}()
	}
	wg.Wait()
}

// closeWith writes a close frame (WriteControl is safe alongside a connection's writer) and
// closes the socket.
func closeWith(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(closeWriteTimeout))
	_ = conn.Close()
}
