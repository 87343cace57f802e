package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/casecircle/casecircle/casestudy/anonymise"
	"github.com/casecircle/casecircle/casestudy/markup"
)

// Every published case has a room: its messages, and a stream of events (new message, edit,
// deletion) numbered 1, 2, 3, … without gaps. An event is stored, with its number, in the
// transaction that makes the change; PostgreSQL tells every server process about it on commit
// (NOTIFY on RoomEventsChannel), so nothing is delivered before it is durable.

// RoomEventsChannel is the PostgreSQL NOTIFY channel of committed room events. Its payload is
// small, `{"room":<case id>,"seq":<seq>,"node":<NodeID of the storing process>}`: listeners
// read the event itself from the database.
const RoomEventsChannel = "casecircle_room_events"

// Event types of a room's stream.
const (
	EventMessageCreated = "message.created"
	EventMessageEdited  = "message.edited"
	EventMessageDeleted = "message.deleted"
	EventSessionStarted = "session.started"
	EventSessionChanged = "session.changed"
	EventSessionEnded   = "session.ended"
)

// Lens is one of the seven lenses of the seven-eyed model, an optional tag on a message.
type Lens string

// Lenses are the seven lenses, in the model's order.
var Lenses = []Lens{"client", "interventions", "relationship", "practitioner", "parallel_process", "supervisor", "wider_context"}

