package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Rate-limit abuse: this many refused frames, each within strikeWindow of the previous, close
// the connection with 1008.
const (
	maxStrikes   = 20
	strikeWindow = 5 * time.Second
	// typingEvery throttles a client's typing notices per room; extra ones are dropped.
	typingEvery = 2 * time.Second
	// backendTimeout bounds one frame's work in the database.
	backendTimeout = 15 * time.Second
)

// outFrame is a frame waiting to be written: an event encoded once for all its recipients, or
// bytes for this client only.
type outFrame struct {
	prepared  *websocket.PreparedMessage
	size      int // of prepared's payload
	data      []byte
	droppable bool // presence and typing: dropped rather than queued when the client is behind
}

func (f outFrame) bytes() int { return f.size + len(f.data) }

// client is one WebSocket connection: a reader (the goroutine that called run) that handles
// the client's frames one by one, and a writer that drains the send queue.
type client struct {
	hub     *Hub
	conn    *websocket.Conn
	cork    *corkConn // under conn: batches the writer's frames into one system call
	user    Member
	limiter *rate.Limiter
	strikes int
	struck  time.Time

	// Reader goroutine only.
	subs     map[int64]*subscription
	typingAt map[int64]time.Time

	mu     sync.Mutex
	queue  []outFrame // frames for the writer; nil when idle, so idle clients hold no buffer
	queued int        // bytes in queue and in the batch the writer is writing
	// closing is set once the client is being closed; closeCode, when set, is the close frame
	// the writer sends after the frame it is writing (a slow client: 4008).
	closing   bool
	closeCode int
	wake      chan struct{} // capacity 1: "the queue has frames"
	done      chan struct{} // closed when the reader ends

	// Reader goroutine only: the sequencer of writes, once there has been one.
	writes        chan pendingWrite
	sequencerDone chan struct{}
}

// inFlight is how many writes (mostly published messages) a connection may have waiting to be
// stored; the reader stops reading while it is full.
const inFlight = 32

func newClient(h *Hub, conn *websocket.Conn, user Member) *client {
	return &client{
		hub: h, conn: conn, user: user,
		limiter: rate.NewLimiter(rate.Limit(h.opts.MessagesPerSec), h.opts.Burst),
		subs:    make(map[int64]*subscription),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
}

// run serves the connection until it ends, then leaves every room.
func (c *client) run() {
	c.conn.SetReadLimit(int64(c.hub.opts.MaxFrameBytes))
	_ = c.conn.SetReadDeadline(time.Now().Add(PongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(PongWait)) })

	writerDone := make(chan struct{})
	go func() { defer close(writerDone); c.writeLoop() }()

	c.send(HelloFrame{
		Type: TypeHello, Version: ProtocolVersion, User: c.user,
		Limits: Limits{
			MaxFrameBytes: c.hub.opts.MaxFrameBytes, MessagesPerSec: c.hub.opts.MessagesPerSec,
			Burst: c.hub.opts.Burst, ResumeWindow: c.hub.opts.ResumeWindow,
		},
		PingIntervalMS: PingInterval.Milliseconds(), TypingTimeoutMS: TypingTimeout.Milliseconds(),
		TypingEveryMS: typingEvery.Milliseconds(), MaxMessageChars: c.hub.opts.MaxMessageChars,
	})
	c.readLoop()
	if c.writes != nil {
		close(c.writes)
		<-c.sequencerDone
	}

	for _, s := range c.subs {
		c.leave(s)
	}
	close(c.done)
	_ = c.conn.Close()
	<-writerDone
}

func (c *client) readLoop() {
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			return // closed, too big (gorilla has answered 1009), or dead (read deadline)
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(PongWait))
		if kind != websocket.TextMessage {
			// Every frame takes a token, whatever it is: a flood of bad frames costs its
			// sender the connection as a flood of good ones does.
			if !c.allow("") {
				if c.strikes >= maxStrikes {
					return
				}
				continue
			}
			c.sendError("", &Error{Code: ErrBadFrame, Message: "Send JSON in text frames."})
			continue
		}
		if !c.handle(data) {
			return
		}
	}
}

