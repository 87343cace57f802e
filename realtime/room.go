package realtime

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// gapGrace is how long a room waits for an event missing before one it holds (two commits of
// this process racing to deliver) before it reads the gap from the database.
const gapGrace = 20 * time.Millisecond

// fetchPage is how many events one catch-up read takes.
const fetchPage = 500

// room is a case room with subscribers on this process. It delivers its events exactly once
// and in seq order: last is the seq delivered so far; an event after a gap waits in pending
// until the gap is filled, by this process's own commits or by reading the database.
type room struct {
	hub *Hub
	id  int64

	mu       sync.Mutex
	last     int64
	subs     map[*subscription]struct{}
	pending  map[int64]Event
	gapTimer *time.Timer
	fetching bool // a catch-up read is running
	refetch  bool // and another was asked for meanwhile
}

func newRoom(h *Hub, id, head int64) *room {
	return &room{hub: h, id: id, last: head, subs: make(map[*subscription]struct{})}
}

func (r *room) lastDelivered() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// deliver hands events to the subscribers, in order, skipping those already delivered.
func (r *room) deliver(events []Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		switch {
		case ev.Seq <= r.last:
		case ev.Seq > r.last+1:
			if r.pending == nil {
				r.pending = make(map[int64]Event)
			}
			r.pending[ev.Seq] = ev
		default:
			r.fanout(ev)
			for {
				next, ok := r.pending[r.last+1]
				if !ok {
					break
				}
				delete(r.pending, next.Seq)
				r.fanout(next)
			}
		}
	}
	for seq := range r.pending {
		if seq <= r.last {
			delete(r.pending, seq)
		}
	}
	if len(r.pending) > 0 && r.gapTimer == nil {
		r.gapTimer = time.AfterFunc(gapGrace, func() {
			r.mu.Lock()
			r.gapTimer = nil
			r.mu.Unlock()
			r.fetch()
		})
	}
}

// fanout encodes an event once and offers it to every subscriber. r.mu is held; offers never
// block, so a slow subscriber cannot hold up the room.
func (r *room) fanout(ev Event) {
	r.last = ev.Seq
	if len(r.subs) == 0 {
		return
	}
	data := eventFrameJSON(ev)
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil { // only on a compression error; frames here are not compressed
		r.hub.log.Error("encoding event frame", "room", r.id, "seq", ev.Seq, "err", err)
		return
	}
	for s := range r.subs {
		s.offer(ev.Seq, outFrame{prepared: pm, size: len(data)})
	}
	r.hub.metrics.deliveries.Add(float64(len(r.subs)))
}

// fetch reads the events after those delivered from the database and delivers them, until the
// room has caught up. Only one read runs per room at a time; asks meanwhile make it read again.
func (r *room) fetch() {
	r.mu.Lock()
	if r.fetching {
		r.refetch = true
		r.mu.Unlock()
		return
	}
	r.fetching = true
	r.mu.Unlock()
	go r.fetchLoop()
}

// lookOnce reads the room's events after those delivered, once, in the caller's goroutine; a
// failed or full read leaves the rest to fetch in the background.
func (r *room) lookOnce(ctx context.Context) {
	r.mu.Lock()
	after := r.last
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, backendTimeout)
	defer cancel()
	r.hub.metrics.fetches.Inc()
	events, err := r.hub.backend.Replay(ctx, r.id, after, fetchPage)
	if err != nil || len(events) == fetchPage {
		r.fetch()
		return
	}
	r.deliver(events)
}

func (r *room) fetchLoop() {
	backoff := 100 * time.Millisecond
	for {
		r.mu.Lock()
		after, subscribed := r.last, len(r.subs) > 0
		r.refetch = false
		if !subscribed || r.hub.ctx.Err() != nil {
			r.fetching = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()

		r.hub.metrics.fetches.Inc()
		events, err := r.hub.backend.Replay(r.hub.ctx, r.id, after, fetchPage)
		if err != nil {
			if r.hub.ctx.Err() == nil {
				r.hub.log.Warn("reading room events; retrying", "room", r.id, "after", after, "err", err)
			}
			select {
			case <-time.After(backoff):
			case <-r.hub.ctx.Done():
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		r.deliver(events)

		r.mu.Lock()
		more := len(events) == fetchPage || r.refetch
		if !more {
			r.fetching = false
		}
		r.mu.Unlock()
		if !more {
			return
		}
	}
}

// broadcast offers an ephemeral frame (presence, typing) to the room's live subscribers except
// skip; it is dropped for clients that are behind.
func (r *room) broadcast(data []byte, skip *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.subs {
		if s.client != skip && !s.replaying {
			s.client.enqueue(outFrame{data: data, droppable: true})
		}
	}
}

// subscription is one client's subscription to one room. Its fields after room are guarded by
// the room's mutex.
type subscription struct {
	client   *client
	roomID   int64
	readOnly bool
	room     *room

	after     int64 // deliver only events after this seq
	replaying bool  // live events wait in buffer while the missed ones are sent
	buffer    []bufferedEvent
}

type bufferedEvent struct {
	seq   int64
	frame outFrame
}

// offer is called by the room, holding its mutex.
func (s *subscription) offer(seq int64, f outFrame) {
	if seq <= s.after {
		return
	}
	if s.replaying {
		if len(s.buffer) >= s.client.hub.opts.SendQueue {
			s.client.tooSlow()
			return
		}
		s.buffer = append(s.buffer, bufferedEvent{seq, f})
		return
	}
	s.after = seq
	s.client.enqueue(f)
}

// endReplay sends the live events that arrived during the replay (those after replayedTo) and
// switches the subscription to live delivery.
func (s *subscription) endReplay(replayedTo int64) {
	r := s.room
	r.mu.Lock()
	defer r.mu.Unlock()
	s.after = max(s.after, replayedTo)
	for _, b := range s.buffer {
		if b.seq > s.after {
			s.after = b.seq
			s.client.enqueue(b.frame)
		}
	}
	s.buffer = nil
	s.replaying = false
}

// eventFrameJSON wraps an event object in its frame: {"type":"event","event":{…}}.
func eventFrameJSON(ev Event) []byte {
	b := make([]byte, 0, len(ev.JSON)+32)
	b = append(b, `{"type":"event","event":`...)
	b = append(b, ev.JSON...)
	return append(b, '}')
}
