package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/realtime"
	"github.com/casecircle/casecircle/server"
)

// frame is one frame from the server, kept raw for exact checks.
type frame struct {
	Type  string          `json:"type"`
	Ref   string          `json:"ref"`
	Room  int64           `json:"room"`
	Seq   int64           `json:"seq"`
	Head  int64           `json:"head"`
	Code  string          `json:"code"`
	Field string          `json:"field"`
	Event json.RawMessage `json:"event"`
	// RetryAfterMS is set on rate_limited errors.
	RetryAfterMS int64             `json:"retry_after_ms"`
	Members      []realtime.Member `json:"members"`
	raw          []byte
}

func (f frame) event(t *testing.T) casestudy.RoomEvent {
	t.Helper()
	var ev casestudy.RoomEvent
	if err := json.Unmarshal(f.Event, &ev); err != nil {
		t.Fatalf("event in %s: %v", f.raw, err)
	}
	return ev
}

// wsConn is one test client's socket; a goroutine reads every frame into frames.
type wsConn struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
	closed chan error // the error that ended reading (a *websocket.CloseError for a close frame)

	mu       sync.Mutex
	presence map[int64]string // room → names in the last presence frame, comma-separated
	notified chan struct{}    // one per "notify" frame (the bell changed)
}

// waitPresence waits until the last presence frame of room lists exactly names.
func (w *wsConn) waitPresence(room int64, names string) {
	w.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		got := w.presence[room]
		w.mu.Unlock()
		if got == names {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("presence of room %d is %q, want %q", room, w.presence[room], names)
}

// dialWS opens /api/v1/ws on base with c's session cookie and base as Origin.
func (c *client) dialWS(base string) *wsConn {
	c.t.Helper()
	ws, resp, err := c.tryDialWS(base, base)
	if err != nil {
		c.t.Fatalf("dial: %v (%v)", err, resp)
	}
	return ws
}

func (c *client) tryDialWS(base, origin string) (*wsConn, *http.Response, error) {
	u, _ := url.Parse(base)
	header := http.Header{"Origin": {origin}}
	for _, ck := range c.http.Jar.Cookies(u) {
		header.Add("Cookie", ck.Name+"="+ck.Value)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", header)
	if err != nil {
		return nil, resp, err
	}
	w := &wsConn{t: c.t, conn: conn, frames: make(chan frame, 10000), closed: make(chan error, 1), presence: map[int64]string{},
		notified: make(chan struct{}, 10000)}
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				w.closed <- err
				close(w.frames)
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				w.closed <- err
				close(w.frames)
				return
			}
			f.raw = data
			if f.Type == realtime.TypeNotify { // the bell, counted apart from the room's frames
				w.notified <- struct{}{}
				continue
			}
			if f.Type == realtime.TypePresence {
				var names []string
				for _, m := range f.Members {
					names = append(names, m.Name)
				}
				w.mu.Lock()
				w.presence[f.Room] = strings.Join(names, ",")
				w.mu.Unlock()
			}
			w.frames <- f
		}
	}()
	c.t.Cleanup(func() { _ = conn.Close() })
	if hello := w.next(); hello.Type != realtime.TypeHello || !strings.Contains(string(hello.raw), `"version":1`) {
		c.t.Fatalf("first frame %s, want hello with version 1", hello.raw)
	}
	return w, resp, nil
}

func (w *wsConn) send(v any) {
	w.t.Helper()
	if err := w.conn.WriteJSON(v); err != nil {
		w.t.Fatalf("send: %v", err)
	}
}

// next returns the next frame that is not presence or typing, waiting up to 5 s.
func (w *wsConn) next() frame {
	w.t.Helper()
	for {
		select {
		case f, ok := <-w.frames:
			if !ok {
				w.t.Fatalf("socket closed: %v", <-w.closed)
			}
			if f.Type == realtime.TypePresence || f.Type == realtime.TypeTypingNotice {
				continue
			}
			return f
		case <-time.After(5 * time.Second):
			w.t.Fatalf("no frame within 5 s (%d frames waiting)", len(w.frames))
		}
	}
}

// nextOf returns the next frame of the given type, skipping others.
func (w *wsConn) nextOf(typ string) frame {
	w.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-w.frames:
			if !ok {
				w.t.Fatalf("socket closed waiting for %s: %v", typ, <-w.closed)
			}
			if f.Type == typ {
				return f
			}
		case <-deadline:
			w.t.Fatalf("no %s frame within 5 s", typ)
		}
	}
}

// quiet asserts that no frame other than presence and typing arrives for d.
func (w *wsConn) quiet(d time.Duration) {
	w.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-w.frames:
			if ok && f.Type != realtime.TypePresence && f.Type != realtime.TypeTypingNotice {
				w.t.Fatalf("unexpected frame %s", f.raw)
			}
		case <-deadline:
			return
		}
	}
}

