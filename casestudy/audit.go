package casestudy

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEntry records who did what to which target, and when. Detail holds identifiers and
// settings only: never passwords, tokens, or case and message text.
type AuditEntry struct {
	ID          int64     `db:"id" json:"id"`
	At          time.Time `db:"at" json:"at"`
	ActorID     *int64    `db:"actor_id" json:"actor_id"`
	ActorName   *string   `db:"actor_name" json:"actor_name"`
	CommunityID *int64    `db:"community_id" json:"community_id,omitempty"`
	Action      string    `db:"action" json:"action"`
	TargetType  string    `db:"target_type" json:"target_type,omitempty"`
	TargetID    *int64    `db:"target_id" json:"target_id,omitempty"`
	// TargetName is how people know the target: a case's title, a person's name, an
	// invitation's note, a format's name. Empty when it is gone or has none.
	TargetName string          `db:"target_name" json:"target_name,omitempty"`
	Detail     json.RawMessage `db:"detail" json:"detail"`
	RequestID  string          `db:"request_id" json:"request_id"`
}

// appendAudit adds an entry in the caller's transaction, so the record and the change it
// describes commit together or not at all.
func appendAudit(ctx context.Context, q sqlx.ExecerContext, e AuditEntry) error {
	detail := e.Detail
	if len(detail) == 0 {
		detail = json.RawMessage(`{}`)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO audit_log (actor_id, community_id, action, target_type, target_id, detail, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ActorID, e.CommunityID, e.Action, e.TargetType, e.TargetID, []byte(detail), requestIDFrom(ctx))
	return err
}

func detailJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// MaxAuditPage is the most entries ListAudit returns at once.
const MaxAuditPage = 200

// AuditFilter narrows a community's audit log.
type AuditFilter struct {
	Action   string    // an exact action, e.g. "case.archived", or a prefix ending in ".", e.g. "case."
	ActorID  int64     // 0: anyone
	From, To time.Time // zero: open
	Before   int64     // entry id to page back from; 0: the newest
	Limit    int
}

// ListAudit returns a community's audit entries, newest first. Facilitators only.
func (s Communities) ListAudit(ctx context.Context, actorID, communityID int64, f AuditFilter) ([]AuditEntry, error) {
	if _, err := requireRole(ctx, s.db, actorID, communityID, RoleFacilitator); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > MaxAuditPage {
		f.Limit = MaxAuditPage
	}
	if f.Before <= 0 {
		f.Before = 1<<63 - 1
	}
	if len(f.Action) > 64 {
		return nil, FieldErrorf("action", "No such action.")
	}
	exact, prefix := f.Action, ""
	if strings.HasSuffix(f.Action, ".") {
		exact, prefix = "", f.Action
	}
	var from, to any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	entries := []AuditEntry{}
	err := sqlx.SelectContext(ctx, s.db, &entries, `
		SELECT a.id, a.at, a.actor_id, u.display_name AS actor_name, a.community_id, a.action, a.target_type,
		       a.target_id, a.detail, a.request_id,
		       coalesce(CASE a.target_type
		           WHEN 'case' THEN (SELECT title FROM cases WHERE id = a.target_id)
		           WHEN 'user' THEN (SELECT display_name FROM users WHERE id = a.target_id)
		           WHEN 'invitation' THEN (SELECT nullif(note, '') FROM invitations WHERE id = a.target_id)
		       END, '') AS target_name
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.community_id = $1 AND a.id < $2
		  AND ($4 = '' OR a.action = $4)
		  AND ($5 = '' OR starts_with(a.action, $5))
		  AND ($6 = 0 OR a.actor_id = $6)
		  AND ($7::timestamptz IS NULL OR a.at >= $7)
		  AND ($8::timestamptz IS NULL OR a.at < $8)
		ORDER BY a.id DESC LIMIT $3`, communityID, f.Before, f.Limit, exact, prefix, f.ActorID, from, to)
	return entries, err
}

// AuditActions are the actions a community's audit log may hold, for the log's filter.
var AuditActions = []string{
	"community.created", "community.renamed", "community.deleted", "policy.changed", "community.exported", "retention.applied",
	"invitation.created", "invitation.revoked", "invitation.used",
	"member.role_changed", "member.removed", "member.left", "account.deleted", "password.reset_link", "password.reset",
	"case.published", "case.edited", "case.withdrawn", "case.viewed", "case.archived", "case.unarchived", "case.exported",
	"case.revision_redacted", "message.revision_redacted",
	"session.started", "session.ended", "session.taken_over", "template.created", "template.updated", "template.deleted",
}

// ViewCase returns a case the user may see, as GetCase does, and records the first view of a
// shared case in each sign-in session in the audit log. Later views in the same session, and
// views of one's own drafts, are not recorded.
func (s Cases) ViewCase(ctx context.Context, token string, userID, communityID, caseID int64) (Case, error) {
	c, err := s.GetCase(ctx, userID, communityID, caseID)
	if err != nil || c.Status == StatusDraft || token == "" {
		return c, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO case_views (token_hash, case_id) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM sessions WHERE token_hash = $1)
			ON CONFLICT DO NOTHING`, tokenHash(token), caseID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.viewed", TargetType: "case", TargetID: &caseID})
	})
	return c, err
}
