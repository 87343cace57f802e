package casestudy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Exports carry only what is stored, which is anonymised text; people are named as the
// community's policy says: by display name, or as "Member 1", "Member 2"… in order of first
// appearance in the case (its author first).

// CaseExport is one case as exported: the case, its learning summary, the session records kept
// with it and its discussion threads.
type CaseExport struct {
	Community string          `json:"community"`
	Case      ExportedCase    `json:"case"`
	Summary   *Summary        `json:"summary,omitempty"`
	Records   []SessionRecord `json:"session_records"`
	Threads   []ExportThread  `json:"threads"`
	Names     string          `json:"names"` // the policy the names follow: "names" or "numbered"
}

// ExportedCase is a case's content with its author named for the export.
type ExportedCase struct {
	ID              int64      `json:"id"`
	Title           string     `json:"title"`
	Kind            CaseKind   `json:"kind"`
	Status          CaseStatus `json:"status"`
	Author          string     `json:"author"`
	Tags            []string   `json:"tags"`
	Context         string     `json:"context"`
	PresentingIssue string     `json:"presenting_issue"`
	Reflection      string     `json:"reflection"`
	Question        string     `json:"question"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	ArchivedAt      *time.Time `json:"archived_at,omitempty"`
}

// ExportThread is a top-level message with its replies.
type ExportThread struct {
	ExportMessage
	Replies []ExportMessage `json:"replies"`
}

// ExportMessage is one message as exported. A deleted message is a tombstone with no text.
type ExportMessage struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	HTML      string    `json:"html"`
	Phase     string    `json:"phase,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Edited    bool      `json:"edited,omitempty"`
	Deleted   bool      `json:"deleted,omitempty"`
}

// CommunityExport is a whole community: its name, policy and every published or archived case.
type CommunityExport struct {
	ExportedAt time.Time    `json:"exported_at"`
	Community  string       `json:"community"`
	Policy     Policy       `json:"policy"`
	Cases      []CaseExport `json:"cases"`
}

// namer names people for one export.
type namer struct {
	numbered bool
	names    map[int64]string
}

func newNamer(policy string) *namer {
	return &namer{numbered: policy == ExportNumbered, names: map[int64]string{}}
}

func (n *namer) name(id *int64, real *string) string {
	if id == nil {
		return FormerMember
	}
	if name, ok := n.names[*id]; ok {
		return name
	}
	name := FormerMember
	switch {
	case n.numbered:
		name = fmt.Sprintf("Member %d", len(n.names)+1)
	case real != nil:
		name = *real
	}
	n.names[*id] = name
	return name
}

// ExportCase returns an archived case for export, in the given format (for the audit log:
// "markdown", "html" or "json"). Facilitators only; audited.
func (s Memory) ExportCase(ctx context.Context, userID, communityID, caseID int64, format string) (CaseExport, error) {
	var out CaseExport
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		c, err := caseForUpdate(ctx, tx, communityID, caseID)
		if err != nil || c.Status == StatusDraft || c.Status == StatusWithdrawn {
			return notFoundCase()
		}
		if c.Status != StatusArchived {
			return Errorf(ECONFLICT, "Only an archived case can be exported; archive it first.")
		}
		policy, err := communityPolicy(ctx, tx, communityID)
		if err != nil {
			return err
		}
		if out, err = caseExport(ctx, tx, communityID, caseID, policy.ExportNames); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.exported", TargetType: "case", TargetID: &caseID,
			Detail: detailJSON(map[string]any{"format": format, "names": policy.ExportNames})})
	})
	return out, err
}