// closeCode waits for the socket to end and returns its close code (1006: no close frame).
func (w *wsConn) closeCode(within time.Duration) int {
	w.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-w.frames:
			if !ok {
				err := <-w.closed
				if ce, ok := err.(*websocket.CloseError); ok {
					return ce.Code
				}
				return websocket.CloseAbnormalClosure
			}
		case <-deadline:
			w.t.Fatalf("socket still open after %v", within)
		}
	}
}

// subscribe subscribes and checks the answer.
func (w *wsConn) subscribe(room, lastSeq int64) frame {
	w.t.Helper()
	w.send(map[string]any{"type": "subscribe", "room": room, "last_seq": lastSeq, "ref": "s"})
	f := w.next()
	if f.Type != realtime.TypeSubscribed || f.Room != room {
		w.t.Fatalf("subscribe answered %s", f.raw)
	}
	return f
}

func (w *wsConn) publish(room int64, clientID, body string) frame {
	w.t.Helper()
	w.send(map[string]any{"type": "publish", "room": room, "client_id": clientID, "body": body, "ref": clientID})
	return w.nextOf(realtime.TypeAck)
}

// events reads n event frames of room, failing on anything else but acks.
func (w *wsConn) events(n int) []casestudy.RoomEvent {
	w.t.Helper()
	var out []casestudy.RoomEvent
	for len(out) < n {
		f := w.next()
		switch f.Type {
		case realtime.TypeEvent:
			out = append(out, f.event(w.t))
		case realtime.TypeAck:
		default:
			w.t.Fatalf("while waiting for %d events (have %d): %s", n, len(out), f.raw)
		}
	}
	return out
}

// roomFixture: a community with an author (facilitator) and a member, and a published case.
type roomFixture struct {
	s              *apiServer
	author, member *client
	cid, room      int64
	base           string // the room's HTTP path
}

func newRoomFixture(t *testing.T, s *apiServer) *roomFixture {
	t.Helper()
	author := s.newClient(t).signUp("ann")
	member := s.newClient(t).signUp("ben")
	cid := author.createCommunity("Peer group")
	_, token := author.invite(cid, "member")
	member.join(token)
	return &roomFixture{s: s, author: author, member: member, cid: cid,
		room: publishCase(t, author, cid), base: fmt.Sprintf("/api/v1/communities/%d/cases", cid)}
}

func publishCase(t *testing.T, author *client, cid int64) int64 {
	t.Helper()
	var out struct{ Case casestudy.Case }
	author.mustStatus(author.call("POST", fmt.Sprintf("/api/v1/communities/%d/cases", cid),
		map[string]any{"case": map[string]any{"title": "A case", "question": "What do you notice?"}, "action": "publish", "attest": true}), 201).decode(t, &out)
	return out.Case.ID
}

func (f *roomFixture) post(c *client, clientID, body string) casestudy.RoomEvent {
	c.t.Helper()
	var out struct{ Event casestudy.RoomEvent }
	c.mustStatus(c.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{"client_id": clientID, "body": body}), 200).decode(c.t, &out)
	return out.Event
}

func wantSeqs(t *testing.T, events []casestudy.RoomEvent, from int64) {
	t.Helper()
	for i, ev := range events {
		if ev.Seq != from+int64(i) {
			t.Fatalf("event %d has seq %d, want %d (seqs %v)", i, ev.Seq, from+int64(i), seqsOf(events))
		}
	}
}

func seqsOf(events []casestudy.RoomEvent) []int64 {
	out := make([]int64, len(events))
	for i, ev := range events {
		out[i] = ev.Seq
	}
	return out
}

