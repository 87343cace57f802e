package casestudy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/vgarvardt/gue/v5"
	"github.com/vgarvardt/gue/v5/adapter/libpq"
)

// MailQueue is the gue queue of outgoing mail, and MailJobType its one kind of job.
const (
	MailQueue   = "mail"
	MailJobType = "mail"
)

// MailKind says why a message is sent; the server has one template for each.
type MailKind string

// Kinds of mail.
const (
	MailPasswordReset    MailKind = "password_reset"
	MailInvitation       MailKind = "invitation"
	MailVerifyEmail      MailKind = "verify_email"
	MailSessionScheduled MailKind = "session_scheduled"
	MailSessionChanged   MailKind = "session_changed"
	MailSessionCancelled MailKind = "session_cancelled"
	MailSessionReminder  MailKind = "session_reminder"
	MailPresentingNext   MailKind = "presenting_next"
	MailMention          MailKind = "mention"
	MailReply            MailKind = "reply"
	MailDigest           MailKind = "digest"
	MailEmailChanged     MailKind = "email_changed" // to the old address, after a change
)

// Transactional reports whether a kind of mail answers something the person did or must have
// (a reset, an invitation, a verification): those carry no unsubscribe link.
func (k MailKind) Transactional() bool {
	return k == MailPasswordReset || k == MailInvitation || k == MailVerifyEmail || k == MailEmailChanged
}

// MailJob is what the outbox keeps of one message: whom it is for and why, never its text,
// which the worker writes when it sends, from what is current then. A link's token waits in
// the outbox sealed with a key derived from the server's secret, so the database alone does
// not give it away.
type MailJob struct {
	Kind           MailKind  `json:"kind"`
	UserID         int64     `json:"user_id,omitempty"`
	Address        string    `json:"address,omitempty"` // an invitation's address, before any account
	CommunityID    int64     `json:"community_id,omitempty"`
	SealedToken    []byte    `json:"sealed_token,omitempty"`
	ActorID        int64     `json:"actor_id,omitempty"` // who caused it (the inviter)
	ScheduleID     int64     `json:"schedule_id,omitempty"`
	N              int       `json:"n,omitempty"`               // which meeting of the series; 0: the series
	Lead           string    `json:"lead,omitempty"`            // a reminder's "24h" or "1h"
	CaseID         int64     `json:"case_id,omitempty"`         // a mention's or reply's room
	NotificationID int64     `json:"notification_id,omitempty"` // the bell entry it repeats: not sent once read
	Since          time.Time `json:"since,omitzero"`            // a digest covers what happened after this
}

// outbox enqueues mail in gue's queue, when mail is on.
type outbox struct {
	on     bool
	once   sync.Once
	client *gue.Client
	err    error
}

// WithMail turns mail on: the domain writes messages to the outbox, for a worker to send.
// Without it nothing is written there, and the features that need mail say so.
func WithMail() ServiceOption { return func(c *core) { c.outbox.on = true } }

// MailEnabled reports whether this server sends mail.
func (c *core) MailEnabled() bool { return c.outbox.on }

// MailQueueClient is the gue client over this service's database, for the mail worker.
func (s Mailings) MailQueueClient() (*gue.Client, error) {
	s.outbox.once.Do(func() {
		s.outbox.client, s.outbox.err = gue.NewClient(libpq.NewConnPool(s.db.DB))
	})
	return s.outbox.client, s.outbox.err
}

// enqueueMail writes messages to the outbox in tx, so that they go out if and only if tx commits.
func (c *core) enqueueMail(ctx context.Context, tx *sqlx.Tx, jobs ...MailJob) error {
	if !c.outbox.on || len(jobs) == 0 {
		return nil
	}
	client, err := Mailings{c}.MailQueueClient()
	if err != nil {
		return err
	}
	queued := make([]*gue.Job, 0, len(jobs))
	for _, j := range jobs {
		args, err := json.Marshal(j)
		if err != nil {
			return err
		}
		queued = append(queued, &gue.Job{Queue: MailQueue, Type: MailJobType, Args: args})
	}
	return client.EnqueueBatchTx(ctx, queued, libpq.NewTx(tx.Tx))
}

// sealedToken makes a link's token and its sealed copy for the outbox.
func (c *core) sealedToken() (token string, sealed []byte, err error) {
	if token, err = newToken(); err != nil {
		return "", nil, err
	}
	sealed, err = c.seal(token)
	return token, sealed, err
}

// seal encrypts a token for the outbox (AES-GCM under sealKey).
func (c *core) seal(token string) ([]byte, error) {
	gcm, err := c.sealer()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, []byte(token), []byte("outbox")), nil
}

