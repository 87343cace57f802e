package casestudy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	Snippet     string    `db:"snippet" json:"snippet"` // matches between SnippetMarkStart and SnippetMarkStop
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
	markStart       = SnippetMarkStart
	markStop        = SnippetMarkStop
)

// A hit's Snippet is its text around the matches, as stored (Markdown source), each match
// between these two characters, which stored text never holds (control characters are
// refused on the way in). The server renders it (server/render.Snippet).
const (
	SnippetMarkStart = "\x01"
	SnippetMarkStop  = "\x02"
)

var lastWord = regexp.MustCompile(`(?:^|\s)([\pL\pN]{2,})$`)

// searchSQL finds what the user may see, ranks it and cuts one page.
//
// Why it is shaped so: each branch reads its table through its own indexes (the full-text GIN
// index, and for titles the trigram index too) with the visibility conditions inline, rather
// than scanning a materialised set of visible cases; messages come from message_search, a
// narrow table of the readable ones (migration 12), since a common word matches a fifth of
// them and each must be ranked; results are keyed by numbers (kind of hit, id) rather than
// built strings; the cursor condition is NULL on a first page, so the planner drops it and
// ranks each row once; and snippets are made for the page only, since ts_headline is costly.
var searchSQL = strings.ReplaceAll(withMessageFilters(`
		WITH similar_titles AS (
			-- Titles near the text, by the trigram index: a bonus for the cases the text finds,
			-- and the cases that a typo in the text misses. similarity() is costly, so it is
			-- worked out for these few only.
			SELECT id, (similarity(title, $1) - 0.3)::float8 AS bonus FROM cases WHERE title % $1
		),
		other_hits AS (
			SELECT 0 AS ord, c.id AS hit_id, c.id AS case_id,
			       (ts_rank(c.search, $2::tsquery) + coalesce(st.bonus, 0))::float8 AS rank, c.sort_at AS at
			FROM cases c LEFT JOIN similar_titles st ON st.id = c.id
			WHERE c.id IN (SELECT id FROM cases WHERE search @@ $2::tsquery) -- by the GIN index
			  AND c.community_id = ANY($3)
			  AND (c.status IN ('published', 'archived') OR (c.status = 'draft' AND c.author_id = $4))
			  AND ($5 = '' OR c.kind = $5)
			  AND ($6 = '' OR $6 = ANY(c.tags))
			  AND ($7::boolean IS NULL OR (c.status = 'archived') = $7)
			UNION ALL
			SELECT 0, c.id, c.id, st.bonus, c.sort_at
			FROM similar_titles st JOIN cases c ON c.id = st.id
			WHERE NOT c.search @@ $2::tsquery
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
		),
		-- Messages rank at most 0.1, the weight of plain text, while a case where a searched word
		-- is in its title, tags or text mostly ranks above it (0.12 and up for a single word).
		-- So when a page's worth of other hits outrank 0.1, messages are not read at all: a
		-- common word would have them all ranked.
		-- When the query is so common in messages that ranking them all would be slow, they all
		-- rank 0.1 and come newest first: $14 holds the ids of the page's candidates, found
		-- along the primary key by newestMessagesSQL.
		message_hits AS (
			SELECT 2 AS ord, ms.message_id AS hit_id, ms.case_id,
			       CASE WHEN $14::bigint[] IS NULL THEN least(ts_rank(ms.search, $2::tsquery)::float8, 0.1) ELSE 0.1 END AS rank,
			       ms.created_at AS at
			FROM message_search ms
			WHERE ($14::bigint[] IS NULL OR ms.message_id = ANY($14))
			  AND {{readable messages: $2 $3 $7 $5 $6}}
			  AND (SELECT count(*) FROM (
			      SELECT FROM other_hits o
			      WHERE o.rank > 0.1
			        AND ($8::timestamptz IS NULL OR o.at >= $8) AND ($9::timestamptz IS NULL OR o.at < $9)
			        AND ($10::float8 IS NULL OR (o.rank, o.ord, o.hit_id) < ($10::float8, $11::int, $12::bigint))
			      LIMIT $13) outranking) < $13
		),
		hits AS (
			SELECT * FROM other_hits UNION ALL SELECT * FROM message_hits
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
		ORDER BY p.rank DESC, p.ord DESC, p.hit_id DESC`), "{{headline}}", fmt.Sprintf(`'StartSel=%s,StopSel=%s,MaxFragments=2,MaxWords=20,MinWords=8,FragmentDelimiter=" … "'`, markStart, markStop))

