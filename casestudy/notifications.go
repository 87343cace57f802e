package casestudy

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Notification kinds (the bell). A notification names what happened by reference; its words are
// made when it is read, from the rows it names, so nothing confidential is copied around.
const (
	NotifyMention            = "mention"             // someone mentioned you in a message
	NotifyReply              = "reply"               // someone replied to your message
	NotifyCaseDiscussed      = "case_discussed"      // your case's room has new messages (one unread at a time)
	NotifySessionStarting    = "session_starting"    // a meeting of your community starts (a live session began)
	NotifyInvitationAccepted = "invitation_accepted" // someone joined with your invitation
)

// Channels a person chooses per kind.
const (
	ChannelInApp  = "in_app"
	ChannelEmail  = "email"
	ChannelPush   = "push"
	ChannelDigest = "digest"
)

// recordMentions stores the mentions of the batch's messages that name members of the
// community other than the author, and keeps them on the items; one statement, and none when
// no message mentions anyone.
func (b *batch) recordMentions(fresh []*item, ids []int64) error {
	var msgs, users, authors, communities []int64
	for i, it := range fresh {
		for _, u := range it.mentions {
			msgs, users, authors, communities = append(msgs, ids[i]), append(users, u), append(authors, it.userID), append(communities, it.communityID)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	var kept []struct {
		MessageID int64 `db:"message_id"`
		UserID    int64 `db:"user_id"`
	}
	if err := sqlx.SelectContext(b.ctx, b.tx, &kept, `
		INSERT INTO message_mentions (message_id, user_id)
		SELECT v.m, v.u FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS v(m, u, a, c)
		JOIN memberships ms ON ms.community_id = v.c AND ms.user_id = v.u
		WHERE v.u <> v.a
		ON CONFLICT DO NOTHING RETURNING message_id, user_id`,
		pq.Array(msgs), pq.Array(users), pq.Array(authors), pq.Array(communities)); err != nil {
		return err
	}
	byMessage := map[int64][]int64{}
	for _, k := range kept {
		byMessage[k.MessageID] = append(byMessage[k.MessageID], k.UserID)
	}
	for i, it := range fresh {
		it.stored = byMessage[ids[i]]
		slices.Sort(it.stored)
	}
	return nil
}

// newNotification is a notification a batch made, as RETURNING gives it.
type newNotification struct {
	UserID      int64  `db:"user_id"`
	Kind        string `db:"kind"`
	CommunityID int64  `db:"community_id"`
	ActorID     int64  `db:"actor_id"`
	CaseID      int64  `db:"case_id"`
	ID          int64  `db:"id"`
}

// eventsAndNotifications stores the batch's message.created events and, in the same statement
// (one round trip: the writer is serial, so every statement of a batch costs ingest), the
// notifications they cause: mentions, replies, and "your case is being discussed" (one unread
// per case). A person who switched a kind off in the app gets none.
const eventsAndNotifications = `
	WITH ev AS (
		INSERT INTO room_events (case_id, seq, type, message_id, at)
		SELECT c, s, 'message.created', m, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(c, s, m)),
	v AS (SELECT * FROM unnest($3::bigint[], $1::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS v(m, c, p, a, k)),
	wanted AS (
		SELECT mm.user_id AS u, v.k, 'mention' AS kind, v.a, v.c, v.m FROM v JOIN message_mentions mm ON mm.message_id = v.m
		UNION ALL
		SELECT pm.author_id, v.k, 'reply', v.a, v.c, v.m FROM v JOIN messages pm ON pm.id = v.p
		WHERE pm.author_id <> v.a AND NOT EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.message_id = v.m AND mm.user_id = pm.author_id)
		UNION ALL
		-- Most batches land in rooms whose author has this unread already: look for it first.
		SELECT DISTINCT ON (cs.author_id, v.c) cs.author_id, v.k, 'case_discussed', v.a, v.c, v.m FROM v JOIN cases cs ON cs.id = v.c
		WHERE cs.author_id <> v.a AND NOT EXISTS (SELECT 1 FROM notifications un WHERE un.user_id = cs.author_id AND un.case_id = v.c
			AND un.kind = 'case_discussed' AND un.read_at IS NULL)),
	made AS (
		INSERT INTO notifications (user_id, community_id, kind, actor_id, case_id, message_id, created_at)
		SELECT w.u, w.k, w.kind, w.a, w.c, w.m, $4 FROM wanted w
		WHERE EXISTS (SELECT 1 FROM memberships ms WHERE ms.community_id = w.k AND ms.user_id = w.u)
		  AND coalesce((SELECT np.enabled FROM notification_preferences np WHERE np.user_id = w.u AND np.kind = w.kind
			      AND np.channel = 'in_app' AND np.community_id IN (0, w.k) ORDER BY np.community_id DESC LIMIT 1), true)
		ON CONFLICT DO NOTHING RETURNING user_id, kind, community_id, actor_id, case_id, id)
	SELECT * FROM made
	UNION ALL
	-- Rooms whose author had the unread already (the writer then skips them for a while).
	SELECT DISTINCT 0, 'covered', 0, 0, v.c, 0 FROM v JOIN cases cs ON cs.id = v.c
	WHERE EXISTS (SELECT 1 FROM notifications un WHERE un.user_id = cs.author_id AND un.case_id = v.c
		AND un.kind = 'case_discussed' AND un.read_at IS NULL)`

// plainEvents stores a batch's message.created events when it can cause no notification.
const plainEvents = `
	INSERT INTO room_events (case_id, seq, type, message_id, at)
	SELECT c, s, 'message.created', m, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(c, s, m)`

// discussedFor is how long the writer trusts that a room's author has the unread "your case is
// being discussed" (so a batch there can cause no new one). Reading one's notifications on this
// process forgets it at once; after reading them on another process, messages in the next
// discussedFor make no new one there, and the first message after that does.
const discussedFor = 30 * time.Second

// discussedRooms remembers, for the message writer, the rooms whose author has the unread
// "case discussed" notification, until when.
type discussedRooms struct {
	mu    sync.Mutex
	until map[int64]time.Time
}

func (d *discussedRooms) covered(room int64, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return now.Before(d.until[room])
}

func (d *discussedRooms) cover(room int64, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.until == nil {
		d.until = map[int64]time.Time{}
	}
	d.until[room] = now.Add(discussedFor)
}

func (d *discussedRooms) forget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.until = nil
}

// quiet reports whether the batch can make no notification: nobody mentioned, nothing replied
// to, and every room's author known to have the unread "case discussed" already.
func (b *batch) quiet(fresh []*item) bool {
	for _, it := range fresh {
		if len(it.mentions) > 0 || it.parentID != 0 || !b.core.discussed.covered(it.caseID, b.now) {
			return false
		}
	}
	return true
}

// storeEvents stores the events of the batch's messages and their notifications (above), and
// queues the mail and pushes that mentions and replies ask for. A quiet batch (most, once a
// discussion is under way) stores its events alone, as cheaply as before notifications were.
func (b *batch) storeEvents(fresh []*item, cols messageArrays, ids []int64) error {
	if b.quiet(fresh) {
		_, err := b.tx.ExecContext(b.ctx, plainEvents, pq.Array(cols.cases), pq.Array(cols.seqs), pq.Array(ids), b.now)
		return err
	}
	comms := make([]int64, len(fresh))
	for i, it := range fresh {
		comms[i] = it.communityID
	}
	stmt, err := b.core.prepared.get(b.ctx, b.core.db, eventsAndNotifications)
	if err != nil {
		return err
	}
	var made []newNotification
	if err := b.tx.StmtxContext(b.ctx, stmt).SelectContext(b.ctx, &made, pq.Array(cols.cases), pq.Array(cols.seqs), pq.Array(ids), b.now,
		pq.GenericArray{A: cols.parents}, pq.Array(cols.authors), pq.Array(comms)); err != nil {
		return err
	}
	var mails []MailJob
	for _, n := range made {
		if n.Kind == "covered" || n.Kind == NotifyCaseDiscussed {
			b.covered = append(b.covered, n.CaseID)
		}
		if n.Kind == "covered" {
			continue
		}
		b.notified = append(b.notified, n.UserID)
		if n.Kind != NotifyMention && n.Kind != NotifyReply {
			continue
		}
		if ok, err := wants(b.ctx, b.tx, n.UserID, n.CommunityID, n.Kind, ChannelEmail); err != nil {
			return err
		} else if ok {
			mails = append(mails, MailJob{Kind: MailKind(n.Kind), UserID: n.UserID, CommunityID: n.CommunityID, ActorID: n.ActorID,
				CaseID: n.CaseID, NotificationID: n.ID})
		}
		if err := b.core.queuePush(b.ctx, b.tx, n.UserID, n.CommunityID, n.Kind, n.ID); err != nil {
			return err
		}
	}
	return b.core.enqueueMail(b.ctx, b.tx, mails...)
}

// Notification is one entry of the bell, with its words made now.
type Notification struct {
	ID          int64      `db:"id" json:"id"`
	Kind        string     `db:"kind" json:"kind"`
	CommunityID int64      `db:"community_id" json:"community_id"`
	Community   string     `db:"community_name" json:"community_name"`
	ActorName   *string    `db:"actor_name" json:"actor_name"`
	CaseID      *int64     `db:"case_id" json:"case_id,omitempty"`
	CaseTitle   *string    `db:"case_title" json:"case_title,omitempty"` // the anonymised title
	MessageID   *int64     `db:"message_id" json:"message_id,omitempty"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	ReadAt      *time.Time `db:"read_at" json:"read_at,omitempty"`
}

// MaxNotificationsListed bounds one page of the bell.
const MaxNotificationsListed = 50

// Notifications lists the user's newest notifications, in communities they still belong to,
// and how many are unread.
func (s Communities) Notifications(ctx context.Context, userID int64, limit int) ([]Notification, int, error) {
	if limit <= 0 || limit > MaxNotificationsListed {
		limit = MaxNotificationsListed
	}
	list := []Notification{}
	if err := sqlx.SelectContext(ctx, s.db, &list, `
		SELECT n.id, n.kind, n.community_id, c.name AS community_name, a.display_name AS actor_name, n.case_id, cs.title AS case_title,
			n.message_id, n.created_at, n.read_at
		FROM notifications n JOIN communities c ON c.id = n.community_id
		JOIN memberships ms ON ms.community_id = n.community_id AND ms.user_id = n.user_id
		LEFT JOIN users a ON a.id = n.actor_id LEFT JOIN cases cs ON cs.id = n.case_id
		WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2`, userID, limit); err != nil {
		return nil, 0, err
	}
	unread, err := s.UnreadNotifications(ctx, userID)
	return list, unread, err
}

// UnreadNotifications counts the user's unread notifications.
func (s Communities) UnreadNotifications(ctx context.Context, userID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, s.db, &n, `SELECT count(*) FROM notifications n
		JOIN memberships ms ON ms.community_id = n.community_id AND ms.user_id = n.user_id
		WHERE n.user_id = $1 AND n.read_at IS NULL`, userID)
	return n, err
}

// MarkNotificationsRead marks the user's notifications up to id read (all with 0), and tells
// their other tabs.
func (s Communities) MarkNotificationsRead(ctx context.Context, userID, upTo int64) error {
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id <= $2 AND read_at IS NULL`, userID, upTo, s.Now())
		return err
	})
	if err == nil {
		s.discussed.forget()
		s.events.NotificationsChanged([]int64{userID})
	}
	return err
}

