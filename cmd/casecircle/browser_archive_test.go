package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/browsertest"
)

// TestArchiveInBrowser: a facilitator archives a discussed case with a learning summary; a
// member finds a word of the summary and a word of a thread reply by search, with highlights,
// and is refused when posting to the archived room; the facilitator exports Markdown (the file
// holds the summary and the threads) and the printable page, sets the community's policy and
// reads the audit log; the member downloads their data and deletes their account, after which
// their words stay as "Former member".
func TestArchiveInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	ctx := context.Background()
	svc := closedAtEnd(t, casestudy.NewService(m.DB()))
	ada, bo, group := twoMemberCommunity(t, svc) // Ada facilitates, Bo is a member
	cs, err := svc.CreateCase(ctx, bo.ID, group.ID, casestudy.SaveCase{Action: casestudy.SavePublish, Attest: true,
		Input: casestudy.CaseInput{Title: "A sponsor who wants reports", Kind: casestudy.KindCoaching, Tags: []string{"contracting"},
			Question: "How do I keep the coaching confidential?"}})
	if err != nil {
		t.Fatal(err)
	}
	top, err := svc.PostMessage(ctx, bo.ID, group.ID, cs.ID, casestudy.NewMessage{ClientID: "b1", Body: "The sponsor asks for weekly notes."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostMessage(ctx, ada.ID, group.ID, cs.ID, casestudy.NewMessage{ClientID: "a1", ParentID: top.Message.ID,
		Body: "Perhaps revisit the tripartite agreement together."}); err != nil {
		t.Fatal(err)
	}
	casePath := fmt.Sprintf("%s/communities/%d/cases/%d", base, group.ID, cs.ID)

	// The facilitator archives it with a summary.
	fac := browsertest.New(t)
	signInAs(fac, base, "ada@example.org")
	fac.Do(chromedp.Navigate(casePath), chromedp.Click(`//a[.="Archive this case…"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="archive-form"]`)))
	waitFor(t, "the summary form to be pre-filled", func() bool {
		return browsertest.Get(fac, chromedp.Evaluate[string](`document.querySelector('#s-themes').value`)) == "contracting"
	})
	// The form is sent once, by its own script (it was also sent by the generic form handler,
	// which showed "This field has the wrong type"): count the POSTs it makes.
	browsertest.Get(fac, chromedp.Evaluate[bool](`(() => {
		window.archivePosts = 0;
		const send = window.fetch;
		window.fetch = (url, init) => {
			if (!init || init.method !== 'POST') return send(url, init);
			window.archivePosts++; // held back a moment, so that the page is still here to be asked
			return new Promise((r) => setTimeout(r, 1500)).then(() => send(url, init));
		};
		return true; })()`))
	fac.Do(chromedp.SetValue(chromedp.CSS("#s-learning"), "Confidentiality belongs in the three-way contract."),
		chromedp.SetValue(chromedp.CSS("#s-actions"), "Draft a reporting protocol."),
		chromedp.Click(`//form[@data-testid="archive-form"]//button[.="Archive the case"]`))
	if posts := browsertest.Get(fac, chromedp.Evaluate[int](`window.archivePosts`)); posts != 1 {
		t.Errorf("the archive form was sent %d times", posts)
	}
	fac.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-summary"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="read-only"]`)))

	// The member finds the summary and the reply, highlighted.
	member := browsertest.New(t)
	signInAs(member, base, "bo@example.org")
	member.Do(chromedp.Navigate(base+"/search"),
		chromedp.SendKeys(chromedp.CSS("#search-q"), "confidentiality"),
		chromedp.WaitVisible(`//ol[@data-testid="search-results"]/li[.//span[.="In the learning summary · archived"]]//mark[.="Confidentiality"]`))
	browsertest.Get(member, chromedp.Evaluate[bool](`document.querySelector('#search-q').value = ''; true`))
	member.Do(chromedp.SendKeys(chromedp.CSS("#search-q"), "tripartite"),
		chromedp.WaitVisible(`//ol[@data-testid="search-results"]/li[.//span[.="In the discussion · archived"]]//mark[.="tripartite"]`))
	// A filter narrows the results as it changes: active cases only hold no match.
	member.Do(chromedp.SetValue(chromedp.CSS("#search-archived"), "false"))
	browsertest.Get(member, chromedp.Evaluate[bool](`document.querySelector('#search-archived').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitFor(t, "the active-only filter to apply", func() bool {
		return browsertest.Get(member, chromedp.Evaluate[int](`document.querySelectorAll('#search-results li').length`)) == 0
	})

	// The archived room is read-only: no composer, and a post is refused with the reason.
	member.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.CSS(`[data-testid="read-only"]`)))
	if browsertest.Get(member, chromedp.Evaluate[bool](`!!document.querySelector('#message-body:not([disabled])') && document.querySelector('#message-body').offsetParent !== null`)) {
		t.Error("an archived room offers a composer")
	}
	refusal := browsertest.Get(member, chromedp.Evaluate[string](fmt.Sprintf(`fetch('/api/v1/communities/%d/cases/%d/messages', {method: 'POST',
		headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: JSON.stringify({client_id: 'late', body: 'One more idea'})})
		.then(async (r) => r.status + ' ' + (await r.json()).error.message)`, group.ID, cs.ID), chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(refusal, "409 ") || !strings.Contains(refusal, "read-only") {
		t.Errorf("posting to the archived room: %s", refusal)
	}

	// The facilitator exports Markdown: the file holds the summary and the threads.
	downloads := t.TempDir()
	fac.SaveDownloadsIn(downloads)
	fac.Do(chromedp.Click(chromedp.CSS(`[data-testid="export-markdown"]`)))
	md := string(fac.Downloaded(downloads, "case-*.md"))
	for _, want := range []string{"# A sponsor who wants reports", "Confidentiality belongs in the three-way contract.", "Draft a reporting protocol.",
		"### **Bo**", "The sponsor asks for weekly notes.", "> **Ada**", "> Perhaps revisit the tripartite agreement together."} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown export lacks %q:\n%s", want, md)
		}
	}
	// The printable page: the same content, styled for print.
	fac.Do(chromedp.Navigate(fmt.Sprintf("%s/api/v1/communities/%d/cases/%d/export?format=html", base, group.ID, cs.ID)),
		chromedp.WaitVisible(`//h1[.="A sponsor who wants reports"]`),
		chromedp.WaitVisible(`//div[@class="reply"]//p[.="Perhaps revisit the tripartite agreement together."]`))
	if !browsertest.Get(fac, chromedp.Evaluate[bool](`[...document.styleSheets].some((s) => [...s.cssRules].some((r) => r.media && r.media.mediaText === 'print'))`)) {
		t.Error("the printable export has no print stylesheet")
	}

	// Policy: numbered names and retention, saved and shown to members.
	fac.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d", base, group.ID)),
		chromedp.SetValue(chromedp.CSS("#export_names"), "numbered"),
		chromedp.SendKeys(chromedp.CSS("#retain_messages_days"), "30"),
		chromedp.Click(`//form[@data-testid="policy-form"]//button[.="Save policy"]`),
		chromedp.WaitVisible(`//section[@data-testid="policy"]//li[contains(., "deleted 30 days after their case is archived")]`),
		chromedp.WaitVisible(`//section[@data-testid="policy"]//li[contains(., "Member 1")]`))
	fac.Do(chromedp.SendKeys(chromedp.CSS("#retain_drafts_days"), "0"),
		chromedp.Click(`//form[@data-testid="policy-form"]//button[.="Save policy"]`),
		chromedp.WaitVisible(`//p[@data-error-for="retain_drafts_days"][contains(., "from 1 to")]`))

	// The audit log, filtered: the export and the member's first view of the case.
	fac.Do(chromedp.Click(chromedp.CSS(`[data-testid="audit-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-list"]`)),
		chromedp.SetValue(chromedp.CSS("#f-action"), "case.exported"),
		chromedp.Click(`//form[@aria-label="Filter the audit log"]//button[.="Filter"]`),
		// Wait for what the step changes: the page rendered for this filter (the unfiltered page
		// has case.exported rows too).
		chromedp.WaitVisible(`//table[@data-testid="audit-list"][@data-filter-action="case.exported"]`))
	if rows := browsertest.Get(fac, chromedp.Evaluate[int](`document.querySelectorAll('table[data-testid="audit-list"] tbody tr').length`)); rows != 2 {
		t.Errorf("%d case.exported rows, want 2 (Markdown and printable)", rows)
	}
	fac.Do(chromedp.SetValue(chromedp.CSS("#f-action"), "case.viewed"),
		chromedp.SetValue(chromedp.CSS("#f-actor"), fmt.Sprint(bo.ID)),
		chromedp.Click(`//form[@aria-label="Filter the audit log"]//button[.="Filter"]`),
		chromedp.WaitVisible(fmt.Sprintf(`//table[@data-testid="audit-list"][@data-filter-action="case.viewed"][@data-filter-actor="%d"]`, bo.ID)))
	// In words: who, what, and the case by its title, not "case 2" and raw JSON.
	if row := browsertest.Get(fac, chromedp.Text(`//table[@data-testid="audit-list"]//tr[@data-action="case.viewed"]`)); !strings.Contains(row, "Bo") ||
		!strings.Contains(row, "Read a case") || !strings.Contains(row, "case “A sponsor who wants reports”") {
		t.Errorf("the audit row reads %q", row)
	}

	// The member downloads their data, then deletes their account.
	mine := t.TempDir()
	member.SaveDownloadsIn(mine)
	member.Do(chromedp.Navigate(base+"/account"), chromedp.Click(chromedp.CSS(`[data-testid="download-data"]`)))
	if data := string(member.Downloaded(mine, "casecircle-my-data-*.json")); !strings.Contains(data, `"email": "bo@example.org"`) ||
		!strings.Contains(data, "The sponsor asks for weekly notes.") {
		t.Errorf("the data download:\n%s", data)
	}
	browsertest.Get(member, chromedp.Evaluate[bool](`window.confirm = () => true; true`))
	member.Do(chromedp.SendKeys(chromedp.CSS("#delete-password"), "not the password"),
		chromedp.Click(`//form[@data-testid="delete-account"]//button[.="Delete my account"]`),
		chromedp.WaitVisible(`//p[@data-error-for="password"][contains(., "not right")]`))
	member.Do(chromedp.SetValue(chromedp.CSS("#delete-password"), demoPassword),
		chromedp.Click(`//form[@data-testid="delete-account"]//button[.="Delete my account"]`),
		// A page that says it is done, signed out.
		chromedp.WaitVisible(`//section[@data-testid="account-deleted"]/h1[.="Your account is deleted"]`),
		chromedp.WaitVisible(`//a[.="Sign in"]`))
	fac.Do(chromedp.Navigate(casePath),
		chromedp.WaitVisible(`//article[.//div[normalize-space()="The sponsor asks for weekly notes."]]//*[contains(., "Former member")]`))
}