func TestWebSocketDeliversDurableEventsOnce(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	a, b := f.author.dialWS(s.URL), f.member.dialWS(s.URL)
	a.subscribe(f.room, 0)
	b.subscribe(f.room, 0)

	a.send(map[string]any{"type": "publish", "room": f.room, "client_id": "c1", "body": "I noticed **rescuing**.", "ref": "r1", "lens": "practitioner"})
	got := b.events(1)[0]
	// Durable then deliver: by the time anyone sees it, it is committed.
	var stored int
	if err := s.db.Get(&stored, `SELECT count(*) FROM room_events WHERE case_id = $1 AND seq = $2`, f.room, got.Seq); err != nil || stored != 1 {
		t.Fatalf("delivered seq %d but stored %d (%v)", got.Seq, stored, err)
	}
	if got.Seq != 1 || got.Message.Body != "I noticed **rescuing**." || got.Message.HTML != "<p>I noticed <strong>rescuing</strong>.</p>" ||
		got.Message.AuthorName == nil || *got.Message.AuthorName != "ann" {
		t.Fatalf("event %+v", got)
	}
	var sawEvent, sawAck bool
	for !sawEvent || !sawAck {
		fr := a.next()
		switch fr.Type {
		case realtime.TypeEvent:
			sawEvent = fr.event(t).Seq == 1
		case realtime.TypeAck:
			sawAck = fr.Ref == "r1" && fr.Seq == 1
		default:
			t.Fatalf("sender got %s", fr.raw)
		}
	}

	// Resending the same client_id returns the original event and delivers nothing new.
	if ack := a.publish(f.room, "c1", "I noticed **rescuing**."); ack.Seq != 1 {
		t.Fatalf("resend acked %s", ack.raw)
	}
	b.quiet(300 * time.Millisecond)

	// Replies, edits and deletions are events of the same stream.
	b.send(map[string]any{"type": "edit", "room": f.room, "message_id": got.Message.ID, "body": "Not mine", "ref": "e1"})
	if e := b.next(); e.Type != realtime.TypeError || e.Code != casestudy.EFORBIDDEN || e.Ref != "e1" {
		t.Fatalf("editing another's message: %s", e.raw)
	}
	a.send(map[string]any{"type": "publish", "room": f.room, "client_id": "c2", "body": "A reply", "parent_id": got.Message.ID, "ref": "r2"})
	a.send(map[string]any{"type": "edit", "room": f.room, "message_id": got.Message.ID, "body": "I noticed _rescuing_.", "ref": "e2"})
	a.send(map[string]any{"type": "delete", "room": f.room, "message_id": got.Message.ID, "ref": "d1"})
	evs := b.events(3)
	wantSeqs(t, evs, 2)
	if evs[0].Message.ParentID == nil || evs[1].Type != casestudy.EventMessageEdited || evs[2].Type != casestudy.EventMessageDeleted {
		t.Fatalf("events %+v", evs)
	}

	// An anonymiser finding is refused with the findings, as for cases.
	a.send(map[string]any{"type": "publish", "room": f.room, "client_id": "c3", "body": "Priya Raghunathan agreed.", "ref": "r3"})
	if e := a.nextOf(realtime.TypeError); e.Code != casestudy.EVALIDATION || e.Field != "decisions" || !strings.Contains(string(e.raw), `"findings"`) {
		t.Fatalf("publishing a name: %s", e.raw)
	}
}

func TestWebSocketResume(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	first := f.post(f.author, "m1", "one")
	second := f.post(f.author, "m2", "two")
	f.post(f.author, "m3", "three")

	a := f.member.dialWS(s.URL)
	if sub := a.subscribe(f.room, 0); sub.Head != 3 {
		t.Fatalf("subscribed %s", sub.raw)
	}
	wantSeqs(t, a.events(3), 1)
	_ = a.conn.Close()

	// While the member is away: two messages, an edit and a deletion.
	f.post(f.author, "m4", "four")
	f.author.mustStatus(f.author.call("PUT", fmt.Sprintf("%s/%d/messages/%d", f.base, f.room, first.Message.ID), map[string]any{"body": "one, edited"}), 200)
	f.author.mustStatus(f.author.call("DELETE", fmt.Sprintf("%s/%d/messages/%d", f.base, f.room, second.Message.ID), nil), 200)
	f.post(f.author, "m5", "five")

	a = f.member.dialWS(s.URL)
	a.subscribe(f.room, 3)
	missed := a.events(4)
	wantSeqs(t, missed, 4)
	if missed[1].Type != casestudy.EventMessageEdited || missed[1].Message.Body != "one, edited" || missed[2].Type != casestudy.EventMessageDeleted {
		t.Fatalf("replayed %+v", missed)
	}
	f.post(f.author, "m6", "six") // and then live
	wantSeqs(t, a.events(1), 8)
	a.quiet(200 * time.Millisecond)
}

