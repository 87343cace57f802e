package casestudy

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEntry records who did what to which target, and when. Detail holds identifiers and
// settings only: never passwords, tokens, or case and message text.
type AuditEntry struct {
	ID          int64           `db:"id" json:"id"`
	At          time.Time       `db:"at" json:"at"`
	ActorID     *int64          `db:"actor_id" json:"actor_id"`
	ActorName   *string         `db:"actor_name" json:"actor_name"`
	CommunityID *int64          `db:"community_id" json:"community_id,omitempty"`
	Action      string          `db:"action" json:"action"`
	TargetType  string          `db:"target_type" json:"target_type,omitempty"`
	TargetID    *int64          `db:"target_id" json:"target_id,omitempty"`
	Detail      json.RawMessage `db:"detail" json:"detail"`
	RequestID   string          `db:"request_id" json:"request_id"`
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

// ListAudit returns a community's audit entries, newest first, before the entry id `before`
// (0: from the newest). Facilitators only.
func (s *Service) ListAudit(ctx context.Context, actorID, communityID, before int64, limit int) ([]AuditEntry, error) {
	if _, err := requireRole(ctx, s.db, actorID, communityID, RoleFacilitator); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	entries := []AuditEntry{}
	err := sqlx.SelectContext(ctx, s.db, &entries, `
		SELECT a.id, a.at, a.actor_id, u.display_name AS actor_name, a.community_id, a.action, a.target_type,
		       a.target_id, a.detail, a.request_id
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.community_id = $1 AND a.id < $2
		ORDER BY a.id DESC LIMIT $3`, communityID, before, limit)
	return entries, err
}
