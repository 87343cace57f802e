package realtime

import (
	"encoding/json"
	"sync"
	"time"
)

// The hub's side of its broker: what it sends to the other processes and what it does with
// what they send. The broker only carries bytes.

// setBroker connects the hub to the other processes and asks them who is where.
func (h *Hub) setBroker(b Broker) {
	h.broker.Store(&b)
	h.sendNotice(notice{Op: opSync})
}

// sendNotice encodes a notice and passes it to the broker, if the hub has one. A notice too
// large for NOTIFY is dropped here, and logged: PostgreSQL would refuse it.
func (h *Hub) sendNotice(n notice) {
	b := h.broker.Load()
	if b == nil {
		return
	}
	n.Node = h.opts.NodeID
	payload, err := json.Marshal(n)
	if err != nil {
		return
	}
	if len(payload) >= maxNoticeBytes {
		h.log.Error("bus: notice too large for NOTIFY; dropped", "op", n.Op, "bytes", len(payload))
		return
	}
	(*b).Send(payload)
}

// receive applies another process's notice; the hub's own are ignored.
func (h *Hub) receive(payload []byte) {
	var n notice
	if err := json.Unmarshal(payload, &n); err != nil {
		h.log.Warn("bus: unreadable hub notice", "err", err)
		return
	}
	if n.Node == h.opts.NodeID {
		return
	}
	switch n.Op {
	case opTyping:
		h.typingHere(n.Room, Member{ID: n.User, Name: n.Name}, nil)
	case opCloseUser:
		h.closeUserHere(n.User, n.Code)
	case opSync:
		h.presence.sendBeat()
	case opNotify:
		h.notifyHere(n.Users)
	default:
		h.presence.fromBus(n, time.Now())
	}
}

// reconnected is told by the broker that notices may have been lost (its connection was
// cut): every room reads its missed events from the database, and the others are asked again
// who is where.
func (h *Hub) reconnected() {
	h.catchUpAll()
	h.sendNotice(notice{Op: opSync})
}

// MemoryNetwork joins hubs of one process as if each were a process of its own sharing one
// database: what one hub sends, the others receive, in order, on a goroutine per hub, as
// NOTIFY delivers it. It is for tests of the hub without PostgreSQL.
type MemoryNetwork struct {
	mu    sync.Mutex
	ports map[*memoryPort]struct{}
}

// NewMemoryNetwork returns an empty network.
func NewMemoryNetwork() *MemoryNetwork {
	return &MemoryNetwork{ports: make(map[*memoryPort]struct{})}
}

// Attach connects a hub to the network and returns its broker; closing the broker detaches it.
func (n *MemoryNetwork) Attach(h *Hub) Broker {
	p := &memoryPort{net: n, hub: h, in: make(chan func(), 1024), stop: make(chan struct{}), done: make(chan struct{})}
	n.mu.Lock()
	n.ports[p] = struct{}{}
	n.mu.Unlock()
	go p.run() // owned by the port: Close stops it and waits
	h.setBroker(p)
	return p
}

// Announce tells every hub that an event of the room was committed, as the domain's NOTIFY
// on the room-events channel does (the committing process's hub included).
func (n *MemoryNetwork) Announce(room, seq int64) {
	n.each(nil, func(h *Hub) { h.announced(room, seq) })
}

// Reconnect tells every hub that its broker lost notices, as a LISTEN connection that comes
// back does.
func (n *MemoryNetwork) Reconnect() {
	n.each(nil, func(h *Hub) { h.reconnected() })
}

// each queues work for every port but skip.
func (n *MemoryNetwork) each(skip *memoryPort, work func(h *Hub)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for p := range n.ports {
		if p != skip {
			p.queue(func() { work(p.hub) })
		}
	}
}

type memoryPort struct {
	net       *MemoryNetwork
	hub       *Hub
	in        chan func()
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Send delivers a notice to every other hub on the network.
func (p *memoryPort) Send(payload []byte) {
	p.net.each(p, func(h *Hub) { h.receive(payload) })
}

// queue is called with the network's lock held; like the bus, a port that is behind drops.
func (p *memoryPort) queue(work func()) {
	select {
	case p.in <- work:
	default:
		p.hub.metrics.noticesDropped.Inc()
	}
}

func (p *memoryPort) run() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		case work := <-p.in:
			work()
		}
	}
}

// Close detaches the hub from the network and stops its delivery goroutine.
func (p *memoryPort) Close() error {
	p.closeOnce.Do(func() {
		p.net.mu.Lock()
		delete(p.net.ports, p)
		p.net.mu.Unlock()
		close(p.stop)
		<-p.done
	})
	return nil
}
