package realtime

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// Event is one committed event of a room: its number and its JSON object, encoded once.
type Event struct {
	Room int64
	Seq  int64
	JSON []byte
}

// Access is what the hub learns when a user enters a room.
type Access struct {
	Head     int64 // the room's last seq when the access was checked
	ReadOnly bool
}

// Backend is what the hub needs from the domain; server implements it over casestudy. Every
// method that takes a user checks that user's access again: the hub trusts nothing it cached.
type Backend interface {
	EnterRoom(ctx context.Context, userID, room int64) (Access, error)
	// Replay reads up to limit events of a room after seq `after`, in order, without checking
	// access (the hub asks only for rooms a subscriber has entered).
	Replay(ctx context.Context, room, after int64, limit int) ([]Event, error)
	// Publish checks a message and queues it for storing, returning a function that waits
	// until it is stored. Messages are stored in the order they were queued; ctx must stay
	// alive until wait returns.
	Publish(ctx context.Context, userID int64, f PublishFrame) (wait func() (Event, error), err error)
	Edit(ctx context.Context, userID int64, f EditFrame) (Event, error)
	Delete(ctx context.Context, userID int64, f DeleteFrame) (Event, error)
	MarkRead(ctx context.Context, userID, room, seq int64) (int64, error)
	// ValidSignIns says which sign-in tokens are still valid, and counts an open socket as
	// activity on its sign-in.
	ValidSignIns(ctx context.Context, tokens []string) (map[string]bool, error)
}

// Broker carries notices between the server processes that share the work: presence, typing
// and closed sign-ins. Notices are ephemeral and small (under 8,000 bytes encoded); a broker
// may drop one when it is behind, since presence repeats itself. A broker hands what it
// receives to its hub (receive, announced, reconnected). The PostgreSQL bus (LISTEN/NOTIFY,
// bus.go) is the one in production; MemoryNetwork joins hubs of one process, for tests.
type Broker interface {
	// Send passes an encoded notice to the other processes, or drops it.
	Send(payload []byte)
	// Close stops the broker and waits for its goroutines; a second call does nothing.
	Close() error
}

