package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/browsertest"
	"github.com/casecircle/casecircle/internal/pgtest"
)

// TestCaseRoomInBrowser: two members in two browsers on two server processes discuss a case
// live; one process restarts while the other member posts, and the first member's page
// resumes with those messages exactly once, in order.
func TestCaseRoomInBrowser(t *testing.T) {
	dbURL, _ := pgtest.NewDatabaseURL(t)
	node1 := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: dbURL, LogFormat: "text"})
	closed1 := false
	t.Cleanup(func() {
		if !closed1 {
			node1.Close()
		}
	})
	node2 := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: dbURL, LogFormat: "text"})
	t.Cleanup(func() { node2.Close() })
	base1, base2 := strings.TrimSuffix(node1.URL(), "/"), strings.TrimSuffix(node2.URL(), "/")

	svc := closedAtEnd(t, casestudy.NewService(node1.DB()))
	ada, bo, group := twoMemberCommunity(t, svc)
	cs, err := svc.CreateCase(context.Background(), ada.ID, group.ID, casestudy.SaveCase{Action: casestudy.SavePublish, Attest: true,
		Input: casestudy.CaseInput{Title: "A team lead who cannot delegate", Kind: casestudy.KindCoaching, Question: "What keeps me rescuing?"}})
	if err != nil {
		t.Fatal(err)
	}
	casePath := fmt.Sprintf("/communities/%d/cases/%d", group.ID, cs.ID)

	open := func(base, email, name string) *browsertest.Browser {
		return openRoom(t, base, email, name, base+casePath)
	}
	say := func(b *browsertest.Browser, text string) {
		b.Do(chromedp.SendKeys(chromedp.CSS("#message-body"), text),
			chromedp.Click(chromedp.CSS("[data-send]")),
			chromedp.WaitVisible(fmt.Sprintf(`//div[@data-testid="message-body"][normalize-space()="%s"]`, text)))
	}
	countOf := func(b *browsertest.Browser, text string) int {
		return browsertest.Get(b, chromedp.Evaluate[int](fmt.Sprintf(
			`[...document.querySelectorAll('[data-testid="message-body"]')].filter(e => e.textContent.trim() === %q).length`, text)))
	}

	a := open(base1, "ada@example.org", "Ada")
	b := open(base2, "bo@example.org", "Bo")
	a.Do(chromedp.WaitVisible(`//ul[@data-testid="presence"]/li[.="Bo"]`)) // Bo is on the other process

	// A posts; B sees it live, with Markdown rendered.
	a.Do(chromedp.SendKeys(chromedp.CSS("#message-body"), "What do we notice about the **contracting**?"),
		chromedp.Click(chromedp.CSS("[data-send]")))
	b.Do(chromedp.WaitVisible(`//div[@data-testid="message-body"]//strong[.="contracting"]`))

	// B replies in the thread (A sees B typing first), and A sees the reply.
	b.Do(chromedp.Click(`//article[.//strong[.="contracting"]]//button[.="Reply"]`),
		chromedp.SendKeys(chromedp.CSS("#message-body"), "The contract was with the sponsor, not the client."))
	a.Do(chromedp.WaitVisible(`//p[@data-testid="typing"][.="Bo is typing…"]`))
	b.Do(chromedp.Click(chromedp.CSS("[data-send]")),
		chromedp.WaitVisible(`//button[contains(., "1 reply")]`))
	a.Do(chromedp.Click(`//button[contains(., "Show 1 reply")]`),
		chromedp.WaitVisible(`//ol[contains(@class, "replies")]//div[@data-testid="message-body"][normalize-space()="The contract was with the sponsor, not the client."]`))

	// The composer shows a name as it is typed, before anything is sent, and sends the replacement.
	b.Do(chromedp.SendKeys(chromedp.CSS("#message-body"), "I once coached Priya Raghunathan on this."),
		chromedp.WaitVisible(`//div[@data-testid="live-review"]//mark[@data-testid="live-finding"][contains(., "Priya Raghunathan")]`),
		chromedp.Click(chromedp.CSS("[data-send]")))
	a.Do(chromedp.WaitVisible(`//div[@data-testid="message-body"][normalize-space()="I once coached Client A on this."]`))
	if n := countOf(a, "I once coached Priya Raghunathan on this."); n != 0 {
		t.Fatal("the name reached the other member")
	}

	// Node one restarts. While A is disconnected, B posts two messages through node two.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base1, "http://"))
	closed1 = true
	if err := node1.Close(); err != nil {
		t.Fatal(err)
	}
	a.Do(chromedp.WaitVisible(`//p[@data-testid="connection"][contains(., "Reconnecting")]`))
	say(b, "First, while you were away.")
	say(b, "Second, while you were away.")
	node1 = mustRun(t, Config{Addr: "127.0.0.1:" + port, DatabaseURL: dbURL, LogFormat: "text"})
	closed1 = false
	a.Do(chromedp.WaitVisible(`//div[@data-testid="message-body"][normalize-space()="Second, while you were away."]`),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="connection"]`)),
		// The restarted process learns at once who is in the room on the other one.
		chromedp.WaitVisible(`//ul[@data-testid="presence"]/li[.="Bo"]`))
	order := browsertest.Get(a, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('ol[data-threads] > li.thread > article [data-testid="message-body"]')].map(e => e.textContent.trim())`))
	want := []string{"What do we notice about the contracting?", "I once coached Client A on this.", "First, while you were away.", "Second, while you were away."}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Fatalf("A's threads after resuming:\n%q\nwant\n%q", order, want)
	}
	a.Screenshot("room")

	// A edits its own message, then deletes it; B sees the edit, then the tombstone.
	a.Do(chromedp.Click(`//article[.//strong[.="contracting"]]//button[.="Edit"]`),
		chromedp.WaitVisible(chromedp.CSS(".edit-form textarea")),
		chromedp.SetValue(chromedp.CSS(".edit-form textarea"), "What do we notice about the **contract**?"),
		chromedp.Click(`//form[contains(@class, "edit-form")]//button[.="Save"]`))
	b.Do(chromedp.WaitVisible(`//article[.//span[contains(., "(edited)")]]//strong[.="contract"]`))
	browsertest.Get(a, chromedp.Evaluate[bool](`window.confirm = () => true; true`))
	a.Do(chromedp.Click(`//article[.//strong[.="contract"]]//button[.="Delete"]`))
	b.Do(chromedp.WaitVisible(`//div[@data-testid="message-body"][normalize-space()="Message deleted"]`))

	// The unread marker: B has read everything (the page says so after a moment in view), leaves,
	// A posts, and B comes back to a marker just above A's new message.
	waitFor(t, "B's unread marker to reach the head", func() bool {
		var read, head int64
		_ = node2.DB().Get(&read, `SELECT coalesce((SELECT last_seq FROM room_reads WHERE user_id = $1 AND case_id = $2), 0)`, bo.ID, cs.ID)
		_ = node2.DB().Get(&head, `SELECT last_seq FROM room_heads WHERE case_id = $1`, cs.ID)
		return read == head
	})
	b.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d", base2, group.ID)))
	say(a, "One more thought after you left.")
	b.Do(chromedp.Navigate(base2+casePath),
		chromedp.WaitVisible(`//li[@data-testid="unread-marker"]/following-sibling::li[1]//div[@data-testid="message-body"][normalize-space()="One more thought after you left."]`))
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
