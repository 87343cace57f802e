package casestudy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
)

func TestArchiveCase(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	must := mustOK(t)
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	present := []int64{sf.author.ID, sf.bob.ID}

	// A session with learning, ended: its points pre-fill the summary.
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "default"}, present))
	for range 4 {
		must(sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...))
	}
	must(sf.f.svc.AddLearningPoint(ctx, sf.bob.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "Contract with the sponsor too", Function: "normative"}))

	// Not while a session runs; only facilitators.
	_, err := sf.f.svc.ArchiveCase(ctx, sf.fac.ID, sf.cid, room, casestudy.SummaryInput{})
	wantRefusal(t, err, casestudy.ECONFLICT, "end it before archiving")
	must(sf.control(t, room, sf.sup1, casestudy.SessionEnd))
	_, err = sf.f.svc.ArchiveCase(ctx, sf.sup1.ID, sf.cid, room, casestudy.SummaryInput{})
	wantRefusal(t, err, casestudy.EFORBIDDEN, "facilitator")

	draft, records, err := sf.f.svc.ArchiveDraft(ctx, sf.fac.ID, sf.cid, room)
	if err != nil || len(records) != 1 || len(draft.KeptSessions) != 1 || !strings.Contains(draft.LearningPoints, "Contract with the sponsor too (normative)") {
		t.Fatalf("draft %+v records %d: %v", draft, len(records), err)
	}

	// The summary is anonymised like everything else.
	draft.Themes = []string{"Contracting", "Three-way"}
	draft.Actions = "- Call Priya Raghunathan about it"
	_, err = sf.f.svc.ArchiveCase(ctx, sf.fac.ID, sf.cid, room, draft)
	wantRefusal(t, err, casestudy.EVALIDATION, "decisions")
	draft.Decisions = casestudy.Decisions{Accept: []string{"Priya Raghunathan"}}
	sum, err := sf.f.svc.ArchiveCase(ctx, sf.fac.ID, sf.cid, room, draft)
	if err != nil || strings.Contains(sum.Actions, "Priya") || strings.Join(sum.Themes, ",") != "contracting,three-way" {
		t.Fatalf("summary %+v: %v", sum, err)
	}

	// The room is read-only, with a clear error; members read the summary.
	_, err = sf.post(room, sf.bob, "One more thing", 0)
	wantRefusal(t, err, casestudy.ECONFLICT, "archived")
	got, err := sf.f.svc.CaseSummary(ctx, sf.bob.ID, sf.cid, room)
	if err != nil || got.Actions != sum.Actions || len(got.KeptSessions) != 1 {
		t.Fatalf("read back %+v: %v", got, err)
	}
	if _, err := sf.f.svc.CaseSummary(ctx, sf.out.ID, sf.cid, room); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Fatalf("an outsider reads the summary: %v", err)
	}

	// The archive lists it, with filters.
	for _, c := range []struct {
		f    casestudy.ArchiveFilter
		want int
	}{
		{casestudy.ArchiveFilter{}, 1},
		{casestudy.ArchiveFilter{Tag: "contracting"}, 1},
		{casestudy.ArchiveFilter{Tag: "grief"}, 0},
		{casestudy.ArchiveFilter{Template: "default"}, 1},
		{casestudy.ArchiveFilter{Template: "balint"}, 0},
		{casestudy.ArchiveFilter{Kind: casestudy.KindMentoring}, 0},
	} {
		list, err := sf.f.svc.ListArchive(ctx, sf.bob.ID, sf.cid, c.f)
		if err != nil || len(list) != c.want {
			t.Errorf("archive %+v: %d cases (%v), want %d", c.f, len(list), err, c.want)
		}
	}

	// Unarchiving opens the room again, and both are audited.
	if err := sf.f.svc.UnarchiveCase(ctx, sf.fac.ID, sf.cid, room); err != nil {
		t.Fatal(err)
	}
	must(sf.post(room, sf.bob, "Back again", 0))
	entries, err := sf.f.svc.ListAudit(ctx, sf.fac.ID, sf.cid, casestudy.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	if !seen["case.archived"] || !seen["case.unarchived"] {
		t.Fatalf("audit %v", seen)
	}
}
