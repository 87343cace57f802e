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

// TestNewUserWalkthroughInBrowser follows what a new member and a facilitator tripped over:
// read positions and what is new outside the room, a live session seen from outside it, the
// invitation list, renaming and deleting a community, leaving unsent text, times in the
// reader's zone, and a phone-sized page.
func TestNewUserWalkthroughInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	ctx := context.Background()
	svc := closedAtEnd(t, casestudy.NewService(m.DB()))
	ada, bo, group := twoMemberCommunity(t, svc) // Ada facilitates, Bo is a member
	cs, err := svc.CreateCase(ctx, ada.ID, group.ID, casestudy.SaveCase{Action: casestudy.SavePublish, Attest: true,
		Input: casestudy.CaseInput{Title: "A mentor who over-prepares", Kind: casestudy.KindMentoring, Question: "What is the preparing for?"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"First thought.", "Second thought."} {
		if _, err := svc.PostMessage(ctx, ada.ID, group.ID, cs.ID, casestudy.NewMessage{ClientID: fmt.Sprint("a", i), Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	casePath := fmt.Sprintf("%s/communities/%d/cases/%d", base, group.ID, cs.ID)
	communityPath := fmt.Sprintf("%s/communities/%d", base, group.ID)

	// Bo reads the room: the read position is recorded without his doing anything more.
	b := browsertest.New(t)
	b.SetTimezone("Europe/Berlin")
	signInAs(b, base, "bo@example.org")
	b.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(`//div[@data-testid="message-body"][normalize-space()="Second thought."]`))
	waitFor(t, "Bo's read position", func() bool {
		var read int64
		_ = m.DB().Get(&read, `SELECT coalesce((SELECT last_seq FROM room_reads WHERE user_id = $1 AND case_id = $2), 0)`, bo.ID, cs.ID)
		return read == 2
	})
	// Times read in his zone, with the zone named.
	when := browsertest.Get(b, chromedp.Text(`(//article[@data-testid="message"]//time)[1]`))
	if strings.Contains(when, "UTC") || !strings.Contains(when, "GMT+1") {
		t.Errorf("a message's time reads %q in Berlin", when)
	}

	// Ada writes while Bo is elsewhere; a live session starts. Bo sees both from outside the room.
	if _, err := svc.PostMessage(ctx, ada.ID, group.ID, cs.ID, casestudy.NewMessage{ClientID: "a3", Body: "A third thought, while you were away."}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartSession(ctx, ada.ID, group.ID, cs.ID, casestudy.StartSessionInput{TemplateKey: "default", PresenterID: bo.ID}, nil); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`//ul[@data-testid="community-list"]/li[.//strong[.="Northern coaches"]]//span[@data-testid="unread-count"][.="1 new"]`),
		chromedp.WaitVisible(`//ul[@data-testid="community-list"]/li//span[@data-testid="live-badge"]`),
		chromedp.Navigate(communityPath),
		chromedp.WaitVisible(`//p[@data-testid="community-activity"]/span[@data-testid="unread-count"][.="1 new message"]`),
		chromedp.Navigate(communityPath+"/cases"),
		chromedp.WaitVisible(`//ul[@data-testid="case-list"]/li[.//strong[.="A mentor who over-prepares"]]//span[@data-testid="unread-count"][.="1 new"]`),
		chromedp.WaitVisible(`//ul[@data-testid="case-list"]/li//span[@data-testid="live-badge"][.="Live session now"]`))
	// Back in the room, the marker stands before what is new.
	b.Do(chromedp.Navigate(casePath),
		chromedp.WaitVisible(`//li[@data-testid="unread-marker"]/following-sibling::li[1]//div[@data-testid="message-body"][normalize-space()="A third thought, while you were away."]`))

	// The search page's two search landmarks are told apart by their labels.
	b.Do(chromedp.Navigate(base+"/search"), chromedp.WaitVisible(chromedp.CSS(`[data-search-form]`)))
	if labels := browsertest.Get(b, chromedp.Evaluate[string](`[...document.querySelectorAll('[role="search"]')].map((f) => f.getAttribute('aria-label')).join('|')`)); labels != "Search all your communities|Search and filter cases" {
		t.Errorf("the search landmarks are labelled %q", labels)
	}
	b.Do(chromedp.Navigate(casePath), chromedp.WaitVisible(`//div[@data-testid="message-body"][normalize-space()="Second thought."]`))

	// Unsent text: leaving asks first.
	b.Do(chromedp.WaitEnabled(chromedp.CSS("#message-body")), chromedp.SendKeys(chromedp.CSS("#message-body"), "Half a thought"),
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="community-list"]`)))
	if b.LeaveWarnings() != 1 {
		t.Errorf("leaving unsent text warned %d times, want once", b.LeaveWarnings())
	}

	// The facilitator's invitations: a refused 0 hours, then a link with a note, listed at once.
	a := browsertest.New(t)
	signInAs(a, base, "ada@example.org")
	a.Do(chromedp.Navigate(communityPath),
		chromedp.SetValue(chromedp.CSS("#invite-expiry"), "0"),
		chromedp.SendKeys(chromedp.CSS("#invite-note"), "Sam, joining in March"),
		chromedp.Click(`//button[.="Create invitation link"]`),
		chromedp.WaitVisible(`//p[@data-error-for="expires_in_hours"][contains(., "from 1 hour")]`),
		chromedp.SetValue(chromedp.CSS("#invite-expiry"), "24"),
		chromedp.Click(`//button[.="Create invitation link"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="invitation-url"]`)),
		chromedp.WaitVisible(`//table[@data-testid="invitation-list"]//td[@data-label="For"][.="Sam, joining in March"]`),
		chromedp.WaitNotVisible(`//p[@data-no-invitations]`))
	if url := browsertest.Get(a, chromedp.Evaluate[string](`document.querySelector('[data-testid="invitation-url"]').value`)); !strings.HasPrefix(url, base+"/join/") {
		t.Errorf("the invitation link %q does not start with %s", url, base)
	}
	// On a phone: the table's cells carry their column's name, and nothing widens the page.
	a.Do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-testid="invitation-list"]`)))
	if label := browsertest.Get(a, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('td[data-label="Role"]'), '::before').content`)); !strings.Contains(label, "Role") {
		t.Errorf("on a phone a cell is labelled %q", label)
	}
	if width := browsertest.Get(a, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); width > 390 {
		t.Errorf("the community page is %d px wide on a 390 px phone", width)
	}
	// Keyboard focus is marked in blue, not the red of an error.
	if ring := browsertest.Get(a, chromedp.Evaluate[string](`document.querySelector('#invite-note').focus(); getComputedStyle(document.activeElement).outlineColor`)); ring != "rgb(29, 78, 216)" {
		t.Errorf("the focus ring is %q", ring)
	}
	a.Do(chromedp.EmulateViewport(1280, 900))

	// Renaming, then deleting the community: its consequences are stated and its name typed.
	a.Do(chromedp.Navigate(communityPath),
		chromedp.SetValue(chromedp.CSS("#c-name"), "Northern mentors"),
		chromedp.Click(`//form[@data-testid="rename-form"]//button`),
		chromedp.WaitVisible(`//h1[.="Northern mentors"]`))
	consequences := browsertest.Get(a, chromedp.Text(chromedp.CSS(`[data-testid="community-settings"]`)))
	for _, want := range []string{"every case and its discussion", "session records", "Nothing can be recovered"} {
		if !strings.Contains(consequences, want) {
			t.Errorf("deleting does not say %q:\n%s", want, consequences)
		}
	}
	browsertest.Get(a, chromedp.Evaluate[bool](`window.confirm = () => true; true`))
	a.Do(chromedp.SendKeys(chromedp.CSS("#c-confirm"), "Northern"),
		chromedp.Click(`//form[@data-testid="delete-community-form"]//button`),
		chromedp.WaitVisible(`//p[@data-error-for="confirm_name"][contains(., "exactly")]`),
		chromedp.SetValue(chromedp.CSS("#c-confirm"), "Northern mentors"),
		chromedp.Click(`//form[@data-testid="delete-community-form"]//button`),
		chromedp.WaitVisible(`//h1[@id="my-communities"]`))
	if list, err := svc.ListCommunities(ctx, bo.ID); err != nil || len(list) != 0 {
		t.Errorf("Bo still belongs to %v (%v)", list, err)
	}
	if entries, err := m.DB().Query(`SELECT 1 FROM audit_log WHERE action = 'community.deleted' AND actor_id = $1`, ada.ID); err != nil || !entries.Next() {
		t.Error("the deletion is not in the audit log")
	} else {
		entries.Close()
	}
}
