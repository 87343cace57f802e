package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/browsertest"
	"github.com/casecircle/casecircle/internal/pgtest"
)

// testService is a service over the test server's database with the test server's key, for
// setting up what a test does not drive through the browser.
func testService(t testing.TB, m *Main) *casestudy.Service {
	return closedAtEnd(t, casestudy.NewService(m.DB(), casestudy.WithSecretKey(testSecretKey)))
}

// holdsWord reports whether a dump holds word as a whole word.
func holdsWord(dump, word string) bool {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(word) + `\b`).MatchString(dump)
}

// TestLabelBookInBrowser: a case naming Mark Devlin, Sarah and an employer is published; in its
// room a member writes "Mark called me yesterday and Sarah was copied in": the composer shows
// both as findings while it is typed, and what is stored and what the author sees carries the
// case's labels. The archive summary and the Markdown export use them too, and a pg_dump of the
// database holds none of the names, label book included.
func TestLabelBookInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	_, _, group := twoMemberCommunity(t, testService(t, m)) // Ada facilitates, Bo is a member

	// Bo writes and publishes the case in the composer.
	bo := browsertest.New(t)
	signInAs(bo, base, "bo@example.org")
	bo.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d/cases/new", base, group.ID)),
		chromedp.WaitVisible(`//h1[.="Write a case"]`),
		chromedp.SendKeys(chromedp.CSS("#case-title"), "Reports the sponsor wants"),
		chromedp.SendKeys(chromedp.CSS("#case-context"), "My client Mark Devlin works at Kestrel Freight plc. His manager Sarah wants weekly reports."),
		chromedp.SendKeys(chromedp.CSS("#case-question"), "How do I hold the contract?"),
		chromedp.Click(`//button[.="Check anonymisation"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-review] mark.finding`)),
		// Keep, then Replace after all: each press is shown on the finding and its buttons.
		chromedp.Click(`//mark[@data-testid="finding"][span[.="Sarah"]]/button[@aria-label="Keep “Sarah”"]`),
		chromedp.WaitVisible(`//mark[@data-testid="finding"][span[.="Sarah"]][@data-state="dismiss"]/button[@aria-label="Keep “Sarah”"][@aria-pressed="true"]`),
		chromedp.Click(`//mark[@data-testid="finding"][span[.="Sarah"]]/button[@aria-label="Replace “Sarah”"]`),
		chromedp.WaitVisible(`//mark[@data-testid="finding"][span[.="Sarah"]][@data-state="accept"]/button[@aria-label="Replace “Sarah”"][@aria-pressed="true"]`),
		chromedp.Click(`//button[.="Replace all undecided"]`),
		chromedp.WaitVisible(`//span[@data-open-count][.="Every detail is decided."]`),
		chromedp.Click(chromedp.CSS(`[data-attest]`)),
		chromedp.Click(`//button[.="Publish"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-title"]`)))
	caseURL := browsertest.Get(bo, chromedp.Evaluate[string](`location.href`))
	caseText := browsertest.Get(bo, chromedp.Evaluate[string](`document.querySelector('[data-testid="case"]').innerText`))
	if !strings.Contains(caseText, "My client Client A works at [Organisation 1]. His manager Person B wants weekly reports.") {
		t.Fatalf("the published case reads:\n%s", caseText)
	}

	// Ada writes in the room: the composer finds both names as she types, with the case's labels.
	ada := openRoom(t, base, "ada@example.org", "Ada", caseURL)
	ada.Do(chromedp.SendKeys(chromedp.CSS("#message-body"), "Mark called me yesterday and Sarah was copied in."),
		chromedp.WaitVisible(`//div[@data-testid="live-review"]//mark[@data-testid="live-finding"][span[.="Mark"]][contains(., "Client A")]`),
		chromedp.WaitVisible(`//div[@data-testid="live-review"]//mark[@data-testid="live-finding"][span[.="Sarah"]][contains(., "Person B")]`))
	ada.Screenshot("live-review-with-the-case-labels")
	// Her choices show as she makes them: Keep, Replace again; an extra text, then Undo.
	live := `//div[@data-testid="live-review"]`
	ada.Do(chromedp.Click(live+`//mark[span[.="Sarah"]]/button[@aria-label="Keep “Sarah”"]`),
		chromedp.WaitVisible(live+`//mark[span[.="Sarah"]][@data-state="dismiss"]/button[@aria-label="Keep “Sarah”"][@aria-pressed="true"]`),
		chromedp.Click(live+`//mark[span[.="Sarah"]]/button[@aria-label="Replace “Sarah”"]`),
		chromedp.WaitVisible(live+`//mark[span[.="Sarah"]][@data-state="accept"]/button[@aria-label="Replace “Sarah”"][@aria-pressed="true"]`),
		chromedp.SendKeys(live+`//input[@aria-label="Also replace this text"]`, "yesterday"),
		chromedp.Click(live+`//button[.="Replace this too"]`),
		chromedp.WaitVisible(live+`//li[contains(., "Also replaced: “yesterday”")]`),
		chromedp.Click(live+`//li[contains(., "yesterday")]/button[.="Undo"]`),
		chromedp.WaitNotPresent(live+`//li[contains(., "yesterday")]`))
	ada.Do(chromedp.Click(chromedp.CSS("[data-send]")))
	want := "Client A called me yesterday and Person B was copied in."
	bo.Do(chromedp.WaitVisible(fmt.Sprintf(`//div[@data-testid="message-body"][normalize-space()=%q]`, want)))
	ada.Do(chromedp.WaitVisible(fmt.Sprintf(`//div[@data-testid="message-body"][normalize-space()=%q]`, want)))

	// Ada archives it; the summary names them with the same labels.
	ada.Do(chromedp.Navigate(caseURL), chromedp.Click(`//a[.="Archive this case…"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="archive-form"]`)),
		chromedp.SetValue(chromedp.CSS("#s-learning"), "Mark needs a boundary with Sarah."),
		chromedp.Click(`//form[@data-testid="archive-form"]//button[.="Archive the case"]`),
		chromedp.WaitVisible(`//div[@data-findings]//span[contains(., "Mark")]`),
		chromedp.Click(chromedp.CSS("[data-replace-all]")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-summary"]`)))
	summary := browsertest.Get(ada, chromedp.Evaluate[string](`document.querySelector('[data-testid="case-summary"]').innerText`))
	if !strings.Contains(summary, "Client A needs a boundary with Person B.") {
		t.Errorf("the summary reads:\n%s", summary)
	}

	// The Markdown export uses the same labels.
	downloads := t.TempDir()
	ada.SaveDownloadsIn(downloads)
	ada.Do(chromedp.Click(chromedp.CSS(`[data-testid="export-markdown"]`)))
	md := string(ada.Downloaded(downloads, "case-*.md"))
	for _, s := range []string{"My client Client A works at [Organisation 1]. His manager Person B wants weekly reports.",
		"Client A needs a boundary with Person B.", want} {
		if !strings.Contains(md, s) {
			t.Errorf("the Markdown export lacks %q:\n%s", s, md)
		}
	}

	// What a backup would hold: no name anywhere, the label book included.
	dump := pgtest.Dump(t, m.dsn)
	if !strings.Contains(dump, "label_book") {
		t.Fatal("the dump has no label book")
	}
	for _, name := range []string{"Mark", "Devlin", "Sarah", "Kestrel"} {
		if holdsWord(dump, name) {
			t.Errorf("pg_dump holds %q", name)
		}
	}
}

