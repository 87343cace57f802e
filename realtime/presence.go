package realtime

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Presence is who has a live subscription to a room, on any process. It is never stored:
// each process knows its own subscribers, tells the others of joins and leaves through the bus
// and repeats its whole list every presenceBeat; another process's entries expire after
// presenceTTL without a repeat, so a process that dies leaves no ghosts for long.
const (
	presenceBeat = 20 * time.Second
	presenceTTL  = 60 * time.Second
	presenceTick = 5 * time.Second
)

type presence struct {
	hub *Hub

	mu     sync.Mutex
	local  map[int64]map[int64]*localPresence         // room → user → entry
	remote map[int64]map[int64]map[string]remoteEntry // room → user → node → entry
}

type localPresence struct {
	name  string
	conns int
}

type remoteEntry struct {
	name    string
	expires time.Time
}

func newPresence(h *Hub) *presence {
	return &presence{hub: h, local: make(map[int64]map[int64]*localPresence), remote: make(map[int64]map[int64]map[string]remoteEntry)}
}

// join counts one more subscription of user in room here.
func (p *presence) join(roomID int64, u Member) {
	p.mu.Lock()
	users := p.local[roomID]
	if users == nil {
		users = make(map[int64]*localPresence)
		p.local[roomID] = users
	}
	e := users[u.ID]
	if e == nil {
		e = &localPresence{name: u.Name}
		users[u.ID] = e
	}
	e.conns++
	first := e.conns == 1
	p.mu.Unlock()
	if first {
		p.changed(roomID)
		p.hub.sendNotice(notice{Op: opJoin, Room: roomID, User: u.ID, Name: u.Name})
	}
}

// leave counts one subscription fewer.
func (p *presence) leave(roomID int64, u Member) {
	p.mu.Lock()
	e := p.local[roomID][u.ID]
	if e == nil {
		p.mu.Unlock()
		return
	}
	e.conns--
	last := e.conns == 0
	if last {
		delete(p.local[roomID], u.ID)
		if len(p.local[roomID]) == 0 {
			delete(p.local, roomID)
		}
	}
	p.mu.Unlock()
	if last {
		p.changed(roomID)
		p.hub.sendNotice(notice{Op: opLeave, Room: roomID, User: u.ID})
	}
}

// remoteJoin records that user is in room on another process, until expires.
func (p *presence) remoteJoin(node string, roomID int64, u Member, expires time.Time) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.remote[roomID]
	if users == nil {
		users = make(map[int64]map[string]remoteEntry)
		p.remote[roomID] = users
	}
	nodes := users[u.ID]
	if nodes == nil {
		nodes = make(map[string]remoteEntry)
		users[u.ID] = nodes
	}
	_, had := nodes[node]
	nodes[node] = remoteEntry{name: u.Name, expires: expires}
	return !had
}

func (p *presence) remoteLeave(node string, roomID, userID int64) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	nodes := p.remote[roomID][userID]
	if _, ok := nodes[node]; !ok {
		return false
	}
	delete(nodes, node)
	if len(nodes) == 0 {
		delete(p.remote[roomID], userID)
		if len(p.remote[roomID]) == 0 {
			delete(p.remote, roomID)
		}
	}
	return true
}

// members lists who is in the room, by name.
func (p *presence) members(roomID int64) []Member {
	p.mu.Lock()
	byID := make(map[int64]string)
	for id, e := range p.local[roomID] {
		byID[id] = e.name
	}
	for id, nodes := range p.remote[roomID] {
		for _, e := range nodes {
			byID[id] = e.name
		}
	}
	p.mu.Unlock()
	out := make([]Member, 0, len(byID))
	for id, name := range byID {
		out = append(out, Member{ID: id, Name: name})
	}
	slices.SortFunc(out, func(a, b Member) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out
}

// Present lists the ids of the people in a room now, on any process, by name.
func (h *Hub) Present(roomID int64) []int64 {
	members := h.presence.members(roomID)
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return ids
}

func (p *presence) frame(roomID int64) []byte {
	data, _ := json.Marshal(PresenceFrame{Type: TypePresence, Room: roomID, Members: p.members(roomID)})
	return data
}

// changed tells the room's subscribers here the new list.
func (p *presence) changed(roomID int64) {
	if r := p.hub.room(roomID); r != nil {
		r.broadcast(p.frame(roomID), nil)
	}
}

// run repeats this process's presence for the others and expires theirs.
func (p *presence) run(ctx context.Context) {
	beat := time.NewTicker(presenceBeat)
	defer beat.Stop()
	tick := time.NewTicker(presenceTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			p.sendBeat()
		case now := <-tick.C:
			for _, roomID := range p.expire(now) {
				p.changed(roomID)
			}
		}
	}
}