// TestWebSocketResumeRace subscribes again and again while events commit, so that commits land
// during replays and at every point of the hand-over to live delivery; every subscriber must
// see every seq exactly once, in order.
func TestWebSocketResumeRace(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.WSMessagesPerSec, c.WSBurst = 1000, 1000 })
	f := newRoomFixture(t, s)
	const writers, perWriter = 4, 40
	var wg sync.WaitGroup
	for w := range writers {
		author := f.author
		if w%2 == 1 {
			author = f.member
		}
		ws := author.dialWS(s.URL)
		ws.subscribe(f.room, 0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter { // t.Fatal may not be called from here: report and stop
				if err := ws.conn.WriteJSON(map[string]any{"type": "publish", "room": f.room, "client_id": fmt.Sprintf("w%d-%d", w, i), "body": "a thought"}); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	const total = writers * perWriter
	var subs []*wsConn
	var starts []int64
	for i := 0; len(subs) < 12; i++ {
		c := f.member.dialWS(s.URL)
		var head int64
		_ = s.db.Get(&head, `SELECT coalesce((SELECT last_seq FROM room_heads WHERE case_id = $1), 0)`, f.room)
		from := head / 2 // resume from the middle of what exists: replay and live both run
		c.subscribe(f.room, from)
		subs, starts = append(subs, c), append(starts, from)
		time.Sleep(15 * time.Millisecond)
	}
	wg.Wait()
	for i, c := range subs {
		evs := c.events(int(total - starts[i]))
		wantSeqs(t, evs, starts[i]+1)
		c.quiet(100 * time.Millisecond)
	}
}

func TestWebSocketResyncWhenTheGapIsTooLarge(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.WSResumeWindow = 5 })
	f := newRoomFixture(t, s)
	for i := range 7 {
		f.post(f.author, fmt.Sprint("m", i), "a thought")
	}
	a := f.member.dialWS(s.URL)
	a.send(map[string]any{"type": "subscribe", "room": f.room, "last_seq": 0})
	if r := a.next(); r.Type != realtime.TypeResyncRequired || r.Head != 7 {
		t.Fatalf("a gap of 7 over a window of 5: %s", r.raw)
	}
	a.send(map[string]any{"type": "subscribe", "room": f.room, "last_seq": 99})
	if r := a.next(); r.Type != realtime.TypeResyncRequired {
		t.Fatalf("a last_seq past the head: %s", r.raw)
	}
	a.subscribe(f.room, 2)
	wantSeqs(t, a.events(5), 3)
}

func TestWebSocketSlowConsumerIsClosedWithoutDelayingOthers(t *testing.T) {
	t.Parallel()
	// The socket's kernel buffer is left at the hub's default, as `casecircle serve` leaves it;
	// the queue is capped by bytes (smaller than the default, to keep the test short).
	s := newAPIServer(t, func(c *server.Config) {
		c.WSSendQueueBytes = 48 << 10
		c.WSMessagesPerSec, c.WSBurst = 150, 50
	})
	f := newRoomFixture(t, s)
	fast := f.member.dialWS(s.URL)
	fast.subscribe(f.room, 0)

	// A client that stops reading: its socket's buffers fill, then its queue.
	u, _ := url.Parse(s.URL)
	header := http.Header{"Origin": {s.URL}}
	for _, ck := range f.author.http.Jar.Cookies(u) {
		header.Add("Cookie", ck.Name+"="+ck.Value)
	}
	dialer := *websocket.DefaultDialer
	dialer.ReadBufferSize = 1024
	dialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetReadBuffer(4096) // a small window, so the server's buffers fill sooner
		}
		return conn, err
	}
	slow, _, err := dialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/api/v1/ws", header)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_ = slow.WriteJSON(map[string]any{"type": "subscribe", "room": f.room, "last_seq": 0})

	big := strings.Repeat("Reflecting on the contracting and what stayed unsaid. ", 4) // ~220 characters
	const n = 360
	start := time.Now()
	pub := f.member.dialWS(s.URL)
	pub.subscribe(f.room, 0)
	for i := range n {
		pub.send(map[string]any{"type": "publish", "room": f.room, "client_id": fmt.Sprint("big", i), "body": big})
		time.Sleep(6 * time.Millisecond) // within the rate limit
	}
	wantSeqs(t, fast.events(n), 1)
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("the fast reader took %v", d)
	}
	r := f.member.raw("GET", "/metrics", "", nil, nil)
	if !strings.Contains(string(r.body), `casecircle_ws_forced_closes_total{reason="slow"} 1`) {
		t.Fatalf("the slow client was not closed as slow:\n%s", grepLines(string(r.body), "casecircle_ws"))
	}
	// Reading now, it finds what was written before the close, then the end of the socket.
	var lastSeq int64
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := slow.ReadMessage()
		if err != nil {
			// The close frame follows the frames written before it: a client that reads
			// again gets 4008, not a cut connection.
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != realtime.CloseSlow {
				t.Fatalf("slow client ended with %v, want close %d", err, realtime.CloseSlow)
			}
			break
		}
		var fr frame
		_ = json.Unmarshal(data, &fr)
		if fr.Type == realtime.TypeEvent {
			ev := fr.event(t)
			if ev.Seq != lastSeq+1 {
				t.Fatalf("slow client got seq %d after %d", ev.Seq, lastSeq)
			}
			lastSeq = ev.Seq
		}
	}
	t.Logf("the slow client read %d of %d events before its socket ended", lastSeq, n)
	if lastSeq >= n {
		t.Fatalf("the slow client got everything (%d); the test did not make it slow", lastSeq)
	}
	// It resumes without loss.
	again := f.author.dialWS(s.URL)
	again.subscribe(f.room, lastSeq)
	wantSeqs(t, again.events(int(n-lastSeq)), lastSeq+1)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestWebSocketAuthorization(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	outsider := s.newClient(t).signUp("oz")
	otherRoom := publishCase(t, outsider, outsider.createCommunity("Other group"))

	// No session: 401; a foreign origin: 403.
	anon := s.newClient(t)
	if _, resp, err := anon.tryDialWS(s.URL, s.URL); err == nil || resp.StatusCode != 401 {
		t.Fatalf("anonymous dial: %v %v", err, resp)
	}
	if _, resp, err := f.member.tryDialWS(s.URL, "http://evil.example"); err == nil || resp.StatusCode != 403 {
		t.Fatalf("foreign origin: %v %v", err, resp)
	}

	o := outsider.dialWS(s.URL)
	o.send(map[string]any{"type": "subscribe", "room": f.room, "last_seq": 0, "ref": "x"})
	if e := o.next(); e.Type != realtime.TypeError || e.Code != casestudy.ENOTFOUND || e.Ref != "x" {
		t.Fatalf("outsider subscribing: %s", e.raw)
	}
	o.send(map[string]any{"type": "publish", "room": f.room, "client_id": "x1", "body": "hello"})
	if e := o.next(); e.Code != realtime.ErrNotSubbed {
		t.Fatalf("outsider publishing: %s", e.raw)
	}
	m := f.member.dialWS(s.URL)
	m.send(map[string]any{"type": "subscribe", "room": otherRoom, "last_seq": 0})
	if e := m.next(); e.Code != casestudy.ENOTFOUND {
		t.Fatalf("member subscribing to another community's room: %s", e.raw)
	}

	// Removal from the community closes the member's sockets; subscribing again is refused.
	m.subscribe(f.room, 0)
	f.author.mustStatus(f.author.call("DELETE", fmt.Sprintf("/api/v1/communities/%d/members/%d", f.cid, f.member.id), nil), 204)
	if code := m.closeCode(time.Second); code != realtime.CloseAccessChanged {
		t.Fatalf("removed member's socket closed with %d", code)
	}
	m = f.member.dialWS(s.URL)
	m.send(map[string]any{"type": "subscribe", "room": f.room, "last_seq": 0})
	if e := m.next(); e.Code != casestudy.ENOTFOUND {
		t.Fatalf("removed member subscribing: %s", e.raw)
	}
	var count int
	_ = s.db.Get(&count, `SELECT count(*) FROM messages`)
	if count != 0 {
		t.Fatalf("%d messages stored", count)
	}
}

