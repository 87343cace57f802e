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
	Ord         int       `db:"ord" json:"-"`    // the kind of hit, for the cursor: 0 case, 1 summary, 2 message
	HitID       int64     `db:"hit_id" json:"-"` // the case or message id, for the cursor
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

// searchSQL finds what the user may see, ranks it and cuts one page.
//
// Why it is shaped so: each branch reads its table through its own indexes (the full-text GIN
// index, and for titles the trigram index too) with the visibility conditions inline, rather
// than scanning a materialised set of visible cases; results are keyed by numbers (kind of hit,
// id) rather than built strings; the cursor condition is NULL on a first page, so the planner
// drops it and ranks each row once; and snippets are made for the page only, since ts_headline
// is the costly part.
var searchSQL = strings.ReplaceAll(`
		WITH hits AS (
			SELECT 0 AS ord, c.id AS hit_id, c.id AS case_id,
			       (ts_rank(c.search, $2::tsquery) + greatest(similarity(c.title, $1) - 0.3, 0))::float8 AS rank, c.sort_at AS at
			FROM cases c
			WHERE c.id IN (SELECT id FROM cases WHERE search @@ $2::tsquery) -- by the GIN index
			  AND c.community_id = ANY($3)
			  AND (c.status IN ('published', 'archived') OR (c.status = 'draft' AND c.author_id = $4))
			  AND ($5 = '' OR c.kind = $5)
			  AND ($6 = '' OR $6 = ANY(c.tags))
			  AND ($7::boolean IS NULL OR (c.status = 'archived') = $7)
			UNION ALL
			-- Titles near the text (a typo) that the text search missed: by the trigram index.
			SELECT 0, c.id, c.id, (similarity(c.title, $1) - 0.3)::float8, c.sort_at
			FROM cases c
			WHERE c.id IN (SELECT id FROM cases WHERE title % $1) -- by the trigram index
			  AND NOT c.search @@ $2::tsquery
			  AND c.community_id = ANY($3)
			  AND (c.status IN ('published', 'archived') OR (c.status = 'draft' AND c.author_id = $4))
			  AND ($5 = '' OR c.kind = $5)
			  AND ($6 = '' OR $6 = ANY(c.tags))
			  AND ($7::boolean IS NULL OR (c.status = 'archived') = $7)
			UNION ALL
			SELECT 1, c.id, c.id, ts_rank(sm.search, $2::tsquery)::float8, sm.updated_at
			FROM case_summaries sm JOIN cases c ON c.id = sm.case_id
			WHERE sm.search @@ $2::tsquery
			  AND c.community_id = ANY($3) AND c.status IN ('published', 'archived')
			  AND ($5 = '' OR c.kind = $5)
			  AND ($6 = '' OR $6 = ANY(c.tags))
			  AND ($7::boolean IS NULL OR (c.status = 'archived') = $7)
			UNION ALL
			SELECT 2, m.id, m.case_id, ts_rank(m.search, $2::tsquery)::float8, m.created_at
			FROM messages m
			WHERE m.search @@ $2::tsquery AND m.deleted_at IS NULL
			  AND m.case_id IN (
			      SELECT c.id FROM cases c
			      WHERE c.community_id = ANY($3) AND c.status IN ('published', 'archived')
			        AND ($5 = '' OR c.kind = $5)
			        AND ($6 = '' OR $6 = ANY(c.tags))
			        AND ($7::boolean IS NULL OR (c.status = 'archived') = $7))
		),
		page AS (
			SELECT * FROM hits
			WHERE ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9)
			  AND ($10::float8 IS NULL OR (rank, ord, hit_id) < ($10::float8, $11::int, $12::bigint))
			ORDER BY rank DESC, ord DESC, hit_id DESC
			LIMIT $13
		)
		SELECT CASE p.ord WHEN 0 THEN 'case' WHEN 1 THEN 'summary' ELSE 'message' END AS type,
		       p.case_id, CASE WHEN p.ord = 2 THEN p.hit_id END AS message_id, c.community_id, c.title, c.status, c.kind,
		       p.rank, p.at, p.ord, p.hit_id,
		       CASE p.ord
		         WHEN 0 THEN ts_headline('english', c.title || '. ' || c.question || ' ' || c.context || ' ' || c.presenting_issue || ' ' || c.reflection, $2::tsquery, {{headline}})
		         WHEN 1 THEN ts_headline('english', casecircle_words(sm.themes) || '. ' || sm.learning_points || ' ' || sm.actions, $2::tsquery, {{headline}})
		         ELSE ts_headline('english', m.body, $2::tsquery, {{headline}})
		       END AS snippet
		FROM page p
		JOIN cases c ON c.id = p.case_id
		LEFT JOIN case_summaries sm ON p.ord = 1 AND sm.case_id = p.case_id
		LEFT JOIN messages m ON p.ord = 2 AND m.id = p.hit_id
		ORDER BY p.rank DESC, p.ord DESC, p.hit_id DESC`, "{{headline}}", fmt.Sprintf(`'StartSel=%s,StopSel=%s,MaxFragments=2,MaxWords=20,MinWords=8,FragmentDelimiter=" … "'`, markStart, markStop))

