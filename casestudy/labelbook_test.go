package casestudy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
)

// bookCommunity is a community with a facilitator, an author and a member.
type bookCommunity struct {
	cid                 int64
	fac, author, member casestudy.User
}

func newBookCommunity(t *testing.T, f *fixture) bookCommunity {
	t.Helper()
	ctx := context.Background()
	var bc bookCommunity
	bc.fac, _ = f.mustRegister(t, "fay")
	bc.author, _ = f.mustRegister(t, "ann")
	bc.member, _ = f.mustRegister(t, "bob")
	c, err := f.svc.CreateCommunity(ctx, bc.fac.ID, casestudy.NewCommunity{Name: "Peer group"})
	if err != nil {
		t.Fatal(err)
	}
	bc.cid = c.ID
	_, token, err := f.svc.CreateInvitation(ctx, bc.fac.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []casestudy.User{bc.author, bc.member} {
		if _, err := f.svc.AcceptInvitation(ctx, u.ID, token); err != nil {
			t.Fatal(err)
		}
	}
	return bc
}

// openFindings returns the texts and replacements a 422 lists as undecided.
func openFindings(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *casestudy.Error
	if !errors.As(err, &e) {
		t.Fatalf("want open findings, got %v", err)
	}
	open, ok := e.Details.(casestudy.OpenFindingsError)
	if !ok {
		t.Fatalf("want open findings, got %v", err)
	}
	out := map[string]string{}
	for _, f := range open.Findings {
		out[f.Text] = f.Replacement
	}
	return out
}

// dumpDatabase is every row of every table that holds written text, as JSON.
func dumpDatabase(t *testing.T, f *fixture) string {
	t.Helper()
	var dump string
	err := f.db.Get(&dump, `SELECT coalesce(string_agg(t::text, ' '), '') FROM (
		SELECT row_to_json(c) AS t FROM cases c UNION ALL SELECT row_to_json(r) FROM case_revisions r
		UNION ALL SELECT row_to_json(m) FROM messages m UNION ALL SELECT row_to_json(r) FROM message_revisions r
		UNION ALL SELECT row_to_json(s) FROM case_summaries s UNION ALL SELECT row_to_json(b) FROM label_book b
		UNION ALL SELECT row_to_json(l) FROM learning_points l UNION ALL SELECT row_to_json(a) FROM audit_log a) x`)
	if err != nil {
		t.Fatal(err)
	}
	return dump
}

// TestLabelBookAcrossTheCase: the people of a case keep their labels in its room's messages (even
// where the detector alone would not find them) and in its summary; new people get new labels,
// also when two messages name them at once; the database keeps no name, book included.
func TestLabelBookAcrossTheCase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bc := newBookCommunity(t, f)
	in := casestudy.CaseInput{Title: "Keeping a secret from the sponsor",
		Context:  "Mark Devlin asked me to keep his plans from Sarah, his manager at Acme Ltd.",
		Question: "Where is my loyalty?"}
	cs, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Decisions: acceptAll(t, f, bc.author.ID, bc.cid, in), Action: casestudy.SavePublish, Attest: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cs.Context, "Client A asked me") || !strings.Contains(cs.Context, "from Person B, his manager at [Organisation 1]") {
		t.Fatalf("case stored as %q", cs.Context)
	}

	body := "Mark called me yesterday and Sarah was copied in."
	// Someone outside the community learns nothing of what the book holds: no findings, no labels.
	outsider, _ := f.mustRegister(t, "oz")
	_, err = f.svc.PostMessage(ctx, outsider.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: "o1", Body: body})
	wantCode(t, err, casestudy.ENOTFOUND, "")
	_, err = f.svc.AnonymiseMessage(ctx, outsider.ID, bc.cid, cs.ID, body)
	wantCode(t, err, casestudy.ENOTFOUND, "")
	_, err = f.svc.PostMessage(ctx, bc.member.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: "m1", Body: body})
	open := openFindings(t, err)
	if open["Mark"] != "Client A" || open["Sarah"] != "Person B" {
		t.Fatalf("findings of the message: %v", open)
	}
	ev, err := f.svc.PostMessage(ctx, bc.member.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: "m1", Body: body,
		Decisions: casestudy.Decisions{Accept: []string{"Mark", "Sarah"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Message.Body; got != "Client A called me yesterday and Person B was copied in." {
		t.Fatalf("message stored as %q", got)
	}

	// Two messages name two new people at the same moment: each gets a label of its own.
	var wg sync.WaitGroup
	labels := make([]string, 2)
	for i, name := range []string{"Tomasz Nowak", "Olu Adeyemi"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, err := f.svc.PostMessage(ctx, bc.member.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: fmt.Sprint("c", i),
				Body: name + " joined the call.", Decisions: casestudy.Decisions{Accept: []string{name}}})
			if err != nil {
				t.Error(err)
				return
			}
			labels[i] = strings.TrimSuffix(ev.Message.Body, " joined the call.")
		}()
	}
	wg.Wait()
	if labels[0] == labels[1] || !strings.HasPrefix(labels[0], "Person ") || !strings.HasPrefix(labels[1], "Person ") ||
		labels[0] == "Person B" || labels[1] == "Person B" {
		t.Fatalf("two new people labelled %q and %q", labels[0], labels[1])
	}

	// The summary speaks of them the same way.
	sum, err := f.svc.ArchiveCase(ctx, bc.fac.ID, bc.cid, cs.ID, casestudy.SummaryInput{
		LearningPoints: "Mark needs a boundary with Sarah.", Decisions: casestudy.Decisions{Accept: []string{"Mark", "Sarah"}}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.LearningPoints != "Client A needs a boundary with Person B." {
		t.Fatalf("summary %q", sum.LearningPoints)
	}
	dump := dumpDatabase(t, f)
	for _, s := range []string{"Mark", "Devlin", "Sarah", "Acme", "Tomasz", "Nowak", "Olu ", "Adeyemi"} {
		if strings.Contains(dump, s) {
			t.Errorf("the database holds %q", s)
		}
	}
	var entries int
	if err := f.db.Get(&entries, `SELECT count(*) FROM label_book WHERE case_id = $1 AND NOT kept`, cs.ID); err != nil || entries < 6 {
		t.Errorf("%d book entries, %v", entries, err)
	}
}

// TestKeepDecisionsAreRemembered: a text the author kept in a draft is not asked about again
// when the draft is published, nor in a message of its room; accepting it later replaces it.
func TestKeepDecisionsAreRemembered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bc := newBookCommunity(t, f)
	in := casestudy.CaseInput{Title: "A move north", Context: "She is thinking of moving to Leeds with Priya Raghunathan.", Question: "What is mine here?"}
	_, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Action: casestudy.SaveDraft})
	if open := openFindings(t, err); open["Leeds"] == "" {
		t.Fatalf("Leeds not found: %v", open)
	}
	draft, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Action: casestudy.SaveDraft,
		Decisions: casestudy.Decisions{Accept: []string{"Priya Raghunathan"}, Dismiss: []string{"Leeds"}}})
	if err != nil {
		t.Fatal(err)
	}
	in.Context = draft.Context // the author edits what was stored
	pub, err := f.svc.UpdateCase(ctx, bc.author.ID, bc.cid, draft.ID, casestudy.SaveCase{Input: in, Action: casestudy.SavePublish, Attest: true})
	if err != nil {
		t.Fatalf("publishing asked again: %v", err)
	}
	if pub.Context != "She is thinking of moving to Leeds with Client A." {
		t.Fatalf("published %q", pub.Context)
	}
	p, err := f.svc.AnonymiseCase(ctx, bc.author.ID, bc.cid, pub.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, fd := range p.Fields["context"].Findings {
		kept = kept || fd.Text == "Leeds" && fd.Kept
	}
	if !kept {
		t.Fatalf("the preview does not say Leeds was kept: %+v", p.Fields["context"].Findings)
	}
	ev, err := f.svc.PostMessage(ctx, bc.member.ID, bc.cid, pub.ID, casestudy.NewMessage{ClientID: "k1", Body: "Leeds is a big move."})
	if err != nil || ev.Message.Body != "Leeds is a big move." {
		t.Fatalf("message %+v, %v", ev.Message, err)
	}
	// Changing one's mind: accepting the kept text replaces it from then on.
	ev, err = f.svc.PostMessage(ctx, bc.member.ID, bc.cid, pub.ID, casestudy.NewMessage{ClientID: "k2", Body: "Leeds again.",
		Decisions: casestudy.Decisions{Accept: []string{"Leeds"}}})
	if err != nil || ev.Message.Body != "[Place 1] again." {
		t.Fatalf("message %+v, %v", ev.Message, err)
	}
}