// ExportCommunity returns every published and archived case of a community for export.
// Facilitators only; audited. Drafts and withdrawn cases belong to their authors and are left out.
func (s Memory) ExportCommunity(ctx context.Context, userID, communityID int64) (CommunityExport, error) {
	out := CommunityExport{ExportedAt: s.Now(), Cases: []CaseExport{}}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
			return err
		}
		if _, err := requireRole(ctx, tx, userID, communityID, RoleFacilitator); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &out.Community, `SELECT name FROM communities WHERE id = $1`, communityID); err != nil {
			return err
		}
		var err error
		if out.Policy, err = communityPolicy(ctx, tx, communityID); err != nil {
			return err
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM cases WHERE community_id = $1 AND status IN ('published', 'archived') ORDER BY id`, communityID); err != nil {
			return err
		}
		for _, id := range ids {
			c, err := caseExport(ctx, tx, communityID, id, out.Policy.ExportNames)
			if err != nil {
				return err
			}
			out.Cases = append(out.Cases, c)
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "community.exported", TargetType: "community", TargetID: &communityID,
			Detail: detailJSON(map[string]any{"format": "zip", "cases": len(ids), "names": out.Policy.ExportNames})})
	})
	return out, err
}

func caseExport(ctx context.Context, tx *sqlx.Tx, communityID, caseID int64, names string) (CaseExport, error) {
	out := CaseExport{Names: names, Records: []SessionRecord{}, Threads: []ExportThread{}}
	if err := tx.GetContext(ctx, &out.Community, `SELECT name FROM communities WHERE id = $1`, communityID); err != nil {
		return out, err
	}
	var c struct {
		Case
		ArchivedAt *time.Time `db:"archived_at"`
	}
	if err := tx.GetContext(ctx, &c, `SELECT `+caseColumns+`, c.archived_at FROM cases c JOIN users u ON u.id = c.author_id WHERE c.id = $1`, caseID); err != nil {
		return out, err
	}
	n := newNamer(names)
	out.Case = ExportedCase{ID: c.ID, Title: c.Title, Kind: c.Kind, Status: c.Status, Author: n.name(&c.AuthorID, &c.AuthorName),
		Tags: append([]string{}, c.Tags...), Context: c.Context, PresentingIssue: c.PresentingIssue, Reflection: c.Reflection,
		Question: c.Question, PublishedAt: c.PublishedAt, ArchivedAt: c.ArchivedAt}

	var messages []Message
	if err := tx.SelectContext(ctx, &messages, `SELECT `+messageColumns+` FROM messages m LEFT JOIN users u ON u.id = m.author_id
		WHERE m.case_id = $1 ORDER BY m.id`, caseID); err != nil {
		return out, err
	}
	var records []json.RawMessage
	if err := tx.SelectContext(ctx, &records, `SELECT record FROM live_sessions WHERE case_id = $1 AND record IS NOT NULL ORDER BY started_at`, caseID); err != nil {
		return out, err
	}
	phaseNames := map[int64][]string{}
	for _, raw := range records {
		var r SessionRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return out, err
		}
		phaseNames[r.SessionID] = r.PhaseNames
		out.Records = append(out.Records, r)
	}

	var sum struct {
		Summary
		Themes pq.StringArray `db:"themes"`
		Kept   pq.Int64Array  `db:"kept_sessions"`
	}
	err := tx.GetContext(ctx, &sum, `SELECT case_id, themes, learning_points, actions, kept_sessions, updated_at FROM case_summaries WHERE case_id = $1`, caseID)
	if err == nil {
		s := sum.Summary
		s.Themes, s.KeptSessions = []string(sum.Themes), []int64(sum.Kept)
		out.Summary = &s
		// An archived case keeps only the records its summary chose.
		kept := out.Records[:0]
		for _, r := range out.Records {
			for _, id := range s.KeptSessions {
				if r.SessionID == id {
					kept = append(kept, r)
				}
			}
		}
		out.Records = kept
	} else if err = ignoreNoRows(err); err != nil {
		return out, err
	}

	index := map[int64]int{}
	for _, m := range messages {
		em := ExportMessage{ID: m.ID, Author: n.name(m.AuthorID, m.AuthorName), Body: m.Body, HTML: m.HTML, CreatedAt: m.CreatedAt.UTC(),
			Edited: m.EditedAt != nil, Deleted: m.DeletedAt != nil}
		if m.SessionID != nil && m.Phase != nil {
			if names := phaseNames[*m.SessionID]; *m.Phase < len(names) {
				em.Phase = names[*m.Phase]
			}
		}
		if m.ParentID == nil {
			index[m.ID] = len(out.Threads)
			out.Threads = append(out.Threads, ExportThread{ExportMessage: em, Replies: []ExportMessage{}})
		} else if i, ok := index[*m.ParentID]; ok {
			out.Threads[i].Replies = append(out.Threads[i].Replies, em)
		}
	}
	for i := range out.Records {
		r := &out.Records[i]
		r.Presenter.Name = n.name(&r.Presenter.ID, &r.Presenter.Name)
		r.Supervisor.Name = n.name(&r.Supervisor.ID, &r.Supervisor.Name)
		for j := range r.Participants {
			r.Participants[j].Name = n.name(&r.Participants[j].ID, &r.Participants[j].Name)
		}
		for _, points := range [][]LearningPoint{r.LearningPoints, r.Actions} {
			for j := range points {
				name := n.name(points[j].AuthorID, points[j].AuthorName)
				points[j].AuthorName = &name
			}
		}
	}
	return out, nil
}