// handle answers one frame; false ends the connection.
func (c *client) handle(data []byte) bool {
	var env Envelope
	err := json.Unmarshal(data, &env)
	if !c.allow(env.Ref) { // every frame, malformed and typing included
		return c.strikes < maxStrikes
	}
	if err != nil {
		c.sendError("", &Error{Code: ErrBadFrame, Message: "Send one JSON object per frame, with a \"type\"."})
		return true
	}
	ctx, cancel := context.WithTimeout(c.hub.ctx, backendTimeout)
	defer cancel()
	switch env.Type {
	case TypeSubscribe:
		var f SubscribeFrame
		if c.decode(data, &f) {
			c.subscribe(ctx, f)
		}
	case TypeUnsubscribe:
		var f RoomFrame
		if c.decode(data, &f) {
			if s, ok := c.subs[f.Room]; ok {
				c.leave(s)
			}
			c.send(UnsubscribedFrame{Type: TypeUnsubscribed, Ref: f.Ref, Room: f.Room})
		}
	case TypePublish:
		var f PublishFrame
		if c.decode(data, &f) && c.subscribed(f.Ref, f.Room) {
			c.publish(f)
		}
	case TypeEdit:
		var f EditFrame
		if c.decode(data, &f) && c.subscribed(f.Ref, f.Room) {
			c.inOrder(func(ctx context.Context) {
				ev, err := c.hub.backend.Edit(ctx, c.user.ID, f)
				c.answer(f.Ref, ev, err)
			})
		}
	case TypeDelete:
		var f DeleteFrame
		if c.decode(data, &f) && c.subscribed(f.Ref, f.Room) {
			c.inOrder(func(ctx context.Context) {
				ev, err := c.hub.backend.Delete(ctx, c.user.ID, f)
				c.answer(f.Ref, ev, err)
			})
		}
	case TypeRead:
		var f ReadFrame
		if c.decode(data, &f) && c.subscribed(f.Ref, f.Room) {
			c.inOrder(func(ctx context.Context) {
				seq, err := c.hub.backend.MarkRead(ctx, c.user.ID, f.Room, f.Seq)
				if err != nil {
					c.sendError(f.Ref, err)
				} else {
					c.send(AckFrame{Type: TypeAck, Ref: f.Ref, Room: f.Room, Seq: seq})
				}
			})
		}
	case TypeTyping:
		var f RoomFrame
		if c.decode(data, &f) && c.subscribed(f.Ref, f.Room) {
			c.typing(f.Room)
		}
	case "":
		c.sendError(env.Ref, &Error{Code: ErrBadFrame, Message: "Every frame needs a \"type\".", Field: "type"})
	default:
		c.sendError(env.Ref, &Error{Code: ErrBadFrame, Message: fmt.Sprintf("Unknown frame type %q.", env.Type), Field: "type"})
	}
	return true
}

// allow takes a token from the connection's bucket, or answers rate_limited. Refusals in quick
// succession are counted; too many close the connection.
func (c *client) allow(ref string) bool {
	now := c.hub.opts.Clock()
	r := c.limiter.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return true
	}
	r.CancelAt(now)
	if now.Sub(c.struck) > strikeWindow {
		c.strikes = 0
	}
	c.strikes++
	c.struck = now
	if c.strikes >= maxStrikes {
		c.hub.metrics.closes.WithLabelValues("policy").Inc()
		closeWith(c.conn, websocket.ClosePolicyViolation, ClosePolicyReason)
		return false
	}
	c.send(ErrorFrame{Type: TypeError, Ref: ref, Code: ErrRateLimited,
		Message:      "Too many frames; wait a moment before sending more.",
		RetryAfterMS: max(1, delay.Milliseconds())})
	return false
}

// decode reads a frame strictly: unknown fields and wrong types are errors that name the field.
func (c *client) decode(data []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("one JSON object per frame")
	}
	if err == nil {
		return true
	}
	e := &Error{Code: ErrBadFrame, Message: "This frame is not valid JSON of its type."}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		e.Field = typeErr.Field
		e.Message = fmt.Sprintf("%q should be a %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		e.Field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Message = fmt.Sprintf("Unknown field %q.", e.Field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Message = "This frame is cut short."
	}
	var env Envelope
	_ = json.Unmarshal(data, &env)
	c.sendError(env.Ref, e)
	return false
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int64", "int", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	}
	return "object"
}

func (c *client) subscribed(ref string, roomID int64) bool {
	if _, ok := c.subs[roomID]; ok {
		return true
	}
	c.sendError(ref, &Error{Code: ErrNotSubbed, Message: "Subscribe to the room first.", Field: "room"})
	return false
}

