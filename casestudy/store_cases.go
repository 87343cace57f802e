package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// tagList is a case's tags: a PostgreSQL text[] that is a JSON array.
type tagList = pq.StringArray

const caseColumns = `c.id, c.community_id, c.author_id, u.display_name AS author_name, c.status, c.title,
	c.kind, c.context, c.presenting_issue, c.reflection, c.question, c.tags, c.version, c.created_at,
	c.updated_at, c.sort_at, c.attested_at, c.published_at, c.withdrawn_at`

func insertCase(ctx context.Context, q sqlx.QueryerContext, communityID, authorID int64, in CaseInput, publish bool, now time.Time) (int64, error) {
	status := StatusDraft
	var published *time.Time
	if publish {
		status, published = StatusPublished, &now
	}
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		INSERT INTO cases (community_id, author_id, status, title, kind, context, presenting_issue,
		                   reflection, question, tags, created_at, updated_at, sort_at, attested_at, published_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, $12, $12)
		RETURNING id`,
		communityID, authorID, status, in.Title, in.Kind, in.Context, in.PresentingIssue,
		in.Reflection, in.Question, pq.StringArray(in.Tags), now, published)
	return id, err
}

// updateCase stores new content; publish also moves a draft to published, attested now.
func updateCase(ctx context.Context, q sqlx.ExecerContext, caseID int64, in CaseInput, publish bool, now time.Time) error {
	_, err := q.ExecContext(ctx, `
		UPDATE cases SET title = $2, kind = $3, context = $4, presenting_issue = $5, reflection = $6,
		       question = $7, tags = $8, updated_at = $9,
		       version = CASE WHEN status = 'published' THEN version + 1 ELSE version END,
		       status = CASE WHEN $10 THEN 'published' ELSE status END,
		       attested_at = CASE WHEN $10 THEN $9 ELSE attested_at END,
		       published_at = CASE WHEN $10 THEN $9 ELSE published_at END,
		       sort_at = CASE WHEN $10 THEN $9 ELSE sort_at END
		WHERE id = $1`,
		caseID, in.Title, in.Kind, in.Context, in.PresentingIssue, in.Reflection, in.Question,
		pq.StringArray(in.Tags), now, publish)
	return err
}

func insertRevision(ctx context.Context, q sqlx.ExecerContext, c Case, editorID int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO case_revisions (case_id, version, edited_by, edited_at, title, kind, context,
		                            presenting_issue, reflection, question, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.Version, editorID, now, c.Title, c.Kind, c.Context, c.PresentingIssue, c.Reflection,
		c.Question, c.Tags)
	return err
}

// caseForUpdate reads and locks a case of the community.
func caseForUpdate(ctx context.Context, q sqlx.QueryerContext, communityID, caseID int64) (Case, error) {
	var c Case
	err := sqlx.GetContext(ctx, q, &c, `SELECT `+caseColumns+`
		FROM cases c JOIN users u ON u.id = c.author_id
		WHERE c.id = $1 AND c.community_id = $2 FOR UPDATE OF c`, caseID, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return Case{}, notFoundCase()
	}
	return c, err
}

// visibleCase reads a case the viewer may see: published or archived, or their own.
func visibleCase(ctx context.Context, q sqlx.QueryerContext, viewerID, communityID, caseID int64) (Case, error) {
	var c Case
	err := sqlx.GetContext(ctx, q, &c, `SELECT `+caseColumns+`
		FROM cases c JOIN users u ON u.id = c.author_id
		WHERE c.id = $1 AND c.community_id = $2
		  AND (c.status IN ('published', 'archived') OR c.author_id = $3)`, caseID, communityID, viewerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Case{}, notFoundCase()
	}
	return c, err
}

// listCases reads one page plus one row (to know whether another page follows).
func listCases(ctx context.Context, q sqlx.QueryerContext, viewerID, communityID int64, f CaseFilter, after *caseCursor) ([]Case, error) {
	var afterAt *time.Time
	var afterID int64
	if after != nil {
		afterAt, afterID = &after.At, after.ID
	}
	cases := []Case{}
	err := sqlx.SelectContext(ctx, q, &cases, `SELECT `+caseColumns+`
		FROM cases c JOIN users u ON u.id = c.author_id
		WHERE c.community_id = $1
		  AND (c.status IN ('published', 'archived') OR c.author_id = $2)
		  AND ($3 = '' OR c.kind = $3)
		  AND ($4 = '' OR c.tags @> ARRAY[$4::text])
		  AND ($5 = 0 OR c.author_id = $5)
		  AND ($6::timestamptz IS NULL OR (c.sort_at, c.id) < ($6, $7))
		ORDER BY c.sort_at DESC, c.id DESC
		LIMIT $8`,
		communityID, viewerID, string(f.Kind), f.Tag, f.AuthorID, afterAt, afterID, f.Limit+1)
	return cases, err
}

func listRevisions(ctx context.Context, q sqlx.QueryerContext, caseID int64) ([]CaseRevision, error) {
	revs := []CaseRevision{}
	err := sqlx.SelectContext(ctx, q, &revs, `
		SELECT r.version, u.display_name AS edited_by_name, r.edited_at, r.title, r.kind, r.context,
		       r.presenting_issue, r.reflection, r.question, r.tags, r.redacted_at, ru.display_name AS redacted_by_name
		FROM case_revisions r LEFT JOIN users u ON u.id = r.edited_by LEFT JOIN users ru ON ru.id = r.redacted_by
		WHERE r.case_id = $1 ORDER BY r.version DESC`, caseID)
	return revs, err
}
