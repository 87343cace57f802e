// Package realtime carries live events to browsers over WebSockets: connections, the wire
// protocol, rooms, presence and the bus that joins several server processes.
package realtime

import (
	"errors"
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

// CloseSignedOut is sent to a user's sockets when their sign-in is revoked (sign-out,
// password change) or they lose access: the client must not reconnect without signing in again.
const (
	CloseSignedOut       = 4001
	CloseSignedOutReason = "session ended"
)

// closeWriteTimeout bounds the close frame's write, so a stalled client cannot hold up shutdown.
const closeWriteTimeout = time.Second

// Conns tracks open WebSocket connections. The HTTP server's graceful shutdown does not see
// hijacked connections, so it asks Conns to close them with a proper close frame.
type Conns struct {
	mu     sync.Mutex
	open   map[*websocket.Conn]connInfo
	closed bool
	// Admitted sockets per user and per client IP, from before the upgrade to the end.
	perUser map[int64]int
	perIP   map[string]int
}

// ErrTooManySockets refuses an upgrade beyond the per-user or per-IP cap.
var ErrTooManySockets = errors.New("realtime: too many open sockets")

// ErrUpgradeAnswered says the upgrader has already answered the request (with an HTTP error).
var ErrUpgradeAnswered = errors.New("realtime: upgrade refused")

// admit counts a socket about to open for userID from ip, or refuses it beyond the caps. The
// returned function gives the place back; it must be called once the socket ends.
func (c *Conns) admit(userID int64, ip string, maxPerUser, maxPerIP int) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perUser[userID] >= maxPerUser || c.perIP[ip] >= maxPerIP {
		return nil, ErrTooManySockets
	}
	c.perUser[userID]++
	c.perIP[ip]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.perUser[userID]--; c.perUser[userID] == 0 {
				delete(c.perUser, userID)
			}
			if c.perIP[ip]--; c.perIP[ip] == 0 {
				delete(c.perIP, ip)
			}
		})
	}, nil
}

// connInfo is who opened a connection, with which sign-in.
type connInfo struct {
	userID int64
	signIn string
}

// NewConns returns an empty set.
func NewConns() *Conns {
	return &Conns{open: make(map[*websocket.Conn]connInfo), perUser: map[int64]int{}, perIP: map[string]int{}}
}

// Add registers conn, opened by the user userID with the sign-in token signIn. It returns a function
// that removes it again, or ok=false, after having closed conn, when the server is already
// shutting down.
func (c *Conns) Add(conn *websocket.Conn, userID int64, signIn string) (remove func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		closeWith(conn, CloseGoingAway, CloseGoingAwayReason)
		return func() {}, false
	}
	c.open[conn] = connInfo{userID: userID, signIn: signIn}
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
	c.mu.Unlock()
	c.closeMatching(func(connInfo) bool { return true }, CloseGoingAway, CloseGoingAwayReason)
}

// CloseUser closes every open connection of the user with "session ended".
func (c *Conns) CloseUser(userID int64) {
	c.closeMatching(func(i connInfo) bool { return i.userID == userID }, CloseSignedOut, CloseSignedOutReason)
}

// SignIns lists the distinct sign-in tokens of the open connections.
func (c *Conns) SignIns() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := make(map[string]bool)
	var out []string
	for _, i := range c.open {
		if !seen[i.signIn] {
			seen[i.signIn] = true
			out = append(out, i.signIn)
		}
	}
	return out
}

func (c *Conns) closeMatching(match func(connInfo) bool, code int, reason string) {
	c.mu.Lock()
	var conns []*websocket.Conn
	for conn, info := range c.open {
		if match(info) {
			conns = append(conns, conn)
			delete(c.open, conn)
		}
	}
	c.mu.Unlock()

	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			closeWith(conn, code, reason)
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