// searchQuerySQL turns the user's text into a tsquery: web-search syntax, and the last word
// also as a prefix while it is being typed. It runs first, on its own, so that the search proper
// gets the tsquery as a constant: the planner then estimates from the lexeme statistics how many
// rows match, and picks indexes and joins to suit.
const searchQuerySQL = `
	SELECT (CASE WHEN $2 = '' THEN websearch_to_tsquery('english', $1)
	             WHEN numnode(websearch_to_tsquery('english', $1)) = 0 THEN to_tsquery('english', $2)
	             ELSE websearch_to_tsquery('english', $1) || (websearch_to_tsquery('english', regexp_replace($1, '\S+$', '')) && to_tsquery('english', $2))
	        END)::text`

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
	// The cursor is the last hit's rank and key ("rank|m123"): the next page starts after it.
	var afterRank any
	afterOrd, afterID := 0, int64(0)
	if q.Cursor != "" {
		bad := FieldErrorf("cursor", "This cursor is not one of ours.")
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		parts := strings.SplitN(string(raw), "|", 2)
		if err != nil || len(parts) != 2 || len(parts[1]) < 2 {
			return SearchPage{}, bad
		}
		rank, err := strconv.ParseFloat(parts[0], 64)
		if err != nil {
			return SearchPage{}, bad
		}
		if afterOrd = strings.IndexByte("csm", parts[1][0]); afterOrd < 0 {
			return SearchPage{}, bad
		}
		if afterID, err = strconv.ParseInt(parts[1][1:], 10, 64); err != nil {
			return SearchPage{}, bad
		}
		afterRank = rank
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
	var hits []SearchHit
	err := s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		// The planner prices a scan of a few thousand cases, sequential or along a b-tree, as
		// cheap, not knowing that matching each one's text (and trigram similarity above all) is
		// not: bitmap scans of the GIN indexes are what it should use. Parallel workers cost more
		// than they save on a small machine serving many users. Measured in BenchmarkSearch
		// (docs/benchmarks.md).
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
			return err
		}
		var tsquery string
		if err := tx.GetContext(ctx, &tsquery, searchQuerySQL, text, prefix); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &hits, searchSQL,
			text, tsquery, pq.Array(communities), userID, string(q.Kind), strings.ToLower(q.Tag), archived, from, to, afterRank, afterOrd, afterID, q.Limit+1)
	})
	if err != nil {
		return SearchPage{}, err
	}
	page := SearchPage{Hits: hits}
	if len(hits) > q.Limit {
		page.Hits = hits[:q.Limit]
		last := page.Hits[q.Limit-1]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatFloat(last.Rank, 'g', -1, 64) + "|" + "csm"[last.Ord:last.Ord+1] + strconv.FormatInt(last.HitID, 10)))
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
