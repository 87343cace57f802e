package realtime

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// The bus joins the server processes that share one PostgreSQL, through LISTEN/NOTIFY: the
// domain announces every committed room event on the room-events channel (a small envelope,
// {"room","seq","node"}); processes tell each other of presence, typing and closed sessions on
// HubChannel. Bodies never travel on the bus: each process reads events from the database,
// encodes them once and fans them out to its own subscribers.

// maxNoticeBytes is PostgreSQL's limit on a NOTIFY payload (its encoded bytes, below 8,000).
const maxNoticeBytes = 8000

// HubChannel is the NOTIFY channel of presence, typing and session notices between processes.
const HubChannel = "casecircle_hub"

// ListenerApplicationName names the bus's PostgreSQL connection (pg_stat_activity), so that
// operators and tests can find it.
const ListenerApplicationName = "casecircle-listener"

// Notice operations on HubChannel.
const (
	opJoin      = "join"
	opLeave     = "leave"
	opBeat      = "beat"
	opTyping    = "typing"
	opCloseUser = "close_user"
	opSync      = "sync" // "I have just (re)connected: tell me who is where"
)

type notice struct {
	Op    string             `json:"op"`
	Node  string             `json:"node"`
	Room  int64              `json:"room,omitempty"`
	User  int64              `json:"user,omitempty"`
	Name  string             `json:"name,omitempty"`
	Code  int                `json:"code,omitempty"`
	Rooms map[int64][]Member `json:"rooms,omitempty"`
	Users []int64            `json:"users,omitempty"`
}

// roomNotice is the envelope of a committed room event.
type roomNotice struct {
	Room int64  `json:"room"`
	Seq  int64  `json:"seq"`
	Node string `json:"node"`
}

// Bus is a hub's link to the other processes.
type Bus struct {
	hub         *Hub
	db          *sql.DB
	listener    *pq.Listener
	dialer      *cuttableDialer
	roomChannel string
	out         chan []byte
	stop        chan struct{}
	wg          sync.WaitGroup
	closeOnce   sync.Once
	closeErr    error
	started     atomic.Bool // listening: connection failures are retried from now on
	startFailed chan error  // the first failed connection attempt while starting
}

// busCloseTimeout bounds Close after the connection is cut: shutdown must finish whatever the
// LISTEN connection does.
const busCloseTimeout = 3 * time.Second

// cuttableDialer dials the listener's connections and keeps the latest, so that a connection
// that stopped answering can be cut from outside: pq's Listener.Ping and Close wait on it
// without a deadline of their own.
type cuttableDialer struct {
	d    net.Dialer
	mu   sync.Mutex
	conn net.Conn
}

func (c *cuttableDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	conn, err := c.d.DialContext(ctx, network, address)
	if err == nil {
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
	}
	return conn, err
}

func (c *cuttableDialer) Dial(network, address string) (net.Conn, error) {
	return c.DialContext(context.Background(), network, address)
}

func (c *cuttableDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.DialContext(ctx, network, address)
}

// cut closes the current connection: whatever waits on it fails at once, and the listener
// reconnects (unless it is closing).
func (c *cuttableDialer) cut() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// StartBus listens on roomChannel (where the domain announces committed events) and on
// HubChannel, using its own connection to databaseURL, and sends notices through db. It returns
// once listening.
func StartBus(h *Hub, db *sql.DB, databaseURL, roomChannel string) (*Bus, error) {
	b := &Bus{hub: h, db: db, roomChannel: roomChannel, out: make(chan []byte, 1024), stop: make(chan struct{}),
		dialer: &cuttableDialer{}, startFailed: make(chan error, 1)}
	b.listener = pq.NewDialListener(b.dialer, withApplicationName(databaseURL), 100*time.Millisecond, 5*time.Second, b.onListenerEvent)
	if err := b.listen(roomChannel, HubChannel); err != nil {
		b.dialer.cut()
		_ = b.listener.Close()
		return nil, fmt.Errorf("bus: listening: %w", err)
	}
	b.started.Store(true)
	b.wg.Add(3)
	go func() { defer b.wg.Done(); b.receive() }()
	go func() { defer b.wg.Done(); b.sendLoop() }()
	go func() { defer b.wg.Done(); b.watchListener() }()
	h.setBroker(b)
	return b, nil
}

// busStartTimeout bounds StartBus: pq's Listen waits for a connection without end.
const busStartTimeout = 10 * time.Second

// listen listens on the channels, failing at the first refused connection or after
// busStartTimeout rather than waiting for the database for ever.
func (b *Bus) listen(channels ...string) error {
	listening := make(chan error, 1)
	go func() { // owned here: it ends once listening, or when the listener is closed below
		for _, ch := range channels {
			if err := b.listener.Listen(ch); err != nil {
				listening <- err
				return
			}
		}
		listening <- nil
	}()
	var err error
	select {
	case err = <-listening:
		return err
	case err = <-b.startFailed:
	case <-time.After(busStartTimeout):
		err = errors.New("no connection within " + busStartTimeout.String())
	}
	_ = b.listener.Close() // Listen returns at once
	<-listening
	return err
}

