package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/browsertest"
	"github.com/casecircle/casecircle/internal/mailtest"
	"github.com/casecircle/casecircle/internal/pgtest"
)

// TestRhythmInBrowser: a facilitator schedules a recurring Balint session on the calendar; two
// members answer that they are going, and everyone is invited by mail with the meetings for
// their calendars; a member proposes their case and the facilitator picks it; the reminder
// arrives by mail; a mention lights the facilitator's bell live; the session starts from the
// calendar, shows as live there, and its attendance is recorded.
func TestRhythmInBrowser(t *testing.T) {
	smtp := mailtest.Start(t)
	url, _ := pgtest.NewDatabaseURL(t)
	m := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text", SMTPURL: smtp.URL("smtp"), MailFrom: "casecircle <noreply@example.org>"})
	t.Cleanup(func() { m.Close() })
	base := strings.TrimSuffix(m.URL(), "/")
	ctx := context.Background()
	svc := closedAtEnd(t, casestudy.NewService(m.DB(), casestudy.WithSecretKey(testSecretKey), casestudy.WithMail()))
	ada, bo, group := twoMemberCommunity(t, svc) // Ada facilitates, Bo is a member
	addMember(t, svc, ada, group)                // Cy
	cs, err := svc.CreateCase(ctx, bo.ID, group.ID, casestudy.SaveCase{Action: casestudy.SavePublish, Attest: true,
		Input: casestudy.CaseInput{Title: "A client who cancels", Kind: casestudy.KindCoaching, Question: "What is the pattern?"}})
	if err != nil {
		t.Fatal(err)
	}
	calendar := fmt.Sprintf("%s/communities/%d/calendar", base, group.ID)

	// Ada schedules a weekly Balint group starting in 45 minutes, six meetings.
	fac := browsertest.New(t)
	fac.SetTimezone("Europe/London")
	signInAs(fac, base, "ada@example.org")
	start := time.Now().Add(45 * time.Minute).Truncate(time.Minute)
	london, _ := time.LoadLocation("Europe/London")
	fac.Do(chromedp.Navigate(calendar),
		chromedp.WaitVisible(`//h1[.="Calendar"]`),
		chromedp.SendKeys(chromedp.CSS("#s-title"), "Balint group"),
		chromedp.SetValue(chromedp.CSS("#s-template"), "balint"),
		chromedp.SetValue(chromedp.CSS("#s-zone"), "Europe/London"),
		chromedp.SetValue(chromedp.CSS("#s-start"), start.In(london).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#s-frequency"), "weekly"),
		chromedp.SetValue(chromedp.CSS("#s-count"), "6"),
		chromedp.Click(`//form[@data-testid="schedule-form"]//button[.="Schedule"]`),
		chromedp.WaitVisible(`//li[@data-testid="meeting"][5]//h3[contains(., "Balint group")]`),
		chromedp.Click(chromedp.CSS(`[data-testid="show-all-meetings"]`)),
		chromedp.WaitVisible(`//li[@data-testid="meeting"][6]//h3[contains(., "Balint group")]`))
	// Each of the three is invited by mail, with the six meetings as a calendar REQUEST.
	invites := waitMail(t, smtp, "Scheduled: Balint group", 3)
	if body, method := invites[0].Calendar(); method != "REQUEST" || strings.Count(body, "BEGIN:VEVENT") != 6 {
		t.Fatalf("the invitation's calendar (%s):\n%s", method, body)
	}

	// Bo and Cy answer that they are going; Bo proposes his case for the first meeting.
	for _, who := range []string{"bo@example.org", "cy@example.org"} {
		b := browsertest.New(t)
		signInAs(b, base, who)
		b.Do(chromedp.Navigate(calendar),
			chromedp.Click(`//li[@data-testid="meeting"][1]//button[@data-answer="going"]`),
			chromedp.WaitVisible(`//li[@data-testid="meeting"][1]//button[@data-answer="going"][@aria-pressed="true"]`))
		if who == "bo@example.org" {
			b.Do(chromedp.Click(`//li[@data-testid="meeting"][1]//button[.="Propose my case"]`),
				chromedp.WaitVisible(`//li[@data-testid="meeting"][1]//li[contains(., "A client who cancels")]`))
		}
	}
	fac.Do(chromedp.Reload(),
		chromedp.WaitVisible(`//li[@data-testid="meeting"][1]//p[contains(., "2 going")]`),
		chromedp.Click(`//li[@data-testid="meeting"][1]//button[.="Pick this case"]`),
		chromedp.WaitVisible(`//li[@data-testid="meeting"][1]//p[contains(., "Bo presents")]`))
	waitMail(t, smtp, "You are presenting next: Balint group", 1)

	// The reminder: the first meeting starts within the hour.
	if n, err := svc.QueueReminders(ctx); err != nil || n != 3 {
		t.Fatalf("queued %d reminders (%v), want 3", n, err)
	}
	reminders := waitMail(t, smtp, "Within the hour: Balint group", 3)
	if !strings.Contains(reminders[0].Header.Get("List-Unsubscribe"), "/unsubscribe/") {
		t.Error("a reminder without one-click unsubscribe")
	}

	// A mention lights Ada's bell while she looks at the calendar.
	before := browsertest.Get(fac, chromedp.Evaluate[string](`document.querySelector('[data-bell]').dataset.unread || '0'`))
	casePath := fmt.Sprintf("%s/communities/%d/cases/%d", base, group.ID, cs.ID)
	boRoom := openRoom(t, base, "bo@example.org", "Bo", casePath)
	// Bo chooses Ada in the picker (its change event adds the chip).
	browsertest.Get(boRoom, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector('#message-mention');
		s.value = '%d'; s.dispatchEvent(new Event('change')); return true; })()`, ada.ID)))
	boRoom.Do(chromedp.WaitVisible(`//div[@data-testid="mention-chips"]/button[contains(., "@Ada")]`),
		chromedp.SendKeys(chromedp.CSS("#message-body"), "I would value your view here."),
		chromedp.Click(chromedp.CSS("[data-send]")),
		chromedp.WaitVisible(`//article[@data-testid="message"]//span[@data-testid="mentions"][contains(., "@Ada")]`))
	fac.Do(chromedp.WaitVisible(fmt.Sprintf(`//div[@data-testid="bell"][@data-unread!="%s"][@data-unread!="0"]`, before)),
		chromedp.Click(chromedp.CSS("[data-bell-button]")),
		chromedp.WaitVisible(`//li[@data-testid="notification"][@data-kind="mention"][contains(., "Bo mentioned you")]`),
		chromedp.WaitVisible(`//div[@data-testid="bell"][@data-unread="0"]`))

	// Ada starts the session from the calendar: the room opens with the meeting's format.
	fac.Do(chromedp.Navigate(calendar),
		chromedp.Click(`//li[@data-testid="meeting"][1]//a[@data-testid="start-from-calendar"]`),
		chromedp.WaitVisible(`//ul[@data-testid="presence"]/li[.="Bo"]`),
		chromedp.WaitReady(`//select[@id="session-template"]/option[@value="balint"]`))
	if v := browsertest.Get(fac, chromedp.Evaluate[string](`document.querySelector('#session-template').value`)); v != "balint" {
		t.Errorf("the start form offers %q, not the meeting's format", v)
	}
	fac.Do(chromedp.Click(`//form[@data-testid="start-session"]//button[.="Start"]`),
		chromedp.WaitVisible(`//strong[@data-testid="phase-name"]`))
	boRoom.Do(chromedp.WaitVisible(`//strong[@data-testid="phase-name"]`))

	// The calendar shows the meeting live; attendance names those in the room.
	cy := browsertest.New(t)
	signInAs(cy, base, "cy@example.org")
	cy.Do(chromedp.Navigate(calendar),
		chromedp.WaitVisible(`//li[@data-testid="meeting"][1]//span[@class="live-badge"]`),
		chromedp.WaitVisible(`//li[@data-testid="meeting"][1]//a[.="Join the session"]`))
	var attended []string
	if err := m.DB().Select(&attended, `SELECT DISTINCT u.display_name FROM session_attendance a JOIN users u ON u.id = a.user_id
		JOIN schedule_occurrences o ON o.live_session_id = a.live_session_id ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(attended, ",") != "Ada,Bo" {
		t.Fatalf("attendance of the meeting: %v", attended)
	}
}

// waitMail waits for n messages whose subject starts with subject, and returns them.
func waitMail(t *testing.T, smtp *mailtest.Server, subject string, n int) []mailtest.Received {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []mailtest.Received
		for _, m := range smtp.Messages() {
			if strings.HasPrefix(m.Header.Get("Subject"), subject) {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mails %q arrived", len(got), n, subject)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMailAndFeedPagesInBrowser: a forgotten password by mail from the sign-in page; the
// notifications page's grid for every community and for one; the calendar feed's address on the
// account page, renewed so the old one stops.
func TestMailAndFeedPagesInBrowser(t *testing.T) {
	smtp := mailtest.Start(t)
	url, _ := pgtest.NewDatabaseURL(t)
	m := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text", SMTPURL: smtp.URL("smtp"), MailFrom: "noreply@example.org"})
	t.Cleanup(func() { m.Close() })
	base := strings.TrimSuffix(m.URL(), "/")
	svc := closedAtEnd(t, casestudy.NewService(m.DB(), casestudy.WithSecretKey(testSecretKey), casestudy.WithMail()))
	_, bo, group := twoMemberCommunity(t, svc)

	// Forgot: from the sign-in page, an address, a message, a mail with a link that works.
	b := browsertest.New(t)
	b.Do(chromedp.Navigate(base+"/signin"),
		chromedp.Click(chromedp.CSS(`[data-testid="forgot-link"]`)),
		chromedp.SendKeys(chromedp.CSS("#forgot-email"), "bo@example.org"),
		chromedp.Click(`//form[@data-testid="forgot-form"]//button`),
		chromedp.WaitVisible(`//p[@data-testid="forgot-sent"][contains(., "a link is on its way")]`))
	reset := waitMail(t, smtp, "Choose a new casecircle password", 1)[0]
	link := reset.Text()[strings.Index(reset.Text(), base+"/reset/"):]
	link = link[:strings.IndexAny(link, " \r\n")]
	b.Do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-form"]`)))

	// Notifications: mentions by e-mail off everywhere, but on in Northern coaches.
	signInAs(b, base, "bo@example.org")
	mentionMail := `//input[@data-kind="mention"][@data-channel="email"]`
	b.Do(chromedp.Navigate(base+"/account/notifications"),
		chromedp.WaitVisible(mentionMail),
		chromedp.Click(mentionMail),
		chromedp.SetValue(chromedp.CSS("#digest"), "weekly"))
	browsertest.Get(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector('[data-scope]');
		s.value = '%d'; s.dispatchEvent(new Event('change')); return true; })()`, group.ID)))
	if browsertest.Get(b, chromedp.Evaluate[bool](`document.querySelector('input[data-kind="mention"][data-channel="email"]').checked`)) {
		t.Fatal("the community does not inherit the general choice")
	}
	b.Do(chromedp.Click(mentionMail),
		chromedp.Click(`//form[@data-testid="preferences-form"]//button[.="Save"]`),
		chromedp.WaitVisible(`//form[@data-testid="preferences-form"]//p[.="Saved."]`))
	prefs, err := svc.NotificationPreferences(context.Background(), bo.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(prefs.Choices)
	if prefs.Digest != "weekly" || got != fmt.Sprintf("[{mention email 0 false} {mention email %d true}]", group.ID) {
		t.Fatalf("saved: %s %s", prefs.Digest, got)
	}

	// The calendar feed: shown on request, fetched by a calendar app, renewed.
	b.Do(chromedp.Navigate(base+"/account"),
		chromedp.Click(chromedp.CSS(`[data-testid="calendar-show"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="calendar-url"]`)))
	feed := browsertest.Get(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="calendar-url"]').value`))
	if !strings.HasPrefix(feed, base+"/calendar/") || !strings.HasSuffix(feed, ".ics") {
		t.Fatalf("feed URL %q", feed)
	}
	if status, body := fetch(t, feed); status != 200 || !strings.Contains(body, "BEGIN:VCALENDAR") {
		t.Fatalf("feed: %d", status)
	}
	browsertest.Get(b, chromedp.Evaluate[bool](`window.confirm = () => true; true`))
	b.Do(chromedp.Click(chromedp.CSS(`[data-calendar-renew]`)))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		now := browsertest.Get(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="calendar-url"]').value`))
		if now != feed && strings.HasSuffix(now, ".ics") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the feed's address was not renewed")
		}
	}
	if status, _ := fetch(t, feed); status != 404 {
		t.Fatalf("the old feed answers %d", status)
	}
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
