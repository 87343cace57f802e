package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/casecircle/casecircle/realtime"
)

// The hub, its rooms and clients are tested here against a fake backend: a store of room
// events in memory (the "database" several hubs share) and a MemoryNetwork between the hubs.
// Real sockets, real frames; no PostgreSQL.

// store is the shared "database": each room's events, numbered from 1.
type store struct {
	mu        sync.Mutex
	events    map[int64][]realtime.Event
	closed    map[int64]bool // rooms whose EnterRoom is refused
	readOnly  map[int64]bool
	clientIDs map[string]int64 // user/client_id → seq, for resends
	replayErr error            // every Replay fails with it while set
	replays   int
	net       *realtime.MemoryNetwork
}

func newStore() *store {
	return &store{events: map[int64][]realtime.Event{}, closed: map[int64]bool{}, readOnly: map[int64]bool{},
		clientIDs: map[string]int64{}, net: realtime.NewMemoryNetwork()}
}

// append stores an event without delivering it, as another process's commit whose notice was
// lost would.
func (s *store) append(room int64, kind, body string) realtime.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := int64(len(s.events[room]) + 1)
	data, _ := json.Marshal(map[string]any{"room": room, "seq": seq, "type": kind, "body": body})
	ev := realtime.Event{Room: room, Seq: seq, JSON: data}
	s.events[room] = append(s.events[room], ev)
	return ev
}

func (s *store) head(room int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.events[room]))
}

func (s *store) setReplayErr(err error) {
	s.mu.Lock()
	s.replayErr = err
	s.mu.Unlock()
}

// backend is one hub's view of the store, as server's roomBackend is one process's.
type backend struct {
	*store
	hub      *realtime.Hub
	announce func(room, seq int64) // the commit's notice to every hub; default the store's network
}

func (b *backend) EnterRoom(_ context.Context, _, room int64) (realtime.Access, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed[room] {
		return realtime.Access{}, &realtime.Error{Code: "not_found", Message: "No such room."}
	}
	return realtime.Access{Head: int64(len(b.events[room])), ReadOnly: b.readOnly[room]}, nil
}

func (b *backend) Replay(_ context.Context, room, after int64, limit int) ([]realtime.Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.replays++
	if b.replayErr != nil {
		return nil, b.replayErr
	}
	all := b.events[room]
	if after >= int64(len(all)) {
		return nil, nil
	}
	return append([]realtime.Event(nil), all[after:min(int(after)+limit, len(all))]...), nil
}

// commit stores an event and delivers it as the domain does: to its own hub at once, and a
// notice to every hub.
func (b *backend) commit(room int64, kind, body string) realtime.Event {
	ev := b.append(room, kind, body)
	b.hub.Committed(ev)
	if b.announce != nil {
		b.announce(ev.Room, ev.Seq)
	} else {
		b.net.Announce(ev.Room, ev.Seq)
	}
	return ev
}

func (b *backend) Publish(_ context.Context, userID int64, f realtime.PublishFrame) (func() (realtime.Event, error), error) {
	switch f.Body {
	case "":
		return nil, &realtime.Error{Code: "validation", Message: "Write something.", Field: "body"}
	case "leaks a name":
		return nil, &realtime.Error{Code: "validation", Message: "Decide on the findings.", Field: "decisions",
			Details: map[string]any{"findings": []string{"a name"}}}
	case "breaks":
		return nil, errors.New("the database fell over")
	}
	key := fmt.Sprint(userID, "/", f.ClientID)
	return func() (realtime.Event, error) {
		b.mu.Lock()
		seq, resent := b.clientIDs[key]
		b.mu.Unlock()
		if resent {
			return realtime.Event{Room: f.Room, Seq: seq}, nil
		}
		ev := b.commit(f.Room, "message.created", f.Body)
		b.mu.Lock()
		b.clientIDs[key] = ev.Seq
		b.mu.Unlock()
		return ev, nil
	}, nil
}

func (b *backend) Edit(_ context.Context, _ int64, f realtime.EditFrame) (realtime.Event, error) {
	if f.MessageID <= 0 {
		return realtime.Event{}, &realtime.Error{Code: "not_found", Message: "No such message.", Field: "message_id"}
	}
	return b.commit(f.Room, "message.edited", f.Body), nil
}

func (b *backend) Delete(_ context.Context, _ int64, f realtime.DeleteFrame) (realtime.Event, error) {
	return b.commit(f.Room, "message.deleted", ""), nil
}

func (b *backend) MarkRead(_ context.Context, _, room, seq int64) (int64, error) {
	if seq > b.head(room) {
		return 0, &realtime.Error{Code: "validation", Message: "Not that far.", Field: "seq"}
	}
	return seq, nil
}

func (b *backend) ValidSignIns(_ context.Context, tokens []string) (map[string]bool, error) {
	live := map[string]bool{}
	for _, t := range tokens {
		live[t] = true
	}
	return live, nil
}

