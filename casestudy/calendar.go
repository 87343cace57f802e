package casestudy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// A calendar feed's secret is "<feed id>.<MAC of it>": the id finds the row, the MAC (under a
// key derived from the server secret) proves the URL was made here, and the database alone
// does not hold a working URL. Regenerating gives a new id, which ends the old URL.

// FeedWindow is what a feed lists: meetings from FeedPast ago to FeedAhead from now.
const (
	FeedPast  = 30 * 24 * time.Hour
	FeedAhead = 366 * 24 * time.Hour
)

func (c *core) feedSecret(feedID string) string {
	mac := hmac.New(sha256.New, c.linkKey)
	mac.Write([]byte("calendar-feed\x00" + feedID))
	return feedID + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// CalendarFeed returns the secret of the user's calendar feed, making one if they have none;
// with renew, a new secret replaces the old, whose URL stops working.
func (s Schedule) CalendarFeed(ctx context.Context, userID int64, renew bool) (string, error) {
	var feedID string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if !renew {
			err := sqlx.GetContext(ctx, tx, &feedID, `SELECT feed_id FROM calendar_feeds WHERE user_id = $1`, userID)
			if err == nil || !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		token, err := newToken()
		if err != nil {
			return err
		}
		feedID = token[:22]
		_, err = tx.ExecContext(ctx, `INSERT INTO calendar_feeds (user_id, feed_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET feed_id = $2, created_at = $3`, userID, feedID, s.Now())
		return err
	})
	if err != nil {
		return "", err
	}
	return s.feedSecret(feedID), nil
}