// subscribe lets the client into a room: it checks access, joins the room's live delivery,
// replays the events after the client's last_seq up to where live delivery took over, and
// then releases the live events that arrived meanwhile. No event is missed or sent twice.
func (c *client) subscribe(ctx context.Context, f SubscribeFrame) {
	if f.Room <= 0 {
		c.sendError(f.Ref, &Error{Code: ErrBadFrame, Message: "Name a room.", Field: "room"})
		return
	}
	if f.LastSeq < 0 {
		c.sendError(f.Ref, &Error{Code: ErrBadFrame, Message: "Use a last_seq of 0 or more.", Field: "last_seq"})
		return
	}
	if old, ok := c.subs[f.Room]; ok { // a resubscribe starts afresh from the given seq
		c.leave(old)
	}
	access, err := c.hub.backend.EnterRoom(ctx, c.user.ID, f.Room)
	if err != nil {
		c.sendError(f.Ref, err)
		return
	}
	if f.LastSeq > access.Head || access.Head-f.LastSeq > int64(c.hub.opts.ResumeWindow) {
		c.send(ResyncFrame{Type: TypeResyncRequired, Ref: f.Ref, Room: f.Room, Head: access.Head})
		return
	}
	s := &subscription{client: c, roomID: f.Room, readOnly: access.ReadOnly, after: f.LastSeq, replaying: true}
	r, liveFrom := c.hub.attach(s, access.Head)
	s.room = r
	c.subs[f.Room] = s
	c.send(SubscribedFrame{Type: TypeSubscribed, Ref: f.Ref, Room: f.Room, LastSeq: f.LastSeq, Head: max(liveFrom, access.Head), ReadOnly: access.ReadOnly})

	replayed := f.LastSeq
	for replayed < liveFrom {
		events, err := c.hub.backend.Replay(ctx, f.Room, replayed, min(fetchPage, int(liveFrom-replayed)))
		if err != nil || len(events) == 0 {
			if err != nil && ctx.Err() == nil {
				c.hub.log.Error("replaying room events", "room", f.Room, "err", err)
			}
			c.leave(s)
			c.send(UnsubscribedFrame{Type: TypeUnsubscribed, Room: f.Room, Reason: "The room could not be replayed; subscribe again."})
			return
		}
		for _, ev := range events {
			if ev.Seq > liveFrom {
				break
			}
			if !c.enqueueWait(ctx, outFrame{data: eventFrameJSON(ev)}) {
				return
			}
			replayed = ev.Seq
		}
	}
	s.endReplay(replayed)
	c.hub.presence.join(f.Room, c.user)
	c.enqueue(outFrame{data: c.hub.presence.frame(f.Room)})
}

// leave ends a subscription.
func (c *client) leave(s *subscription) {
	delete(c.subs, s.roomID)
	c.hub.detach(s)
	if !s.replaying {
		c.hub.presence.leave(s.roomID, c.user)
	}
}

// publish queues a message and leaves its ack to the connection's sequencer, so the client may
// have several messages in flight (up to inFlight); they are stored, and acknowledged, in order.
func (c *client) publish(f PublishFrame) {
	ctx, cancel := context.WithTimeout(c.hub.ctx, backendTimeout)
	wait, err := c.hub.backend.Publish(ctx, c.user.ID, f)
	if err != nil {
		cancel()
		c.sendError(f.Ref, err)
		return
	}
	c.sequence(pendingWrite{run: func(context.Context) {
		defer cancel()
		ev, err := wait()
		c.answer(f.Ref, ev, err)
	}})
}

// inOrder runs a change (edit, delete, read marker) after the connection's earlier messages
// are stored, so a client's writes take effect in the order it sent them.
func (c *client) inOrder(run func(ctx context.Context)) {
	c.sequence(pendingWrite{run: func(context.Context) {
		ctx, cancel := context.WithTimeout(c.hub.ctx, backendTimeout)
		defer cancel()
		run(ctx)
	}})
}

type pendingWrite struct {
	run func(context.Context)
}

// sequence hands a write to the connection's sequencer goroutine, started on the first write
// (idle connections do without one). It blocks while inFlight writes are waiting.
func (c *client) sequence(w pendingWrite) {
	if c.writes == nil {
		c.writes = make(chan pendingWrite, inFlight)
		c.sequencerDone = make(chan struct{})
		go func() {
			defer close(c.sequencerDone)
			for w := range c.writes {
				w.run(c.hub.ctx)
			}
		}()
	}
	c.writes <- w
}

