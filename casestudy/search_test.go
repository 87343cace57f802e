package casestudy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server/render"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, outsider := caseCommunity(t, f)
	save := func(u casestudy.User, in casestudy.CaseInput, action casestudy.SaveAction) int64 {
		c, err := f.svc.CreateCase(ctx, u.ID, cid, casestudy.SaveCase{Input: in, Action: action, Attest: true})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	delegation := save(author, casestudy.CaseInput{Title: "Delegation struggles of a team lead", Question: "Why can she not let go?",
		Context: "She checks every report <twice> & rewrites them.", Tags: []string{"delegation"}}, casestudy.SavePublish)
	grief := save(author, casestudy.CaseInput{Title: "A mentee grieving", Question: "How do I hold grief in mentoring?", Kind: casestudy.KindMentoring}, casestudy.SavePublish)
	save(other, casestudy.CaseInput{Title: "Draft about delegation", Question: "Unfinished"}, casestudy.SaveDraft)
	if _, err := f.svc.PostMessage(ctx, other.ID, cid, grief, casestudy.NewMessage{ClientID: "g1", Body: "I wonder whether the delegation theme shows up here too"}); err != nil {
		t.Fatal(err)
	}
	top, err := f.svc.PostMessage(ctx, other.ID, cid, delegation, casestudy.NewMessage{ClientID: "d1", Body: "Perfectionism, perhaps?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PostMessage(ctx, author.ID, cid, delegation, casestudy.NewMessage{ClientID: "d2", Body: "Yes, perfectionism and fear of blame", ParentID: top.Message.ID}); err != nil {
		t.Fatal(err)
	}

	search := func(u casestudy.User, q casestudy.SearchQuery) []casestudy.SearchHit {
		t.Helper()
		page, err := f.svc.Search(ctx, u.ID, q)
		if err != nil {
			t.Fatalf("search %q: %v", q.Text, err)
		}
		return page.Hits
	}
	kinds := func(hits []casestudy.SearchHit) string {
		var out []string
		for _, h := range hits {
			out = append(out, h.Type+":"+strings.Fields(h.Title)[0])
		}
		return strings.Join(out, ",")
	}

	// Cases and messages, replies included; the other member's draft stays theirs.
	hits := search(author, casestudy.SearchQuery{Text: "delegation"})
	if got := kinds(hits); !strings.Contains(got, "case:Delegation") || !strings.Contains(got, "message:A") || strings.Contains(got, "case:Draft") {
		t.Fatalf("delegation for the author: %s", got)
	}
	if got := kinds(search(other, casestudy.SearchQuery{Text: "delegation"})); !strings.Contains(got, "case:Draft") {
		t.Fatalf("the draft's author does not find it: %s", got)
	}
	if got := kinds(search(author, casestudy.SearchQuery{Text: "perfectionism"})); got != "message:Delegation,message:Delegation" {
		t.Fatalf("perfectionism (a thread and its reply): %s", got)
	}
	// Web-search syntax: exclusion, OR, phrases; prefix of the last word; a typo in a title.
	if got := kinds(search(author, casestudy.SearchQuery{Text: "perfectionism -blame"})); got != "message:Delegation" {
		t.Fatalf("exclusion: %s", got)
	}
	if got := kinds(search(author, casestudy.SearchQuery{Text: "grief OR perfectionism"})); strings.Count(got, ",") < 2 {
		t.Fatalf("OR: %s", got)
	}
	if got := kinds(search(author, casestudy.SearchQuery{Text: `"fear of blame"`})); got != "message:Delegation" {
		t.Fatalf("phrase: %s", got)
	}
	if got := kinds(search(author, casestudy.SearchQuery{Text: "perfecti"})); !strings.Contains(got, "message") {
		t.Fatalf("prefix as one types: %s", got)
	}
	if got := kinds(search(author, casestudy.SearchQuery{Text: "delegaton struggles"})); !strings.Contains(got, "case:Delegation") {
		t.Fatalf("a typo in the title: %s", got)
	}
	// Snippets mark their matches (and render as escaped HTML with marks).
	for _, h := range search(author, casestudy.SearchQuery{Text: "rewrites"}) {
		if html := render.Snippet(h.Snippet); !strings.Contains(html, "&amp; <mark>rewrites</mark>") || strings.Contains(html, "<twice>") ||
			!strings.Contains(h.Snippet, casestudy.SnippetMarkStart+"rewrites"+casestudy.SnippetMarkStop) {
			t.Fatalf("snippet %q", h.Snippet)
		}
	}
	// Filters and pagination.
	if got := kinds(search(author, casestudy.SearchQuery{Text: "grief OR delegation", Kind: casestudy.KindMentoring})); strings.Contains(got, "Delegation") {
		t.Fatalf("kind filter: %s", got)
	}
	archived := true
	if got := search(author, casestudy.SearchQuery{Text: "delegation", Archived: &archived}); len(got) != 0 {
		t.Fatalf("archived only: %v", kinds(got))
	}
	all := search(author, casestudy.SearchQuery{Text: "delegation OR grief OR perfectionism"})
	var paged []casestudy.SearchHit
	q := casestudy.SearchQuery{Text: "delegation OR grief OR perfectionism", Limit: 2}
	for {
		page, err := f.svc.Search(ctx, author.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page.Hits...)
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if kinds(paged) != kinds(all) || len(all) < 4 {
		t.Fatalf("pages %s, all %s", kinds(paged), kinds(all))
	}
	// Nothing of a community one is not in; bad input is a clear error.
	if got := search(outsider, casestudy.SearchQuery{Text: "delegation"}); len(got) != 0 {
		t.Fatalf("an outsider finds %s", kinds(got))
	}
	if _, err := f.svc.Search(ctx, outsider.ID, casestudy.SearchQuery{Text: "delegation", CommunityID: cid}); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Fatalf("an outsider naming the community: %v", err)
	}
	if _, err := f.svc.Search(ctx, author.ID, casestudy.SearchQuery{Text: " "}); casestudy.ErrorCode(err) != casestudy.EVALIDATION {
		t.Fatalf("an empty search: %v", err)
	}
	if _, err := f.svc.Search(ctx, author.ID, casestudy.SearchQuery{Text: "x", Cursor: "!!"}); casestudy.ErrorCode(err) != casestudy.EVALIDATION {
		t.Fatalf("a bad cursor: %v", err)
	}
}

// TestSearchFollowsMessagesAndCases checks that search sees messages as they are now: edited,
// deleted, in a case archived, unarchived or withdrawn (message_search is kept by triggers).
func TestSearchFollowsMessagesAndCases(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, _ := caseCommunity(t, f)
	fac := f.facilitatorOf(t, cid)
	c, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "A founder who cannot rest", Question: "Where is the pull?",
		Tags: []string{"energy"}}, Action: casestudy.SavePublish, Attest: true})
	if err != nil {
		t.Fatal(err)
	}
	post := func(client, body string) int64 {
		ev, err := f.svc.PostMessage(ctx, other.ID, cid, c.ID, casestudy.NewMessage{ClientID: client, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return ev.Message.ID
	}
	post("k", "Exhaustion as a badge of honour")
	edited := post("e", "Perhaps a pattern of overwork")
	gone := post("g", "Curiosity about the pattern")
	count := func(u casestudy.User, text string, archived *bool, tag string) int {
		t.Helper()
		page, err := f.svc.Search(ctx, u.ID, casestudy.SearchQuery{Text: text, Archived: archived, Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, h := range page.Hits {
			if h.Type == "message" {
				n++
			}
		}
		return n
	}
	yes, no := true, false
	if n := count(author, "pattern", nil, ""); n != 2 {
		t.Fatalf("pattern before edits: %d messages, want 2", n)
	}
	if _, err := f.svc.EditMessage(ctx, other.ID, cid, c.ID, edited, "Perhaps a habit of overwork", casestudy.Decisions{}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DeleteMessage(ctx, other.ID, cid, c.ID, gone); err != nil {
		t.Fatal(err)
	}
	if n := count(author, "pattern", nil, ""); n != 0 {
		t.Fatalf("pattern after the edit and the deletion: %d messages", n)
	}
	if n := count(author, "habit", nil, "energy"); n != 1 {
		t.Fatalf("the edited text, with the case's tag: %d messages", n)
	}
	if n := count(author, "habit", nil, "other-tag"); n != 0 {
		t.Fatalf("another tag: %d messages", n)
	}
	// Archived and unarchived: the filter follows the case.
	if _, err := f.svc.ArchiveCase(ctx, fac.ID, cid, c.ID, casestudy.SummaryInput{LearningPoints: "Rest is part of the work."}); err != nil {
		t.Fatal(err)
	}
	if a, b := count(author, "badge OR habit", &yes, ""), count(author, "badge OR habit", &no, ""); a != 2 || b != 0 {
		t.Fatalf("archived: %d archived and %d active messages, want 2 and 0", a, b)
	}
	if err := f.svc.UnarchiveCase(ctx, fac.ID, cid, c.ID); err != nil {
		t.Fatal(err)
	}
	if a, b := count(author, "badge OR habit", &yes, ""), count(author, "badge OR habit", &no, ""); a != 0 || b != 2 {
		t.Fatalf("unarchived: %d archived and %d active messages, want 0 and 2", a, b)
	}
	// Withdrawn: no one finds its discussion, its author included.
	if _, err := f.svc.WithdrawCase(ctx, author.ID, cid, c.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []casestudy.User{author, other, fac} {
		if n := count(u, "badge OR habit", nil, ""); n != 0 {
			t.Fatalf("a withdrawn case's messages: %d found", n)
		}
	}
}

// TestSearchCommonWordsListMessagesNewestFirst checks both orders of messages: ranked, and,
// when a query matches more messages than the service's threshold, newest first (all ranked
// 0.1, after the cases that match in their text), with pages that follow that order.
func TestSearchCommonWordsListMessagesNewestFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, _ := caseCommunity(t, f)
	c, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "A sponsor in the room", Question: "Who is the client?"},
		Action: casestudy.SavePublish, Attest: true})
	if err != nil {
		t.Fatal(err)
	}
	var posted []int64 // oldest first; the first says "echo" four times, so it ranks highest
	for i, body := range []string{"Echo, echo, echo: an echo of the sponsor", "An echo", "Another echo", "Echo again", "More echo", "A last echo", "Quiet now"} {
		ev, err := f.svc.PostMessage(ctx, other.ID, cid, c.ID, casestudy.NewMessage{ClientID: fmt.Sprint("e", i), Body: body})
		if err != nil {
			t.Fatal(err)
		}
		posted = append(posted, ev.Message.ID)
	}
	if _, err := f.db.Exec(`ANALYZE message_search`); err != nil { // the planner's estimate decides
		t.Fatal(err)
	}
	messages := func(svc *casestudy.Service, text string, limit int) (ids []int64, ranks []float64) {
		t.Helper()
		q := casestudy.SearchQuery{Text: text, Limit: limit}
		for {
			page, err := svc.Search(ctx, author.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range page.Hits {
				if h.Type == "message" {
					ids, ranks = append(ids, *h.MessageID), append(ranks, h.Rank)
				}
			}
			if page.Next == "" {
				return ids, ranks
			}
			q.Cursor = page.Next
		}
	}
	// Quoted, so that the last word is not also a prefix: the planner estimates prefixes only
	// from a hundred or more common lexemes, more than this little community has.
	ranked, _ := messages(f.svc, `"echo"`, 20)
	if len(ranked) != 6 || ranked[0] != posted[0] {
		t.Fatalf("ranked: %v, want 6 with %d first", ranked, posted[0])
	}
	common := closedAtEnd(t, casestudy.NewService(f.db.DB, casestudy.WithSearchNewestAbove(3)))
	newest, ranks := messages(common, `"echo"`, 2)
	want := []int64{posted[5], posted[4], posted[3], posted[2], posted[1], posted[0]}
	if fmt.Sprint(newest) != fmt.Sprint(want) {
		t.Fatalf("newest first, by pages of 2: %v, want %v", newest, want)
	}
	for _, r := range ranks {
		if r != 0.1 {
			t.Fatalf("ranks newest first: %v", ranks)
		}
	}
	// Pages of one hit: the first two are the cases (messages are not even read for the first,
	// since two cases outrank them all), then the message.
	if _, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "The sponsor's agenda", Question: "Whose goals?"},
		Action: casestudy.SavePublish, Attest: true}); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	q := casestudy.SearchQuery{Text: "sponsor", Limit: 1}
	for {
		page, err := f.svc.Search(ctx, author.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Hits {
			kinds = append(kinds, h.Type)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if got := strings.Join(kinds, ","); got != "case,case,message" {
		t.Fatalf("sponsor by pages of one: %s", got)
	}
	// A rare word is still ranked by the same service.
	if ids, ranks := messages(common, "quiet", 20); len(ids) != 1 || ranks[0] >= 0.1 {
		t.Fatalf("a rare word: %v %v", ids, ranks)
	}
}