// Error is a refusal the backend wants the client to see in an error frame. Any other error is
// reported as "internal" and logged.
type Error struct {
	Code    string
	Message string
	Field   string
	Details any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Options tune a hub; zero values take the defaults below.
type Options struct {
	NodeID         string  // this process's name on the bus; random if empty
	MaxFrameBytes  int     // default 64 KiB: an 8,000-character message in any script, plus decisions
	MessagesPerSec float64 // per connection: publish, edit, delete, read, subscribe; default 10
	Burst          int     // default 20
	ResumeWindow   int     // the largest gap a subscribe replays; default 1,000
	SendQueue      int     // frames waiting for a slow client before it is closed; default 512
	// SendQueueBytes caps the bytes waiting for a client (queued and being written); beyond it
	// the client is closed with 4008. Default 1 MiB.
	SendQueueBytes int
	// SocketSendBuffer caps the kernel's send buffer of each socket (SO_SNDBUF), so that a
	// client that stops reading is found out after that many bytes, not megabytes. Default
	// 64 KiB; negative leaves the OS default.
	SocketSendBuffer int
	// MaxSocketsPerUser and MaxSocketsPerIP cap open sockets on this process: beyond them an
	// upgrade is refused with ErrTooManySockets. Defaults 20 and 200.
	MaxSocketsPerUser int
	MaxSocketsPerIP   int
	Logger            *slog.Logger
	Metrics           prometheus.Registerer
	CheckOrigin       func(*http.Request) bool
	// SignInSweep is how often sockets are matched against their sign-ins, so that a sign-in
	// that timed out closes its sockets (4001); default a minute.
	SignInSweep time.Duration
	// MaxMessageChars is announced in hello so that the composer knows the body limit (the
	// backend enforces it); 0 announces none.
	MaxMessageChars int
	// Clock drives the frame rate limit; default time.Now.
	Clock func() time.Time
	// BusPingEvery and BusPingTimeout: how often the LISTEN connection is pinged, and how long
	// an answer may take before the connection is cut and made again. Defaults 10 s and 5 s.
	BusPingEvery, BusPingTimeout time.Duration
}

// DefaultOptions are the options a hub takes when none are given (for documentation checks).
func DefaultOptions() Options {
	var o Options
	o.defaults()
	return o
}

func (o *Options) defaults() {
	if o.NodeID == "" {
		o.NodeID = randomNodeID()
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 64 << 10
	}
	if o.MessagesPerSec <= 0 {
		o.MessagesPerSec = 10
	}
	if o.Burst <= 0 {
		o.Burst = 20
	}
	if o.ResumeWindow <= 0 {
		o.ResumeWindow = 1000
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 512
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = 1 << 20
	}
	if o.SocketSendBuffer == 0 {
		o.SocketSendBuffer = 64 << 10
	}
	if o.MaxSocketsPerUser <= 0 {
		o.MaxSocketsPerUser = 20
	}
	if o.MaxSocketsPerIP <= 0 {
		o.MaxSocketsPerIP = 200
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SignInSweep <= 0 {
		o.SignInSweep = time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.BusPingEvery <= 0 {
		o.BusPingEvery = 10 * time.Second
	}
	if o.BusPingTimeout <= 0 {
		o.BusPingTimeout = 5 * time.Second
	}
}

// Hub keeps the live rooms of this process: who is subscribed where, what each room has
// delivered, and presence. It delivers events committed here at once, and events committed by
// other processes when the bus tells it of them.
type Hub struct {
	backend  Backend
	opts     Options
	log      *slog.Logger
	conns    *Conns
	metrics  *hubMetrics
	upgrader websocket.Upgrader
	presence *presence
	broker   atomic.Pointer[Broker] // nil on a hub without one (a single process)

	mu     sync.Mutex
	rooms  map[int64]*room
	byUser map[int64]map[*client]struct{} // each user's sockets on this process, for NotifyUsers
	closed bool                           // set by Close: no connection starts after it

	ctx     context.Context // ends when the hub closes
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the hub's own goroutines: presence, sign-in sweep
	clients sync.WaitGroup // one per connection, from Serve until its goroutines have ended
}

// NewHub returns a hub that answers through backend and closes sockets through conns.
func NewHub(backend Backend, conns *Conns, opts Options) *Hub {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		backend: backend, opts: opts, log: opts.Logger, conns: conns,
		metrics: newHubMetrics(opts.Metrics),
		rooms:   make(map[int64]*room),
		byUser:  make(map[int64]map[*client]struct{}),
		ctx:     ctx, cancel: cancel,
		upgrader: websocket.Upgrader{
			// Idle sockets hold no write buffer: buffers are borrowed per write.
			WriteBufferPool: &sync.Pool{},
			// nil means gorilla's same-origin check; the server passes its own (same host plus
			// the configured allow-list).
			CheckOrigin: opts.CheckOrigin,
		},
	}
	h.presence = newPresence(h)
	h.wg.Add(2)
	go func() { defer h.wg.Done(); h.presence.run(ctx) }()
	go func() { defer h.wg.Done(); h.sweepSignIns(ctx) }()
	return h
}

// NodeID is this process's name on the bus.
func (h *Hub) NodeID() string { return h.opts.NodeID }

// Close closes every socket ("going away, resume"), stops the hub's background work and waits
// until every connection's goroutines have ended. The server calls Conns.CloseAll first, when
// it shuts down; a second Close does nothing more.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.conns.CloseAll()
	h.clients.Wait()
	h.wg.Wait()
}

// Serve upgrades an HTTP request whose user (signed in with the token signIn) and origin the
// caller has checked, and runs the connection in the background until it ends.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, user Member, signIn, clientIP string) error {
	release, err := h.conns.admit(user.ID, clientIP, h.opts.MaxSocketsPerUser, h.opts.MaxSocketsPerIP)
	if err != nil {
		h.metrics.refused.Inc()
		return err // nothing written: the caller answers
	}
	cw := &corkingWriter{ResponseWriter: w}
	conn, err := h.upgrader.Upgrade(cw, r, nil)
	if err != nil {
		release()
		return ErrUpgradeAnswered // the upgrader has answered the request
	}
	if tcp, ok := cw.conn.Conn.(*net.TCPConn); ok && h.opts.SocketSendBuffer > 0 {
		_ = tcp.SetWriteBuffer(h.opts.SocketSendBuffer)
	}
	c := newClient(h, conn, user)
	c.cork = cw.conn
	if !h.track() {
		release()
		closeWith(conn, CloseGoingAway, CloseGoingAwayReason)
		return nil
	}
	remove, ok := h.conns.Add(conn, user.ID, signIn)
	if !ok {
		h.clients.Done()
		release()
		return nil
	}
	h.metrics.connections.Inc()
	// The connection lives on in a goroutine of its own, so the HTTP server's goroutine, with
	// its deep middleware stack, ends here: an idle socket then costs a small stack, not a
	// large one (measured in docs/benchmarks.md).
	go func() { // owned by the hub: Close closes the socket and waits (h.clients)
		defer h.clients.Done()
		defer h.metrics.connections.Dec()
		defer release()
		defer remove()
		h.addUserClient(c)
		defer h.removeUserClient(c)
		c.run()
	}()
	return nil
}