// answer acknowledges a committed change, or reports why it was refused.
func (c *client) answer(ref string, ev Event, err error) {
	if err != nil {
		c.sendError(ref, err)
		return
	}
	c.send(AckFrame{Type: TypeAck, Ref: ref, Room: ev.Room, Seq: ev.Seq})
}

func (c *client) typing(roomID int64) {
	now := time.Now()
	if c.typingAt == nil {
		c.typingAt = make(map[int64]time.Time)
	}
	if now.Sub(c.typingAt[roomID]) < typingEvery {
		return
	}
	c.typingAt[roomID] = now
	c.hub.typing(roomID, c.user, c)
}

func (c *client) sendError(ref string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		if !isClosedErr(err) {
			c.hub.log.Error("realtime frame failed", "user", c.user.ID, "err", err)
		}
		e = &Error{Code: "internal", Message: "Something went wrong on our side; try again."}
	}
	c.send(ErrorFrame{Type: TypeError, Ref: ref, Code: e.Code, Message: e.Message, Field: e.Field, Details: e.Details})
}

// send queues a frame for this client only.
func (c *client) send(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		c.hub.log.Error("encoding frame", "err", err)
		return
	}
	c.enqueue(outFrame{data: data})
}

// enqueue adds a frame to the send queue without ever blocking. A full queue means the client
// cannot keep up: it is closed with "slow, please resume" (ephemeral frames are just dropped).
func (c *client) enqueue(f outFrame) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	limit, limitBytes := c.hub.opts.SendQueue, c.hub.opts.SendQueueBytes
	if f.droppable {
		limit, limitBytes = limit/2, limitBytes/2
	}
	if len(c.queue) >= limit || c.queued+f.bytes() > limitBytes {
		c.mu.Unlock()
		if !f.droppable {
			c.tooSlow()
		}
		return
	}
	c.queue = append(c.queue, f)
	c.queued += f.bytes()
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueueWait is enqueue for the replay, which runs on the client's own reader: it waits for
// room in the queue instead of closing the client, up to the write deadline.
func (c *client) enqueueWait(ctx context.Context, f outFrame) bool {
	deadline := time.Now().Add(WriteWait)
	for {
		c.mu.Lock()
		closing, full := c.closing, len(c.queue) >= c.hub.opts.SendQueue/2 || c.queued+f.bytes() > c.hub.opts.SendQueueBytes/2
		c.mu.Unlock()
		switch {
		case closing:
			return false
		case !full:
			c.enqueue(f)
			return true
		case time.Now().After(deadline) || ctx.Err() != nil:
			c.tooSlow()
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tooSlow closes a client that does not read its frames, without waiting for it: its queue
// is dropped and the writer sends "slow, please resume" (4008) after the frame it is writing,
// so the close frame follows what the client has been sent instead of racing it. A client
// that reads nothing at all is cut when that write's deadline passes.
func (c *client) tooSlow() {
	c.mu.Lock()
	already := c.closing
	c.closing, c.closeCode = true, CloseSlow
	c.queue, c.queued = nil, 0
	c.mu.Unlock()
	if !already {
		c.hub.metrics.closes.WithLabelValues("slow").Inc()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// closeFrame returns the close code the writer must send now, if any.
func (c *client) closeFrame() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode
}

func (c *client) writeLoop() {
	ping := time.NewTicker(PingInterval)
	defer ping.Stop()
	var batch []outFrame
	for {
		select {
		case <-c.wake:
			c.mu.Lock()
			batch, c.queue = c.queue, batch[:0]
			if cap(c.queue) > 64 {
				c.queue = nil // let a burst's large queue go
			}
			c.mu.Unlock()
			c.cork.cork()
			for i, f := range batch {
				if c.closeFrame() != 0 {
					break
				}
				if err := c.write(f); err != nil {
					_ = c.conn.Close()
					return
				}
				c.mu.Lock()
				if c.closeCode == 0 {
					c.queued -= f.bytes()
				}
				c.mu.Unlock()
				batch[i] = outFrame{}
			}
			clear(batch)
			if err := c.cork.uncork(); err != nil {
				_ = c.conn.Close()
				return
			}
			if code := c.closeFrame(); code != 0 {
				closeWith(c.conn, code, CloseSlowReason)
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(WriteWait)); err != nil {
				_ = c.conn.Close()
				return
			}
		case <-c.done:
			return
		}
	}
}

func (c *client) write(f outFrame) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(WriteWait))
	if f.prepared != nil {
		return c.conn.WritePreparedMessage(f.prepared)
	}
	return c.conn.WriteMessage(websocket.TextMessage, f.data)
}
