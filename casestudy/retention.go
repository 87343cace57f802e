package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// retentionLock is the advisory lock that lets one process at a time apply retention, however
// many share the database. (The number is arbitrary but fixed: "casecircle retention".)
const retentionLock int64 = 0x63636972657465

// RetentionReport says what one run of ApplyRetention did.
type RetentionReport struct {
	// Ran is false when another process held the lock: that process is applying retention.
	Ran         bool `json:"ran"`
	Communities int  `json:"communities"` // with a policy that deleted something
	Messages    int  `json:"messages"`
	Drafts      int  `json:"drafts"`
}

// ApplyRetention applies every community's retention policy as of the service's clock: the
// discussion messages of cases archived longer ago than the community keeps them are deleted
// (the case, its learning summary and session records stay), and drafts untouched for longer
// than it keeps drafts are deleted. Each community's run that deleted anything is audited.
//
// One process at a time applies retention, under a session advisory lock; a process that finds
// the lock taken returns at once with Ran false. Each case's messages go in their own
// transaction, so a long run holds no lock on other rooms for long and a failure loses nothing
// half-done.
func (s Memory) ApplyRetention(ctx context.Context) (RetentionReport, error) {
	var report RetentionReport
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return report, err
	}
	defer conn.Close()
	var locked bool
	if err := conn.GetContext(ctx, &locked, `SELECT pg_try_advisory_lock($1)`, retentionLock); err != nil || !locked {
		return report, err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, retentionLock)
	report.Ran = true

	var policies []struct {
		ID int64 `db:"id"`
		Policy
	}
	if err := conn.SelectContext(ctx, &policies, `
		SELECT id, export_names, leaver_content, retain_messages_days, retain_drafts_days FROM communities
		WHERE retain_messages_days IS NOT NULL OR retain_drafts_days IS NOT NULL ORDER BY id`); err != nil {
		return report, err
	}
	now := s.Now()
	for _, p := range policies {
		messages, drafts, err := s.applyPolicy(ctx, conn, p.ID, p.Policy, now)
		if err != nil {
			return report, err
		}
		report.Messages += messages
		report.Drafts += drafts
		if messages+drafts > 0 {
			report.Communities++
		}
	}
	return report, nil
}

func (s *core) applyPolicy(ctx context.Context, conn *sqlx.Conn, communityID int64, p Policy, now time.Time) (messages, drafts int, err error) {
	var cases []int64
	if p.RetainMessagesDays != nil {
		// Cases archived before the cut-off that still have messages.
		if err := conn.SelectContext(ctx, &cases, `
			SELECT c.id FROM cases c
			WHERE c.community_id = $1 AND c.status = 'archived' AND c.archived_at < $2
			  AND EXISTS (SELECT 1 FROM messages m WHERE m.case_id = c.id)
			ORDER BY c.id`, communityID, now.AddDate(0, 0, -*p.RetainMessagesDays)); err != nil {
			return 0, 0, err
		}
	}
	for _, caseID := range cases {
		n, err := inConnTx(ctx, conn, func(tx *sqlx.Tx) (int, error) {
			// Recheck under the case's lock: it may have been unarchived since.
			var archivedAt *time.Time
			if err := tx.GetContext(ctx, &archivedAt, `SELECT archived_at FROM cases WHERE id = $1 AND status = 'archived' FOR UPDATE`, caseID); err != nil {
				return 0, ignoreNoRows(err)
			}
			if archivedAt == nil || !archivedAt.Before(now.AddDate(0, 0, -*p.RetainMessagesDays)) {
				return 0, nil
			}
			return removeRoomMessages(ctx, tx, caseID)
		})
		if err != nil {
			return messages, drafts, err
		}
		messages += n
	}
	if p.RetainDraftsDays != nil {
		res, err := conn.ExecContext(ctx, `DELETE FROM cases WHERE community_id = $1 AND status = 'draft' AND updated_at < $2`,
			communityID, now.AddDate(0, 0, -*p.RetainDraftsDays))
		if err != nil {
			return messages, drafts, err
		}
		n, _ := res.RowsAffected()
		drafts = int(n)
	}
	if messages+drafts > 0 {
		err = appendAudit(ctx, conn, AuditEntry{CommunityID: &communityID, Action: "retention.applied", TargetType: "community", TargetID: &communityID,
			Detail: detailJSON(map[string]any{"cases": len(cases), "messages": messages, "drafts": drafts,
				"retain_messages_days": p.RetainMessagesDays, "retain_drafts_days": p.RetainDraftsDays})})
	}
	return messages, drafts, err
}

// removeRoomMessages deletes every message of a room for good, with its earlier versions. Its
// events stay in the room's stream as 'message.removed' without a message, so that replay and
// resume see no gap and no text.
func removeRoomMessages(ctx context.Context, tx *sqlx.Tx, caseID int64) (int, error) {
	if _, err := tx.ExecContext(ctx, `
		UPDATE room_events SET type = 'message.removed', message_id = NULL
		WHERE case_id = $1 AND message_id IS NOT NULL`, caseID); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE case_id = $1`, caseID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// inConnTx runs fn in a transaction on conn, committed only if fn succeeds.
func inConnTx[T any](ctx context.Context, conn *sqlx.Conn, fn func(tx *sqlx.Tx) (T, error)) (T, error) {
	var zero T
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return zero, err
	}
	defer tx.Rollback()
	v, err := fn(tx)
	if err != nil {
		return zero, err
	}
	return v, tx.Commit()
}

// ignoreNoRows treats "no such row" as nothing to do.
func ignoreNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}
