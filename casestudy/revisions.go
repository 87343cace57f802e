package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// An edit keeps the version it replaces, so that a group can see how a case changed. When an
// edit removes something that identifies someone, that earlier version must not keep it: the
// case's author and the community's facilitators can redact an earlier version of a case or of a
// message. Its text is then gone from the database; the history keeps that the version existed,
// when it was replaced, and who redacted it; the audit log says so, without content. Earlier
// versions are in neither the search index nor exports.

// Revision history visibility, a community policy.
const (
	HistoryAuthorAndFacilitators = "author_and_facilitators"
	HistoryMembers               = "members"
)

// MessageRevision is an earlier version of an edited message.
type MessageRevision struct {
	Version        int        `db:"version" json:"version"`
	Body           string     `db:"body" json:"body"`
	ReplacedAt     time.Time  `db:"replaced_at" json:"replaced_at"`
	RedactedAt     *time.Time `db:"redacted_at" json:"redacted_at,omitempty"`
	RedactedByName *string    `db:"redacted_by_name" json:"redacted_by_name,omitempty"`
}

// mayReadHistory says whether the viewer may read a case's earlier versions: its author and the
// facilitators always, other members when the community's policy allows it.
func mayReadHistory(ctx context.Context, q sqlx.QueryerContext, viewerID, communityID int64, c Case) (bool, error) {
	if c.AuthorID == viewerID {
		return true, nil
	}
	role, err := requireRole(ctx, q, viewerID, communityID)
	if err != nil {
		return false, err
	}
	if role == RoleFacilitator {
		return true, nil
	}
	var policy string
	err = sqlx.GetContext(ctx, q, &policy, `SELECT revision_history FROM communities WHERE id = $1`, communityID)
	return policy == HistoryMembers, err
}

// mayRedact says whether the user may redact what belongs to author in the community: the author
// or a facilitator.
func mayRedact(ctx context.Context, q sqlx.QueryerContext, userID, communityID int64, authorID *int64) (bool, error) {
	if authorID != nil && *authorID == userID {
		return true, nil
	}
	role, err := requireRole(ctx, q, userID, communityID)
	return role == RoleFacilitator, err
}

// RedactCaseRevision removes the text of one earlier version of a case, for its author or a
// facilitator. Redacting a version twice is a conflict.
func (s Cases) RedactCaseRevision(ctx context.Context, userID, communityID, caseID int64, version int) (CaseRevision, error) {
	var rev CaseRevision
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID); err != nil {
			return err
		}
		c, err := caseForUpdate(ctx, tx, communityID, caseID)
		if err != nil {
			return err
		}
		if c.Status == StatusDraft && c.AuthorID != userID || c.Status == StatusWithdrawn && c.AuthorID != userID {
			return notFoundCase()
		}
		author := c.AuthorID
		if ok, err := mayRedact(ctx, tx, userID, communityID, &author); err != nil || !ok {
			if err == nil {
				err = Errorf(EFORBIDDEN, "Only the case's author and the community's facilitators can redact its earlier versions.")
			}
			return err
		}
		if err := redactCaseRevision(ctx, tx, userID, communityID, caseID, version, s.now()); err != nil {
			return err
		}
		revs, err := listRevisions(ctx, tx, caseID)
		for _, r := range revs {
			if r.Version == version {
				rev = r
			}
		}
		return err
	})
	return rev, err
}

