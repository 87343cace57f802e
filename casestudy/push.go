package casestudy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/jmoiron/sqlx"
	"github.com/vgarvardt/gue/v5"
	"github.com/vgarvardt/gue/v5/adapter/libpq"
)

// Web push: a browser's subscription is kept per person; a notification that the person wants by
// push becomes a job in gue's "push" queue, written in the transaction that made the
// notification, and the server's push worker sends it (PreparePush says what). A payload names
// who and where, never case text or a case's title.

// PushQueue and PushJobType name the push jobs.
const (
	PushQueue   = "push"
	PushJobType = "push"
	// MaxPushSubscriptions bounds one person's browsers.
	MaxPushSubscriptions = 10
)

// WithPush turns web push on (the server has VAPID keys).
func WithPush() ServiceOption { return func(c *core) { c.pushOn = true } }

// PushEnabled reports whether this server sends web push.
func (c *core) PushEnabled() bool { return c.pushOn }

// PushSubscription is a browser's subscription (the Push API's PushSubscription).
type PushSubscription struct {
	ID       int64  `db:"id" json:"id"`
	Endpoint string `db:"endpoint" json:"endpoint"`
	P256dh   string `db:"p256dh" json:"p256dh"`
	Auth     string `db:"auth" json:"auth"`
}

// SavePushSubscription keeps a browser's subscription for the person (the same endpoint moves
// to whoever subscribed it last).
func (s Accounts) SavePushSubscription(ctx context.Context, userID int64, sub PushSubscription) error {
	if !s.pushOn {
		return Errorf(ECONFLICT, "This server sends no push notifications.")
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(sub.Endpoint) > 1024 {
		return FieldErrorf("endpoint", "A push endpoint is an https URL.")
	}
	if sub.P256dh == "" || len(sub.P256dh) > 256 || sub.Auth == "" || len(sub.Auth) > 64 {
		return FieldErrorf("keys", "The subscription's keys are missing or too long.")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := sqlx.GetContext(ctx, tx, &n, `SELECT count(*) FROM push_subscriptions WHERE user_id = $1 AND endpoint <> $2`, userID, sub.Endpoint); err != nil {
			return err
		}
		if n >= MaxPushSubscriptions {
			return Errorf(ECONFLICT, "Push is on in %d browsers already: turn it off in one first.", MaxPushSubscriptions)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (endpoint) DO UPDATE SET user_id = $1, p256dh = $3, auth = $4, created_at = $5`, userID, sub.Endpoint, sub.P256dh, sub.Auth, s.Now())
		return err
	})
}

// DeletePushSubscription forgets a browser's subscription of the person ("" : all of them).
func (s Accounts) DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND ($2 = '' OR endpoint = $2)`, userID, endpoint)
		return err
	})
}

// ForgetPushEndpoint drops a subscription the push service says is gone (404, 410).
func (s Mailings) ForgetPushEndpoint(ctx context.Context, endpoint string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint = $1`, endpoint)
	return err
}

// PushJob is a queued push: the notification it announces.
type PushJob struct {
	NotificationID int64 `json:"notification_id"`
}

// queuePush queues a push for a notification, if push is on, the person wants this kind by
// push, and has a browser subscribed.
func (c *core) queuePush(ctx context.Context, tx *sqlx.Tx, userID, communityID int64, kind string, notificationID int64) error {
	if !c.pushOn {
		return nil
	}
	ok, err := wants(ctx, tx, userID, communityID, kind, ChannelPush)
	if err != nil || !ok {
		return err
	}
	var subscribed bool
	if err := sqlx.GetContext(ctx, tx, &subscribed, `SELECT EXISTS (SELECT 1 FROM push_subscriptions WHERE user_id = $1)`, userID); err != nil || !subscribed {
		return err
	}
	client, err := Mailings{c}.MailQueueClient()
	if err != nil {
		return err
	}
	args, _ := json.Marshal(PushJob{NotificationID: notificationID})
	return client.EnqueueTx(ctx, &gue.Job{Queue: PushQueue, Type: PushJobType, Args: args}, libpq.NewTx(tx.Tx))
}

// PreparedPush is what to send for one queued push: the payload (no confidential text) and
// the person's subscriptions.
type PreparedPush struct {
	Title, Body, URL string
	Subscriptions    []PushSubscription
}

// PreparePush builds a push for a notification, or ErrMailNotWanted if it was read or is gone.
func (s Mailings) PreparePush(ctx context.Context, job PushJob) (PreparedPush, error) {
	var n struct {
		UserID      int64   `db:"user_id"`
		Kind        string  `db:"kind"`
		CommunityID int64   `db:"community_id"`
		Community   string  `db:"community_name"`
		Actor       *string `db:"actor_name"`
		CaseID      *int64  `db:"case_id"`
		Read        bool    `db:"read"`
	}
	err := sqlx.GetContext(ctx, s.db, &n, `SELECT n.user_id, n.kind, n.community_id, c.name AS community_name, a.display_name AS actor_name,
		n.case_id, n.read_at IS NOT NULL AS read
		FROM notifications n JOIN communities c ON c.id = n.community_id LEFT JOIN users a ON a.id = n.actor_id WHERE n.id = $1`, job.NotificationID)
	if errors.Is(err, sql.ErrNoRows) {
		return PreparedPush{}, ErrMailNotWanted
	}
	if err != nil {
		return PreparedPush{}, err
	}
	if n.Read {
		return PreparedPush{}, ErrMailNotWanted
	}
	actor := "Someone"
	if n.Actor != nil {
		actor = *n.Actor
	}
	p := PreparedPush{Title: n.Community, URL: fmt.Sprintf("/communities/%d", n.CommunityID)}
	if n.CaseID != nil {
		p.URL = fmt.Sprintf("/communities/%d/cases/%d#room-heading", n.CommunityID, *n.CaseID)
	}
	switch n.Kind {
	case NotifyMention:
		p.Body = actor + " mentioned you in a discussion."
	case NotifyReply:
		p.Body = actor + " replied to your message."
	case NotifySessionStarting:
		p.Body = "A live session has started."
	default:
		p.Body = "Something new for you."
	}
	if err := sqlx.SelectContext(ctx, s.db, &p.Subscriptions, `SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY id`, n.UserID); err != nil {
		return p, err
	}
	if len(p.Subscriptions) == 0 {
		return p, ErrMailNotWanted
	}
	return p, nil
}