// TestOnlyTheTagThatIdentifiesIsDropped: every tag is judged by its own place in the tags' text,
// not by the first place its letters appear ("ann" is in "joanna").
func TestOnlyTheTagThatIdentifiesIsDropped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bc := newBookCommunity(t, f)
	in := casestudy.CaseInput{Title: "Tags", Context: "Nothing here.", Question: "Q?", Tags: []string{"joanna", "ann", "boundaries"}}
	cs, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Action: casestudy.SaveDraft,
		Decisions: casestudy.Decisions{Accept: []string{"ann"}, Dismiss: []string{"joanna"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cs.Tags, ",") != "joanna,boundaries" {
		t.Fatalf("tags stored %v, want [joanna boundaries]", cs.Tags)
	}
	cs, err = f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Action: casestudy.SaveDraft,
		Decisions: casestudy.Decisions{Accept: []string{"joanna"}, Dismiss: []string{"ann"}}})
	if err != nil || strings.Join(cs.Tags, ",") != "ann,boundaries" {
		t.Fatalf("tags stored %v (%v), want [ann boundaries]", cs.Tags, err)
	}
}

// TestRedactingEarlierVersions: an edit that removes a name offers to redact the versions that
// still hold it; redacting leaves no text, keeps the entry, and is audited without content.
// Earlier versions are for the author and facilitators unless the policy shares them.
func TestRedactingEarlierVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bc := newBookCommunity(t, f)
	in := casestudy.CaseInput{Title: "A difficult call", Context: "Mark rang me about the contract.", Question: "What now?"}
	cs, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Action: casestudy.SavePublish, Attest: true,
		Decisions: casestudy.Decisions{Dismiss: []string{"Mark"}}})
	if err != nil || !strings.Contains(cs.Context, "Mark") {
		t.Fatalf("stored %q, %v", cs.Context, err)
	}
	edit := in
	edit.Context = "The client rang me about the contract."
	p, err := f.svc.AnonymiseCase(ctx, bc.author.ID, bc.cid, cs.ID, edit)
	if err != nil || len(p.EarlierVersionsHolding) != 1 || p.EarlierVersionsHolding[0] != 1 {
		t.Fatalf("versions to redact %v, %v", p.EarlierVersionsHolding, err)
	}
	// Another member may not redact; the author may, in the same save.
	_, err = f.svc.RedactCaseRevision(ctx, bc.member.ID, bc.cid, cs.ID, 1)
	wantCode(t, err, casestudy.EFORBIDDEN, "")
	if _, err := f.svc.UpdateCase(ctx, bc.author.ID, bc.cid, cs.ID, casestudy.SaveCase{Input: edit, Action: casestudy.SaveDraft, RedactEarlier: true}); err != nil {
		t.Fatal(err)
	}
	revs, err := f.svc.ListCaseRevisions(ctx, bc.fac.ID, bc.cid, cs.ID)
	if err != nil || len(revs) != 1 || revs[0].RedactedAt == nil || revs[0].Context != "" || revs[0].RedactedByName == nil || *revs[0].RedactedByName != "Ann" {
		t.Fatalf("revisions %+v, %v", revs, err)
	}
	if strings.Contains(dumpDatabase(t, f), "Mark") {
		t.Error("the database still holds the name")
	}
	_, err = f.svc.RedactCaseRevision(ctx, bc.fac.ID, bc.cid, cs.ID, 1)
	wantCode(t, err, casestudy.ECONFLICT, "")
	log, err := f.svc.ListAudit(ctx, bc.fac.ID, bc.cid, casestudy.AuditFilter{Action: "case.revision_redacted"})
	if err != nil || len(log) != 1 || string(log[0].Detail) != `{"version": 1}` {
		t.Fatalf("audit %+v, %v", log, err)
	}

	// History policy: other members read earlier versions only when shared.
	_, err = f.svc.ListCaseRevisions(ctx, bc.member.ID, bc.cid, cs.ID)
	wantCode(t, err, casestudy.EFORBIDDEN, "")
	pol, err := f.svc.CommunityPolicy(ctx, bc.fac.ID, bc.cid)
	if err != nil {
		t.Fatal(err)
	}
	pol.RevisionHistory = casestudy.HistoryMembers
	if _, err := f.svc.SetCommunityPolicy(ctx, bc.fac.ID, bc.cid, pol); err != nil {
		t.Fatal(err)
	}
	if revs, err := f.svc.ListCaseRevisions(ctx, bc.member.ID, bc.cid, cs.ID); err != nil || len(revs) != 1 {
		t.Fatalf("member reads %d revisions, %v", len(revs), err)
	}
}

