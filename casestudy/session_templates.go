package casestudy

import (
	"context"
	"encoding/json"

	"github.com/jmoiron/sqlx"
)

// ListTemplates returns the built-in templates and the community's own, for any member.
func (s LiveSessions) ListTemplates(ctx context.Context, userID, communityID int64) ([]Template, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return nil, err
	}
	own, err := communityTemplates(ctx, s.db, communityID)
	if err != nil {
		return nil, err
	}
	return append(BuiltinTemplates(), own...), nil
}

// GetTemplate returns one template by key ("balint", "custom-12").
func (s LiveSessions) GetTemplate(ctx context.Context, userID, communityID int64, key string) (Template, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return Template{}, err
	}
	return templateByKey(ctx, s.db, communityID, key)
}

// CreateTemplate stores a facilitator's template for the community: written from scratch or
// edited from a copy of another (basedOn names it, for the record).
func (s LiveSessions) CreateTemplate(ctx context.Context, userID, communityID int64, t Template, basedOn string) (Template, error) {
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		if basedOn != "" {
			if _, err := templateByKey(ctx, tx, communityID, basedOn); err != nil {
				return FieldErrorf("based_on", "Copy a template of this community or a built-in one.")
			}
		}
		id, err := insertTemplate(ctx, tx, communityID, userID, t, basedOn, s.now())
		if err != nil {
			return err
		}
		t.ID, t.Key, t.CommunityID, t.Builtin = id, customKey(id), &communityID, false
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "template.created",
			TargetType: "session_template", TargetID: &id, Detail: detailJSON(map[string]any{"based_on": basedOn, "phases": len(t.Phases)})})
	})
	return t, err
}

// CopyTemplate makes an editable copy of a template for the community, named "<name> (copy)".
func (s LiveSessions) CopyTemplate(ctx context.Context, userID, communityID int64, key string) (Template, error) {
	src, err := s.GetTemplate(ctx, userID, communityID, key)
	if err != nil {
		return Template{}, err
	}
	src.Name = truncateRunes(src.Name+" (copy)", MaxTemplateNameLength)
	return s.CreateTemplate(ctx, userID, communityID, src, key)
}

// UpdateTemplate replaces one of the community's own templates. Sessions already run keep the
// template as it was when they started.
func (s LiveSessions) UpdateTemplate(ctx context.Context, userID, communityID int64, key string, t Template) (Template, error) {
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := ownTemplate(ctx, tx, userID, communityID, key, "changed; copy one and edit the copy")
		if err != nil {
			return err
		}
		phases, err := json.Marshal(t.Phases)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE session_templates SET name = $2, description = $3, phases = $4,
			members_record_learning = $5, updated_at = $6 WHERE id = $1`, old.ID, t.Name, t.Description, phases, t.MembersRecordLearning, s.now()); err != nil {
			return err
		}
		t.ID, t.Key, t.CommunityID = old.ID, old.Key, &communityID
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "template.updated",
			TargetType: "session_template", TargetID: &old.ID, Detail: detailJSON(map[string]any{"phases": len(t.Phases)})})
	})
	return t, err
}

// DeleteTemplate removes one of the community's own templates.
func (s LiveSessions) DeleteTemplate(ctx context.Context, userID, communityID int64, key string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := ownTemplate(ctx, tx, userID, communityID, key, "deleted")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_templates WHERE id = $1`, old.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "template.deleted",
			TargetType: "session_template", TargetID: &old.ID})
	})
}

// ownTemplate finds one of the community's own templates for a facilitator to change; built-in
// ones cannot be (the message ends "Built-in templates cannot be <verb>.").
func ownTemplate(ctx context.Context, tx *sqlx.Tx, userID, communityID int64, key, verb string) (Template, error) {
	if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
		return Template{}, err
	}
	t, err := templateByKey(ctx, tx, communityID, key)
	if err == nil && t.Builtin {
		err = Errorf(ECONFLICT, "Built-in templates cannot be %s.", verb)
	}
	return t, err
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