// sendBeat sends the whole local list, in notices small enough for NOTIFY's 8,000 bytes.
func (p *presence) sendBeat() {
	p.mu.Lock()
	rooms := make(map[int64][]Member, len(p.local))
	for roomID, users := range p.local {
		for id, e := range users {
			rooms[roomID] = append(rooms[roomID], Member{ID: id, Name: e.name})
		}
	}
	p.mu.Unlock()
	for _, n := range beatNotices(rooms) {
		p.hub.sendNotice(n)
	}
}

// beatNotices splits a presence list into beat notices that each fit in one NOTIFY payload,
// measuring each member as JSON encodes it: a name of 80 characters can take 480 bytes once
// escaped ("<" is "\u003c"), and PostgreSQL refuses a payload of 8,000 bytes or more.
func beatNotices(rooms map[int64][]Member) []notice {
	const budget = maxNoticeBytes - 200 // the envelope: op, node, braces
	var out []notice
	chunk, size := map[int64][]Member{}, 0
	for _, roomID := range slices.Sorted(maps.Keys(rooms)) {
		roomKey := len(strconv.FormatInt(roomID, 10)) + 6 // "123":[ ... ],
		for _, m := range rooms[roomID] {
			b, _ := json.Marshal(m)
			cost := len(b) + 1
			if _, open := chunk[roomID]; !open {
				cost += roomKey
			}
			if size+cost > budget && len(chunk) > 0 {
				out = append(out, notice{Op: opBeat, Rooms: chunk})
				chunk, size = map[int64][]Member{}, 0
				cost = len(b) + 1 + roomKey
			}
			chunk[roomID] = append(chunk[roomID], m)
			size += cost
		}
	}
	if len(chunk) > 0 {
		out = append(out, notice{Op: opBeat, Rooms: chunk})
	}
	return out
}

func (p *presence) expire(now time.Time) (changed []int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for roomID, users := range p.remote {
		before := len(users)
		for userID, nodes := range users {
			for node, e := range nodes {
				if now.After(e.expires) {
					delete(nodes, node)
				}
			}
			if len(nodes) == 0 {
				delete(users, userID)
			}
		}
		if len(users) != before {
			changed = append(changed, roomID)
		}
		if len(users) == 0 {
			delete(p.remote, roomID)
		}
	}
	return changed
}

// fromBus applies another process's presence notice.
func (p *presence) fromBus(n notice, now time.Time) {
	switch n.Op {
	case opJoin:
		if p.remoteJoin(n.Node, n.Room, Member{ID: n.User, Name: n.Name}, now.Add(presenceTTL)) {
			p.changed(n.Room)
		}
	case opLeave:
		if p.remoteLeave(n.Node, n.Room, n.User) {
			p.changed(n.Room)
		}
	case opBeat:
		for roomID, members := range n.Rooms {
			changed := false
			for _, m := range members {
				changed = p.remoteJoin(n.Node, roomID, m, now.Add(presenceTTL)) || changed
			}
			if changed {
				p.changed(roomID)
			}
		}
	}
}

// typing tells the room, here and on other processes, that u is typing.
func (h *Hub) typing(roomID int64, u Member, from *client) {
	h.typingHere(roomID, u, from)
	h.sendNotice(notice{Op: opTyping, Room: roomID, User: u.ID, Name: u.Name})
}

func (h *Hub) typingHere(roomID int64, u Member, from *client) {
	if r := h.room(roomID); r != nil {
		data, _ := json.Marshal(TypingFrame{Type: TypeTypingNotice, Room: roomID, User: u})
		r.broadcast(data, from)
	}
}