func redactCaseRevision(ctx context.Context, tx *sqlx.Tx, userID, communityID, caseID int64, version int, now time.Time) error {
	var redacted *time.Time
	err := sqlx.GetContext(ctx, tx, &redacted, `SELECT redacted_at FROM case_revisions WHERE case_id = $1 AND version = $2 FOR UPDATE`, caseID, version)
	if errors.Is(err, sql.ErrNoRows) {
		return Errorf(ENOTFOUND, "No such version of this case.")
	}
	if err != nil {
		return err
	}
	if redacted != nil {
		return Errorf(ECONFLICT, "This version was redacted already.")
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE case_revisions SET title = '', context = '', presenting_issue = '', reflection = '', question = '', tags = '{}',
		       redacted_at = $3, redacted_by = $4
		WHERE case_id = $1 AND version = $2`, caseID, version, now, userID); err != nil {
		return err
	}
	return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.revision_redacted",
		TargetType: "case", TargetID: &caseID, Detail: detailJSON(map[string]int{"version": version})})
}

// redactableVersions lists the versions of a case — the current one and the earlier ones, none
// redacted — that still hold an identifier this edit replaces or removes: a text replaced in it
// (replaced), or a finding of that version, kept or not, that the new text no longer has ("Mark"
// deleted from the case). Only numbers leave this function; the texts stay in memory.
func redactableVersions(book *anonymise.Book, versions []CaseRevision, newFields []textField, replaced []string) []int {
	var parts []string
	for _, f := range newFields {
		parts = append(parts, f.text)
	}
	newText := strings.ToLower(anonymise.Normalise(strings.Join(parts, "\n")))
	out := []int{}
	sess := anonymise.NewSessionWithBook(book)
	for _, v := range versions {
		if v.RedactedAt != nil {
			continue
		}
		texts := replaced
		for _, f := range sess.Anonymise(revisionText(v)).Findings {
			if !containsWholeWord(newText, strings.ToLower(f.Text)) {
				texts = append(texts, f.Text)
			}
		}
		if revisionHolds(v, texts) {
			out = append(out, v.Version)
		}
	}
	return out
}

func revisionText(r CaseRevision) string {
	return strings.Join([]string{r.Title, r.Context, r.Issue, r.Reflection, r.Question, strings.Join(r.Tags, ", ")}, "\n")
}

// currentAsRevision is the case's current version as it will stand in the history once edited.
func currentAsRevision(c Case) CaseRevision {
	return CaseRevision{Version: c.Version, Title: c.Title, Context: c.Context, Issue: c.PresentingIssue,
		Reflection: c.Reflection, Question: c.Question, Tags: c.Tags}
}

// revisionHolds says whether a version of a case holds one of the texts.
func revisionHolds(r CaseRevision, texts []string) bool {
	all := strings.ToLower(revisionText(r))
	for _, t := range texts {
		if containsWholeWord(all, strings.ToLower(anonymise.Normalise(t))) {
			return true
		}
	}
	return false
}

// ListMessageRevisions returns the earlier versions of a message, newest first, for its author
// and the community's facilitators.
func (s Rooms) ListMessageRevisions(ctx context.Context, userID, communityID, caseID, messageID int64) ([]MessageRevision, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return nil, err
	}
	author, err := messageAuthor(ctx, s.db, caseID, messageID)
	if err != nil {
		return nil, err
	}
	if ok, err := mayRedact(ctx, s.db, userID, communityID, author); err != nil || !ok {
		if err == nil {
			err = Errorf(EFORBIDDEN, "Only the message's author and the community's facilitators can read its earlier versions.")
		}
		return nil, err
	}
	return messageRevisions(ctx, s.db, messageID)
}

func messageRevisions(ctx context.Context, q sqlx.QueryerContext, messageID int64) ([]MessageRevision, error) {
	revs := []MessageRevision{}
	err := sqlx.SelectContext(ctx, q, &revs, `
		SELECT r.version, r.body, r.replaced_at, r.redacted_at, u.display_name AS redacted_by_name
		FROM message_revisions r LEFT JOIN users u ON u.id = r.redacted_by
		WHERE r.message_id = $1 ORDER BY r.version DESC`, messageID)
	return revs, err
}

func messageAuthor(ctx context.Context, q sqlx.QueryerContext, caseID, messageID int64) (*int64, error) {
	var author *int64
	err := sqlx.GetContext(ctx, q, &author, `SELECT author_id FROM messages WHERE id = $1 AND case_id = $2`, messageID, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "No such message.")
	}
	return author, err
}

// RedactMessageRevision removes the text of one earlier version of a message, for its author or a
// facilitator; audited without content.
func (s Rooms) RedactMessageRevision(ctx context.Context, userID, communityID, caseID, messageID int64, version int) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireRoom(ctx, tx, userID, communityID, caseID); err != nil {
			return err
		}
		author, err := messageAuthor(ctx, tx, caseID, messageID)
		if err != nil {
			return err
		}
		if ok, err := mayRedact(ctx, tx, userID, communityID, author); err != nil || !ok {
			if err == nil {
				err = Errorf(EFORBIDDEN, "Only the message's author and the community's facilitators can redact its earlier versions.")
			}
			return err
		}
		return redactMessageRevision(ctx, tx, userID, communityID, caseID, messageID, version, s.now())
	})
}

func redactMessageRevision(ctx context.Context, tx *sqlx.Tx, userID, communityID, caseID, messageID int64, version int, now time.Time) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE message_revisions SET body = '', redacted_at = $3, redacted_by = $4
		WHERE message_id = $1 AND version = $2 AND redacted_at IS NULL`, messageID, version, now, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists bool
		if err := sqlx.GetContext(ctx, tx, &exists, `SELECT EXISTS (SELECT 1 FROM message_revisions WHERE message_id = $1 AND version = $2)`, messageID, version); err != nil {
			return err
		}
		if exists {
			return Errorf(ECONFLICT, "This version was redacted already.")
		}
		return Errorf(ENOTFOUND, "No such version of this message.")
	}
	return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "message.revision_redacted",
		TargetType: "message", TargetID: &messageID, Detail: detailJSON(map[string]any{"version": version, "case": caseID})})
}

// redactMessageVersions redacts the earlier versions of a message that hold an identifier this
// edit replaces (replaced) or removes (a finding of that version that the new body lacks).
func redactMessageVersions(ctx context.Context, tx *sqlx.Tx, book *anonymise.Book, userID, communityID, caseID, messageID int64,
	newBody string, replaced []string, now time.Time) error {
	revs, err := messageRevisions(ctx, tx, messageID)
	if err != nil {
		return err
	}
	newText := strings.ToLower(newBody)
	sess := anonymise.NewSessionWithBook(book)
	for _, r := range revs {
		if r.RedactedAt != nil {
			continue
		}
		texts := replaced
		for _, f := range sess.Anonymise(r.Body).Findings {
			if !containsWholeWord(newText, strings.ToLower(f.Text)) {
				texts = append(texts, f.Text)
			}
		}
		lower := strings.ToLower(r.Body)
		for _, t := range texts {
			if containsWholeWord(lower, strings.ToLower(anonymise.Normalise(t))) {
				if err := redactMessageRevision(ctx, tx, userID, communityID, caseID, messageID, r.Version, now); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}