// addNotification records one notification in tx, unless the person switched that kind off
// in the app; it reports whether it did.
func addNotification(ctx context.Context, tx *sqlx.Tx, userID, communityID int64, kind string, actorID, caseID *int64, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO notifications (user_id, community_id, kind, actor_id, case_id, created_at)
		SELECT $1, $2, $3, $4, $5, $6
		WHERE coalesce((SELECT np.enabled FROM notification_preferences np WHERE np.user_id = $1 AND np.kind = $3
			      AND np.channel = 'in_app' AND np.community_id IN (0, $2) ORDER BY np.community_id DESC LIMIT 1), true)
		ON CONFLICT DO NOTHING`, userID, communityID, kind, actorID, caseID, now)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// notifySessionStarting tells the community's members, but the one who started it, that a live
// session has begun on a case, and returns whom it told.
func notifySessionStarting(ctx context.Context, tx *sqlx.Tx, communityID, caseID, starter int64, now time.Time) ([]int64, error) {
	var told []int64
	err := sqlx.SelectContext(ctx, tx, &told, `
		INSERT INTO notifications (user_id, community_id, kind, actor_id, case_id, created_at)
		SELECT m.user_id, $1, 'session_starting', $3, $2, $4 FROM memberships m
		WHERE m.community_id = $1 AND m.user_id <> $3
		  AND coalesce((SELECT np.enabled FROM notification_preferences np WHERE np.user_id = m.user_id AND np.kind = 'session_starting'
			      AND np.channel = 'in_app' AND np.community_id IN (0, $1) ORDER BY np.community_id DESC LIMIT 1), true)
		RETURNING user_id`, communityID, caseID, starter, now)
	return told, err
}

// pushSessionStarting queues pushes for the session_starting notifications just made.
func (c *core) pushSessionStarting(ctx context.Context, tx *sqlx.Tx, communityID, caseID int64, told []int64, now time.Time) error {
	if !c.pushOn || len(told) == 0 {
		return nil
	}
	var rows []struct {
		ID     int64 `db:"id"`
		UserID int64 `db:"user_id"`
	}
	if err := sqlx.SelectContext(ctx, tx, &rows, `SELECT id, user_id FROM notifications WHERE community_id = $1 AND case_id = $2
		AND kind = 'session_starting' AND created_at = $3 AND user_id = ANY($4)`, communityID, caseID, now, pq.Array(told)); err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.queuePush(ctx, tx, r.UserID, communityID, NotifySessionStarting, r.ID); err != nil {
			return err
		}
	}
	return nil
}