func TestWebSocketFrameErrorsAndLimits(t *testing.T) {
	t.Parallel()
	frameClock := &apiClock{t: time.Now()}
	s := newAPIServer(t, func(c *server.Config) { c.WSMessagesPerSec, c.WSBurst, c.WSClock = 1, 3, frameClock.Now })
	f := newRoomFixture(t, s)
	a := f.author.dialWS(s.URL)
	for _, c := range []struct{ frame, code, field string }{
		{`not json`, realtime.ErrBadFrame, ""},
		{`{"room":1}`, realtime.ErrBadFrame, "type"},
		{`{"type":"shout"}`, realtime.ErrBadFrame, "type"},
	} {
		_ = a.conn.WriteMessage(websocket.TextMessage, []byte(c.frame))
		if e := a.next(); e.Type != realtime.TypeError || e.Code != c.code || e.Field != c.field {
			t.Errorf("%s answered %s", c.frame, e.raw)
		}
	}
	// The bucket (burst 3) is spent by the bad frames: the next frames are refused with a retry time.
	_ = a.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","room":"one"}`))
	if e := a.next(); e.Code != realtime.ErrRateLimited || e.RetryAfterMS <= 0 {
		t.Fatalf("over the rate: %s", e.raw)
	}
	frameClock.Advance(time.Second)
	_ = a.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","room":"one"}`))
	if e := a.next(); e.Code != realtime.ErrBadFrame || e.Field != "room" {
		t.Fatalf("a string room: %s", e.raw)
	}
	frameClock.Advance(time.Second)
	_ = a.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","room":1,"colour":"red"}`))
	if e := a.next(); e.Code != realtime.ErrBadFrame || e.Field != "colour" {
		t.Fatalf("an unknown field: %s", e.raw)
	}
	// Keeping on past the limit closes the connection with 1008.
	for range 40 {
		if err := a.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"read","room":1,"seq":0}`)); err != nil {
			break
		}
	}
	if code := a.closeCode(2 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("abuse closed with %d", code)
	}
	// So does a flood of frames that are malformed, binary or typing notices: every frame counts.
	for name, flood := range map[string]func(*websocket.Conn) error{
		"malformed": func(c *websocket.Conn) error { return c.WriteMessage(websocket.TextMessage, []byte(`{{{`)) },
		"binary":    func(c *websocket.Conn) error { return c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}) },
		"typing": func(c *websocket.Conn) error {
			return c.WriteMessage(websocket.TextMessage, []byte(`{"type":"typing","room":1}`))
		},
	} {
		w := f.member.dialWS(s.URL)
		for range 100 {
			if flood(w.conn) != nil {
				break
			}
		}
		if code := w.closeCode(2 * time.Second); code != websocket.ClosePolicyViolation {
			t.Fatalf("a flood of %s frames closed with %d, want %d", name, code, websocket.ClosePolicyViolation)
		}
	}

	// A frame over the size limit closes with 1009.
	b := f.member.dialWS(s.URL)
	_ = b.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"publish","body":"`+strings.Repeat("x", 70<<10)+`"}`))
	if code := b.closeCode(2 * time.Second); code != websocket.CloseMessageTooBig {
		t.Fatalf("a 70 KiB frame closed with %d", code)
	}
}

// Sockets are capped per user and per address; beyond the cap the upgrade gets 429 with
// Retry-After, and closing a socket frees its place.
func TestWebSocketSocketCaps(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.WSMaxSocketsPerUser, c.WSMaxSocketsPerIP = 3, 5 })
	f := newRoomFixture(t, s)
	var open []*wsConn
	for range 3 {
		open = append(open, f.author.dialWS(s.URL))
	}
	_, resp, err := f.author.tryDialWS(s.URL, s.URL)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a 4th socket for one user: %v %v", err, resp)
	}
	// Another user from the same address gets two more, then the address is full.
	open = append(open, f.member.dialWS(s.URL), f.member.dialWS(s.URL))
	if _, resp, err := f.member.tryDialWS(s.URL, s.URL); err == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a 6th socket from one address: %v %v", err, resp)
	}
	_ = open[0].conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		w, _, err := f.author.tryDialWS(s.URL, s.URL)
		if err == nil {
			_ = w.conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed socket's place was not given back: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // the server notices the close asynchronously
	}
	r := f.author.raw("GET", "/metrics", "", nil, nil)
	m := regexp.MustCompile(`(?m)^casecircle_ws_refused_total (\d+)$`).FindStringSubmatch(string(r.body))
	if m == nil || m[1] == "0" || m[1] == "1" {
		t.Fatalf("refusals not counted:\n%s", grepLines(string(r.body), "casecircle_ws_refused"))
	}
}

