package realtime

import (
	"encoding/json"
	"time"
)

// The wire protocol of /api/v1/ws, documented with a complete example in docs/protocol.md and
// mirrored by frontend/static/room-client.js. Every frame is one JSON object with a "type".

// ProtocolVersion is announced in the hello frame; it changes when a frame changes
// incompatibly.
const ProtocolVersion = 1

// Frame types sent by the client.
const (
	TypeSubscribe   = "subscribe"   // SubscribeFrame
	TypeUnsubscribe = "unsubscribe" // RoomFrame
	TypePublish     = "publish"     // PublishFrame
	TypeEdit        = "edit"        // EditFrame
	TypeDelete      = "delete"      // DeleteFrame
	TypeTyping      = "typing"      // RoomFrame
	TypeRead        = "read"        // ReadFrame
)

// Frame types sent by the server.
const (
	TypeHello          = "hello"           // HelloFrame, first on every connection
	TypeSubscribed     = "subscribed"      // SubscribedFrame, then the missed events, then live ones
	TypeUnsubscribed   = "unsubscribed"    // UnsubscribedFrame
	TypeEvent          = "event"           // EventFrame
	TypeAck            = "ack"             // AckFrame, after the change is durable
	TypeError          = "error"           // ErrorFrame
	TypeResyncRequired = "resync_required" // ResyncFrame: reload the room by HTTP, then subscribe again
	TypePresence       = "presence"        // PresenceFrame
	TypeTypingNotice   = "typing"          // TypingFrame (same name as the client's frame)
)

// Close codes beyond RFC 6455's. 1001 (going away, resume), 1008 (policy violation: rate limit
// abused) and 1009 (frame too big) are the standard ones.
const (
	// CloseSlow: the client did not read its frames fast enough; reconnect and resume.
	CloseSlow       = 4008
	CloseSlowReason = "slow, please resume"
	// CloseAccessChanged: the user's memberships changed; reconnect and subscribe again.
	CloseAccessChanged       = 4003
	CloseAccessChangedReason = "access changed, resubscribe"
	// ClosePolicyReason accompanies 1008 after repeated rate-limit errors.
	ClosePolicyReason = "rate limit abused"
)

// Error codes of error frames.
const (
	ErrBadFrame    = "bad_frame"      // not JSON, unknown type, unknown or invalid field
	ErrRateLimited = "rate_limited"   // retry after retry_after_ms
	ErrNotSubbed   = "not_subscribed" // subscribe to the room first
)

// Envelope is the part every client frame shares; Ref, if given, is echoed in the ack or error
// that answers the frame.
type Envelope struct {
	Type string `json:"type"`
	Ref  string `json:"ref,omitempty"`
}

// SubscribeFrame asks for a room's events after LastSeq (0: all since the room began; a client
// that loaded the room by HTTP gives the snapshot's head).
type SubscribeFrame struct {
	Envelope
	Room    int64 `json:"room"`
	LastSeq int64 `json:"last_seq"`
}

// RoomFrame names a room: unsubscribe, typing.
type RoomFrame struct {
	Envelope
	Room int64 `json:"room"`
}

// PublishFrame posts a message. ClientID is the idempotency key: resending it (after a
// reconnect, say) returns the original event in the ack instead of posting twice.
type PublishFrame struct {
	Envelope
	Room      int64           `json:"room"`
	ClientID  string          `json:"client_id"`
	ParentID  int64           `json:"parent_id,omitempty"`
	Body      string          `json:"body"`
	Lens      string          `json:"lens,omitempty"`
	Decisions json.RawMessage `json:"decisions,omitempty"` // on anonymiser findings, as for cases
	Mentions  []int64         `json:"mentions,omitempty"`  // members to notify, by id (never read from the text)
}

// EditFrame replaces the text of one's own message.
type EditFrame struct {
	Envelope
	Room      int64           `json:"room"`
	MessageID int64           `json:"message_id"`
	Body      string          `json:"body"`
	Decisions json.RawMessage `json:"decisions,omitempty"`
	// RedactEarlier: also redact earlier versions that still hold a text replaced in this edit.
	RedactEarlier bool `json:"redact_earlier,omitempty"`
}

// DeleteFrame deletes one's own message, leaving a tombstone.
type DeleteFrame struct {
	Envelope
	Room      int64 `json:"room"`
	MessageID int64 `json:"message_id"`
}

