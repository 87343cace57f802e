package casestudy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
)

func TestSearch(t *testing.T) {
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
	// Snippets are escaped HTML with marks.
	for _, h := range search(author, casestudy.SearchQuery{Text: "rewrites"}) {
		if !strings.Contains(h.Snippet, "&amp; <mark>rewrites</mark>") || strings.Contains(h.Snippet, "<twice>") {
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