func TestWebSocketShutdownSaysGoingAway(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	a := f.member.dialWS(s.URL)
	a.subscribe(f.room, 0)
	s.srv.Close()
	if code := a.closeCode(2 * time.Second); code != websocket.CloseGoingAway {
		t.Fatalf("shutdown closed with %d", code)
	}
}

// TestTwoNodes runs two server processes on one database: each delivers the other's events,
// presence and session ends, also after its LISTEN connection was cut.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	n1 := newAPIServer(t, nil)
	n2 := newAPIServerOn(t, n1.db, nil)
	f := newRoomFixture(t, n1)
	on2 := *f.member // the same cookies, talking to the other node
	on2.base = n2.URL

	a := f.author.dialWS(n1.URL)
	b := on2.dialWS(n2.URL)
	a.subscribe(f.room, 0)
	b.subscribe(f.room, 0)

	a.publish(f.room, "a1", "from node one")
	if ev := b.events(1)[0]; ev.Seq != 1 || ev.Message.Body != "from node one" {
		t.Fatalf("node two got %+v", ev)
	}
	b.publish(f.room, "b1", "from node two")
	if evs := a.events(1); evs[0].Seq != 2 || evs[0].Message.Body != "from node two" {
		t.Fatalf("node one got %+v", evs)
	}

	// Presence spans nodes, and leaving shows.
	a.waitPresence(f.room, "ann,ben")
	b.waitPresence(f.room, "ann,ben")
	extra := f.member.dialWS(n1.URL)
	extra.subscribe(f.room, 2)
	_ = extra.conn.Close()
	b.waitPresence(f.room, "ann,ben")

	// Cut every LISTEN connection; events committed meanwhile still arrive, once.
	var cut int
	if err := n1.db.Get(&cut, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, realtime.ListenerApplicationName); err != nil || cut != 2 {
		t.Fatalf("terminated %d listeners: %v", cut, err)
	}
	a.publish(f.room, "a2", "while node two was deaf")
	f.post(f.author, "a3", "and another")
	wantSeqs(t, b.events(2), 3)
	b.quiet(300 * time.Millisecond)

	// Signing out on node one closes the socket on node two.
	on2.mustStatus(f.member.call("POST", "/api/v1/auth/signout", nil), 204)
	if code := b.closeCode(time.Second); code != realtime.CloseSignedOut {
		t.Fatalf("node two's socket closed with %d after sign-out on node one", code)
	}
}

