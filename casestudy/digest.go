package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// Digests: a daily or weekly mail, as each person chooses, of what happened in their
// communities since the last one: new cases, active rooms, meetings to come; none when nothing
// happened. Cases appear by title only where the community allows titles in mail.

// DigestWindow is how far ahead a digest lists meetings.
const DigestWindow = 7 * 24 * time.Hour

func digestPeriod(freq string) time.Duration {
	if freq == DigestWeekly {
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// QueueDigests queues the digests that are due, once each (the person's row is updated in the
// same transaction, so two processes never queue one twice).
func (s Mailings) QueueDigests(ctx context.Context) (int, error) {
	if !s.MailEnabled() {
		return 0, nil
	}
	now := s.Now()
	queued := 0
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var due []struct {
			ID     int64      `db:"id"`
			Digest string     `db:"digest"`
			SentAt *time.Time `db:"digest_sent_at"`
		}
		if err := sqlx.SelectContext(ctx, tx, &due, `SELECT id, digest, digest_sent_at FROM users
			WHERE digest <> 'off' AND erased_at IS NULL
			  AND (digest_sent_at IS NULL OR (digest = 'daily' AND digest_sent_at <= $1) OR (digest = 'weekly' AND digest_sent_at <= $2))
			ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`, now.Add(-24*time.Hour+time.Minute), now.Add(-7*24*time.Hour+time.Minute)); err != nil {
			return err
		}
		for _, u := range due {
			since := now.Add(-digestPeriod(u.Digest))
			if u.SentAt != nil && u.SentAt.After(since) {
				since = *u.SentAt
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET digest_sent_at = $2 WHERE id = $1`, u.ID, now); err != nil {
				return err
			}
			if err := s.enqueueMail(ctx, tx, MailJob{Kind: MailDigest, UserID: u.ID, Since: since}); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	return queued, err
}

// DigestCommunity is one community's part of a digest.
type DigestCommunity struct {
	ID          int64        `db:"id"`
	Name        string       `db:"name"`
	NewCases    int          `db:"new_cases"`
	ActiveRooms int          `db:"active_rooms"`
	Titles      []string     `db:"-"` // the new cases' anonymised titles, where the community allows
	Meetings    []Occurrence `db:"-"`
}

// prepareDigest fills a digest, or says there is nothing to say.
func (s Mailings) prepareDigest(ctx context.Context, job MailJob, p PreparedMail) (PreparedMail, error) {
	var freq string
	if err := sqlx.GetContext(ctx, s.db, &freq, `SELECT digest FROM users WHERE id = $1`, job.UserID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return p, ErrMailNotWanted
		}
		return p, err
	}
	if freq == DigestOff {
		return p, ErrMailNotWanted
	}
	p.Digest = freq
	if err := sqlx.SelectContext(ctx, s.db, &p.Communities, `
		SELECT c.id, c.name,
			(SELECT count(*) FROM cases cs WHERE cs.community_id = c.id AND cs.status = 'published' AND cs.sort_at > $2 AND cs.author_id <> $1) AS new_cases,
			(SELECT count(DISTINCT m.case_id) FROM messages m JOIN cases cs ON cs.id = m.case_id
			 WHERE cs.community_id = c.id AND m.created_at > $2 AND m.author_id <> $1 AND m.deleted_at IS NULL) AS active_rooms
		FROM communities c JOIN memberships ms ON ms.community_id = c.id AND ms.user_id = $1 ORDER BY c.name, c.id`, job.UserID, job.Since); err != nil {
		return p, err
	}
	now := s.Now()
	meetings, err := Schedule(s).MyOccurrences(ctx, job.UserID, now, now.Add(DigestWindow))
	if err != nil {
		return p, err
	}
	anything := false
	for i := range p.Communities {
		c := &p.Communities[i]
		for _, o := range meetings {
			if o.CommunityID == c.ID && !o.Cancelled {
				c.Meetings = append(c.Meetings, o)
			}
		}
		if c.NewCases > 0 {
			policy, err := communityPolicy(ctx, s.db, c.ID)
			if err != nil {
				return p, err
			}
			if policy.MailCaseTitles != nil && *policy.MailCaseTitles {
				if err := sqlx.SelectContext(ctx, s.db, &c.Titles, `SELECT title FROM cases WHERE community_id = $1 AND status = 'published'
					AND sort_at > $2 AND author_id <> $3 ORDER BY sort_at LIMIT 10`, c.ID, job.Since, job.UserID); err != nil {
					return p, err
				}
			}
		}
		anything = anything || c.NewCases > 0 || c.ActiveRooms > 0 || len(c.Meetings) > 0
	}
	if !anything {
		return p, ErrMailNotWanted // nothing if nothing happened
	}
	p.Unsubscribe = s.unsubscribeToken(job.UserID, unsubscribeDigest)
	return p, nil
}

// unsubscribeDigest is the "kind" a digest's unsubscribe token names: it turns the digest off.
const unsubscribeDigest = "digest"