// readableMessages matches the rows of message_search (as ms) that a search may show: those
// matching the tsquery in the given communities, archived or not, of a kind and with a tag, as
// asked. message_search holds only readable messages, with their case's community and whether
// it is archived, so cases are joined only to filter by kind or tag.
var readableMessages = regexp.MustCompile(`\{\{readable messages: (\$\d+) (\$\d+) (\$\d+) (\$\d+) (\$\d+)\}\}`)

// withMessageFilters writes out each {{readable messages: tsquery communities archived kind tag}}
// placeholder of a statement, with those parameters.
func withMessageFilters(sql string) string {
	return readableMessages.ReplaceAllString(sql, `ms.search @@ ${1}::tsquery
	  AND ms.community_id = ANY(${2})
	  AND (${3}::boolean IS NULL OR ms.archived = ${3})
	  AND ((${4} = '' AND ${5} = '') OR ms.case_id IN (
	      SELECT c.id FROM cases c
	      WHERE c.community_id = ANY(${2})
	        AND (${4} = '' OR c.kind = ${4})
	        AND (${5} = '' OR ${5} = ANY(c.tags))))`)
}

// searchQuerySQL turns the user's text into a tsquery: web-search syntax, and the last word
// also as a prefix while it is being typed. When the text is plain words, the prefix form alone
// finds everything the whole word would, and the GIN index is read once rather than twice;
// otherwise the two forms are joined by OR. It runs first, on its
// own, so that the search proper gets the tsquery as a constant: the planner then estimates
// from the lexeme statistics how many rows match, and picks indexes and joins to suit.
const searchQuerySQL = `
	WITH q AS (
		SELECT websearch_to_tsquery('english', $1) AS whole,
		       websearch_to_tsquery('english', regexp_replace($1, '\S+$', '')) AS rest
	)
	SELECT (CASE WHEN $2 = '' THEN whole
	             WHEN numnode(whole) = 0 THEN to_tsquery('english', $2)
	             WHEN whole = (rest && to_tsquery('english', rtrim($2, ':*'))) THEN rest && to_tsquery('english', $2)
	             ELSE whole || (rest && to_tsquery('english', $2))
	        END)::text
	FROM q`

// messageEstimateSQL asks the planner how many readable messages of the user's communities a
// tsquery matches: from the lexeme statistics, without reading them.
const messageEstimateSQL = `EXPLAIN (FORMAT JSON) SELECT FROM message_search WHERE search @@ $1::tsquery AND community_id = ANY($2)`

// newestMessagesSQL finds the newest messages that match, after the cursor, walking the primary
// key backwards: for a common word it reads a few rows per hit instead of every match.
var newestMessagesSQL = withMessageFilters(`
	SELECT ms.message_id FROM message_search ms
	WHERE {{readable messages: $1 $2 $3 $4 $5}}
	  AND ($6::timestamptz IS NULL OR ms.created_at >= $6) AND ($7::timestamptz IS NULL OR ms.created_at < $7)
	  AND ($8::float8 IS NULL OR (0.1::float8, 2, ms.message_id) < ($8::float8, $9::int, $10::bigint))
	ORDER BY ms.message_id DESC
	LIMIT $11`)

// newestMessagesAbove is how many matching messages make a query common: above it, messages
// come newest first rather than ranked (ranking reads every match, about 1 µs each).
const newestMessagesAbove = 10000