// RevokeCalendarFeed ends the user's feed URL; a later CalendarFeed makes a new one.
func (s Schedule) RevokeCalendarFeed(ctx context.Context, userID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE user_id = $1`, userID)
		return err
	})
}

var errNoSuchFeed = &Error{Code: ENOTFOUND, Message: "No such calendar."}

// FeedOccurrences answers a calendar app's request for a feed: the owner's meetings in the
// feed window, and the owner's time zone.
func (s Schedule) FeedOccurrences(ctx context.Context, secret string) ([]Occurrence, error) {
	feedID, _, ok := strings.Cut(secret, ".")
	if !ok || !hmac.Equal([]byte(s.feedSecret(feedID)), []byte(secret)) {
		return nil, errNoSuchFeed
	}
	var userID int64
	err := sqlx.GetContext(ctx, s.db, &userID, `SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id
		WHERE f.feed_id = $1 AND u.erased_at IS NULL`, feedID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSuchFeed
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return s.MyOccurrences(ctx, userID, now.Add(-FeedPast), now.Add(FeedAhead))
}

// prepareSessionMail adds the meetings a session mail is about, or says it is not wanted.
func (s Mailings) prepareSessionMail(ctx context.Context, job MailJob, p PreparedMail) (PreparedMail, error) {
	if _, err := requireRole(ctx, s.db, job.UserID, job.CommunityID); err != nil {
		if ErrorCode(err) == ENOTFOUND || ErrorCode(err) == EFORBIDDEN {
			return p, ErrMailNotWanted
		}
		return p, err
	}
	err := sqlx.GetContext(ctx, s.db, &p.Series, `SELECT `+scheduleColumns+` FROM scheduled_sessions WHERE id = $1 AND community_id = $2`,
		job.ScheduleID, job.CommunityID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrMailNotWanted
	}
	if err != nil {
		return p, err
	}
	p.Series.fill()
	sched := Schedule(s)
	if job.N != 0 {
		o, err := sched.oneOccurrence(ctx, s.db, job.UserID, job.CommunityID, job.ScheduleID, job.N)
		if ErrorCode(err) == ENOTFOUND {
			return p, ErrMailNotWanted
		}
		if err != nil {
			return p, err
		}
		p.Meetings = []Occurrence{o}
	} else {
		now := s.Now()
		list, err := sched.expand(ctx, s.db, job.UserID, []ScheduledSession{p.Series}, now, now.Add(FeedAhead), 0)
		if err != nil {
			return p, err
		}
		if len(list) > MailedOccurrences {
			list = list[:MailedOccurrences]
		}
		p.Meetings = list
	}
	if len(p.Meetings) == 0 {
		return p, ErrMailNotWanted // nothing left to come
	}
	if job.Kind == MailSessionReminder {
		o := p.Meetings[0]
		if o.Cancelled || o.MyAnswer == AnswerNotGoing || !o.Start.After(s.Now()) {
			return p, ErrMailNotWanted
		}
	}
	if !job.Kind.Transactional() {
		p.Unsubscribe = s.unsubscribeToken(job.UserID, unsubscribeKind(job.Kind))
	}
	return p, nil
}

func unsubscribeKind(k MailKind) string {
	if k == MailSessionReminder {
		return NotifySessionReminders
	}
	return NotifySessionChanges
}

// QueueReminders queues the reminders that are due: for every meeting starting within a lead
// (24 hours, 1 hour), one to each member who has not said no and has not switched reminders
// off, once (a row per meeting, member and lead, so several processes never queue one twice).
// A meeting already within the hour gets only the hour's reminder.
func (s Schedule) QueueReminders(ctx context.Context) (int, error) {
	if !s.MailEnabled() {
		return 0, nil
	}
	now := s.Now()
	var series []ScheduledSession
	if err := sqlx.SelectContext(ctx, s.db, &series, `SELECT `+scheduleColumns+` FROM scheduled_sessions WHERE cancelled_at IS NULL`); err != nil {
		return 0, err
	}
	upcoming, err := s.expand(ctx, s.db, 0, series, now, now.Add(24*time.Hour), 0)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, o := range upcoming {
		if o.Cancelled {
			continue
		}
		lead := "24h"
		if o.Start.Sub(now) <= time.Hour {
			lead = "1h"
		}
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var members []int64
			if err := sqlx.SelectContext(ctx, tx, &members, `
				INSERT INTO schedule_reminders (schedule_id, n, user_id, lead, queued_at)
				SELECT $1, $2, m.user_id, $4, $5 FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.community_id = $3 AND u.erased_at IS NULL
				  AND NOT EXISTS (SELECT 1 FROM schedule_answers a WHERE a.schedule_id = $1 AND a.n = $2 AND a.user_id = m.user_id AND a.answer = 'not_going')
				  AND coalesce((SELECT p.enabled FROM notification_preferences p WHERE p.user_id = m.user_id AND p.kind = $6
			      AND p.channel = 'email' AND p.community_id IN (0, $3) ORDER BY p.community_id DESC LIMIT 1), true)
				  AND NOT EXISTS (SELECT 1 FROM schedule_reminders r WHERE r.schedule_id = $1 AND r.n = $2 AND r.user_id = m.user_id
				      AND (r.lead = $4 OR r.lead = '1h'))
				ON CONFLICT DO NOTHING RETURNING user_id`,
				o.ScheduleID, o.N, o.CommunityID, lead, now, NotifySessionReminders); err != nil {
				return err
			}
			jobs := make([]MailJob, 0, len(members))
			for _, id := range members {
				jobs = append(jobs, MailJob{Kind: MailSessionReminder, UserID: id, CommunityID: o.CommunityID, ScheduleID: o.ScheduleID, N: o.N, Lead: lead})
			}
			queued += len(jobs)
			return s.enqueueMail(ctx, tx, jobs...)
		})
		if err != nil {
			return queued, err
		}
	}
	return queued, nil
}

// unsubscribeToken signs "stop this kind of mail for this person": it needs no row, and only
// this server can make one.
func (c *core) unsubscribeToken(userID int64, kind string) string {
	payload := itoa(userID) + "." + kind
	mac := hmac.New(sha256.New, c.linkKey)
	mac.Write([]byte("unsubscribe\x00" + payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// Unsubscribe switches off, in every community, the kind of mail a signed token names (the
// one-click unsubscribe of RFC 8058), and says which kind it was.
func (s Mailings) Unsubscribe(ctx context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(s.unsubscribeToken(parseID(parts[0]), parts[1])), []byte(token)) {
		return "", Errorf(ENOTFOUND, "This unsubscribe link does not work. Change what you receive on your notifications page.")
	}
	userID, kind := parseID(parts[0]), parts[1]
	if kind == unsubscribeDigest {
		_, err := s.db.ExecContext(ctx, `UPDATE users SET digest = 'off' WHERE id = $1`, userID)
		return kind, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notification_preferences (user_id, kind, channel, community_id, enabled)
			SELECT $1, $2, 'email', 0, false WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
			ON CONFLICT (user_id, kind, channel, community_id) DO UPDATE SET enabled = false`, userID, kind)
		return err
	})
	return kind, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
