package casestudy

import (
	"context"
	"database/sql"
	"runtime"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Service is the domain's entry point, a facade over one service per area: Accounts,
// Communities, Invitations, Cases, Rooms, LiveSessions, Memory (archive, search, export, retention),
// Mailings (the mail outbox) and Schedule (when communities meet),
// whose methods it carries as its own. Each public method is one unit of work: it owns its
// transaction and checks that the acting user may do what is asked. The areas share one core
// (the database, the clock, the events, the label books and the message writer) and stay one
// package: posting a message checks and advances a live session's turn in the same
// transaction, and erasure and retention touch every table.
type Service struct {
	*core
	Accounts
	Communities
	Invitations
	Cases
	Rooms
	LiveSessions
	Memory
	Mailings
	Schedule
}

// The areas of the domain (see Service).
type (
	// Accounts: registration, sign-in, passwords, one's own data and its erasure.
	Accounts struct{ *core }
	// Communities: communities, members and roles, policies, activity, the audit log.
	Communities struct{ *core }
	// Invitations: inviting people to a community by link, and joining by one.
	Invitations struct{ *core }
	// Cases: writing, anonymising, publishing and withdrawing case studies, and their versions.
	Cases struct{ *core }
	// Rooms: a case's discussion: messages, threads, events, read markers.
	Rooms struct{ *core }
	// LiveSessions: running a supervision session on a case, its formats and its records.
	LiveSessions struct{ *core }
	// Memory: the archive and its summaries, search, export and retention.
	Memory struct{ *core }
	// Mailings: the mail outbox, what each message needs to be written, unsubscribing.
	Mailings struct{ *core }
	// Schedule: when a community meets: scheduled sessions, their recurrence and exceptions,
	// answers (RSVP), the case queue, calendar feeds and reminders.
	Schedule struct{ *core }
)

// core is what every area shares.
type core struct {
	db     *sqlx.DB
	now    func() time.Time
	events Events
	node   string // this process's name in room-event notices
	writer *messageWriter
	// newestAbove: how many matching messages make a search list them newest first.
	newestAbove float64
	// bookKey keys the digests of the cases' label books (derived from the server's secret).
	bookKey []byte
	books   bookCache // recently read books, for room messages
	// sealKey seals the tokens that wait in the mail outbox; linkKey signs the links that need
	// no row of their own (one-click unsubscribe, calendar feeds). Both derive from the secret.
	sealKey, linkKey []byte
	outbox           outbox
	pushOn           bool
	prepared         preparedStatements // the writer's hot statements
	discussed        discussedRooms     // the writer's memory of rooms that can make no "case discussed"
}

// Events receives notices that other parts of the system act on, such as closing a user's open
// WebSocket connections when their sign-ins are revoked. It is declared here, by its producer's
// side, and wired in cmd; the default does nothing.
type Events interface {
	// SignInsRevoked: some or all sign-ins of the user ended (sign-out, password change).
	SignInsRevoked(userID int64)
	// MembershipEnded: the user left or was removed from the community.
	MembershipEnded(userID, communityID int64)
	// RoomEventCommitted: an event of a room was stored by this process; deliver it at once.
	// (Other processes learn of it by NOTIFY on RoomEventsChannel.)
	RoomEventCommitted(ev RoomEvent)
	// NotificationsChanged: these users' notifications changed (new ones, or read); tell
	// their open pages, on every process.
	NotificationsChanged(userIDs []int64)
}

type noEvents struct{}

func (noEvents) SignInsRevoked(int64)         {}
func (noEvents) MembershipEnded(int64, int64) {}
func (noEvents) RoomEventCommitted(RoomEvent) {}
func (noEvents) NotificationsChanged([]int64) {}

// ServiceOption configures a Service.
type ServiceOption func(*core)

// WithClock replaces the wall clock, for tests of expiry.
func WithClock(now func() time.Time) ServiceOption { return func(s *core) { s.now = now } }

// WithNodeID names this process in the notices of the room events it stores, so that its
// realtime hub can tell them from other processes' events.
func WithNodeID(id string) ServiceOption { return func(s *core) { s.node = id } }

// WithSearchNewestAbove sets how many matching messages make a search list messages newest first
// rather than ranked (default 10,000), for tests of both orders on little data.
func WithSearchNewestAbove(n int) ServiceOption {
	return func(s *core) { s.newestAbove = float64(n) }
}

// WithEvents sets the receiver of domain events.
func WithEvents(e Events) ServiceOption { return func(s *core) { s.events = e } }

// NewService returns the domain service over db.
func NewService(db *sqlx.DB, opts ...ServiceOption) *Service {
	c := &core{db: db, now: time.Now, events: noEvents{}, newestAbove: newestMessagesAbove}
	c.writer = newMessageWriter(c)
	for _, o := range opts {
		o(c)
	}
	if c.bookKey == nil {
		WithSecretKey(randomKey())(c)
	}
	return &Service{core: c, Accounts: Accounts{c}, Communities: Communities{c}, Invitations: Invitations{c}, Cases: Cases{c}, Rooms: Rooms{c},
		LiveSessions: LiveSessions{c}, Memory: Memory{c}, Mailings: Mailings{c}, Schedule: Schedule{c}}
}

// Now is the service's clock, in UTC.
func (s *core) Now() time.Time { return s.now().UTC() }

type requestIDKey struct{}

// WithRequestID attaches the request id to ctx so audit entries can name it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Close stops the service's message writer after storing what was queued; messages submitted
// later are refused as unavailable. It waits for the writer, and may be called more than once.
func (s *Service) Close() {
	s.writer.close()
	s.prepared.close()
}

// inTx runs fn in a transaction, committed only if fn succeeds.
func (s *core) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return classified(runTx(ctx, s.db, nil, fn))
}

// inReadTx runs fn in a read-only repeatable-read transaction: every query sees one snapshot.
func (s *core) inReadTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return classified(runTx(ctx, s.db, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, fn))
}

func runTx(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// classified is dbError with the name of the operation that ran the transaction: the caller
// of inTx or inReadTx. The name is looked up only when something failed.
func classified(err error) error {
	if err == nil {
		return nil
	}
	op := "casestudy"
	if pc, _, _, ok := runtime.Caller(2); ok {
		if f := runtime.FuncForPC(pc); f != nil {
			op = strings.TrimPrefix(f.Name(), "github.com/casecircle/casecircle/")
		}
	}
	return dbError(op, err)
}