// TestRedactionInBrowser: a published case edited to remove a name offers to redact the earlier
// version in the same save; afterwards no member, no search and no export reaches the old text,
// and the audit log says who redacted which version, without content.
func TestRedactionInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	ctx := context.Background()
	svc := testService(t, m)
	ada, bo, group := twoMemberCommunity(t, svc)
	addMember(t, svc, ada, group)
	// Bo kept the name when he published ("not identifying", he thought then).
	cs, err := svc.CreateCase(ctx, bo.ID, group.ID, casestudy.SaveCase{Action: casestudy.SavePublish, Attest: true,
		Input:     casestudy.CaseInput{Title: "A call about the contract", Context: "Mark rang me about the contract renewal.", Question: "What now?"},
		Decisions: casestudy.Decisions{Dismiss: []string{"Mark"}}})
	if err != nil {
		t.Fatal(err)
	}
	caseURL := fmt.Sprintf("%s/communities/%d/cases/%d", base, group.ID, cs.ID)

	author := browsertest.New(t)
	signInAs(author, base, "bo@example.org")
	author.Do(chromedp.Navigate(caseURL+"/edit"), chromedp.WaitVisible(`//h1[.="Edit case"]`),
		chromedp.SetValue(chromedp.CSS("#case-context"), "The client rang me about the contract renewal."),
		chromedp.Click(`//button[.="Check anonymisation"]`),
		chromedp.WaitVisible(`//div[@data-testid="redact-offer"]//p[contains(., "version 1")]`))
	if !browsertest.Get(author, chromedp.Evaluate[bool](`document.querySelector('[data-redact-earlier]').checked`)) {
		t.Fatal("the offer to redact is not checked")
	}
	author.Screenshot("redact-earlier-version-offer")
	author.Do(chromedp.Click(`//button[.="Save changes"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-title"]`)),
		chromedp.WaitVisible(`//ul[@data-testid="case-history"]/li[@data-version="1"]//p[@data-testid="revision-redacted"][contains(., "Revision redacted by Bo")]`))
	if browsertest.Get(author, chromedp.Evaluate[bool](`!!document.querySelector('ul[data-testid="case-history"] details')`)) {
		t.Error("the redacted version can still be opened")
	}

	// No member reaches the old text: Cy sees no history; the API gives the facilitator an empty version.
	member := browsertest.New(t)
	signInAs(member, base, "cy@example.org")
	member.Do(chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(`[data-testid="case"]`)))
	if text := browsertest.Get(member, chromedp.Evaluate[string](`document.querySelector('main').innerText`)); holdsWord(text, "Mark") || strings.Contains(text, "Edit history") {
		t.Errorf("a member reads the old version or the history:\n%s", text)
	}
	fac := browsertest.New(t)
	signInAs(fac, base, "ada@example.org")
	revs := browsertest.Get(fac, chromedp.Evaluate[string](fmt.Sprintf(`fetch('/api/v1/communities/%d/cases/%d/revisions', {headers: {Accept: 'application/json'}}).then((r) => r.text())`, group.ID, cs.ID), chromedp.EvalAwaitPromise))
	if strings.Contains(revs, "Mark") || !strings.Contains(revs, `"redacted_at"`) {
		t.Errorf("revisions from the API: %s", revs)
	}
	// Search finds the case by what it says now, not by the old name.
	for q, hits := range map[string]bool{"renewal": true, "Mark": false} {
		got := browsertest.Get(member, chromedp.Evaluate[string](fmt.Sprintf(`fetch('/api/v1/search?q=%s', {headers: {Accept: 'application/json'}}).then((r) => r.text())`, q), chromedp.EvalAwaitPromise))
		if strings.Contains(got, "A call about the contract") != hits {
			t.Errorf("search %q: %s", q, got)
		}
	}
	// The export (of the archived case) holds only the current text.
	fac.Do(chromedp.Navigate(caseURL), chromedp.Click(`//a[.="Archive this case…"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="archive-form"]`)),
		chromedp.Click(`//form[@data-testid="archive-form"]//button[.="Archive the case"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-summary"]`)))
	for _, format := range []string{"markdown", "json", "html"} {
		out := browsertest.Get(fac, chromedp.Evaluate[string](fmt.Sprintf(`fetch('/api/v1/communities/%d/cases/%d/export?format=%s').then((r) => r.text())`, group.ID, cs.ID, format), chromedp.EvalAwaitPromise))
		if !strings.Contains(out, "renewal") || holdsWord(out, "Mark") {
			t.Errorf("the %s export: %s", format, out)
		}
	}
	// The audit log says who redacted which version, and nothing of what it said.
	fac.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d/audit?action=case.revision_redacted", base, group.ID)),
		chromedp.WaitVisible(`//table[@data-testid="audit-list"]//tr[@data-action="case.revision_redacted"][td[.="Bo"]]`))
	row := browsertest.Get(fac, chromedp.Evaluate[string](`document.querySelector('tr[data-action="case.revision_redacted"]').innerText`))
	if !strings.Contains(row, "version: 1") || strings.Contains(row, "Mark") {
		t.Errorf("the audit row: %q", row)
	}
	if holdsWord(pgtest.Dump(t, m.dsn), "Mark") {
		t.Error("pg_dump still holds the name")
	}
}
