package casestudy

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Search finds, in the communities a user belongs to, the cases (published, archived, and their
// own drafts), learning summaries and discussion messages (replies and archived rooms included)
// that match a query in web-search syntax: words, "quoted phrases", OR, -exclusions. The last
// word also matches as a prefix, so results come as the user types; case titles also match by
// trigram similarity, so a small typo still finds a case. Search is not audited.

// SearchQuery is a search and its filters.
type SearchQuery struct {
	Text        string
	CommunityID int64 // 0: all the user's communities
	Kind        CaseKind
	Tag         string
	Archived    *bool // nil: both
	From, To    time.Time
	Cursor      string
	Limit       int
}

// SearchHit is one result. Snippet is HTML: the matching text, escaped, with the matched words
// in <mark>.
type SearchHit struct {
	Type        string    `db:"type" json:"type"` // case, summary, message
	CaseID      int64     `db:"case_id" json:"case_id"`
	MessageID   *int64    `db:"message_id" json:"message_id,omitempty"`
	CommunityID int64     `db:"community_id" json:"community_id"`
	Title       string    `db:"title" json:"title"`
	Status      string    `db:"status" json:"status"`
	Kind        CaseKind  `db:"kind" json:"kind"`
	Snippet     string    `db:"snippet" json:"snippet"`
	Rank        float64   `db:"rank" json:"rank"`
	At          time.Time `db:"at" json:"at"`
	Key         string    `db:"key" json:"-"`
}

// SearchPage is a page of results and the cursor of the next.
type SearchPage struct {
	Hits []SearchHit `json:"hits"`
	Next string      `json:"next,omitempty"`
}

const (
	maxSearchLength = 200
	markStart       = "\x01" // ts_headline's markers, replaced after escaping
	markStop        = "\x02"
)

var lastWord = regexp.MustCompile(`(?:^|\s)([\pL\pN]{2,})$`)

// Search runs a search for the user.
func (s *Service) Search(ctx context.Context, userID int64, q SearchQuery) (SearchPage, error) {
	text := strings.TrimSpace(q.Text)
	if n := utf8.RuneCountInString(text); n == 0 || n > maxSearchLength {
		return SearchPage{}, FieldErrorf("q", "Search for 1 to %d characters.", maxSearchLength)
	}
	if q.Kind != "" && !slices.Contains(CaseKinds, q.Kind) {
		return SearchPage{}, FieldErrorf("kind", "Choose one of the kinds of case.")
	}
	if q.Limit <= 0 || q.Limit > 50 {
		q.Limit = 20
	}
	// The last word, if the user is still typing it, matches as a prefix too.
	prefix := ""
	if m := lastWord.FindStringSubmatch(text); m != nil && !strings.ContainsAny(text, `"`) {
		prefix = strings.ToLower(m[1]) + ":*"
	}
	afterRank, afterKey := 1e9, ""
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		parts := strings.SplitN(string(raw), "|", 2)
		if err != nil || len(parts) != 2 {
			return SearchPage{}, FieldErrorf("cursor", "This cursor is not one of ours.")
		}
		if afterRank, err = strconv.ParseFloat(parts[0], 64); err != nil {
			return SearchPage{}, FieldErrorf("cursor", "This cursor is not one of ours.")
		}
		afterKey = parts[1]
	}
	var communities []int64
	if err := sqlx.SelectContext(ctx, s.db, &communities, `SELECT community_id FROM memberships WHERE user_id = $1`, userID); err != nil {
		return SearchPage{}, err
	}
	if q.CommunityID != 0 {
		if _, err := requireRole(ctx, s.db, userID, q.CommunityID); err != nil {
			return SearchPage{}, err
		}
		communities = []int64{q.CommunityID}
	}
	var archived any
	if q.Archived != nil {
		archived = *q.Archived
	}
	var from, to any
	if !q.From.IsZero() {
		from = q.From
	}
	if !q.To.IsZero() {
		to = q.To
	}
	headline := fmt.Sprintf(`'StartSel=%s,StopSel=%s,MaxFragments=2,MaxWords=20,MinWords=8,FragmentDelimiter=" … "'`, markStart, markStop)
	var hits []SearchHit
	err := sqlx.SelectContext(ctx, s.db, &hits, `
		WITH q AS (
			SELECT CASE WHEN $2 = '' THEN websearch_to_tsquery('english', $1)
			            WHEN numnode(websearch_to_tsquery('english', $1)) = 0 THEN to_tsquery('english', $2)
			            ELSE websearch_to_tsquery('english', $1) || (websearch_to_tsquery('english', regexp_replace($1, '\S+$', '')) && to_tsquery('english', $2))
			       END AS query),
		visible AS (
			SELECT c.id, c.title, c.status, c.sort_at, c.search FROM cases c
			WHERE c.community_id = ANY($3)
			  AND (c.status IN ('published', 'archived') OR (c.status = 'draft' AND c.author_id = $4))
			  AND ($5 = '' OR c.kind = $5)
			  AND ($6 = '' OR $6 = ANY(c.tags))
			  AND ($7::boolean IS NULL OR (c.status = 'archived') = $7)
		),
		hits AS (
			SELECT 'case' AS type, c.id AS case_id, NULL::bigint AS message_id,
			       (ts_rank(c.search, q.query) + greatest(similarity(c.title, $1) - 0.3, 0))::float8 AS rank, c.sort_at AS at, 'c' || c.id AS key
			FROM visible c, q
			WHERE c.search @@ q.query OR c.title % $1
			UNION ALL
			SELECT 'summary', c.id, NULL, ts_rank(sm.search, q.query)::float8, sm.updated_at, 's' || c.id
			FROM case_summaries sm JOIN visible c ON c.id = sm.case_id, q
			WHERE sm.search @@ q.query
			UNION ALL
			SELECT 'message', c.id, m.id, ts_rank(m.search, q.query)::float8, m.created_at, 'm' || m.id
			FROM messages m JOIN visible c ON c.id = m.case_id AND c.status IN ('published', 'archived'), q
			WHERE m.search @@ q.query AND m.deleted_at IS NULL
		),
		page AS (
			SELECT * FROM hits
			WHERE ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9)
			  AND (rank, key) < ($10::float8, $11)
			ORDER BY rank DESC, key DESC
			LIMIT $12
		)
		-- Snippets only for the page: ts_headline is the costly part.
		SELECT p.type, p.case_id, p.message_id, c.community_id, c.title, c.status, c.kind, p.rank, p.at, p.key,
		       CASE p.type
		         WHEN 'case' THEN ts_headline('english', c.title || '. ' || c.question || ' ' || c.context || ' ' || c.presenting_issue || ' ' || c.reflection, q.query, `+headline+`)
		         WHEN 'summary' THEN ts_headline('english', casecircle_words(sm.themes) || '. ' || sm.learning_points || ' ' || sm.actions, q.query, `+headline+`)
		         ELSE ts_headline('english', m.body, q.query, `+headline+`)
		       END AS snippet
		FROM page p
		JOIN cases c ON c.id = p.case_id
		LEFT JOIN case_summaries sm ON p.type = 'summary' AND sm.case_id = p.case_id
		LEFT JOIN messages m ON m.id = p.message_id, q
		ORDER BY p.rank DESC, p.key DESC`,
		text, prefix, pq.Array(communities), userID, string(q.Kind), strings.ToLower(q.Tag), archived, from, to, afterRank, afterKey, q.Limit+1)
	if err != nil {
		return SearchPage{}, err
	}
	page := SearchPage{Hits: hits}
	if len(hits) > q.Limit {
		page.Hits = hits[:q.Limit]
		last := page.Hits[q.Limit-1]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatFloat(last.Rank, 'g', -1, 64) + "|" + last.Key))
	}
	for i := range page.Hits {
		page.Hits[i].Snippet = markSnippet(page.Hits[i].Snippet)
	}
	if page.Hits == nil {
		page.Hits = []SearchHit{}
	}
	return page, nil
}

// markSnippet escapes a headline and turns its markers into <mark>.
func markSnippet(s string) string {
	s = html.EscapeString(s)
	return strings.NewReplacer(markStart, "<mark>", markStop, "</mark>").Replace(s)
}