// Close stops listening and sending, within busCloseTimeout (and 100 ms) whatever the
// connection does; a second call does nothing.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		close(b.stop)
		done := make(chan error, 1)
		go func() { // owned here: it ends when the listener and the bus's goroutines have
			err := b.listener.Close()
			b.wg.Wait()
			done <- err
		}()
		select {
		case b.closeErr = <-done: // the usual case: closed at once
			return
		case <-time.After(100 * time.Millisecond):
		}
		// A ping stuck on the connection holds the listener's lock that Close needs: cut the
		// connection under it, so the ping fails and lets go.
		b.dialer.cut()
		select {
		case b.closeErr = <-done:
		case <-time.After(busCloseTimeout):
			b.closeErr = errors.New("bus: the LISTEN connection did not close in time")
			b.hub.log.Error("bus: closing timed out; leaving the LISTEN connection behind")
		}
	})
	return b.closeErr
}

// watchListener pings the LISTEN connection now and then: a connection can hang without
// failing (a stopped backend, a dead peer, a cut NAT entry), and pq's Ping has no deadline.
// A ping not answered in time cuts the connection; the listener reconnects and every room
// catches up from the database.
func (b *Bus) watchListener() {
	tick := time.NewTicker(b.hub.opts.BusPingEvery)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		answered := make(chan error, 1)
		go func() { answered <- b.listener.Ping() }() // returns once answered or the connection is cut
		select {
		case <-answered:
		case <-b.stop:
			return
		case <-time.After(b.hub.opts.BusPingTimeout):
			b.hub.metrics.busResets.WithLabelValues("hung").Inc()
			b.hub.log.Warn("bus: the LISTEN connection did not answer a ping; reconnecting", "waited", b.hub.opts.BusPingTimeout)
			b.dialer.cut()
			select {
			case <-answered:
			case <-b.stop:
				return
			}
		}
	}
}

func (b *Bus) onListenerEvent(ev pq.ListenerEventType, err error) {
	if !b.started.Load() {
		if ev == pq.ListenerEventConnectionAttemptFailed {
			select {
			case b.startFailed <- err:
			default:
			}
		}
		return
	}
	select {
	case <-b.stop:
		return // closing: the connection goes on purpose
	default:
	}
	switch ev {
	case pq.ListenerEventDisconnected:
		b.hub.metrics.busResets.WithLabelValues("lost").Inc()
		b.hub.log.Warn("bus: lost the LISTEN connection; reconnecting", "err", err)
	case pq.ListenerEventConnectionAttemptFailed:
		b.hub.log.Warn("bus: reconnecting failed; retrying", "err", err)
	case pq.ListenerEventReconnected:
		b.hub.log.Info("bus: LISTEN connection back; catching up every room")
	}
}

func (b *Bus) receive() {
	for {
		select {
		case <-b.stop:
			return
		case n, ok := <-b.listener.Notify:
			if !ok {
				return
			}
			if n == nil {
				b.hub.reconnected()
				continue
			}
			b.dispatch(n)
		}
	}
}

func (b *Bus) dispatch(n *pq.Notification) {
	switch n.Channel {
	case b.roomChannel:
		var rn roomNotice
		if err := json.Unmarshal([]byte(n.Extra), &rn); err != nil || rn.Room <= 0 {
			b.hub.log.Warn("bus: unreadable room notice", "err", err)
			return
		}
		// This process's own notices count too: an event whose COMMIT answer was lost was
		// stored but never delivered here. announced does nothing for a seq already delivered.
		b.hub.announced(rn.Room, rn.Seq)
	case HubChannel:
		b.hub.receive([]byte(n.Extra))
	}
}

// Send queues a notice for the other processes; if the queue is full (the database is slow)
// it is dropped: notices are ephemeral and presence repeats itself.
func (b *Bus) Send(payload []byte) {
	select {
	case b.out <- payload:
	default:
		b.hub.metrics.noticesDropped.Inc()
		b.hub.log.Warn("bus: notice queue full; dropping")
	}
}

func (b *Bus) sendLoop() {
	for {
		select {
		case <-b.stop:
			return
		case payload := <-b.out:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if _, err := b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, HubChannel, string(payload)); err != nil {
				b.hub.log.Warn("bus: sending notice", "err", err)
			}
			cancel()
		}
	}
}

// withApplicationName sets application_name on a lib/pq URL or key=value DSN.
func withApplicationName(dsn string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set("application_name", ListenerApplicationName)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " application_name=" + ListenerApplicationName
}

func randomNodeID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