// track counts a new connection's goroutines in h.clients, unless the hub is closed.
func (h *Hub) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients.Add(1)
	return true
}

// sweepSignIns closes the sockets of sign-ins that have ended without a sign-out (idle or
// absolute timeout), and keeps the sign-ins of open sockets alive.
func (h *Hub) sweepSignIns(ctx context.Context) {
	tick := time.NewTicker(h.opts.SignInSweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		tokens := h.conns.SignIns()
		if len(tokens) == 0 {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, backendTimeout)
		live, err := h.backend.ValidSignIns(qctx, tokens)
		cancel()
		if err != nil {
			h.log.Warn("checking the sessions of open sockets", "err", err)
			continue
		}
		// Only sessions the query was asked about and found ended: a socket opened while it
		// ran has a session nobody checked yet.
		asked := make(map[string]bool, len(tokens))
		for _, t := range tokens {
			asked[t] = true
		}
		h.conns.closeMatching(func(i connInfo) bool { return asked[i.signIn] && !live[i.signIn] }, CloseSignedOut, CloseSignedOutReason)
	}
}

// Committed delivers an event committed by this process to the room's subscribers here.
func (h *Hub) Committed(ev Event) {
	if r := h.room(ev.Room); r != nil {
		r.deliver([]Event{ev})
	}
}

// announced handles a notice from another process that an event was committed: if the room
// has subscribers here and has not delivered that far, it reads the missing events.
func (h *Hub) announced(roomID, seq int64) {
	if r := h.room(roomID); r != nil && seq > r.lastDelivered() {
		r.fetch()
	}
}

// catchUpAll reads every room's missed events from the database, after the bus's connection
// was lost and notices may have been missed.
func (h *Hub) catchUpAll() {
	h.mu.Lock()
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.fetch()
	}
}

func (h *Hub) room(id int64) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id]
}

// attach adds a subscription to its room (creating the room at head if this process has no
// subscriber there yet) and returns the seq the room has delivered up to: the subscriber
// replays up to it, and everything after reaches it live.
func (h *Hub) attach(s *subscription, head int64) (*room, int64) {
	h.mu.Lock()
	r, ok := h.rooms[s.roomID]
	if !ok {
		r = newRoom(h, s.roomID, head)
		h.rooms[s.roomID] = r
	}
	r.mu.Lock()
	h.mu.Unlock()
	r.subs[s] = struct{}{}
	last := r.last
	r.mu.Unlock()
	if !ok {
		// An event committed between reading head and creating the room may have been
		// announced to nobody: look once, now, so that what the subscriber hears after its
		// "subscribed" frame does not depend on when a background read gets its turn.
		r.lookOnce(h.ctx)
		r.mu.Lock()
		last = r.last
		r.mu.Unlock()
	}
	return r, last
}

// detach removes a subscription; a room without subscribers is forgotten.
func (h *Hub) detach(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := s.room
	r.mu.Lock()
	delete(r.subs, s)
	empty := len(r.subs) == 0
	r.mu.Unlock()
	if empty && h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
}

// CloseUser closes the user's sockets on this process and, through the broker, on every other.
func (h *Hub) CloseUser(userID int64, code int) {
	h.closeUserHere(userID, code)
	h.sendNotice(notice{Op: opCloseUser, User: userID, Code: code})
}

func (h *Hub) closeUserHere(userID int64, code int) {
	switch code {
	case CloseSignedOut:
		h.conns.CloseUser(userID)
	default:
		h.conns.closeMatching(func(i connInfo) bool { return i.userID == userID }, CloseAccessChanged, CloseAccessChangedReason)
	}
}

func isClosedErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, websocket.ErrCloseSent)
}