func TestRoomSnapshotAndUnreadMarker(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	top := f.post(f.author, "t1", "first thread")
	var reply struct{ Event casestudy.RoomEvent }
	f.author.mustStatus(f.author.call("POST", fmt.Sprintf("%s/%d/messages", f.base, f.room), map[string]any{"client_id": "r1", "body": "a reply", "parent_id": top.Message.ID}), 200).decode(t, &reply)
	f.post(f.author, "t2", "second thread")

	path := fmt.Sprintf("%s/%d", f.base, f.room)
	var snap casestudy.RoomSnapshot
	f.member.mustStatus(f.member.call("GET", path+"/messages?limit=1", nil), 200).decode(t, &snap)
	if snap.Head != 3 || snap.ReadSeq != 0 || len(snap.Threads) != 1 || snap.Threads[0].Body != "second thread" || snap.Before == 0 {
		t.Fatalf("first page %+v", snap)
	}
	before := snap.Before
	snap = casestudy.RoomSnapshot{}
	f.member.mustStatus(f.member.call("GET", fmt.Sprintf("%s/messages?limit=1&before=%d", path, before), nil), 200).decode(t, &snap)
	if len(snap.Threads) != 1 || len(snap.Threads[0].Replies) != 1 || snap.Threads[0].Replies[0].Body != "a reply" || snap.Before != 0 {
		t.Fatalf("second page %+v", snap)
	}

	var read struct {
		ReadSeq int64 `json:"read_seq"`
	}
	f.member.mustStatus(f.member.call("PUT", path+"/read", map[string]any{"seq": 2}), 200).decode(t, &read)
	f.member.mustStatus(f.member.call("PUT", path+"/read", map[string]any{"seq": 1}), 200).decode(t, &read)
	if read.ReadSeq != 2 {
		t.Fatalf("the marker went back to %d", read.ReadSeq)
	}
	f.member.mustStatus(f.member.call("PUT", path+"/read", map[string]any{"seq": 99}), 200).decode(t, &read)
	if read.ReadSeq != 3 {
		t.Fatalf("the marker went past the head: %d", read.ReadSeq)
	}
	var page struct {
		Events []casestudy.RoomEvent
	}
	f.member.mustStatus(f.member.call("GET", path+"/events?before=3&limit=1", nil), 200).decode(t, &page)
	if len(page.Events) != 1 || page.Events[0].Seq != 2 {
		t.Fatalf("events before 3: %+v", page.Events)
	}
	outsider := s.newClient(t).signUp("oz")
	outsider.mustStatus(outsider.call("GET", path+"/messages", nil), 404)
	outsider.mustStatus(outsider.call("PUT", path+"/read", map[string]any{"seq": 1}), 404)
}

// TestWebSocketClosedWhenTheSessionTimesOut: a session that ends without a sign-out (idle
// timeout) closes its sockets at the next sweep; a live socket keeps its session alive.
func TestWebSocketClosedWhenTheSessionTimesOut(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.WSSignInSweep = 100 * time.Millisecond })
	f := newRoomFixture(t, s)
	a := f.author.dialWS(s.URL)
	a.subscribe(f.room, 0)
	m := f.member.dialWS(s.URL)
	m.subscribe(f.room, 0)

	// The author's session was last seen 20 minutes ago: the open socket refreshes it.
	if _, err := s.db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '20 minutes' WHERE user_id = $1`, f.author.id); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) { // until a sweep has run
		var fresh bool
		if err := s.db.Get(&fresh, `SELECT bool_and(last_seen_at > now() - interval '1 minute') FROM sessions WHERE user_id = $1`, f.author.id); err != nil {
			t.Fatal(err)
		}
		if fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an open socket did not keep its session alive")
		}
	}

	// The member's session times out: its socket is closed as "session ended".
	if _, err := s.db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1`, f.member.id); err != nil {
		t.Fatal(err)
	}
	if code := m.closeCode(2 * time.Second); code != realtime.CloseSignedOut {
		t.Fatalf("socket of a timed-out session closed with %d", code)
	}
	a.quiet(200 * time.Millisecond) // the other stays open
}

