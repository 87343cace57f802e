package casestudy_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/casecircle/casecircle/casestudy"
)

// BenchmarkSearch measures search latency on a generated community of 2,000 cases and 200,000
// messages (run by make bench; reports the p50 and p95 of single searches in ms).
func BenchmarkSearch(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	u, words := seedSearchCommunity(b, f)
	// Queries across the frequency range: a common word, middling and rare ones, two words, a
	// phrase, OR, an exclusion, a prefix as one types, and a word of the discussion that is in
	// one message of six but hardly in any case (so every match must be ranked).
	queries := []string{words[2], words[40], words[300], words[2500], words[30] + " " + words[80],
		`"` + words[5] + " " + words[9] + `"`, words[60] + " OR " + words[700], words[20] + " -" + words[3], words[150][:min(4, len(words[150]))],
		words[chatWord]}
	var times []float64
	byQuery := make([][]float64, len(queries))
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := f.svc.Search(ctx, u.ID, casestudy.SearchQuery{Text: queries[i%len(queries)], Limit: 20}); err != nil {
			b.Fatal(err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		times = append(times, ms)
		byQuery[i%len(queries)] = append(byQuery[i%len(queries)], ms)
	}
	// Each kind of query's median, to see which one makes the tail (go test -v).
	for i, q := range queries {
		slices.Sort(byQuery[i])
		if len(byQuery[i]) > 0 {
			b.Logf("median %6.1f ms  %q", byQuery[i][len(byQuery[i])/2], q)
		}
	}
	slices.Sort(times)
	b.ReportMetric(times[len(times)/2], "p50-ms")
	b.ReportMetric(times[len(times)*95/100], "p95-ms")

	// With a filter, messages are always ranked, so a common word costs a read of every match:
	// reported apart, as the worst case (timed outside the benchmark's loop).
	archived := true
	filtered := []casestudy.SearchQuery{
		{Text: words[2], Kind: casestudy.KindMentoring}, {Text: words[chatWord], Tag: "no-such-tag"},
		{Text: words[chatWord], Archived: &archived}, {Text: words[chatWord], To: time.Now().Add(-time.Hour)},
	}
	times = times[:0]
	for i := range 10 * len(filtered) {
		q := filtered[i%len(filtered)]
		q.Limit = 20
		start := time.Now()
		if _, err := f.svc.Search(ctx, u.ID, q); err != nil {
			b.Fatal(err)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	slices.Sort(times)
	b.ReportMetric(times[len(times)/2], "filtered-p50-ms")
	b.ReportMetric(times[len(times)*95/100], "filtered-p95-ms")
}

// chatWord is the index of the word that seedSearchCommunity puts in one message of six.
const chatWord = 4999

// seedSearchCommunity fills a community with 2,000 cases and 200,000 messages and returns its
// facilitator and the words the text was drawn from.
func seedSearchCommunity(b testing.TB, f *fixture) (casestudy.User, []string) {
	ctx := context.Background()
	u, _ := f.mustRegister(b, "ann")
	c, err := f.svc.CreateCommunity(ctx, u.ID, casestudy.NewCommunity{Name: "Big group"})
	if err != nil {
		b.Fatal(err)
	}
	// Text drawn from 5,000 English words with a skewed (Zipf-like) frequency, as real text is:
	// a few words are everywhere, most are rare.
	words := benchWords(b, 5000)
	seed := []string{
		`INSERT INTO cases (community_id, author_id, status, title, kind, context, question, tags, created_at, updated_at, sort_at, attested_at, published_at)
		SELECT $1, $2, CASE WHEN g % 5 = 0 THEN 'archived' ELSE 'published' END,
		       'Case ' || g || ' about ' || ($3::text[])[1 + (g * 7) % 3000] || ' and ' || ($3::text[])[1 + (g * 13) % 3000], 'coaching',
		       (SELECT string_agg(($3::text[])[1 + floor(5000 * power(random(), 3))::int], ' ') FROM generate_series(1, 60 + 0 * g)),
		       'What about ' || ($3::text[])[1 + (g * 3) % 3000] || '?', ARRAY[($3::text[])[1 + g % 200]],
		       now(), now(), now() - g * interval '1 hour', now(), now()
		FROM generate_series(1, 2000) g`,
		`INSERT INTO messages (case_id, seq, author_id, body, body_html, client_id, created_at)
		SELECT c.id, n, $2, (SELECT string_agg(($3::text[])[1 + floor(5000 * power(random(), 3))::int], ' ') FROM generate_series(1, 18 + 0 * n + 0 * c.id))
		       || CASE WHEN random() < 1.0 / 6 THEN ' ' || ($3::text[])[5000] ELSE '' END,
		       '', 'g' || c.id || '-' || n, now()
		FROM (SELECT id FROM cases WHERE community_id = $1) c CROSS JOIN generate_series(1, 100) n`,
		// What autovacuum does after a bulk load: statistics, the visibility map, and the GIN
		// indexes' pending lists merged.
		`VACUUM ANALYZE cases`, `VACUUM ANALYZE messages`, `VACUUM ANALYZE message_search`, `VACUUM ANALYZE case_summaries`,
	}
	if _, err := f.db.Exec(`SELECT setseed(0.42)`); err != nil {
		b.Fatal(err)
	}
	for _, stmt := range seed {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = []any{c.ID, u.ID, pq.Array(words)}
		}
		if _, err := f.db.Exec(stmt, args...); err != nil {
			b.Fatalf("%v in %s", err, stmt)
		}
	}
	return u, words
}

// benchWords reads n words spread over the anonymiser's word list.
func benchWords(b testing.TB, n int) []string {
	file, err := os.Open("anonymise/gazetteer/words.txt.gz")
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err != nil {
		b.Fatal(err)
	}
	var all []string
	sc := bufio.NewScanner(gz)
	for sc.Scan() {
		if w := sc.Text(); len(w) >= 4 && strings.ToLower(w) == w {
			all = append(all, w)
		}
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:n]
}