func (c *core) unseal(sealed []byte) (string, error) {
	gcm, err := c.sealer()
	if err != nil {
		return "", err
	}
	if len(sealed) < gcm.NonceSize() {
		return "", errors.New("sealed token too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte("outbox"))
	if err != nil {
		return "", fmt.Errorf("opening a sealed token (was the secret key changed?): %w", err)
	}
	return string(plain), nil
}

func (c *core) sealer() (cipher.AEAD, error) {
	block, err := aes.NewCipher(c.sealKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ErrMailNotWanted answers PrepareMail for a message that should no longer go out: its
// recipient left, switched that mail off, or what it announced is gone.
var ErrMailNotWanted = errors.New("casestudy: this mail is no longer wanted")

// PreparedMail is everything the server needs to write one message, as of now.
type PreparedMail struct {
	Kind          MailKind
	To, ToName    string
	TimeZone      string // the recipient's zone for the times in the message ("" : UTC)
	CommunityID   int64
	CommunityName string
	Token         string // the link's token, for resets, invitations and verifications
	// AccountAddress is the account's address when the mail goes elsewhere (the old address,
	// told of a change, learns the new one).
	AccountAddress string
	Role           Role // an invitation's role
	InvitedBy      string
	Unsubscribe    string // the one-click unsubscribe token of mail that is not transactional
	// Meetings are the meetings a session mail is about: the one meeting, or the series'
	// coming ones (at most MailedOccurrences); the first is the one the text names.
	Meetings []Occurrence
	Series   ScheduledSession
	Lead     string
	// A mention's or reply's room, the one who wrote, and the case's title where the community
	// allows titles in mail.
	CaseID    int64
	CaseTitle string
	// A digest: its frequency and the communities it covers.
	Digest      string
	Communities []DigestCommunity
}

// MailedOccurrences bounds the meetings of a series sent in one mail's calendar; the feed
// carries the rest.
const MailedOccurrences = 12

// PrepareMail looks up what a queued message needs, or says it is no longer wanted.
func (s Mailings) PrepareMail(ctx context.Context, job MailJob) (PreparedMail, error) {
	p := PreparedMail{Kind: job.Kind, Lead: job.Lead}
	if len(job.SealedToken) > 0 {
		token, err := s.unseal(job.SealedToken)
		if err != nil {
			return p, err
		}
		p.Token = token
	}
	if job.UserID != 0 {
		var u struct {
			Email    string  `db:"email"`
			Name     string  `db:"display_name"`
			TimeZone *string `db:"time_zone"`
		}
		err := sqlx.GetContext(ctx, s.db, &u, `SELECT email, display_name, time_zone FROM users WHERE id = $1`, job.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return p, ErrMailNotWanted
		}
		if err != nil {
			return p, err
		}
		p.To, p.ToName = u.Email, u.Name
		if u.TimeZone != nil {
			p.TimeZone = *u.TimeZone
		}
		if job.Address != "" {
			p.AccountAddress = u.Email
			p.To = job.Address // a new address to prove, or the old one told of a change
		}
	} else {
		p.To = job.Address
	}
	if job.CommunityID != 0 {
		if err := sqlx.GetContext(ctx, s.db, &p.CommunityName, `SELECT name FROM communities WHERE id = $1`, job.CommunityID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return p, ErrMailNotWanted
			}
			return p, err
		}
		p.CommunityID = job.CommunityID
	}
	if job.ActorID != 0 {
		_ = sqlx.GetContext(ctx, s.db, &p.InvitedBy, `SELECT display_name FROM users WHERE id = $1`, job.ActorID)
	}
	switch job.Kind {
	case MailInvitation:
		if err := sqlx.GetContext(ctx, s.db, &p.Role, `SELECT role FROM invitations WHERE token_hash = $1 AND revoked_at IS NULL`,
			tokenHash(p.Token)); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return p, ErrMailNotWanted // withdrawn before it went out
			}
			return p, err
		}
	case MailSessionScheduled, MailSessionChanged, MailSessionCancelled, MailSessionReminder, MailPresentingNext:
		return s.prepareSessionMail(ctx, job, p)
	case MailMention, MailReply:
		return s.prepareMentionMail(ctx, job, p)
	case MailDigest:
		return s.prepareDigest(ctx, job, p)
	}
	return p, nil
}

// prepareMentionMail: the room it happened in; not sent if the person has read it already, or
// has left.
func (s Mailings) prepareMentionMail(ctx context.Context, job MailJob, p PreparedMail) (PreparedMail, error) {
	var read bool
	err := sqlx.GetContext(ctx, s.db, &read, `SELECT n.read_at IS NOT NULL FROM notifications n
		JOIN memberships m ON m.community_id = n.community_id AND m.user_id = n.user_id WHERE n.id = $1`, job.NotificationID)
	if errors.Is(err, sql.ErrNoRows) || read {
		return p, ErrMailNotWanted
	}
	if err != nil {
		return p, err
	}
	p.CaseID = job.CaseID
	policy, err := communityPolicy(ctx, s.db, job.CommunityID)
	if err != nil {
		return p, err
	}
	if policy.MailCaseTitles != nil && *policy.MailCaseTitles {
		_ = sqlx.GetContext(ctx, s.db, &p.CaseTitle, `SELECT title FROM cases WHERE id = $1`, job.CaseID)
	}
	p.Unsubscribe = s.unsubscribeToken(job.UserID, string(job.Kind))
	return p, nil
}

// Kinds of notification a person can switch on and off, per channel and community.
const (
	NotifySessionChanges   = "session_changes"   // scheduled, changed, cancelled
	NotifySessionReminders = "session_reminders" // 24 hours and 1 hour before
)
