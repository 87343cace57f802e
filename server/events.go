package server

// Events turns domain events into effects on live connections. It implements casestudy.Events;
// cmd wires it into the service once the server exists.
type Events struct {
	server *Server
}

// Events returns the server's receiver of domain events.
func (s *Server) Events() Events { return Events{server: s} }

// SessionsRevoked closes the user's WebSockets: a revoked session must stop receiving at once.
// Tabs still holding a valid session reconnect and are authorized afresh.
func (e Events) SessionsRevoked(userID int64) { e.server.conns.CloseUser(userID) }

// MembershipEnded closes the user's WebSockets so every subscription is re-authorized.
func (e Events) MembershipEnded(userID, _ int64) { e.server.conns.CloseUser(userID) }