// Limits of messages.
const (
	MaxMessageLength = 8000
	MaxEventsPage    = 1000
)

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Message is one contribution in a room, as stored: anonymised. A deleted message keeps its
// place in its thread with an empty body.
type Message struct {
	ID         int64      `db:"id" json:"id"`
	CaseID     int64      `db:"case_id" json:"room"`
	Seq        int64      `db:"seq" json:"seq"` // of the event that created it
	AuthorID   *int64     `db:"author_id" json:"author_id"`
	AuthorName *string    `db:"author_name" json:"author_name"`
	ParentID   *int64     `db:"parent_id" json:"parent_id,omitempty"`
	Body       string     `db:"body" json:"body"`
	HTML       string     `db:"body_html" json:"html"` // Body rendered as safe HTML
	Lens       *Lens      `db:"lens" json:"lens,omitempty"`
	ClientID   string     `db:"client_id" json:"client_id"`
	Version    int        `db:"version" json:"version"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	EditedAt   *time.Time `db:"edited_at" json:"edited_at,omitempty"`
	DeletedAt  *time.Time `db:"deleted_at" json:"deleted_at,omitempty"`
	// SessionID and Phase tag a message posted during a live session with the phase it was
	// posted in, so that the thread reads as the session happened.
	SessionID *int64 `db:"session_id" json:"session_id,omitempty"`
	Phase     *int   `db:"phase" json:"phase,omitempty"`
	// Facilitation marks a note of the session's supervisor, who may post in every phase.
	Facilitation bool `db:"facilitation" json:"facilitation,omitempty"`
	// Mentions are the members the author chose to notify (ids, never read from the text).
	Mentions pq.Int64Array `db:"mentions" json:"mentions,omitempty"`
}

// RoomEvent is one numbered event of a room's stream. For message events, Message is the
// message as it is now (after later edits or deletion), so replaying a stream always ends in the
// current state. For session events, Session is the live session as it stood right after the
// change, and Action names the change.
type RoomEvent struct {
	Room    int64        `json:"room"`
	Seq     int64        `json:"seq"`
	Type    string       `json:"type"`
	At      time.Time    `json:"at"`
	Message *Message     `json:"message,omitempty"`
	Session *SessionView `json:"session,omitempty"`
	Action  string       `json:"action,omitempty"`
	// LearningPoint is the point a "learning_point" session event recorded.
	LearningPoint *LearningPoint `json:"learning_point,omitempty"`
}

// Thread is a top-level message and its replies, oldest first.
type Thread struct {
	Message
	Replies []Message `json:"replies"`
}

// NewMessage is what a member sends to a room: raw text, anonymised before it is stored.
type NewMessage struct {
	ClientID  string    // chosen by the sender; resending it returns the original event
	ParentID  int64     // a top-level message to reply to, or 0
	Body      string    // plain text with a safe Markdown subset
	Lens      Lens      // optional
	Decisions Decisions // on the anonymiser's findings, as for cases
	Mentions  []int64   // members to notify, chosen in the composer (at most MaxMentions)
}

// MaxMentions bounds the members one message mentions.
const MaxMentions = 20

func (m NewMessage) validate() (NewMessage, error) {
	if !clientIDPattern.MatchString(m.ClientID) {
		return m, FieldErrorf("client_id", "Give each message a client_id of 1 to 64 letters, digits, - or _.")
	}
	if m.Lens != "" && !slices.Contains(Lenses, m.Lens) {
		return m, FieldErrorf("lens", "Choose one of the seven lenses, or none.")
	}
	if len(m.Mentions) > MaxMentions {
		return m, FieldErrorf("mentions", "Mention at most %d people in one message.", MaxMentions)
	}
	for _, id := range m.Mentions {
		if id <= 0 {
			return m, FieldErrorf("mentions", "Mention members by their id.")
		}
	}
	m.Mentions = slices.Compact(slices.Sorted(slices.Values(m.Mentions)))
	body, err := validateBody(m.Body)
	m.Body = body
	return m, err
}

func validateBody(body string) (string, error) {
	body = strings.TrimSpace(anonymise.Normalise(body))
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return body, FieldErrorf("body", "Write something first.")
	case n > MaxMessageLength:
		return body, FieldErrorf("body", "Use at most %d characters (this has %d).", MaxMessageLength, n)
	}
	if strings.ContainsFunc(body, isControlButNewline) {
		return body, FieldErrorf("body", "Use letters, digits, spaces, punctuation and line breaks only.")
	}
	return body, nil
}

// anonymiseMessage applies the writer's decisions to a fresh run of the anonymiser over a text
// written into the case's room (a message, a learning point), with the case's label book: every
// finding must be accepted or dismissed, or have been kept before; what the writer decides, the
// book remembers.
func (s *core) anonymiseMessage(ctx context.Context, userID, communityID, caseID int64, body string, d Decisions) (decided, error) {
	load := func(ctx context.Context) (*anonymise.Book, error) { return s.roomBook(ctx, caseID) }
	check := func(ctx context.Context, q sqlx.QueryerContext) error {
		return requireOpenRoom(ctx, q, userID, communityID, caseID)
	}
	dec, err := s.decideForCase(ctx, caseID, load, check, []textField{{name: "body", text: body}}, d)
	if err != nil {
		return decided{}, err
	}
	return dec, nil
}

// AnonymiseMessage shows the writer what would be replaced in a message to a case's room, with
// the case's label book, without storing anything: the composer calls it while one types.
func (s Rooms) AnonymiseMessage(ctx context.Context, userID, communityID, caseID int64, body string) (FieldPreview, error) {
	body = strings.TrimSpace(anonymise.Normalise(body))
	if n := utf8.RuneCountInString(body); n > MaxMessageLength {
		return FieldPreview{}, FieldErrorf("body", "Use at most %d characters (this has %d).", MaxMessageLength, n)
	}
	if strings.ContainsFunc(body, isControlButNewline) {
		return FieldPreview{}, FieldErrorf("body", "Use letters, digits, spaces, punctuation and line breaks only.")
	}
	book, err := s.openRoomBook(ctx, userID, communityID, caseID)
	if err != nil {
		return FieldPreview{}, err
	}
	results, _ := previewTexts(book, []textField{{name: "body", text: body}}, nil)
	return casePreview(results).Fields["body"], nil
}

// PostMessage stores a message and its event. Resending the same ClientID returns the original
// event instead of storing a second message. Messages from all connections are stored together
// by group commit (store_messages.go).
func (s Rooms) PostMessage(ctx context.Context, userID, communityID, caseID int64, in NewMessage) (RoomEvent, error) {
	wait, err := s.SubmitMessage(ctx, userID, communityID, caseID, in)
	if err != nil {
		return RoomEvent{}, err
	}
	return wait()
}

// SubmitMessage checks and anonymises a message now, queues it for storing, and returns a
// function that waits until it is stored (or refused). A connection can so send several
// messages without waiting for each commit; they are stored in the order submitted.
func (s Rooms) SubmitMessage(ctx context.Context, userID, communityID, caseID int64, in NewMessage) (wait func() (RoomEvent, error), err error) {
	in, err = in.validate()
	if err != nil {
		return nil, err
	}
	dec, err := s.anonymiseMessage(ctx, userID, communityID, caseID, in.Body, in.Decisions)
	if err != nil {
		return nil, err
	}
	body := dec.texts["body"]
	return s.writer.submit(ctx, &postRequest{userID: userID, communityID: communityID, caseID: caseID, parentID: in.ParentID,
		clientID: in.ClientID, body: body, html: markup.Render(body), lens: in.Lens, mentions: in.Mentions})
}

// EditMessage replaces the text of the user's own message (re-anonymised), keeping the earlier
// version, and adds an edit event to the room. With redactEarlier, earlier versions that still
// hold a text replaced in this edit are redacted in the same step.
func (s Rooms) EditMessage(ctx context.Context, userID, communityID, caseID, messageID int64, body string, d Decisions, redactEarlier bool) (RoomEvent, error) {
	body, err := validateBody(body)
	if err != nil {
		return RoomEvent{}, err
	}
	dec, err := s.anonymiseMessage(ctx, userID, communityID, caseID, body, d)
	if err != nil {
		return RoomEvent{}, err
	}
	body = dec.texts["body"]
	return s.changeMessage(ctx, userID, communityID, caseID, messageID, EventMessageEdited, func(tx *sqlx.Tx, m Message, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO message_revisions (message_id, version, body, replaced_at) VALUES ($1, $2, $3, $4)`,
			m.ID, m.Version, m.Body, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = $2, body_html = $3, version = version + 1, edited_at = $4 WHERE id = $1`,
			m.ID, body, markup.Render(body), now); err != nil {
			return err
		}
		if !redactEarlier {
			return nil
		}
		book, err := s.loadBook(ctx, tx, caseID)
		if err != nil {
			return err
		}
		return redactMessageVersions(ctx, tx, book, userID, communityID, caseID, m.ID, body, dec.replaced, now)
	})
}

// DeleteMessage turns the user's own message into a tombstone: its place in the thread stays,
// its text and earlier versions go.
func (s Rooms) DeleteMessage(ctx context.Context, userID, communityID, caseID, messageID int64) (RoomEvent, error) {
	return s.changeMessage(ctx, userID, communityID, caseID, messageID, EventMessageDeleted, func(tx *sqlx.Tx, m Message, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM message_revisions WHERE message_id = $1`, m.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE messages SET body = '', body_html = '', deleted_at = $2 WHERE id = $1`, m.ID, now)
		return err
	})
}

func (s *core) changeMessage(ctx context.Context, userID, communityID, caseID, messageID int64, eventType string,
	change func(tx *sqlx.Tx, m Message, now time.Time) error) (RoomEvent, error) {
	var ev RoomEvent
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireOpenRoom(ctx, tx, userID, communityID, caseID); err != nil {
			return err
		}
		var m Message
		err := sqlx.GetContext(ctx, tx, &m, `SELECT `+messageColumns+`
			FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.id = $1 AND m.case_id = $2 FOR UPDATE OF m`, messageID, caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "No such message.")
		}
		if err != nil {
			return err
		}
		if m.AuthorID == nil || *m.AuthorID != userID {
			return Errorf(EFORBIDDEN, "Only the author can change a message.")
		}
		if m.DeletedAt != nil {
			return Errorf(ECONFLICT, "This message was deleted.")
		}
		now := s.now()
		if err := change(tx, m, now); err != nil {
			return err
		}
		seq, err := nextRoomSeq(ctx, tx, caseID)
		if err != nil {
			return err
		}
		ev, err = insertRoomEvent(ctx, tx, s.node, caseID, seq, eventType, messageID, now)
		return err
	})
	if err == nil {
		s.events.RoomEventCommitted(ev)
	}
	return ev, err
}

// RoomEvents returns up to limit events of a room after seq `after`, in order, for a member who
// may see the case.
func (s Rooms) RoomEvents(ctx context.Context, userID, communityID, caseID, after int64, limit int) ([]RoomEvent, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, FieldErrorf("after", "Use a sequence number of 0 or more.")
	}
	if limit <= 0 || limit > MaxEventsPage {
		limit = MaxEventsPage
	}
	return roomEvents(ctx, s.db, caseID, after, limit)
}

// RoomHead returns the last seq of a room (0 before its first event).
func (s Rooms) RoomHead(ctx context.Context, userID, communityID, caseID int64) (int64, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return 0, err
	}
	var seq int64
	err := sqlx.GetContext(ctx, s.db, &seq, `SELECT coalesce((SELECT last_seq FROM room_heads WHERE case_id = $1), 0)`, caseID)
	return seq, err
}

// requireRoom checks that the user is a member of the community and may see the case's room:
// the case is published or archived. Anything else is not found.
func requireRoom(ctx context.Context, q sqlx.QueryerContext, userID, communityID, caseID int64) error {
	_, err := roomStatus(ctx, q, userID, communityID, caseID)
	return err
}

// requireOpenRoom is requireRoom for writing: an archived case's room is read-only.
func requireOpenRoom(ctx context.Context, q sqlx.QueryerContext, userID, communityID, caseID int64) error {
	status, err := roomStatus(ctx, q, userID, communityID, caseID)
	if err == nil && status != StatusPublished {
		return Errorf(ECONFLICT, "This case is archived; its room is read-only.")
	}
	return err
}

func roomStatus(ctx context.Context, q sqlx.QueryerContext, userID, communityID, caseID int64) (CaseStatus, error) {
	if _, err := requireRole(ctx, q, userID, communityID); err != nil {
		return "", err
	}
	var status CaseStatus
	err := sqlx.GetContext(ctx, q, &status, `SELECT status FROM cases WHERE id = $1 AND community_id = $2 AND status IN ('published', 'archived')`, caseID, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(ENOTFOUND, "No such room.")
	}
	return status, err
}

// RoomAccess is what a member entering a room learns: its community, whether it is read-only,
// and the last seq at that moment.
type RoomAccess struct {
	CommunityID int64
	ReadOnly    bool
	Head        int64
}

// EnterRoom checks that the user may read the case's room (a member of its community; the case
// published or archived) and returns its head. Everything else is not found, so a room's
// existence is not revealed to outsiders.
func (s Rooms) EnterRoom(ctx context.Context, userID, caseID int64) (RoomAccess, error) {
	var a struct {
		CommunityID int64      `db:"community_id"`
		Status      CaseStatus `db:"status"`
		Head        int64      `db:"head"`
	}
	err := sqlx.GetContext(ctx, s.db, &a, `
		SELECT c.community_id, c.status, coalesce(h.last_seq, 0) AS head
		FROM cases c
		JOIN memberships ms ON ms.community_id = c.community_id AND ms.user_id = $1
		LEFT JOIN room_heads h ON h.case_id = c.id
		WHERE c.id = $2 AND c.status IN ('published', 'archived')`, userID, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return RoomAccess{}, Errorf(ENOTFOUND, "No such room.")
	}
	return RoomAccess{CommunityID: a.CommunityID, ReadOnly: a.Status != StatusPublished, Head: a.Head}, err
}

// ReplayRoom reads up to limit events of a room after seq `after`, in order. It does not check
// access: it is for the realtime hub, which delivers only to subscribers it has let in through
// EnterRoom.
func (s Rooms) ReplayRoom(ctx context.Context, caseID, after int64, limit int) ([]RoomEvent, error) {
	if limit <= 0 || limit > MaxEventsPage {
		limit = MaxEventsPage
	}
	return roomEvents(ctx, s.db, caseID, after, limit)
}

// RoomEventsBefore returns up to limit events of a room before seq `before`, oldest first:
// the page before an earlier one.
func (s Rooms) RoomEventsBefore(ctx context.Context, userID, communityID, caseID, before int64, limit int) ([]RoomEvent, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return nil, err
	}
	if before < 1 {
		return nil, FieldErrorf("before", "Use a sequence number of 1 or more.")
	}
	if limit <= 0 || limit > MaxEventsPage {
		limit = MaxEventsPage
	}
	return roomEventsBefore(ctx, s.db, caseID, before, limit)
}

// MaxThreadsPage is the most threads one page of a room's history holds.
const MaxThreadsPage = 100

// RoomSnapshot is a page of a room's threads as they stood at Head: a client shows it and then
// subscribes after Head, and misses nothing in between.
type RoomSnapshot struct {
	Threads []Thread `json:"threads"`
	Head    int64    `json:"head"`
	ReadSeq int64    `json:"read_seq"` // the user's unread marker: events after it are new to them
	// Before is the cursor of the next (older) page, or 0 when there is none.
	Before   int64 `json:"before,omitempty"`
	ReadOnly bool  `json:"read_only"`
	// Session is the live session running now, as of Head, if any.
	Session *SessionView `json:"session,omitempty"`
}

// RoomThreads returns up to limit threads with top-level message id below `before` (0: the
// newest), newest first, read in one snapshot together with the room's head.
func (s Rooms) RoomThreads(ctx context.Context, userID, communityID, caseID, before int64, limit int) (RoomSnapshot, error) {
	if limit <= 0 || limit > MaxThreadsPage {
		limit = MaxThreadsPage
	}
	var snap RoomSnapshot
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return snap, err
	}
	defer tx.Rollback()
	status, err := roomStatus(ctx, tx, userID, communityID, caseID)
	if err != nil {
		return snap, err
	}
	snap.ReadOnly = status != StatusPublished
	if err := sqlx.GetContext(ctx, tx, &snap.Head, `SELECT coalesce((SELECT last_seq FROM room_heads WHERE case_id = $1), 0)`, caseID); err != nil {
		return snap, err
	}
	if err := sqlx.GetContext(ctx, tx, &snap.ReadSeq, `SELECT coalesce((SELECT last_seq FROM room_reads WHERE user_id = $1 AND case_id = $2), 0)`, userID, caseID); err != nil {
		return snap, err
	}
	if snap.Threads, err = roomThreads(ctx, tx, caseID, before, limit+1); err != nil {
		return snap, err
	}
	switch session, err := liveSession(ctx, tx, caseID, ""); {
	case err == nil:
		session = session.withSpeaking(ctx, tx)
		snap.Session = &session
	case ErrorCode(err) != ENOTFOUND:
		return snap, err
	}
	if len(snap.Threads) > limit {
		snap.Threads = snap.Threads[:limit]
		snap.Before = snap.Threads[limit-1].ID
	}
	return snap, tx.Commit()
}

// MarkRead moves the user's unread marker of a room forward to seq (never back, never past the
// room's head) and returns where it stands.
func (s Rooms) MarkRead(ctx context.Context, userID, communityID, caseID, seq int64) (int64, error) {
	if seq < 0 {
		return 0, FieldErrorf("seq", "Use a sequence number of 0 or more.")
	}
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return 0, err
	}
	var read int64
	err := sqlx.GetContext(ctx, s.db, &read, `
		INSERT INTO room_reads (user_id, case_id, last_seq)
		VALUES ($1, $2, LEAST($3, coalesce((SELECT last_seq FROM room_heads WHERE case_id = $2), 0)))
		ON CONFLICT (user_id, case_id) DO UPDATE SET last_seq = GREATEST(room_reads.last_seq, excluded.last_seq)
		RETURNING last_seq`, userID, caseID, seq)
	return read, err
}
