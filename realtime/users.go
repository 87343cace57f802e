package realtime

import "slices"

// Frames to a person rather than a room: "your notifications changed", on every socket of
// theirs, on every process. The frame carries no content; the page asks the API for it.

// NotifyFrame tells a client that the person's notifications changed.
type NotifyFrame struct {
	Type string `json:"type"` // TypeNotify
}

// TypeNotify is the type of NotifyFrame.
const TypeNotify = "notify"

// opNotify: "these users' notifications changed".
const opNotify = "notify"

// maxUsersPerNotice keeps a notice under NOTIFY's 8,000 bytes (an id is at most 20 bytes).
const maxUsersPerNotice = 300

// NotifyUsers tells every socket of these users, here and on the other processes, that their
// notifications changed.
func (h *Hub) NotifyUsers(ids []int64) {
	if len(ids) == 0 {
		return
	}
	h.notifyHere(ids)
	for chunk := range slices.Chunk(ids, maxUsersPerNotice) {
		h.sendNotice(notice{Op: opNotify, Users: chunk})
	}
}

func (h *Hub) notifyHere(ids []int64) {
	var targets []*client
	h.mu.Lock()
	for _, id := range ids {
		for c := range h.byUser[id] {
			targets = append(targets, c)
		}
	}
	h.mu.Unlock()
	h.metrics.notified.Add(float64(len(targets))) // counted first: a frame may be read before send returns
	for _, c := range targets {
		c.send(NotifyFrame{Type: TypeNotify})
	}
}

// addUserClient and removeUserClient keep byUser, under h.mu.
func (h *Hub) addUserClient(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.byUser[c.user.ID]
	if set == nil {
		set = make(map[*client]struct{})
		h.byUser[c.user.ID] = set
	}
	set[c] = struct{}{}
}

func (h *Hub) removeUserClient(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byUser[c.user.ID], c)
	if len(h.byUser[c.user.ID]) == 0 {
		delete(h.byUser, c.user.ID)
	}
}

// LocalPresence lists who has a subscription to each room on this process (room → user ids),
// for sampling attendance: each process reports its own, so nobody is counted twice.
func (h *Hub) LocalPresence() map[int64][]int64 {
	p := h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64][]int64, len(p.local))
	for room, users := range p.local {
		for id := range users {
			out[room] = append(out[room], id)
		}
	}
	return out
}