// Search runs a search for the user.
func (s Memory) Search(ctx context.Context, userID int64, q SearchQuery) (SearchPage, error) {
	p, err := newSearchPlan(q)
	if err != nil {
		return SearchPage{}, err
	}
	if p.communities, err = s.searchableCommunities(ctx, userID, q.CommunityID); err != nil {
		return SearchPage{}, err
	}
	var hits []SearchHit
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		hits, err = s.runSearch(ctx, tx, userID, &p)
		return err
	})
	if err != nil {
		return SearchPage{}, err
	}
	return p.page(hits), nil
}

// searchPlan is a validated search: the text, its filters as query arguments, and where the
// page starts.
type searchPlan struct {
	q           SearchQuery
	text        string
	prefix      string // the last word as a prefix query ("word:*"), or ""
	after       *searchCursor
	communities []int64
	// The filters as arguments: nil means "any".
	archived, from, to any
	// newest: messages come newest first rather than ranked.
	newest bool
}

func newSearchPlan(q SearchQuery) (searchPlan, error) {
	p := searchPlan{q: q, text: strings.TrimSpace(q.Text)}
	if n := utf8.RuneCountInString(p.text); n == 0 || n > maxSearchLength {
		return p, FieldErrorf("q", "Search for 1 to %d characters.", maxSearchLength)
	}
	if q.Kind != "" && !slices.Contains(CaseKinds, q.Kind) {
		return p, FieldErrorf("kind", "Choose one of the kinds of case.")
	}
	if q.Limit <= 0 || q.Limit > 50 {
		p.q.Limit = 20
	}
	// The last word, if the user is still typing it, matches as a prefix too.
	if m := lastWord.FindStringSubmatch(p.text); m != nil && !strings.ContainsAny(p.text, `"`) {
		p.prefix = strings.ToLower(m[1]) + ":*"
	}
	if q.Cursor != "" {
		c, err := parseSearchCursor(q.Cursor)
		if err != nil {
			return p, err
		}
		p.after, p.newest = &c, c.newest
	}
	if q.Archived != nil {
		p.archived = *q.Archived
	}
	if !q.From.IsZero() {
		p.from = q.From
	}
	if !q.To.IsZero() {
		p.to = q.To
	}
	return p, nil
}

// filtered says whether the search narrows by kind, tag, archive or dates.
func (p *searchPlan) filtered() bool {
	return p.q.Kind != "" || p.q.Tag != "" || p.archived != nil || p.from != nil || p.to != nil
}

// cursorArgs are the last hit's rank, kind and id (NULL rank on the first page).
func (p *searchPlan) cursorArgs() (rank any, ord int, id int64) {
	if p.after == nil {
		return nil, 0, 0
	}
	return p.after.rank, p.after.ord, p.after.id
}

// searchableCommunities are the user's communities, or the one asked for if they belong to it.
func (s *core) searchableCommunities(ctx context.Context, userID, communityID int64) ([]int64, error) {
	if communityID != 0 {
		if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
			return nil, err
		}
		return []int64{communityID}, nil
	}
	var communities []int64
	err := sqlx.SelectContext(ctx, s.db, &communities, `SELECT community_id FROM memberships WHERE user_id = $1`, userID)
	return communities, err
}

