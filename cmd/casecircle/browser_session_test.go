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

// TestLiveSessionInBrowser: a supervisor, a presenter and a member walk the default template in
// three browsers; the server's rules show in each one's composer, and a reload mid-session shows
// the same phase and countdown.
func TestLiveSessionInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	ctx := context.Background()
	svc := closedAtEnd(t, casestudy.NewService(m.DB()))
	ada, bo, group := twoMemberCommunity(t, svc) // Ada supervises (a facilitator), Bo presents
	addMember(t, svc, ada, group)
	cs, err := svc.CreateCase(ctx, bo.ID, group.ID, casestudy.SaveCase{Action: casestudy.SavePublish, Attest: true,
		Input: casestudy.CaseInput{Title: "A founder who cannot let go", Kind: casestudy.KindCoaching, Question: "Why do I keep advising?"}})
	if err != nil {
		t.Fatal(err)
	}
	casePath := fmt.Sprintf("%s/communities/%d/cases/%d", base, group.ID, cs.ID)

	open := func(email, name string) *browsertest.Browser { return openRoom(t, base, email, name, casePath) }
	sup, presenter, member := open("ada@example.org", "Ada"), open("bo@example.org", "Bo"), open("cy@example.org", "Cy")
	sup.Do(chromedp.WaitVisible(`//ul[@data-testid="presence"]/li[.="Cy"]`))
	phaseIs := func(b *browsertest.Browser, name string) {
		t.Helper()
		b.Do(chromedp.WaitVisible(fmt.Sprintf(`//strong[@data-testid="phase-name"][.="%s"]`, name)))
	}
	say := func(b *browsertest.Browser, text string) {
		t.Helper()
		b.Do(chromedp.SendKeys(chromedp.CSS("#message-body"), text),
			chromedp.Click(chromedp.CSS("[data-send]")),
			chromedp.WaitVisible(fmt.Sprintf(`//div[@data-testid="message-body"][normalize-space()="%s"]`, text)))
	}
	closedBecause := func(b *browsertest.Browser, reason string) {
		t.Helper()
		b.Do(chromedp.WaitVisible(fmt.Sprintf(`//p[@data-testid="composer-reason"][contains(., "%s")]`, reason)))
		if !browsertest.Get(b, chromedp.Evaluate[bool](`document.querySelector('#message-body').disabled`)) {
			t.Fatalf("the composer is open despite %q", reason)
		}
	}
	next := func() {
		t.Helper()
		sup.Do(chromedp.Click(chromedp.CSS(`[data-testid="advance"]`)))
	}

	// The supervisor starts the default format; the presenter is the case's author.
	sup.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="start-session"]`)),
		chromedp.WaitReady(`//select[@id="session-template"]/option[@value="default"]`),
		chromedp.SetValue(chromedp.CSS("#session-template"), "default"),
		chromedp.Click(`//form[@data-testid="start-session"]//button[.="Start"]`))
	for _, b := range []*browsertest.Browser{sup, presenter, member} {
		phaseIs(b, "Presentation")
	}

	// Presentation: the member's composer is closed; the presenter presents.
	closedBecause(member, "Only the presenter may speak")
	// While writing, the phase stays in sight above the composer, the reason it is closed sits
	// above the text box (not under Send), and the closed box looks closed.
	member.Do(chromedp.WaitVisible(`//p[@data-testid="composer-phase"][contains(., "Presentation")][contains(., "left")][contains(., "the presenter (Bo)")]`))
	if above := browsertest.Get(member, chromedp.Evaluate[bool](`document.querySelector('[data-testid="composer-reason"]').getBoundingClientRect().bottom <=
		document.querySelector('#message-body').getBoundingClientRect().top`)); !above {
		t.Error("the reason the composer is closed is not above the text box")
	}
	if look := browsertest.Get(member, chromedp.Evaluate[string](`(() => { const s = getComputedStyle(document.querySelector('#message-body'));
		return s.cursor + ' ' + s.borderStyle + ' ' + s.backgroundColor; })()`)); look != "not-allowed dashed rgb(236, 235, 231)" {
		t.Errorf("a closed composer looks like %q", look)
	}
	say(presenter, "Here is my case.")
	member.Do(chromedp.WaitVisible(`//div[@data-testid="message-body"][normalize-space()="Here is my case."]`))
	// The supervisor may speak in every phase, marked as a facilitation note.
	say(sup, "A reminder: no names of clients, please.")
	member.Do(chromedp.WaitVisible(`//article[.//div[normalize-space()="A reminder: no names of clients, please."]]//span[@data-testid="facilitation-note"]`))

	// Clarifying questions: the member asks, the presenter answers in the thread.
	next()
	phaseIs(member, "Clarifying questions")
	say(member, "Who pays for the coaching?")
	closedBecause(presenter, "use Reply")
	presenter.Do(chromedp.Click(`//article[.//div[normalize-space()="Who pays for the coaching?"]]//button[.="Reply"]`),
		chromedp.WaitEnabled(chromedp.CSS("#message-body")))
	// Your own reply stays in sight, and in a question phase everyone sees the answers open.
	presenter.Do(chromedp.SendKeys(chromedp.CSS("#message-body"), "The board does."), chromedp.Click(chromedp.CSS("[data-send]")),
		chromedp.WaitVisible(`//ol[contains(@class, "replies")]//div[@data-testid="message-body"][normalize-space()="The board does."]`))
	member.Do(chromedp.WaitVisible(`//ol[contains(@class, "replies")]//div[@data-testid="message-body"][normalize-space()="The board does."]`))

	// Reflective round: the presenter listens; the server refuses their post even without the UI.
	next()
	phaseIs(presenter, "Reflective round")
	closedBecause(presenter, "The presenter listens")
	refused := browsertest.Get(presenter, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const x = new XMLHttpRequest();
		x.open('POST', '/api/v1/communities/%d/cases/%d/messages', false);
		x.setRequestHeader('Content-Type', 'application/json');
		x.send(JSON.stringify({client_id: 'sneaky', body: 'Let me just explain'}));
		return x.status + ' ' + x.responseText;
	})()`, group.ID, cs.ID)))
	if !strings.HasPrefix(refused, "403") || !strings.Contains(refused, "The presenter listens") {
		t.Fatalf("the presenter's post in the reflective round answered %q", refused)
	}
	say(member, "I notice how much the founder carries alone.")

	// A member who reloads sees the same phase and countdown.
	before := browsertest.Get(member, chromedp.Evaluate[string](`document.querySelector('[data-testid="countdown"]').textContent`))
	member.Do(chromedp.Reload())
	phaseIs(member, "Reflective round")
	after := browsertest.Get(member, chromedp.Evaluate[string](`document.querySelector('[data-testid="countdown"]').textContent`))
	if b, a := secondsOf(t, before), secondsOf(t, after); a > b || b-a > 10 {
		t.Fatalf("countdown before the reload %q, after %q", before, after)
	}

	presenter.Screenshot("session-presenter-listens")
	member.Do(chromedp.EmulateViewport(390, 844)) // a phone
	member.Screenshot("session-phone")

	// Presenter response, then learning, then the end.
	next()
	phaseIs(presenter, "Presenter response")
	closedBecause(member, "Only the presenter may speak")
	say(presenter, "I see that I rescue.")
	next()
	phaseIs(member, "Learning and actions")
	say(member, "Thank you, that helped.")
	member.Do(chromedp.SendKeys(chromedp.CSS("#learning-body"), "Ask before advising."),
		chromedp.SetValue(chromedp.CSS("#learning-function"), "formative"),
		chromedp.Click(`//form[@data-testid="learning-form"]//button[.="Record"]`))
	sup.Do(chromedp.SendKeys(chromedp.CSS("#learning-body"), "Talk to the board about the contract."),
		chromedp.SetValue(chromedp.CSS("#learning-kind"), "action"),
		chromedp.Click(`//form[@data-testid="learning-form"]//button[.="Record"]`))
	if h := browsertest.Get(sup, chromedp.Evaluate[float64](`document.querySelector('[data-testid="learning-form"] button').getBoundingClientRect().height`)); h > 60 {
		t.Errorf("the Record button is %.0f px tall", h)
	}
	if cursor := browsertest.Get(member, chromedp.Evaluate[string](`(() => { const b = document.createElement('button'); b.disabled = true;
		document.body.append(b); const c = getComputedStyle(b).cursor; b.remove(); return c; })()`)); cursor != "not-allowed" {
		t.Errorf("a disabled button shows the %q cursor", cursor)
	}
	presenter.Do(chromedp.WaitVisible(`//ul[@data-testid="learning-points"]/li[contains(., "Ask before advising. (formative)")]`),
		chromedp.WaitVisible(`//ul[@data-testid="learning-points"]/li[contains(., "Action: Talk to the board")]`))

	// Cy becomes a supervisor and takes over: asked to confirm, Ada is told, the audit log has it.
	cy := findUser(t, svc, group.ID, ada.ID, "Cy")
	if err := svc.ChangeRole(ctx, ada.ID, group.ID, cy, casestudy.RoleSupervisor); err != nil {
		t.Fatal(err)
	}
	member.Do(chromedp.Reload(), chromedp.WaitVisible(`//button[@data-take-over][.="Take over as supervisor"]`))
	browsertest.Get(member, chromedp.Evaluate[bool](`window.confirm = (q) => { window.asked = q; return true; }; true`))
	member.Do(chromedp.Click(`//button[@data-take-over]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="end-session"]`)))
	if asked := browsertest.Get(member, chromedp.Evaluate[string](`window.asked || ''`)); !strings.Contains(asked, "Take over from Ada") {
		t.Errorf("taking over asked %q", asked)
	}
	sup.Do(chromedp.WaitVisible(`//p[@data-testid="session-notice"][contains(., "Cy has taken over as supervisor; you take part as a member now.")]`))
	if entries, err := svc.ListAudit(ctx, ada.ID, group.ID, casestudy.AuditFilter{Action: "session.taken_over"}); err != nil || len(entries) != 1 ||
		*entries[0].ActorID != cy || *entries[0].TargetID != ada.ID {
		t.Errorf("the take-over in the audit log: %+v %v", entries, err)
	}

	member.Do(chromedp.Click(chromedp.CSS(`[data-testid="end-session"]`)))
	member.Do(chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="session-panel"]`)),
		chromedp.WaitEnabled(chromedp.CSS("#message-body")))
	sup.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="start-session"]`)))
	// Everyone sees the record as the session ends, without reloading.
	sup.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="session-record"]`)))

	// The record lists every phase as it ran, with the learning and the actions.
	member.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-testid="session-record"]`)))
	record := browsertest.Get(member, chromedp.Evaluate[string](`document.querySelector('[data-testid="session-record"]').innerText`))
	// The thread still reads as the session happened: messages keep their phase.
	member.Do(chromedp.WaitVisible(`//article[.//div[normalize-space()="I notice how much the founder carries alone."]]//span[contains(@class,"phase-tag")][.="Reflective round"]`))
	for _, want := range []string{"Case consultation (default)", "Presentation", "Clarifying questions", "Reflective round",
		"Presenter response", "Learning and actions", "Ask before advising.", "formative", "Talk to the board about the contract."} {
		if !strings.Contains(record, want) {
			t.Errorf("the session record lacks %q:\n%s", want, record)
		}
	}
	member.Screenshot("session-record")

	// The facilitator archives the case; the summary is pre-filled from the session.
	sup.Do(chromedp.Reload(), chromedp.Click(`//a[.="Archive this case…"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="archive-form"]`)),
		chromedp.WaitVisible(`//label[contains(., "Case consultation (default)")]`))
	sup.Do(chromedp.SetValue(chromedp.CSS("#s-themes"), "Rescuing, Founders"),
		chromedp.Click(`//form[@data-testid="archive-form"]//button[.="Archive the case"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-summary"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="read-only"]`)))
	summary := browsertest.Get(sup, chromedp.Evaluate[string](`document.querySelector('[data-testid="case-summary"]').innerText`))
	// Its Markdown is rendered: a list, not "- " lines.
	if items := browsertest.Get(sup, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="summary-learning"] li').length`)); items < 1 || strings.Contains(summary, "- Ask") {
		t.Errorf("the learning summary is not rendered as a list (%d items):\n%s", items, summary)
	}
	for _, want := range []string{"rescuing", "founders", "Ask before advising. (formative)", "Talk to the board about the contract."} {
		if !strings.Contains(summary, want) {
			t.Errorf("the learning summary lacks %q:\n%s", want, summary)
		}
	}
	member.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d/archive?tag=rescuing", base, group.ID)),
		chromedp.WaitVisible(`//ul[@data-testid="archive-list"]//strong[.="A founder who cannot let go"]`),
		chromedp.Navigate(fmt.Sprintf("%s/communities/%d/archive?tag=grief", base, group.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="archive-empty"]`)))

	// Search finds the archived discussion as one types (the last word as a prefix).
	member.Do(chromedp.Navigate(base+"/search"),
		chromedp.SendKeys(chromedp.CSS("#search-q"), "carries alo"),
		chromedp.WaitVisible(`//ol[@data-testid="search-results"]/li[.//span[contains(., "In the discussion · archived")]]//mark[.="carries"]`))
}

// secondsOf reads a countdown such as "14:59 left".
func secondsOf(t *testing.T, countdown string) int {
	t.Helper()
	var m, s int
	if _, err := fmt.Sscanf(countdown, "%d:%d left", &m, &s); err != nil {
		t.Fatalf("countdown %q: %v", countdown, err)
	}
	return 60*m + s
}

// findUser returns the id of the community's member with that display name.
func findUser(t *testing.T, svc *casestudy.Service, communityID, asUser int64, name string) int64 {
	t.Helper()
	members, err := svc.ListMembers(context.Background(), asUser, communityID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.DisplayName == name {
			return m.UserID
		}
	}
	t.Fatalf("no member named %s", name)
	return 0
}
