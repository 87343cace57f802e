package casestudy

import (
	"context"

	"database/sql"
	"errors"
	"github.com/casecircle/casecircle/casestudy/anonymise"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// When a case has been worked through, a facilitator archives it: its room becomes read-only
// and a learning summary — themes, learning points, actions, and which session records to keep —
// stays with the anonymised case. Unarchiving is possible, and audited.

// Summary is a case's learning summary.
type Summary struct {
	CaseID         int64     `db:"case_id" json:"case_id"`
	Themes         []string  `db:"themes" json:"themes"`
	LearningPoints string    `db:"learning_points" json:"learning_points"`
	Actions        string    `db:"actions" json:"actions"`
	KeptSessions   []int64   `db:"kept_sessions" json:"kept_sessions"`
	UpdatedAt      time.Time `db:"updated_at" json:"updated_at"`
}

// SummaryInput is a summary as a facilitator writes it, with decisions on the anonymiser's
// findings in its text, as for cases.
type SummaryInput struct {
	Themes         []string  `json:"themes"`
	LearningPoints string    `json:"learning_points"`
	Actions        string    `json:"actions"`
	KeptSessions   []int64   `json:"kept_sessions"`
	Decisions      Decisions `json:"decisions"`
}

// MaxSummaryLength bounds the summary's learning points and actions.
const MaxSummaryLength = 10000

// ArchiveDraft is the summary form as it first opens: the case's tags as themes, and the
// learning points and actions of its sessions, every record kept.
func (s Memory) ArchiveDraft(ctx context.Context, userID, communityID, caseID int64) (SummaryInput, []SessionRecord, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID, RoleFacilitator); err != nil {
		return SummaryInput{}, nil, err
	}
	records, err := LiveSessions(s).SessionRecords(ctx, userID, communityID, caseID) // another area, over the same core
	if err != nil {
		return SummaryInput{}, nil, err
	}
	var tags pq.StringArray
	if err := sqlx.GetContext(ctx, s.db, &tags, `SELECT tags FROM cases WHERE id = $1`, caseID); err != nil {
		return SummaryInput{}, nil, err
	}
	in := SummaryInput{Themes: []string(tags), KeptSessions: []int64{}}
	var learning, actions []string
	for _, r := range records {
		in.KeptSessions = append(in.KeptSessions, r.SessionID)
		for _, p := range r.LearningPoints {
			line := "- " + p.Body
			if p.Function != nil {
				line += " (" + *p.Function + ")"
			}
			learning = append(learning, line)
		}
		for _, p := range r.Actions {
			actions = append(actions, "- "+p.Body)
		}
	}
	in.LearningPoints, in.Actions = strings.Join(learning, "\n"), strings.Join(actions, "\n")
	return in, records, nil
}

// ArchiveCase archives a published case with its learning summary. A live session must be ended
// first.
func (s Memory) ArchiveCase(ctx context.Context, userID, communityID, caseID int64, in SummaryInput) (Summary, error) {
	themes, err := normaliseTags(in.Themes)
	if err != nil {
		return Summary{}, FieldErrorf("themes", "%s", strings.TrimPrefix(err.Error(), "validation: "))
	}
	for name, text := range map[string]string{"learning_points": in.LearningPoints, "actions": in.Actions} {
		if utf8.RuneCountInString(text) > MaxSummaryLength {
			return Summary{}, FieldErrorf(name, "Use at most %d characters.", MaxSummaryLength)
		}
		if strings.ContainsFunc(text, isControlButNewline) {
			return Summary{}, FieldErrorf(name, "Use letters, digits, spaces, punctuation and line breaks only.")
		}
	}
	fields := []textField{{name: "learning_points", text: anonymise.Normalise(in.LearningPoints)}, {name: "actions", text: anonymise.Normalise(in.Actions)}}
	check := func(ctx context.Context, q sqlx.QueryerContext) error {
		if _, err := requireRole(ctx, q, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		var ok bool
		err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1 AND community_id = $2 AND status IN ('published', 'archived'))`, caseID, communityID)
		if err == nil && !ok {
			err = notFoundCase()
		}
		return err
	}
	load := func(ctx context.Context) (*anonymise.Book, error) {
		if err := check(ctx, s.db); err != nil {
			return nil, err
		}
		return s.loadBook(ctx, s.db, caseID)
	}
	dec, err := s.decideForCase(ctx, caseID, load, check, fields, in.Decisions)
	if err != nil {
		return Summary{}, err
	}
	stored := CaseInput{Context: dec.texts["learning_points"], Reflection: dec.texts["actions"]}
	sum := Summary{CaseID: caseID, Themes: themes, LearningPoints: stored.Context, Actions: stored.Reflection, KeptSessions: in.KeptSessions}
	if sum.KeptSessions == nil {
		sum.KeptSessions = []int64{}
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		c, err := caseForUpdate(ctx, tx, communityID, caseID)
		if err != nil || c.Status == StatusDraft || c.Status == StatusWithdrawn {
			return Errorf(ENOTFOUND, "No such case.")
		}
		if c.Status == StatusArchived {
			return Errorf(ECONFLICT, "This case is archived already.")
		}
		if _, err := liveSession(ctx, tx, caseID, ""); err == nil {
			return Errorf(ECONFLICT, "A live session is running on this case: end it before archiving.")
		}
		var ended []int64
		if err := sqlx.SelectContext(ctx, tx, &ended, `SELECT id FROM live_sessions WHERE case_id = $1 AND record IS NOT NULL`, caseID); err != nil {
			return err
		}
		for _, id := range sum.KeptSessions {
			if !slices.Contains(ended, id) {
				return FieldErrorf("kept_sessions", "Keep only records of this case's sessions.")
			}
		}
		now := s.now()
		sum.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'archived', archived_at = $2, updated_at = $2 WHERE id = $1`, caseID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO case_summaries (case_id, themes, learning_points, actions, kept_sessions, written_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (case_id) DO UPDATE SET themes = excluded.themes, learning_points = excluded.learning_points,
				actions = excluded.actions, kept_sessions = excluded.kept_sessions, written_by = excluded.written_by, updated_at = excluded.updated_at`,
			caseID, pq.Array(sum.Themes), sum.LearningPoints, sum.Actions, pq.Array(sum.KeptSessions), userID, now); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.archived", TargetType: "case", TargetID: &caseID,
			Detail: detailJSON(map[string]any{"themes": len(sum.Themes), "kept_sessions": len(sum.KeptSessions)})})
	})
	return sum, err
}

// UnarchiveCase opens an archived case's room again; its summary stays.
func (s Memory) UnarchiveCase(ctx context.Context, userID, communityID, caseID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		c, err := caseForUpdate(ctx, tx, communityID, caseID)
		if err != nil || c.Status == StatusDraft || c.Status == StatusWithdrawn {
			return Errorf(ENOTFOUND, "No such case.")
		}
		if c.Status != StatusArchived {
			return Errorf(ECONFLICT, "This case is not archived.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'published', archived_at = NULL, updated_at = $2 WHERE id = $1`, caseID, s.now()); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.unarchived", TargetType: "case", TargetID: &caseID})
	})
}

