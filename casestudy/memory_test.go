package casestudy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server/render"
)

// join registers who and makes them a member of the fixture's community.
func (sf *sessionFixture) join(t *testing.T, who string, role casestudy.Role) (casestudy.User, string) {
	t.Helper()
	ctx := context.Background()
	u, session := sf.f.mustRegister(t, who)
	_, token, err := sf.f.svc.CreateInvitation(ctx, sf.fac.ID, sf.cid, casestudy.NewInvitation{Role: role, MaxUses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.f.svc.AcceptInvitation(ctx, u.ID, token); err != nil {
		t.Fatal(err)
	}
	return u, session
}

func (sf *sessionFixture) setPolicy(t *testing.T, p casestudy.Policy) {
	t.Helper()
	if _, err := sf.f.svc.SetCommunityPolicy(context.Background(), sf.fac.ID, sf.cid, p); err != nil {
		t.Fatal(err)
	}
}

func days(n int) *int { return &n }

// archive archives a case with a one-line summary.
func (sf *sessionFixture) archive(t *testing.T, room int64, learning string) {
	t.Helper()
	if _, err := sf.f.svc.ArchiveCase(context.Background(), sf.fac.ID, sf.cid, room, casestudy.SummaryInput{
		Themes: []string{"contracting"}, LearningPoints: learning, KeptSessions: []int64{}}); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyValidation(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	p, err := sf.f.svc.CommunityPolicy(ctx, sf.bob.ID, sf.cid)
	if err != nil || p.ExportNames != "names" || p.LeaverContent != "keep" || p.RetainMessagesDays != nil {
		t.Fatalf("default policy %+v: %v", p, err)
	}
	for _, c := range []struct {
		p     casestudy.Policy
		field string
	}{
		{casestudy.Policy{ExportNames: "initials", LeaverContent: "keep"}, "export_names"},
		{casestudy.Policy{ExportNames: "names", LeaverContent: "forget"}, "leaver_content"},
		{casestudy.Policy{ExportNames: "names", LeaverContent: "keep", RetainMessagesDays: days(0)}, "retain_messages_days"},
		{casestudy.Policy{ExportNames: "names", LeaverContent: "keep", RetainDraftsDays: days(40000)}, "retain_drafts_days"},
	} {
		_, err := sf.f.svc.SetCommunityPolicy(ctx, sf.fac.ID, sf.cid, c.p)
		wantCode(t, err, casestudy.EVALIDATION, c.field)
	}
	_, err = sf.f.svc.SetCommunityPolicy(ctx, sf.bob.ID, sf.cid, casestudy.Policy{ExportNames: "names", LeaverContent: "keep"})
	wantCode(t, err, casestudy.EFORBIDDEN, "")
	_, err = sf.f.svc.CommunityPolicy(ctx, sf.out.ID, sf.cid)
	wantCode(t, err, casestudy.ENOTFOUND, "")
}

// TestRetention: with an injected clock, messages of cases archived longer ago than the policy
// keeps them go (the case, summary and records stay; replay and search see nothing of them), and
// drafts untouched for long go; one process at a time applies it.
func TestRetention(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	must := mustOK(t)
	old := publishedRoom(t, sf.f, sf.cid, sf.author)
	recent := publishedRoom(t, sf.f, sf.cid, sf.author)
	open := publishedRoom(t, sf.f, sf.cid, sf.author)
	for _, room := range []int64{old, recent, open} {
		top := must(sf.post(room, sf.bob, "The marmalade question keeps coming back", 0))
		must(sf.post(room, sf.author, "A reply about marmalade and contracting", top.Message.ID))
	}
	draft, err := sf.f.svc.CreateCase(ctx, sf.bob.ID, sf.cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "Unfinished thoughts"}, Action: casestudy.SaveDraft})
	if err != nil {
		t.Fatal(err)
	}
	sf.archive(t, old, "Marmalade learning stays")

	// Nothing is deleted without a policy.
	report, err := sf.f.svc.ApplyRetention(ctx)
	if err != nil || !report.Ran || report.Messages != 0 {
		t.Fatalf("no policy: %+v %v", report, err)
	}
	sf.setPolicy(t, casestudy.Policy{ExportNames: "names", LeaverContent: "keep", RetainMessagesDays: days(30), RetainDraftsDays: days(90)})

	sf.f.clock.Advance(20 * 24 * time.Hour)
	sf.archive(t, recent, "Recent learning")
	if report, err = sf.f.svc.ApplyRetention(ctx); err != nil || report.Messages != 0 || report.Drafts != 0 {
		t.Fatalf("20 days on: %+v %v", report, err)
	}

	// 31 days after the first archiving: its two messages go, nothing else.
	sf.f.clock.Advance(11 * 24 * time.Hour)
	if report, err = sf.f.svc.ApplyRetention(ctx); err != nil || report.Messages != 2 || report.Drafts != 0 || report.Communities != 1 {
		t.Fatalf("31 days on: %+v %v", report, err)
	}
	snap, err := sf.f.svc.RoomThreads(ctx, sf.bob.ID, sf.cid, old, 0, 50)
	if err != nil || len(snap.Threads) != 0 {
		t.Fatalf("old room after retention: %d threads, %v", len(snap.Threads), err)
	}
	events, err := sf.f.svc.ReplayRoom(ctx, old, 0, 100)
	if err != nil || len(events) != 2 {
		t.Fatalf("replay: %d events, %v", len(events), err)
	}
	for i, ev := range events {
		if ev.Seq != int64(i+1) || ev.Type != "message.removed" || ev.Message != nil {
			t.Errorf("replayed event %d: %+v", i, ev)
		}
	}
	if sum, err := sf.f.svc.CaseSummary(ctx, sf.bob.ID, sf.cid, old); err != nil || sum.LearningPoints != "Marmalade learning stays" {
		t.Fatalf("the summary must stay: %+v %v", sum, err)
	}
	if c, err := sf.f.svc.GetCase(ctx, sf.bob.ID, sf.cid, old); err != nil || c.Status != casestudy.StatusArchived {
		t.Fatalf("the case must stay: %+v %v", c, err)
	}
	res, err := sf.f.svc.Search(ctx, sf.bob.ID, casestudy.SearchQuery{Text: "marmalade"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.CaseID == old && h.Type == "message" {
			t.Errorf("search still finds a deleted message: %+v", h)
		}
	}
	if n := countHits(res, "message"); n != 4 {
		t.Errorf("search finds %d messages of the two other rooms, want 4", n)
	}

	// The draft was touched 31 days ago: it stays until 90.
	sf.f.clock.Advance(60 * 24 * time.Hour)
	if report, err = sf.f.svc.ApplyRetention(ctx); err != nil || report.Drafts != 1 || report.Messages != 2 {
		t.Fatalf("91 days on: %+v %v", report, err)
	}
	if _, err := sf.f.svc.GetCase(ctx, sf.bob.ID, sf.cid, draft.ID); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Fatalf("old draft: %v", err)
	}
	if snap, err := sf.f.svc.RoomThreads(ctx, sf.bob.ID, sf.cid, open, 0, 50); err != nil || len(snap.Threads) != 1 || len(snap.Threads[0].Replies) != 1 {
		t.Fatalf("an open room must keep its messages: %+v %v", snap, err)
	}

	// Audited, with counts only.
	entries, err := sf.f.svc.ListAudit(ctx, sf.fac.ID, sf.cid, casestudy.AuditFilter{Action: "retention.applied"})
	if err != nil || len(entries) != 2 || !strings.Contains(string(entries[1].Detail), `"messages": 2`) && !strings.Contains(string(entries[1].Detail), `"messages":2`) {
		t.Fatalf("audit: %+v %v", entries, err)
	}

	// One process at a time: while another holds the lock, a run does nothing.
	conn, err := sf.f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(x'63636972657465'::bigint)`); err != nil {
		t.Fatal(err)
	}
	if report, err = sf.f.svc.ApplyRetention(ctx); err != nil || report.Ran {
		t.Fatalf("with the lock held elsewhere: %+v %v", report, err)
	}
}

func countHits(res casestudy.SearchPage, typ string) int {
	n := 0
	for _, h := range res.Hits {
		if h.Type == typ {
			n++
		}
	}
	return n
}

// TestExportCase: an archived case exports with its summary, kept records and threads, names as
// the policy says, anonymised text only; facilitators only; audited.
func TestExportCase(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	must := mustOK(t)
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	top := must(sf.post(room, sf.bob, "What did the **sponsor** expect?", 0))
	must(sf.f.svc.PostMessage(ctx, sf.author.ID, sf.cid, room, casestudy.NewMessage{ClientID: "priya", ParentID: top.Message.ID,
		Body: "I asked Priya Raghunathan and she said little", Decisions: casestudy.Decisions{Accept: []string{"Priya Raghunathan"}}}))
	gone := must(sf.post(room, sf.cat, "Withdrawn thought", 0))
	if _, err := sf.f.svc.DeleteMessage(ctx, sf.cat.ID, sf.cid, room, gone.Message.ID); err != nil {
		t.Fatal(err)
	}

	_, err := sf.f.svc.ExportCase(ctx, sf.fac.ID, sf.cid, room, "markdown")
	wantRefusal(t, err, casestudy.ECONFLICT, "archive it first")
	sf.archive(t, room, "Three-way contracts need the sponsor in the room")
	_, err = sf.f.svc.ExportCase(ctx, sf.bob.ID, sf.cid, room, "markdown")
	wantCode(t, err, casestudy.EFORBIDDEN, "")
	_, err = sf.f.svc.ExportCase(ctx, sf.out.ID, sf.cid, room, "markdown")
	wantCode(t, err, casestudy.ENOTFOUND, "")

	ex, err := sf.f.svc.ExportCase(ctx, sf.fac.ID, sf.cid, room, "markdown")
	if err != nil {
		t.Fatal(err)
	}
	md := string(render.CaseMarkdown(ex))
	for _, want := range []string{"# A case to discuss", "Presented by: Ann", "## Learning summary", "Three-way contracts need the sponsor in the room",
		"**Themes:** contracting", "## Discussion", "### **Bob**", "What did the **sponsor** expect?", "> **Ann**",
		"*This message was deleted.*"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Priya") || strings.Contains(md, "Raghunathan") || strings.Contains(md, "Withdrawn thought") {
		t.Errorf("markdown holds text that was never stored or was deleted:\n%s", md)
	}
	if len(ex.Threads) != 2 || len(ex.Threads[0].Replies) != 1 || !strings.Contains(ex.Threads[0].HTML, "<strong>sponsor</strong>") {
		t.Errorf("threads: %+v", ex.Threads)
	}

	// Numbered names: the presenter first, then by first appearance.
	sf.setPolicy(t, casestudy.Policy{ExportNames: "numbered", LeaverContent: "keep"})
	ex, err = sf.f.svc.ExportCase(ctx, sf.fac.ID, sf.cid, room, "html")
	if err != nil {
		t.Fatal(err)
	}
	md = string(render.CaseMarkdown(ex))
	if ex.Case.Author != "Member 1" || ex.Threads[0].Author != "Member 2" || ex.Threads[0].Replies[0].Author != "Member 1" ||
		strings.Contains(md, "Ann") || strings.Contains(md, "Bob") {
		t.Errorf("numbered names: %+v\n%s", ex, md)
	}

	// The whole community: published and archived cases, never drafts.
	if _, err := sf.f.svc.CreateCase(ctx, sf.bob.ID, sf.cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "Bob's private draft"}, Action: casestudy.SaveDraft}); err != nil {
		t.Fatal(err)
	}
	publishedRoom(t, sf.f, sf.cid, sf.cat)
	all, err := sf.f.svc.ExportCommunity(ctx, sf.fac.ID, sf.cid)
	if err != nil || len(all.Cases) != 2 || all.Policy.ExportNames != "numbered" {
		t.Fatalf("community export: %d cases, %+v, %v", len(all.Cases), all.Policy, err)
	}
	doc, _ := json.Marshal(all)
	if strings.Contains(string(doc), "private draft") {
		t.Error("a draft was exported")
	}
	entries, err := sf.f.svc.ListAudit(ctx, sf.fac.ID, sf.cid, casestudy.AuditFilter{Action: "community.exported"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("community export audit: %+v %v", entries, err)
	}
	entries, err = sf.f.svc.ListAudit(ctx, sf.fac.ID, sf.cid, casestudy.AuditFilter{Action: "case.exported"})
	if err != nil || len(entries) != 2 || !strings.Contains(string(entries[0].Detail), "html") {
		t.Fatalf("case export audit: %+v %v", entries, err)
	}
}

// TestDeleteAccount: erasure keeps threads intact and leaves nothing personal anywhere, under
// either leaver policy; the data download comes first.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	must := mustOK(t)
	zelda, zeldaToken := sf.join(t, "zelda", casestudy.RoleMember)

	// Zelda writes: a published case, a draft, a message, a reply, a learning point in a session.
	own := publishedRoom(t, sf.f, sf.cid, zelda)
	if _, err := sf.f.svc.CreateCase(ctx, zelda.ID, sf.cid, casestudy.SaveCase{Input: casestudy.CaseInput{Title: "My own draft"}, Action: casestudy.SaveDraft}); err != nil {
		t.Fatal(err)
	}
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	zTop := must(sf.post(room, zelda, "A question from me", 0))
	must(sf.post(room, sf.bob, "An answer to the question", zTop.Message.ID))
	bTop := must(sf.post(room, sf.bob, "A thread of my own", 0))
	must(sf.post(room, zelda, "My reply to that", bTop.Message.ID))
	present := []int64{sf.author.ID, zelda.ID, sf.sup1.ID}
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "default"}, present))
	for range 4 {
		must(sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...))
	}
	must(sf.f.svc.AddLearningPoint(ctx, zelda.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "Listen for the sponsor"}))
	must(sf.control(t, room, sf.sup1, casestudy.SessionEnd))

	// The download holds it all.
	data, err := sf.f.svc.MyData(ctx, zelda.ID)
	if err != nil || data.Account.Email != "zelda@example.org" || len(data.Cases) != 2 || len(data.Messages) != 2 ||
		len(data.LearningPoints) != 1 || len(data.Memberships) != 1 {
		t.Fatalf("data download: %+v %v", data, err)
	}

	err = sf.f.svc.DeleteAccount(ctx, zeldaToken, "not my password at all")
	wantCode(t, err, casestudy.EVALIDATION, "password")
	if err := sf.f.svc.DeleteAccount(ctx, zeldaToken, goodPassword); err != nil {
		t.Fatal(err)
	}

	// Signed out everywhere, sockets told to close.
	if _, err := sf.f.svc.Authenticate(ctx, zeldaToken); casestudy.ErrorCode(err) != casestudy.EUNAUTHORIZED {
		t.Fatalf("the session survived: %v", err)
	}
	if _, _, err := sf.f.svc.SignIn(ctx, "zelda@example.org", goodPassword); err == nil {
		t.Fatal("signed in after erasure")
	}
	if !slicesContain(sf.f.events.revoked, zelda.ID) {
		t.Error("sockets were not closed")
	}
	noPersonalData(t, sf, "zelda")

	// Keep policy (the default): her words stay as "Former member", threads intact.
	snap, err := sf.f.svc.RoomThreads(ctx, sf.bob.ID, sf.cid, room, 0, 50)
	if err != nil || len(snap.Threads) != 2 {
		t.Fatalf("threads: %+v %v", snap, err)
	}
	for _, th := range snap.Threads {
		if len(th.Replies) != 1 {
			t.Errorf("thread %d lost its reply", th.ID)
		}
		for _, m := range append([]casestudy.Message{th.Message}, th.Replies...) {
			if *m.AuthorID == zelda.ID && (m.AuthorName == nil || *m.AuthorName != casestudy.FormerMember || m.Body == "") {
				t.Errorf("her message: %+v", m)
			}
		}
	}
	if c, err := sf.f.svc.GetCase(ctx, sf.bob.ID, sf.cid, own); err != nil || c.Status != casestudy.StatusPublished || c.AuthorName != casestudy.FormerMember {
		t.Errorf("her published case: %+v %v", c, err)
	}
	records, err := sf.f.svc.SessionRecords(ctx, sf.bob.ID, sf.cid, room)
	if err != nil || len(records) != 1 || *records[0].LearningPoints[0].AuthorName != casestudy.FormerMember {
		t.Fatalf("records: %+v %v", records, err)
	}
	entries, err := sf.f.svc.ListAudit(ctx, sf.fac.ID, sf.cid, casestudy.AuditFilter{Action: "account.deleted"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %+v %v", entries, err)
	}

	// The only facilitator of a community with other members must hand over first.
	walt, waltToken := sf.f.mustRegister(t, "walt")
	own2, err := sf.f.svc.CreateCommunity(ctx, walt.ID, casestudy.NewCommunity{Name: "Walt's circle"})
	if err != nil {
		t.Fatal(err)
	}
	_, inv, err := sf.f.svc.CreateInvitation(ctx, walt.ID, own2.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.f.svc.AcceptInvitation(ctx, sf.bob.ID, inv); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, sf.f.svc.DeleteAccount(ctx, waltToken, goodPassword), casestudy.ECONFLICT, "only facilitator of Walt's circle")
	if err := sf.f.svc.ChangeRole(ctx, walt.ID, own2.ID, sf.bob.ID, casestudy.RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	if err := sf.f.svc.DeleteAccount(ctx, waltToken, goodPassword); err != nil {
		t.Fatalf("after handing over: %v", err)
	}

	// Delete policy: messages become tombstones (replies keep their place), cases are withdrawn.
	sf.setPolicy(t, casestudy.Policy{ExportNames: "names", LeaverContent: "delete"})
	yann, yannToken := sf.join(t, "yannick", casestudy.RoleMember)
	yOwn := publishedRoom(t, sf.f, sf.cid, yann)
	yTop := must(sf.post(room, yann, "I wonder aloud", 0))
	reply := must(sf.post(room, sf.bob, "I wonder too", yTop.Message.ID))
	before := len(sf.f.events.room)
	if err := sf.f.svc.DeleteAccount(ctx, yannToken, goodPassword); err != nil {
		t.Fatal(err)
	}
	if got := len(sf.f.events.room) - before; got != 1 {
		t.Errorf("%d room events delivered for the deletion, want 1", got)
	}
	noPersonalData(t, sf, "yannick")
	snap, err = sf.f.svc.RoomThreads(ctx, sf.bob.ID, sf.cid, room, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, th := range snap.Threads {
		if th.ID == yTop.Message.ID {
			found = true
			if th.DeletedAt == nil || th.Body != "" || len(th.Replies) != 1 || th.Replies[0].ID != reply.Message.ID || th.Replies[0].Body != "I wonder too" {
				t.Errorf("tombstone thread: %+v", th)
			}
		}
	}
	if !found {
		t.Error("the tombstone's thread is gone")
	}
	if _, err := sf.f.svc.GetCase(ctx, sf.bob.ID, sf.cid, yOwn); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Errorf("his case should be withdrawn: %v", err)
	}
	res, err := sf.f.svc.Search(ctx, sf.bob.ID, casestudy.SearchQuery{Text: "wonder"})
	if err != nil || countHits(res, "message") != 1 {
		t.Errorf("search after tombstoning: %+v %v", res.Hits, err)
	}
}

func slicesContain(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// noPersonalData searches every text column of every table for the person's e-mail and name.
func noPersonalData(t *testing.T, sf *sessionFixture, who string) {
	t.Helper()
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	if err := sf.f.db.Select(&cols, `
		SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'tsvector', 'bytea')`); err != nil {
		t.Fatal(err)
	}
	if len(cols) < 20 {
		t.Fatalf("only %d text columns found", len(cols))
	}
	name := strings.ToUpper(who[:1]) + who[1:]
	for _, c := range cols {
		for _, needle := range []string{who + "@example.org", name, strings.ToLower(name)} {
			var n int
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(%q::text, $1) > 0`, c.Table, c.Column)
			if err := sf.f.db.Get(&n, q, needle); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				t.Errorf("%s.%s still holds %q in %d rows", c.Table, c.Column, needle, n)
			}
		}
	}
}