// TestRedactingMessageVersions: a message edited to remove a name can take its earlier version
// with it; only the author and facilitators read or redact earlier versions.
func TestRedactingMessageVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bc := newBookCommunity(t, f)
	in := casestudy.CaseInput{Title: "A case", Context: "Nothing identifying.", Question: "Q?"}
	cs, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: in, Action: casestudy.SavePublish, Attest: true})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := f.svc.PostMessage(ctx, bc.member.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: "r1", Body: "Ruth Okafor said the same.",
		Decisions: casestudy.Decisions{Dismiss: []string{"Ruth Okafor"}}})
	if err != nil {
		t.Fatal(err)
	}
	mid := ev.Message.ID
	if _, err := f.svc.EditMessage(ctx, bc.member.ID, bc.cid, cs.ID, mid, "Someone said the same.", casestudy.Decisions{}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ListMessageRevisions(ctx, bc.author.ID, bc.cid, cs.ID, mid); casestudy.ErrorCode(err) != casestudy.EFORBIDDEN {
		t.Fatalf("another member reads the history: %v", err)
	}
	revs, err := f.svc.ListMessageRevisions(ctx, bc.fac.ID, bc.cid, cs.ID, mid)
	if err != nil || len(revs) != 1 || !strings.Contains(revs[0].Body, "Ruth") {
		t.Fatalf("history %+v, %v", revs, err)
	}
	if err := f.svc.RedactMessageRevision(ctx, bc.member.ID, bc.cid, cs.ID, mid, 1); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dumpDatabase(t, f), "Ruth") {
		t.Error("the database still holds the name")
	}
	// In one step: an edit that removes a kept name redacts the version that held it.
	ev, err = f.svc.PostMessage(ctx, bc.member.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: "r2", Body: "Dele Adeyemi agreed.",
		Decisions: casestudy.Decisions{Dismiss: []string{"Dele Adeyemi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EditMessage(ctx, bc.member.ID, bc.cid, cs.ID, ev.Message.ID, "Someone agreed.", casestudy.Decisions{}, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dumpDatabase(t, f), "Dele") {
		t.Error("the edit did not redact the earlier version")
	}
}

// TestMyDataShowsOnlyTitlesStillVisible: a person's data download names the case of each of
// their messages only while they may still see it: not after its author withdrew it, not after
// they were removed from its community.
func TestMyDataShowsOnlyTitlesStillVisible(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bc := newBookCommunity(t, f)
	var cases []casestudy.Case
	for _, title := range []string{"Stays visible", "Withdrawn later"} {
		cs, err := f.svc.CreateCase(ctx, bc.author.ID, bc.cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: title, Context: "Nothing.", Question: "Q?"},
			Action: casestudy.SavePublish, Attest: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PostMessage(ctx, bc.member.ID, bc.cid, cs.ID, casestudy.NewMessage{ClientID: fmt.Sprint("d", cs.ID), Body: "A thought."}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs)
	}
	if _, err := f.svc.WithdrawCase(ctx, bc.author.ID, bc.cid, cases[1].ID); err != nil {
		t.Fatal(err)
	}
	titles := func() []string {
		d, err := f.svc.MyData(ctx, bc.member.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range d.Messages {
			if m.CaseTitle == nil {
				out = append(out, "")
			} else {
				out = append(out, *m.CaseTitle)
			}
		}
		return out
	}
	if got := titles(); strings.Join(got, "|") != "Stays visible|" {
		t.Fatalf("titles %q, want the withdrawn one hidden", got)
	}
	if err := f.svc.RemoveMember(ctx, bc.fac.ID, bc.cid, bc.member.ID); err != nil {
		t.Fatal(err)
	}
	if got := titles(); strings.Join(got, "|") != "|" {
		t.Fatalf("titles %q after removal, want none", got)
	}
}

// TestDecisionsWithControlCharactersRefused: decisions come over the WebSocket too, past the HTTP
// body check; the domain refuses a control character in them itself.
func TestDecisionsWithControlCharactersRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bc := newBookCommunity(t, f)
	_, err := f.svc.CreateCase(context.Background(), bc.author.ID, bc.cid, casestudy.SaveCase{Action: casestudy.SaveDraft,
		Input: casestudy.CaseInput{Title: "T", Context: "Nothing."}, Decisions: casestudy.Decisions{Extra: []string{"a\x00b"}}})
	wantCode(t, err, casestudy.EVALIDATION, "decisions.extra")
}
