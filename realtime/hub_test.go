package realtime_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/casecircle/casecircle/realtime"
)

func TestHelloAnnouncesLimitsAndTimings(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{MaxMessageChars: 8000, Burst: 7})
	c, err := n.tryDial(3)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	defer c.ws.Close()
	hello := c.next()
	limits := hello["limits"].(map[string]any)
	if hello["version"] != float64(realtime.ProtocolVersion) || hello["user"].(map[string]any)["name"] != "user 3" ||
		hello["max_message_chars"] != float64(8000) || limits["burst"] != float64(7) ||
		hello["typing_every_ms"] == nil || hello["typing_timeout_ms"] != float64(realtime.TypingTimeout.Milliseconds()) {
		t.Fatalf("hello %v", hello)
	}
}

func TestPublishReachesEveryoneOnceWithAnAck(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{})
	ada, bob := n.open(t, 1), n.open(t, 2)
	ada.subscribe(10, 0)
	bob.subscribe(10, 0)
	ada.send(map[string]any{"type": "publish", "ref": "p1", "room": 10, "client_id": "c1", "body": "hello"})
	ack, got := ada.ack("p1")
	if ack["seq"] != float64(1) {
		t.Fatalf("ack %v", ack)
	}
	if len(got) == 0 {
		got = ada.events(1)
	}
	if !slices.Equal(got, []int64{1}) {
		t.Fatalf("ada's events %v", got)
	}
	if got := bob.events(1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("bob's events %v", got)
	}
	// The same client_id again: acknowledged with the original seq, not stored twice.
	ada.send(map[string]any{"type": "publish", "ref": "p2", "room": 10, "client_id": "c1", "body": "hello"})
	if ack, events := ada.ack("p2"); ack["seq"] != float64(1) || len(events) > 0 {
		t.Fatalf("a resend was acknowledged as %v, with events %v", ack, events)
	}
	if head := n.backend.head(10); head != 1 {
		t.Fatalf("the resend was stored: head %d", head)
	}
}

func TestEditDeleteAndReadAreAcknowledgedInOrder(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{})
	ada := n.open(t, 1)
	ada.subscribe(10, 0)
	ada.send(map[string]any{"type": "publish", "ref": "p", "room": 10, "client_id": "c1", "body": "first"})
	ada.send(map[string]any{"type": "edit", "ref": "e", "room": 10, "message_id": 1, "body": "changed"})
	ada.send(map[string]any{"type": "delete", "ref": "d", "room": 10, "message_id": 1})
	ada.send(map[string]any{"type": "read", "ref": "r", "room": 10, "seq": 3})
	var refs []string
	for len(refs) < 4 {
		f := ada.next()
		if f["type"] == realtime.TypeAck {
			refs = append(refs, f["ref"].(string))
		}
	}
	if !slices.Equal(refs, []string{"p", "e", "d", "r"}) {
		t.Fatalf("acks in the order %v", refs)
	}
	ada.send(map[string]any{"type": "edit", "ref": "e2", "room": 10, "message_id": 0, "body": "x"})
	ada.expectError("not_found", "message_id")
	ada.send(map[string]any{"type": "read", "ref": "r2", "room": 10, "seq": 99})
	ada.expectError("validation", "seq")
}

func TestRefusalsKeepTheirCodeFieldAndDetails(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{})
	ada := n.open(t, 1)
	ada.subscribe(10, 0)
	ada.send(map[string]any{"type": "publish", "ref": "a", "room": 10, "client_id": "c1", "body": ""})
	ada.expectError("validation", "body")
	ada.send(map[string]any{"type": "publish", "ref": "b", "room": 10, "client_id": "c2", "body": "leaks a name"})
	f := ada.expectError("validation", "decisions")
	if f["ref"] != "b" || f["details"].(map[string]any)["findings"] == nil {
		t.Fatalf("error frame %v lacks its ref or details", f)
	}
	ada.send(map[string]any{"type": "publish", "ref": "c", "room": 10, "client_id": "c3", "body": "breaks"})
	if f := ada.expectError("internal", ""); strings.Contains(f["message"].(string), "database") {
		t.Fatalf("an internal error leaked its cause: %v", f)
	}
	n.backend.mu.Lock()
	n.backend.closed[11] = true
	n.backend.mu.Unlock()
	ada.send(map[string]any{"type": "subscribe", "ref": "s", "room": 11, "last_seq": 0})
	ada.expectError("not_found", "")
}

