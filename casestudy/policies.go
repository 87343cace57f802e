package casestudy

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Policy is what a community decides about keeping and showing its material: how exports name
// people, what happens to a leaver's messages and cases, and how long discussions and forgotten
// drafts are kept. Facilitators set it; every member may read it, since it concerns their words.
type Policy struct {
	// ExportNames: "names" shows display names in exports; "numbered" shows "Member 1", "Member 2"…
	ExportNames string `db:"export_names" json:"export_names"`
	// LeaverContent: when someone deletes their account, "keep" keeps their messages (as "Former
	// member") and published cases anonymously; "delete" deletes their messages, leaving
	// tombstones, and withdraws their published cases.
	LeaverContent string `db:"leaver_content" json:"leaver_content"`
	// RetainMessagesDays: discussion messages are deleted this many days after their case is
	// archived (nil: kept). The case, its learning summary and session records stay.
	RetainMessagesDays *int `db:"retain_messages_days" json:"retain_messages_days"`
	// RetainDraftsDays: drafts untouched this many days are deleted (nil: kept).
	RetainDraftsDays *int `db:"retain_drafts_days" json:"retain_drafts_days"`
	// RevisionHistory: who reads a case's earlier versions besides its author and the
	// facilitators: nobody ("author_and_facilitators", the default) or every member ("members").
	RevisionHistory string `db:"revision_history" json:"revision_history"`
	// MailCaseTitles lets mail (digests, notifications) name a case by its anonymised title;
	// otherwise mail only links to it. Nil when setting: keep the current choice.
	MailCaseTitles *bool `db:"mail_case_titles" json:"mail_case_titles"`
}

// Policy values.
const (
	ExportNames    = "names"
	ExportNumbered = "numbered"
	LeaverKeep     = "keep"
	LeaverDelete   = "delete"
	// MaxRetentionDays is about a hundred years: longer is "keep".
	MaxRetentionDays = 36500
)

func (p Policy) validate() error {
	if p.ExportNames != ExportNames && p.ExportNames != ExportNumbered {
		return FieldErrorf("export_names", `Choose "names" or "numbered".`)
	}
	if p.LeaverContent != LeaverKeep && p.LeaverContent != LeaverDelete {
		return FieldErrorf("leaver_content", `Choose "keep" or "delete".`)
	}
	if p.RevisionHistory != HistoryAuthorAndFacilitators && p.RevisionHistory != HistoryMembers {
		return FieldErrorf("revision_history", `Choose "author_and_facilitators" or "members".`)
	}
	for field, days := range map[string]*int{"retain_messages_days": p.RetainMessagesDays, "retain_drafts_days": p.RetainDraftsDays} {
		if days != nil && (*days < 1 || *days > MaxRetentionDays) {
			return FieldErrorf(field, "Use a number of days from 1 to %d, or leave it empty to keep.", MaxRetentionDays)
		}
	}
	return nil
}

func communityPolicy(ctx context.Context, q sqlx.QueryerContext, communityID int64) (Policy, error) {
	var p Policy
	err := sqlx.GetContext(ctx, q, &p, `
		SELECT export_names, leaver_content, retain_messages_days, retain_drafts_days, revision_history, mail_case_titles FROM communities WHERE id = $1`, communityID)
	return p, err
}

// CommunityPolicy returns the community's policy, for its members.
func (s Communities) CommunityPolicy(ctx context.Context, userID, communityID int64) (Policy, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return Policy{}, err
	}
	return communityPolicy(ctx, s.db, communityID)
}

// SetCommunityPolicy replaces the community's policy. Facilitators only; audited with the
// settings (which are not personal). An empty RevisionHistory keeps the current one.
func (s Communities) SetCommunityPolicy(ctx context.Context, userID, communityID int64, p Policy) (Policy, error) {
	keepHistory := p.RevisionHistory == ""
	if keepHistory {
		p.RevisionHistory = HistoryAuthorAndFacilitators // only to validate; the current one is kept below
	}
	if err := p.validate(); err != nil {
		return Policy{}, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		if keepHistory {
			if err := sqlx.GetContext(ctx, tx, &p.RevisionHistory, `SELECT revision_history FROM communities WHERE id = $1 FOR UPDATE`, communityID); err != nil {
				return err
			}
		}
		if err := sqlx.GetContext(ctx, tx, &p.MailCaseTitles, `
			UPDATE communities SET export_names = $2, leaver_content = $3, retain_messages_days = $4, retain_drafts_days = $5,
			       revision_history = $6, mail_case_titles = coalesce($7, mail_case_titles)
			WHERE id = $1 RETURNING mail_case_titles`, communityID, p.ExportNames, p.LeaverContent, p.RetainMessagesDays, p.RetainDraftsDays,
			p.RevisionHistory, p.MailCaseTitles); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "policy.changed",
			TargetType: "community", TargetID: &communityID, Detail: detailJSON(p)})
	})
	return p, err
}