// CaseSummary returns an archived case's learning summary, for members.
func (s Memory) CaseSummary(ctx context.Context, userID, communityID, caseID int64) (Summary, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return Summary{}, err
	}
	var row struct {
		Summary
		Themes pq.StringArray `db:"themes"`
		Kept   pq.Int64Array  `db:"kept_sessions"`
	}
	err := sqlx.GetContext(ctx, s.db, &row, `SELECT case_id, themes, learning_points, actions, kept_sessions, updated_at
		FROM case_summaries WHERE case_id = $1`, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, Errorf(ENOTFOUND, "This case has no learning summary.")
	}
	sum := row.Summary
	sum.Themes, sum.KeptSessions = []string(row.Themes), []int64(row.Kept)
	return sum, err
}

// ArchivedCase is an archived case with its summary, for the community's archive.
type ArchivedCase struct {
	ID         int64     `db:"id" json:"id"`
	Title      string    `db:"title" json:"title"`
	Kind       CaseKind  `db:"kind" json:"kind"`
	AuthorName *string   `db:"author_name" json:"author_name"`
	ArchivedAt time.Time `db:"archived_at" json:"archived_at"`
	Summary    Summary   `json:"summary"`
	Templates  []string  `json:"templates"` // formats of the sessions run on it
}

// ArchiveFilter narrows the archive.
type ArchiveFilter struct {
	Kind     CaseKind
	Tag      string // a theme of the summary or a tag of the case
	From, To time.Time
	Template string // a format used in one of its sessions
	Limit    int
}

// ListArchive returns the community's archived cases, most recently archived first.
func (s Memory) ListArchive(ctx context.Context, userID, communityID int64, f ArchiveFilter) ([]ArchivedCase, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return nil, err
	}
	if f.Kind != "" && !slices.Contains(CaseKinds, f.Kind) {
		return nil, FieldErrorf("kind", "Choose one of the kinds of case.")
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var rows []struct {
		ArchivedCase
		Themes    pq.StringArray `db:"themes"`
		Learning  string         `db:"learning_points"`
		Actions   string         `db:"actions"`
		Kept      pq.Int64Array  `db:"kept_sessions"`
		Templates pq.StringArray `db:"templates"`
	}
	var from, to any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	err := sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT c.id, c.title, c.kind, u.display_name AS author_name, c.archived_at,
		       coalesce(sm.themes, '{}') AS themes, coalesce(sm.learning_points, '') AS learning_points,
		       coalesce(sm.actions, '') AS actions, coalesce(sm.kept_sessions, '{}') AS kept_sessions,
		       coalesce((SELECT array_agg(DISTINCT ls.template_key) FROM live_sessions ls WHERE ls.case_id = c.id), '{}') AS templates
		FROM cases c
		LEFT JOIN users u ON u.id = c.author_id
		LEFT JOIN case_summaries sm ON sm.case_id = c.id
		WHERE c.community_id = $1 AND c.status = 'archived'
		  AND ($2 = '' OR c.kind = $2)
		  AND ($3 = '' OR $3 = ANY(c.tags) OR $3 = ANY(sm.themes))
		  AND ($4::timestamptz IS NULL OR c.archived_at >= $4)
		  AND ($5::timestamptz IS NULL OR c.archived_at < $5)
		  AND ($6 = '' OR EXISTS (SELECT 1 FROM live_sessions ls WHERE ls.case_id = c.id AND ls.template_key = $6))
		ORDER BY c.archived_at DESC, c.id DESC
		LIMIT $7`, communityID, string(f.Kind), strings.ToLower(strings.TrimSpace(f.Tag)), from, to, f.Template, f.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]ArchivedCase, len(rows))
	for i, r := range rows {
		out[i] = r.ArchivedCase
		out[i].Summary = Summary{CaseID: r.ID, Themes: []string(r.Themes), LearningPoints: r.Learning, Actions: r.Actions, KeptSessions: []int64(r.Kept)}
		out[i].Templates = []string(r.Templates)
	}
	return out, nil
}