func TestMalformedFramesAreAnsweredAndNamed(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{})
	ada := n.open(t, 1)
	for _, c := range []struct {
		frame, field string
	}{
		{`not json`, ""},
		{`{"ref":"x"}`, "type"},
		{`{"type":"shout"}`, "type"},
		{`{"type":"subscribe","room":"ten"}`, "room"},
		{`{"type":"subscribe","room":10,"colour":"red"}`, "colour"},
		{`{"type":"subscribe","room":10}{"type":"subscribe"}`, ""},
		{`{"type":"subscribe","room":10,`, ""},
		{`{"type":"subscribe","room":0}`, "room"},
		{`{"type":"subscribe","room":10,"last_seq":-1}`, "last_seq"},
		{`{"type":"publish","room":10,"client_id":"c","body":"x"}`, "room"},
		{`{"type":"typing","room":10}`, "room"},
	} {
		ada.send(c.frame)
		f := ada.expect(realtime.TypeError)
		if (f["code"] != realtime.ErrBadFrame && f["code"] != realtime.ErrNotSubbed) || (c.field != "" && f["field"] != c.field) {
			t.Errorf("%s: answered %v, want field %q", c.frame, f, c.field)
		}
	}
	if err := ada.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	ada.expectError(realtime.ErrBadFrame, "")
}

func TestUnsubscribeEndsDelivery(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{})
	ada, bob := n.open(t, 1), n.open(t, 2)
	ada.subscribe(10, 0)
	bob.subscribe(10, 0)
	bob.send(map[string]any{"type": "unsubscribe", "ref": "u", "room": 10})
	if f := bob.expect(realtime.TypeUnsubscribed); f["ref"] != "u" {
		t.Fatalf("unsubscribed %v", f)
	}
	ada.send(map[string]any{"type": "publish", "ref": "p", "room": 10, "client_id": "c1", "body": "hello"})
	ada.ack("p")
	bob.send(map[string]any{"type": "publish", "ref": "q", "room": 10, "client_id": "c1", "body": "me too"})
	bob.expectError(realtime.ErrNotSubbed, "room") // and no event came before it
}

// A subscriber who was away gets exactly what it missed, then live events, with none lost or
// doubled even while others keep posting.
func TestResumeReplaysTheGapThenGoesLive(t *testing.T) {
	st := newStore()
	n := startNode(t, st, realtime.Options{})
	for i := 0; i < 1200; i++ {
		st.append(10, "message.created", "earlier")
	}
	writer := n.open(t, 1)
	writer.subscribe(10, 1200)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // posts while the reader resumes
		defer wg.Done()
		for i := 0; i < 50; i++ {
			n.backend.commit(10, "message.created", "live")
		}
	}()
	reader := n.open(t, 2)
	sub := reader.subscribe(10, 300)
	if sub["last_seq"] != float64(300) {
		t.Fatalf("subscribed %v", sub)
	}
	wg.Wait()
	if got := reader.events(950); !slices.Equal(got, seqs(301, 1250)) {
		t.Fatalf("resumed with %d events from %d to %d, not 301…1250 in order", len(got), got[0], got[len(got)-1])
	}
}

func TestResyncWhenTheGapIsTooLargeOrUnknown(t *testing.T) {
	st := newStore()
	n := startNode(t, st, realtime.Options{ResumeWindow: 5})
	for i := 0; i < 8; i++ {
		st.append(10, "message.created", "x")
	}
	ada := n.open(t, 1)
	for _, last := range []int64{2, 9} { // 6 behind; ahead of the room
		ada.send(map[string]any{"type": "subscribe", "ref": "s", "room": 10, "last_seq": last})
		if f := ada.expect(realtime.TypeResyncRequired); f["head"] != float64(8) {
			t.Fatalf("resync %v", f)
		}
	}
	ada.subscribe(10, 3)
	if got := ada.events(5); !slices.Equal(got, seqs(4, 8)) {
		t.Fatalf("replayed %v", got)
	}
}

func TestAFailedReplayEndsTheSubscription(t *testing.T) {
	st := newStore()
	n := startNode(t, st, realtime.Options{})
	st.append(10, "message.created", "x")
	st.setReplayErr(errors.New("database away"))
	ada := n.open(t, 1)
	ada.subscribe(10, 0)
	if f := ada.expect(realtime.TypeUnsubscribed); !strings.Contains(f["reason"].(string), "subscribe again") {
		t.Fatalf("unsubscribed %v", f)
	}
	st.setReplayErr(nil)
	ada.subscribe(10, 0)
	if got := ada.events(1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("events %v", got)
	}
}