// node is one "process": a hub on the store's network, served over HTTP.
type node struct {
	hub     *realtime.Hub
	backend *backend
	url     string
	metrics *prometheus.Registry
}

// startNode starts a hub on the store's network. The user of a connection is ?user=N; names
// are "user N".
func startNode(t *testing.T, st *store, opts realtime.Options) *node {
	t.Helper()
	return startNodeWith(t, st, opts, func(h *realtime.Hub) realtime.Broker { return st.net.Attach(h) })
}

// startNodeWith starts a hub with the broker that connect gives it.
func startNodeWith(t *testing.T, st *store, opts realtime.Options, connect func(h *realtime.Hub) realtime.Broker) *node {
	t.Helper()
	n := &node{backend: &backend{store: st}, metrics: prometheus.NewRegistry()}
	opts.Metrics = n.metrics
	opts.Logger = quietLog()
	n.hub = realtime.NewHub(n.backend, realtime.NewConns(), opts)
	n.backend.hub = n.hub
	broker := connect(n.hub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		err := n.hub.Serve(w, r, realtime.Member{ID: id, Name: "user " + strconv.FormatInt(id, 10)}, "sign-in-"+strconv.FormatInt(id, 10), host)
		if errors.Is(err, realtime.ErrTooManySockets) {
			http.Error(w, "too many", http.StatusTooManyRequests)
		}
	}))
	n.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	t.Cleanup(func() {
		n.hub.Close()
		_ = broker.Close()
		srv.Close()
	})
	return n
}

// counter reads a counter of the node's metrics (summed over labels matching label, if given).
func (n *node) counter(t *testing.T, name, label string) float64 {
	t.Helper()
	families, err := n.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label == "" || (len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() == label) {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// conn is a test's WebSocket client.
type conn struct {
	t  *testing.T
	ws *websocket.Conn
}

func (n *node) tryDial(user int64) (*conn, error) {
	ws, resp, err := websocket.DefaultDialer.Dial(n.url+"?user="+strconv.FormatInt(user, 10), nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	return &conn{ws: ws}, nil
}

func (c *conn) send(v any) {
	c.t.Helper()
	var data []byte
	switch v := v.(type) {
	case string:
		data = []byte(v)
	default:
		data, _ = json.Marshal(v)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		c.t.Fatal(err)
	}
}

// next reads the next frame of any type.
func (c *conn) next() map[string]any {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("frame %q: %v", data, err)
	}
	return f
}

// expect reads frames until one of the given type, skipping presence and typing frames
// unless asked for; any other frame first fails the test.
func (c *conn) expect(kind string) map[string]any {
	c.t.Helper()
	for {
		f := c.next()
		switch {
		case f["type"] == kind:
			return f
		case f["type"] == realtime.TypePresence || f["type"] == realtime.TypeTypingNotice:
			continue
		default:
			c.t.Fatalf("got %v, want a %q frame", f, kind)
		}
	}
}

// ack reads frames until the ack of ref, and returns it with the seqs of the events read on
// the way (a committed event may reach its sender before the ack).
func (c *conn) ack(ref string) (map[string]any, []int64) {
	c.t.Helper()
	var events []int64
	for {
		f := c.next()
		switch f["type"] {
		case realtime.TypeAck:
			if f["ref"] == ref {
				return f, events
			}
		case realtime.TypeEvent:
			events = append(events, int64(f["event"].(map[string]any)["seq"].(float64)))
		case realtime.TypePresence, realtime.TypeTypingNotice:
		default:
			c.t.Fatalf("got %v, want the ack of %q", f, ref)
		}
	}
}

// expectError reads the next error frame and checks its code and field.
func (c *conn) expectError(code, field string) map[string]any {
	c.t.Helper()
	f := c.expect(realtime.TypeError)
	if f["code"] != code || (field != "" && f["field"] != field) {
		c.t.Fatalf("error frame %v, want code %q field %q", f, code, field)
	}
	return f
}

// events reads n event frames and returns their seqs.
func (c *conn) events(n int) []int64 {
	c.t.Helper()
	var seqs []int64
	for len(seqs) < n {
		f := c.expect(realtime.TypeEvent)
		ev := f["event"].(map[string]any)
		seqs = append(seqs, int64(ev["seq"].(float64)))
	}
	return seqs
}

// closed reads until the connection closes and returns the close code.
func (c *conn) closed() int {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

func (c *conn) subscribe(room, lastSeq int64) map[string]any {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "ref": "s", "room": room, "last_seq": lastSeq})
	return c.expect(realtime.TypeSubscribed)
}

// open dials and sets the test on the connection, closing it at the end.
func (n *node) open(t *testing.T, user int64) *conn {
	t.Helper()
	c, err := n.tryDial(user)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	t.Cleanup(func() { _ = c.ws.Close() })
	if hello := c.next(); hello["type"] != realtime.TypeHello {
		t.Fatalf("first frame %v, want hello", hello)
	}
	return c
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func seqs(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}