// runSearch runs the plan's statements in one read-only snapshot.
func (s *core) runSearch(ctx context.Context, tx *sqlx.Tx, userID int64, p *searchPlan) ([]SearchHit, error) {
	// Parallel workers cost more than they save on a small machine serving many users.
	if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		return nil, err
	}
	var tsquery string
	if err := tx.GetContext(ctx, &tsquery, searchQuerySQL, p.text, p.prefix); err != nil {
		return nil, err
	}
	// Whether messages come ranked or newest first is decided on the first page, and the
	// cursor keeps it, so that pages follow one order. Not with filters (kind, tag,
	// archived, dates): they can leave few of the newest messages, and the walk from the
	// newest would then read them all; ranking costs at most one read per match.
	if p.after == nil && !p.filtered() {
		matches, err := estimateMessageMatches(ctx, tx, tsquery, p.communities)
		if err != nil {
			return nil, err
		}
		p.newest = matches > s.newestAbove
	}
	afterRank, afterOrd, afterID := p.cursorArgs()
	kind, tag := string(p.q.Kind), strings.ToLower(p.q.Tag)
	var newestIDs any // NULL: rank them
	if p.newest {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, newestMessagesSQL, tsquery, pq.Array(p.communities), p.archived,
			kind, tag, p.from, p.to, afterRank, afterOrd, afterID, p.q.Limit+1); err != nil {
			return nil, err
		}
		newestIDs = pq.Array(ids)
	}
	// The planner prices a scan of a few thousand cases, sequential or along a b-tree, as
	// cheap, not knowing that matching each one's text (and trigram similarity above all) is
	// not: bitmap scans of the GIN indexes are what it should use. Measured in
	// BenchmarkSearch (docs/benchmarks.md).
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off`); err != nil {
		return nil, err
	}
	var hits []SearchHit
	err := tx.SelectContext(ctx, &hits, searchSQL,
		p.text, tsquery, pq.Array(p.communities), userID, kind, tag, p.archived, p.from, p.to,
		afterRank, afterOrd, afterID, p.q.Limit+1, newestIDs)
	return hits, err
}

// page cuts the hits to the limit, with the cursor of the next page.
func (p *searchPlan) page(hits []SearchHit) SearchPage {
	page := SearchPage{Hits: hits}
	if len(hits) > p.q.Limit {
		page.Hits = hits[:p.q.Limit]
		last := page.Hits[p.q.Limit-1]
		page.Next = searchCursor{rank: last.Rank, ord: last.Ord, id: last.HitID, newest: p.newest}.String()
	}
	if page.Hits == nil {
		page.Hits = []SearchHit{}
	}
	return page
}

// searchCursor is where the next page starts: after the last hit's rank and key, in the same
// order of messages (ranked, or newest first).
type searchCursor struct {
	rank   float64
	ord    int // the kind of hit: 0 case, 1 summary, 2 message
	id     int64
	newest bool
}

// String encodes the cursor as "rank|m123", with "|n" when messages come newest first.
func (c searchCursor) String() string {
	s := strconv.FormatFloat(c.rank, 'g', -1, 64) + "|" + "csm"[c.ord:c.ord+1] + strconv.FormatInt(c.id, 10)
	if c.newest {
		s += "|n"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseSearchCursor(s string) (searchCursor, error) {
	bad := FieldErrorf("cursor", "This cursor is not one of ours.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(raw), "|")
	if err != nil || len(parts) < 2 || len(parts) > 3 || len(parts[1]) < 2 || (len(parts) == 3 && parts[2] != "n") {
		return searchCursor{}, bad
	}
	var c searchCursor
	if c.rank, err = strconv.ParseFloat(parts[0], 64); err != nil {
		return searchCursor{}, bad
	}
	if c.ord = strings.IndexByte("csm", parts[1][0]); c.ord < 0 {
		return searchCursor{}, bad
	}
	if c.id, err = strconv.ParseInt(parts[1][1:], 10, 64); err != nil {
		return searchCursor{}, bad
	}
	c.newest = len(parts) == 3
	return c, nil
}

// estimateMessageMatches is the planner's estimate of the readable messages that match.
func estimateMessageMatches(ctx context.Context, tx *sqlx.Tx, tsquery string, communities []int64) (float64, error) {
	var plan []byte
	if err := tx.GetContext(ctx, &plan, messageEstimateSQL, tsquery, pq.Array(communities)); err != nil {
		return 0, err
	}
	var explained []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &explained); err != nil || len(explained) != 1 {
		return 0, fmt.Errorf("search: reading the planner's estimate: %v", err)
	}
	return explained[0].Plan.Rows, nil
}