// Events that reach a room out of order wait for the missing one; a gap nobody fills is read
// from the database.
func TestRoomFillsGapsInOrder(t *testing.T) {
	st := newStore()
	n := startNode(t, st, realtime.Options{})
	ada := n.open(t, 1)
	ada.subscribe(10, 0)
	e1, e2 := st.append(10, "message.created", "one"), st.append(10, "message.created", "two")
	e3 := st.append(10, "message.created", "three")
	n.hub.Committed(e3) // 1 and 2 are not here yet
	n.hub.Committed(e2)
	n.hub.Committed(e1) // fills the gap: 1, 2, 3 go out at once
	if got := ada.events(3); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("events %v", got)
	}
	e5 := func() realtime.Event {
		st.append(10, "message.created", "four")
		return st.append(10, "message.created", "five")
	}()
	n.hub.Committed(e5) // 4's commit never arrives: read after the grace period
	n.hub.Committed(e3) // delivered already: skipped
	if got := ada.events(2); !slices.Equal(got, []int64{4, 5}) {
		t.Fatalf("events %v", got)
	}
}

// A catch-up read that fails is tried again until it succeeds.
func TestCatchUpRetriesAFailedRead(t *testing.T) {
	st := newStore()
	n := startNode(t, st, realtime.Options{})
	ada := n.open(t, 1)
	ada.subscribe(10, 0)
	st.setReplayErr(errors.New("database away"))
	st.append(10, "message.created", "from elsewhere")
	st.net.Announce(10, 1)
	time.AfterFunc(150*time.Millisecond, func() { st.setReplayErr(nil) })
	if got := ada.events(1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("events %v", got)
	}
	if n.counter(t, "casecircle_room_catchup_reads_total", "") < 2 {
		t.Fatal("the failed read was not tried again")
	}
}

// Two processes: an event committed on one reaches the other's subscribers by its notice;
// presence and typing cross too; a reconnected broker catches every room up.
func TestProcessesShareRoomsThroughTheBroker(t *testing.T) {
	st := newStore()
	one, two := startNode(t, st, realtime.Options{}), startNode(t, st, realtime.Options{})
	ada, bob := one.open(t, 1), two.open(t, 2)
	ada.subscribe(10, 0)
	bob.subscribe(10, 0)
	waitPresence(t, bob, 1, 2)
	waitPresence(t, ada, 1, 2)

	ada.send(map[string]any{"type": "publish", "ref": "p", "room": 10, "client_id": "c1", "body": "hello"})
	if got := bob.events(1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("bob got %v", got)
	}
	ada.send(map[string]any{"type": "typing", "room": 10})
	if f := bob.expect(realtime.TypeTypingNotice); f["user"].(map[string]any)["id"] != float64(1) {
		t.Fatalf("typing %v", f)
	}

	st.append(10, "message.created", "notice lost")
	st.net.Reconnect()
	if got := bob.events(1); !slices.Equal(got, []int64{2}) {
		t.Fatalf("after the reconnect bob got %v", got)
	}

	ada.send(map[string]any{"type": "unsubscribe", "room": 10})
	waitPresence(t, bob, 2)
	if got := two.hub.Present(10); !slices.Equal(got, []int64{2}) {
		t.Fatalf("present on two: %v", got)
	}
}

// waitPresence reads presence frames until the room's members are exactly ids.
func waitPresence(t *testing.T, c *conn, ids ...int64) {
	t.Helper()
	for {
		f := c.next()
		if f["type"] != realtime.TypePresence {
			continue
		}
		var got []int64
		for _, m := range f["members"].([]any) {
			got = append(got, int64(m.(map[string]any)["id"].(float64)))
		}
		slices.Sort(got)
		if slices.Equal(got, ids) {
			return
		}
	}
}

func TestSignOutClosesTheUsersSocketsOnEveryProcess(t *testing.T) {
	st := newStore()
	one, two := startNode(t, st, realtime.Options{}), startNode(t, st, realtime.Options{})
	here, there, other := one.open(t, 1), two.open(t, 1), two.open(t, 2)
	one.hub.CloseUser(1, realtime.CloseSignedOut)
	if code := here.closed(); code != realtime.CloseSignedOut {
		t.Fatalf("here: close %d", code)
	}
	if code := there.closed(); code != realtime.CloseSignedOut {
		t.Fatalf("there: close %d", code)
	}
	two.hub.CloseUser(2, realtime.CloseAccessChanged)
	if code := other.closed(); code != realtime.CloseAccessChanged {
		t.Fatalf("access changed: close %d", code)
	}
}