// ReadFrame moves the user's unread marker of a room to Seq.
type ReadFrame struct {
	Envelope
	Room int64 `json:"room"`
	Seq  int64 `json:"seq"`
}

// Limits are announced in the hello frame so that clients can keep to them.
type Limits struct {
	MaxFrameBytes  int     `json:"max_frame_bytes"`
	MessagesPerSec float64 `json:"messages_per_second"` // publish, edit, delete
	Burst          int     `json:"burst"`
	ResumeWindow   int     `json:"resume_window"` // the largest gap a subscribe replays
}

// HelloFrame is the first frame on every connection.
type HelloFrame struct {
	Type            string `json:"type"`
	Version         int    `json:"version"`
	User            Member `json:"user"`
	Limits          Limits `json:"limits"`
	PingIntervalMS  int64  `json:"ping_interval_ms"`
	TypingTimeoutMS int64  `json:"typing_timeout_ms"`
	// TypingEveryMS is how often a client's typing notices are passed on; more are dropped,
	// so the client need not send them.
	TypingEveryMS int64 `json:"typing_every_ms"`
	// MaxMessageChars is the longest message body the server accepts, in characters.
	MaxMessageChars int `json:"max_message_chars,omitempty"`
}

// Member is a person as others in a room see them.
type Member struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// SubscribedFrame confirms a subscription. The events after LastSeq up to Head follow at once,
// in order; then live events.
type SubscribedFrame struct {
	Type     string `json:"type"`
	Ref      string `json:"ref,omitempty"`
	Room     int64  `json:"room"`
	LastSeq  int64  `json:"last_seq"`
	Head     int64  `json:"head"`
	ReadOnly bool   `json:"read_only"`
}

// UnsubscribedFrame confirms an unsubscribe, or tells that the server ended a subscription.
type UnsubscribedFrame struct {
	Type   string `json:"type"`
	Ref    string `json:"ref,omitempty"`
	Room   int64  `json:"room"`
	Reason string `json:"reason,omitempty"`
}

// EventFrame carries one event of a room's stream: {"type":"event","event":{room, seq, type,
// at, message}}. The event object is the same as in the HTTP history.
type EventFrame struct {
	Type  string          `json:"type"`
	Event json.RawMessage `json:"event"`
}

// AckFrame answers publish, edit, delete and read once the change is committed. Seq is the
// stored event's (for a resend: the original one's; for read: the marker's); the event itself
// reaches the sender through its subscription like everyone else.
type AckFrame struct {
	Type string `json:"type"`
	Ref  string `json:"ref,omitempty"`
	Room int64  `json:"room"`
	Seq  int64  `json:"seq,omitempty"`
}

// ErrorFrame reports a refused frame; the connection stays open unless a close follows.
type ErrorFrame struct {
	Type         string `json:"type"`
	Ref          string `json:"ref,omitempty"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	Field        string `json:"field,omitempty"`
	Room         int64  `json:"room,omitempty"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	// Details carries structured data for some codes, e.g. the anonymiser's open findings.
	Details any `json:"details,omitempty"`
}

// ResyncFrame says the gap since the client's last_seq is too large to replay: load the room by
// HTTP (which gives a new head) and subscribe again.
type ResyncFrame struct {
	Type string `json:"type"`
	Ref  string `json:"ref,omitempty"`
	Room int64  `json:"room"`
	Head int64  `json:"head"`
}

// PresenceFrame lists who is in the room now, on any server process. It is sent on subscribe
// and whenever the list changes; under back-pressure it may be dropped.
type PresenceFrame struct {
	Type    string   `json:"type"`
	Room    int64    `json:"room"`
	Members []Member `json:"members"`
}

// TypingFrame says that a member is typing in the room. Clients show it for TypingTimeout
// unless repeated; it is never stored and may be dropped.
type TypingFrame struct {
	Type string `json:"type"`
	Room int64  `json:"room"`
	User Member `json:"user"`
}

// Timing of the protocol.
const (
	PingInterval  = 25 * time.Second
	PongWait      = 60 * time.Second // no frame or pong for this long: the connection is dead
	WriteWait     = 10 * time.Second
	TypingTimeout = 6 * time.Second
)
