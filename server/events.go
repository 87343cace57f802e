package server

import (
	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/realtime"
)

// Events turns domain events into effects on live connections. It implements casestudy.Events;
// cmd wires it into the service once the server exists.
type Events struct {
	server *Server
}

// Events returns the server's receiver of domain events.
func (s *Server) Events() Events { return Events{server: s} }

// SignInsRevoked closes the user's WebSockets, on every server process: a revoked session
// must stop receiving at once. Tabs still holding a valid session reconnect and are authorized
// afresh.
func (e Events) SignInsRevoked(userID int64) {
	e.server.hub.CloseUser(userID, realtime.CloseSignedOut)
}

// MembershipEnded closes the user's WebSockets, on every process, so that every subscription
// is authorized again.
func (e Events) MembershipEnded(userID, _ int64) {
	e.server.hub.CloseUser(userID, realtime.CloseAccessChanged)
}

// RoomEventCommitted delivers an event stored by this process to its subscribers here.
func (e Events) RoomEventCommitted(ev casestudy.RoomEvent) {
	encoded, err := encodeRoomEvent(ev)
	if err != nil {
		e.server.log.Error("encoding room event", "room", ev.Room, "seq", ev.Seq, "err", err)
		return
	}
	e.server.hub.Committed(encoded)
}

// NotificationsChanged tells the users' open pages, on every process, to refresh their bell;
// for new mentions and starting sessions it also sends web push.
func (e Events) NotificationsChanged(userIDs []int64) {
	e.server.hub.NotifyUsers(userIDs)
}
