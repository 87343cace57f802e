package casestudy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

// caseCommunity sets up a community with a facilitator, two members and an outsider.
func caseCommunity(t *testing.T, f *fixture) (cid int64, author, other, outsider casestudy.User) {
	t.Helper()
	ctx := context.Background()
	fac, _ := f.mustRegister(t, "fay")
	author, _ = f.mustRegister(t, "ann")
	other, _ = f.mustRegister(t, "bob")
	outsider, _ = f.mustRegister(t, "oz")
	c, err := f.svc.CreateCommunity(ctx, fac.ID, casestudy.NewCommunity{Name: "Peer group"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := f.svc.CreateInvitation(ctx, fac.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []casestudy.User{author, other} {
		if _, err := f.svc.AcceptInvitation(ctx, u.ID, token); err != nil {
			t.Fatal(err)
		}
	}
	return c.ID, author, other, outsider
}

var sampleCase = casestudy.CaseInput{
	Title:           "Rescuing a new CFO",
	Kind:            casestudy.KindCoaching,
	Context:         "Third session with Priya Raghunathan, CFO at Brightwater Analytics Ltd.",
	PresentingIssue: "Priya feels on trial at every Board meeting. Mail: priya.r@brightwater.example.com, 07700 900461.",
	Reflection:      "I hope I was not too directive.",
	Question:        "Was I rescuing Priya?",
	Tags:            []string{" Imposter Syndrome", "cfo"},
}

// acceptAll decides every finding of the preview as "replace it".
func acceptAll(t *testing.T, f *fixture, uid, cid int64, in casestudy.CaseInput) casestudy.Decisions {
	t.Helper()
	p, err := f.svc.AnonymiseCase(context.Background(), uid, cid, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	var d casestudy.Decisions
	for _, fp := range p.Fields {
		for _, fd := range fp.Findings {
			d.Accept = append(d.Accept, fd.Text)
		}
	}
	return d
}

func TestCaseLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, outsider := caseCommunity(t, f)
	identifiers := []string{"Priya", "Raghunathan", "Brightwater", "priya.r@", "07700"}

	t.Run("preview finds identifiers and stores nothing", func(t *testing.T) {
		p, err := f.svc.AnonymiseCase(ctx, author.ID, cid, 0, sampleCase)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Fields["context"].Redacted; got != "Third session with Client A, CFO at [Organisation 1]." {
			t.Fatalf("context preview %q", got)
		}
		if !strings.Contains(p.Fields["question"].Redacted, "Client A") {
			t.Fatalf("labels must agree across fields: %q", p.Fields["question"].Redacted)
		}
		_, err = f.svc.AnonymiseCase(ctx, outsider.ID, cid, 0, sampleCase)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM cases`); err != nil || n != 0 {
			t.Fatalf("cases after preview: %d, %v", n, err)
		}
	})

	t.Run("undecided findings are refused and listed", func(t *testing.T) {
		_, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: sampleCase, Action: casestudy.SaveDraft})
		wantCode(t, err, casestudy.EVALIDATION, "decisions")
		var e *casestudy.Error
		if !errors.As(err, &e) {
			t.Fatal(err)
		}
		open := e.Details.(casestudy.OpenFindingsError).Findings
		if len(open) < 5 {
			t.Fatalf("open findings %d: %+v", len(open), open)
		}
		if strings.Contains(e.Message, "Priya") {
			t.Fatalf("the error message holds case text: %q", e.Message)
		}
	})

	decisions := acceptAll(t, f, author.ID, cid, sampleCase)
	draft, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: sampleCase, Decisions: decisions, Action: casestudy.SaveDraft})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a draft holds only anonymised text and only its author sees it", func(t *testing.T) {
		if draft.Status != casestudy.StatusDraft || draft.Question != "Was I rescuing Client A?" {
			t.Fatalf("draft %+v", draft)
		}
		if strings.Join(draft.Tags, ",") != "imposter-syndrome,cfo" {
			t.Fatalf("tags %q", draft.Tags)
		}
		_, err := f.svc.GetCase(ctx, other.ID, cid, draft.ID)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		page, err := f.svc.ListCases(ctx, other.ID, cid, casestudy.CaseFilter{})
		if err != nil || len(page.Cases) != 0 {
			t.Fatalf("another member lists %d cases, %v", len(page.Cases), err)
		}
		assertNoneStored(t, f, identifiers)
	})

	t.Run("publishing needs the attestation; dismissing keeps the text", func(t *testing.T) {
		in := sampleCase
		in.Reflection = "I hope I was not too directive. Priya's sister Grace helped."
		d := acceptAll(t, f, author.ID, cid, in)
		var accept []string
		for _, a := range d.Accept {
			if a != "Grace" {
				accept = append(accept, a)
			}
		}
		d = casestudy.Decisions{Accept: accept, Dismiss: []string{"Grace"}, Extra: []string{"sister"}}
		_, err := f.svc.UpdateCase(ctx, author.ID, cid, draft.ID, casestudy.SaveCase{Input: in, Decisions: d, Action: casestudy.SavePublish})
		wantCode(t, err, casestudy.EVALIDATION, "attest")
		f.clock.Advance(time.Minute)
		pub, err := f.svc.UpdateCase(ctx, author.ID, cid, draft.ID, casestudy.SaveCase{Input: in, Decisions: d, Action: casestudy.SavePublish, Attest: true})
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != casestudy.StatusPublished || pub.AttestedAt == nil || pub.PublishedAt == nil {
			t.Fatalf("published %+v", pub)
		}
		if pub.Reflection != "I hope I was not too directive. Client A's [redacted] Grace helped." {
			t.Fatalf("reflection %q", pub.Reflection)
		}
		seen, err := f.svc.GetCase(ctx, other.ID, cid, draft.ID)
		if err != nil || seen.Title != pub.Title {
			t.Fatalf("another member reads %+v, %v", seen, err)
		}
	})

	t.Run("only the author edits; an edit is re-anonymised and keeps history", func(t *testing.T) {
		_, err := f.svc.UpdateCase(ctx, other.ID, cid, draft.ID, casestudy.SaveCase{Input: sampleCase, Decisions: decisions, Action: casestudy.SaveDraft})
		wantCode(t, err, casestudy.EFORBIDDEN, "")
		in := sampleCase
		in.Question = "Was I rescuing Priya, or was Priya rescuing me?"
		f.clock.Advance(time.Minute)
		edited, err := f.svc.UpdateCase(ctx, author.ID, cid, draft.ID, casestudy.SaveCase{Input: in, Decisions: acceptAll(t, f, author.ID, cid, in), Action: casestudy.SaveDraft})
		if err != nil {
			t.Fatal(err)
		}
		if edited.Version != 2 || edited.Question != "Was I rescuing Client A, or was Client A rescuing me?" || edited.Status != casestudy.StatusPublished {
			t.Fatalf("edited %+v", edited)
		}
		revs, err := f.svc.ListCaseRevisions(ctx, author.ID, cid, draft.ID)
		if err != nil || len(revs) != 1 || revs[0].Version != 1 || revs[0].EditedByName == nil || *revs[0].EditedByName != "Ann" {
			t.Fatalf("revisions %+v, %v", revs, err)
		}
		// Other members read earlier versions only when the community's policy shares them.
		_, err = f.svc.ListCaseRevisions(ctx, other.ID, cid, draft.ID)
		wantCode(t, err, casestudy.EFORBIDDEN, "")
		assertNoneStored(t, f, identifiers)
	})

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			mutate func(*casestudy.CaseInput)
			field  string
		}{
			{func(c *casestudy.CaseInput) { c.Title = " " }, "title"},
			{func(c *casestudy.CaseInput) { c.Kind = "therapy" }, "kind"},
			{func(c *casestudy.CaseInput) { c.Question = "" }, "question"},
			{func(c *casestudy.CaseInput) { c.Context = strings.Repeat("a", casestudy.MaxCaseContext+1) }, "context"},
			{func(c *casestudy.CaseInput) { c.Tags = strings.Fields("a b c d e f g h i j k") }, "tags"},
			{func(c *casestudy.CaseInput) { c.Tags = []string{"no/slashes"} }, "tags"},
			{func(c *casestudy.CaseInput) { c.Reflection = "bell\x07" }, "reflection"},
		} {
			in := sampleCase
			tc.mutate(&in)
			_, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: in, Action: casestudy.SavePublish, Attest: true})
			wantCode(t, err, casestudy.EVALIDATION, tc.field)
		}
		_, err := f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: sampleCase, Action: "delete"})
		wantCode(t, err, casestudy.EVALIDATION, "action")
		_, err = f.svc.CreateCase(ctx, author.ID, cid, casestudy.SaveCase{Input: sampleCase, Decisions: casestudy.Decisions{Accept: decisions.Accept, Extra: []string{"not in the text"}}, Action: casestudy.SaveDraft})
		wantCode(t, err, casestudy.EVALIDATION, "decisions.extra")
	})

	t.Run("withdrawing hides the case from others", func(t *testing.T) {
		_, err := f.svc.WithdrawCase(ctx, other.ID, cid, draft.ID)
		wantCode(t, err, casestudy.EFORBIDDEN, "")
		w, err := f.svc.WithdrawCase(ctx, author.ID, cid, draft.ID)
		if err != nil || w.Status != casestudy.StatusWithdrawn {
			t.Fatalf("withdrawn %+v, %v", w, err)
		}
		_, err = f.svc.GetCase(ctx, other.ID, cid, draft.ID)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		_, err = f.svc.WithdrawCase(ctx, author.ID, cid, draft.ID)
		wantCode(t, err, casestudy.ECONFLICT, "")
	})
}

func TestCaseListFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, outsider := caseCommunity(t, f)
	publish := func(u casestudy.User, title string, kind casestudy.CaseKind, tags ...string) int64 {
		t.Helper()
		in := casestudy.CaseInput{Title: title, Kind: kind, Question: "What do you notice?", Tags: tags}
		c, err := f.svc.CreateCase(ctx, u.ID, cid, casestudy.SaveCase{Input: in, Decisions: acceptAll(t, f, u.ID, cid, in), Action: casestudy.SavePublish, Attest: true})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		return c.ID
	}
	var ids []int64
	for i := range 7 {
		u, kind, tag := author, casestudy.KindCoaching, "ethics"
		if i%2 == 1 {
			u, kind, tag = other, casestudy.KindMentoring, "contracting"
		}
		ids = append(ids, publish(u, "Case number "+string(rune('A'+i)), kind, tag))
	}

	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := f.svc.ListCases(ctx, other.ID, cid, casestudy.CaseFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Cases {
			got = append(got, c.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			if pages != 2 {
				t.Fatalf("7 cases in pages of 3 took %d pages", pages+1)
			}
			break
		}
	}
	for i := range ids {
		if got[i] != ids[len(ids)-1-i] {
			t.Fatalf("order %v, want newest first of %v", got, ids)
		}
	}
	count := func(f2 casestudy.CaseFilter) int {
		page, err := f.svc.ListCases(ctx, author.ID, cid, f2)
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Cases)
	}
	if n := count(casestudy.CaseFilter{Kind: casestudy.KindMentoring}); n != 3 {
		t.Fatalf("mentoring cases %d", n)
	}
	if n := count(casestudy.CaseFilter{Tag: "Ethics"}); n != 4 {
		t.Fatalf("ethics cases %d", n)
	}
	if n := count(casestudy.CaseFilter{AuthorID: other.ID}); n != 3 {
		t.Fatalf("bob's cases %d", n)
	}
	_, err := f.svc.ListCases(ctx, author.ID, cid, casestudy.CaseFilter{Cursor: "garbage!"})
	wantCode(t, err, casestudy.EVALIDATION, "cursor")
	_, err = f.svc.ListCases(ctx, outsider.ID, cid, casestudy.CaseFilter{})
	wantCode(t, err, casestudy.ENOTFOUND, "")
}

// assertNoneStored checks every text column of the case tables for the identifiers.
func assertNoneStored(t *testing.T, f *fixture, identifiers []string) {
	t.Helper()
	var dump string
	if err := f.db.Get(&dump, `SELECT coalesce(string_agg(t::text, ' '), '') FROM (
		SELECT row_to_json(c) AS t FROM cases c UNION ALL SELECT row_to_json(r) FROM case_revisions r) x`); err != nil {
		t.Fatal(err)
	}
	for _, s := range identifiers {
		if strings.Contains(dump, s) {
			t.Errorf("the database holds %q", s)
		}
	}
}