// The frame rate limit runs on the hub's clock: a test moves time instead of sleeping.
func TestRateLimitAndItsAbuse(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n := startNode(t, newStore(), realtime.Options{MessagesPerSec: 1, Burst: 3, Clock: clock})
	ada := n.open(t, 1)
	for i := 0; i < 3; i++ {
		ada.send(`{"type":"unsubscribe","room":5}`)
		ada.expect(realtime.TypeUnsubscribed)
	}
	ada.send(`{"type":"unsubscribe","ref":"over","room":5}`)
	if f := ada.expectError(realtime.ErrRateLimited, ""); f["retry_after_ms"] != float64(1000) || f["ref"] != "over" {
		t.Fatalf("rate limited %v", f)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	ada.send(`{"type":"unsubscribe","room":5}`)
	ada.expect(realtime.TypeUnsubscribed)
	for i := 0; i < 25; i++ { // refusals in quick succession end the connection
		if ada.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"unsubscribe","room":5}`)) != nil {
			break // closed already
		}
	}
	if code := ada.closed(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close %d, want 1008", code)
	}
}

// A client that stops reading while its room is busy is closed with 4008 after the frame
// being written, and hears why; the room goes on for everyone else.
func TestSlowConsumerIsClosedAndTheRoomGoesOn(t *testing.T) {
	st := newStore()
	n := startNode(t, st, realtime.Options{SendQueueBytes: 256 << 10, SocketSendBuffer: 4 << 10})
	slow := n.open(t, 1)
	if tcp, ok := slow.ws.NetConn().(interface{ SetReadBuffer(int) error }); ok {
		_ = tcp.SetReadBuffer(4 << 10)
	}
	slow.subscribe(10, 0)
	fast := n.open(t, 2)
	fast.subscribe(10, 0)
	big := strings.Repeat("x", 48<<10)
	deadline := time.Now().Add(10 * time.Second)
	sent := 0
	for n.counter(t, "casecircle_ws_forced_closes_total", "slow") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow client was never found out")
		}
		n.backend.commit(10, "message.created", big)
		sent++
		fast.events(1)
	}
	if code := slow.closed(); code != realtime.CloseSlow {
		t.Fatalf("close %d, want 4008", code)
	}
	n.backend.commit(10, "message.created", "after")
	if got := fast.events(1); got[0] != int64(sent+1) {
		t.Fatalf("the room stopped: %v", got)
	}
}

func TestSocketCapsPerUser(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{MaxSocketsPerUser: 2})
	n.open(t, 1)
	n.open(t, 1)
	if _, err := n.tryDial(1); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("a third socket: %v, want HTTP 429", err)
	}
	n.open(t, 2) // someone else still may
}

func TestCloseSaysGoingAwayAndWaitsForConnections(t *testing.T) {
	n := startNode(t, newStore(), realtime.Options{})
	ada := n.open(t, 1)
	ada.subscribe(10, 0)
	n.hub.Close()
	if code := ada.closed(); code != realtime.CloseGoingAway {
		t.Fatalf("close %d, want 1001", code)
	}
	late, err := n.tryDial(1) // upgraded, then told at once that the server is going away
	if err != nil {
		t.Fatal(err)
	}
	late.t = t
	defer late.ws.Close()
	if code := late.closed(); code != realtime.CloseGoingAway {
		t.Fatalf("a socket opened after Close: close %d, want 1001", code)
	}
	n.hub.Close() // a second Close does nothing more
}

// NotifyUsers reaches every socket of the named users, on this process and, through the
// broker, on the others; nobody else's. A list too long for one notice goes in several.
func TestNotifyUsersAcrossProcesses(t *testing.T) {
	t.Parallel()
	st := newStore()
	one, two := startNode(t, st, realtime.Options{}), startNode(t, st, realtime.Options{})
	a1, a2 := one.open(t, 1), two.open(t, 1) // user 1 on both processes
	b := two.open(t, 2)
	c := one.open(t, 3)

	one.hub.NotifyUsers([]int64{1, 2})
	a1.expect(realtime.TypeNotify)
	a2.expect(realtime.TypeNotify)
	b.expect(realtime.TypeNotify)

	// Many users at once: several notices, and the last one still arrives.
	many := make([]int64, 0, 1001)
	for id := int64(100); id < 1100; id++ {
		many = append(many, id)
	}
	two.hub.NotifyUsers(append(many, 3))
	c.expect(realtime.TypeNotify)

	// Nothing for user 3 from the first call, nothing more for the others.
	c.send(map[string]any{"type": "subscribe", "room": 1, "last_seq": 0, "ref": "s"})
	c.expect(realtime.TypeSubscribed)
	if got := one.counter(t, "casecircle_ws_notify_frames_total", ""); got != 2 {
		t.Fatalf("node one sent %v notify frames, want 2 (user 1, then user 3)", got)
	}
}