// TestLiveSessionOverHTTPAndSocket: a session started and steered over HTTP reaches the room as
// events; a post the phase does not allow gets an error frame naming the phase.
func TestLiveSessionOverHTTPAndSocket(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s) // the author is the community's facilitator, who may supervise
	path := fmt.Sprintf("%s/%d/session", f.base, f.room)
	m := f.member.dialWS(s.URL)
	m.subscribe(f.room, 0)
	a := f.author.dialWS(s.URL)
	a.subscribe(f.room, 0)

	f.member.mustStatus(f.member.call("POST", path, map[string]any{"template": "default"}), 403)
	f.author.mustStatus(f.author.call("POST", path, map[string]any{"template": "default", "presenter_id": f.member.id}), 201)
	started := m.events(1)[0]
	if started.Type != casestudy.EventSessionStarted || started.Session == nil || started.Session.PresenterID != f.member.id ||
		started.Session.Template.Phases[0].Name != "Presentation" {
		t.Fatalf("started %+v", started)
	}
	a.events(1)

	// Presentation: only the presenter speaks; another member's post is refused with the reason.
	cal := s.newClient(t).signUp("cal")
	_, token := f.author.invite(f.cid, "member")
	cal.join(token)
	c := cal.dialWS(s.URL)
	c.subscribe(f.room, 1)
	c.send(map[string]any{"type": "publish", "room": f.room, "client_id": "c1", "body": "Let me add", "ref": "p1"})
	if e := c.nextOf(realtime.TypeError); e.Code != casestudy.EFORBIDDEN || !strings.Contains(string(e.raw), "Only the presenter may speak") ||
		!strings.Contains(string(e.raw), `"phase":"Presentation"`) {
		t.Fatalf("refusal %s", e.raw)
	}
	if ack := m.publish(f.room, "p1", "Here is my case"); ack.Seq != 2 {
		t.Fatalf("presenter's post %s", ack.raw)
	}
	// The supervisor may speak in every phase: a facilitation note.
	if ack := a.publish(f.room, "s1", "A reminder: no names, please"); ack.Seq != 3 {
		t.Fatalf("supervisor's post %s", ack.raw)
	}

	f.member.mustStatus(f.member.call("POST", path+"/commands", map[string]any{"action": "advance"}), 403)
	f.author.mustStatus(f.author.call("POST", path+"/commands", map[string]any{"action": "advance"}), 200)
	f.author.mustStatus(f.author.call("POST", path+"/commands", map[string]any{"action": "fly"}), 422)
	evs := c.events(3)
	if evs[0].Message == nil || evs[0].Message.Facilitation || evs[1].Message == nil || !evs[1].Message.Facilitation ||
		evs[2].Action != "advance" || evs[2].Session.State.Phase != 1 {
		t.Fatalf("events %+v", evs)
	}

	// The snapshot of a page load carries the session as it stands.
	var snap casestudy.RoomSnapshot
	f.member.mustStatus(f.member.call("GET", fmt.Sprintf("%s/%d/messages", f.base, f.room), nil), 200).decode(t, &snap)
	if snap.Session == nil || snap.Session.State.Phase != 1 || snap.Head != 4 {
		t.Fatalf("snapshot %+v", snap)
	}
	var got struct{ Session casestudy.SessionView }
	f.member.mustStatus(f.member.call("GET", path, nil), 200).decode(t, &got)
	if got.Session.State.Phase != 1 {
		t.Fatalf("session %+v", got.Session)
	}
	outsider := s.newClient(t).signUp("oz")
	outsider.mustStatus(outsider.call("GET", path, nil), 404)
	outsider.mustStatus(outsider.call("POST", path+"/commands", map[string]any{"action": "raise_hand"}), 404)
}

// TestResumeAcrossAPhaseChange: a member away while the phase changes gets the change on
// resume, in order with the messages around it.
func TestResumeAcrossAPhaseChange(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	path := fmt.Sprintf("%s/%d/session", f.base, f.room)
	f.author.mustStatus(f.author.call("POST", path, map[string]any{"template": "default", "presenter_id": f.member.id}), 201)
	m := f.member.dialWS(s.URL)
	m.subscribe(f.room, 1)
	m.publish(f.room, "before", "My case in brief")
	_ = m.conn.Close()

	f.author.mustStatus(f.author.call("POST", path+"/commands", map[string]any{"action": "advance"}), 200)
	f.author.mustStatus(f.author.call("POST", path+"/commands", map[string]any{"action": "pause"}), 200)

	m = f.member.dialWS(s.URL)
	m.subscribe(f.room, 2)
	evs := m.events(2)
	wantSeqs(t, evs, 3)
	if evs[0].Action != "advance" || evs[0].Session.State.Phase != 1 || evs[1].Action != "pause" || !evs[1].Session.State.Paused {
		t.Fatalf("resumed %+v", evs)
	}
}
