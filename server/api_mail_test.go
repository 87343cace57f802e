package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/mail"
	"github.com/casecircle/casecircle/internal/mailtest"
	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/server"
)

// newMailServer is an API server that sends its mail to a real SMTP server on loopback.
func newMailServer(t *testing.T, db *pgtest.DB, smtp *mailtest.Server) *apiServer {
	t.Helper()
	s, _ := newMailServerAndService(t, db, smtp)
	return s
}

// newMailServerAndService is newMailServer, with its domain service for calling jobs directly.
func newMailServerAndService(t *testing.T, db *pgtest.DB, smtp *mailtest.Server) (*apiServer, *casestudy.Service) {
	t.Helper()
	sender, err := mail.NewSMTP(smtp.URL("smtp"), "casecircle <noreply@casecircle.test>")
	if err != nil {
		t.Fatal(err)
	}
	var svc *casestudy.Service
	options := []casestudy.ServiceOption{casestudy.WithMail(), casestudy.WithSecretKey([]byte("one secret key for every process of this test"))}
	s := newAPIServerWith(t, db, options, func(cfg *server.Config) {
		svc = cfg.Service
		cfg.Mail, cfg.MailFrom = sender, "casecircle <noreply@casecircle.test>"
		cfg.PublicURL = "https://cc.example.org"
		cfg.MailPollInterval = 50 * time.Millisecond
		cfg.MailBackoff = func(int) time.Duration { return 200 * time.Millisecond }
	})
	return s, svc
}

var linkToken = regexp.MustCompile(`https://cc\.example\.org/(reset|join|verify)/([A-Za-z0-9_-]+)`)

func tokenIn(t *testing.T, m mailtest.Received, kind string) string {
	t.Helper()
	for _, match := range linkToken.FindAllStringSubmatch(m.Text(), -1) {
		if match[1] == kind {
			return match[2]
		}
	}
	t.Fatalf("no /%s/ link in %q", kind, m.Text())
	return ""
}

func mailsTo(list []mailtest.Received, address, subjectPrefix string) []mailtest.Received {
	var out []mailtest.Received
	for _, m := range list {
		if m.To[0] == address && strings.HasPrefix(m.Header.Get("Subject"), subjectPrefix) {
			out = append(out, m)
		}
	}
	return out
}

// A reset asked for by address: 202 whether or not the address has an account, one mail to
// the account's own address with a link that works once, nothing for an unknown address.
func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	s := newMailServer(t, pgtest.NewDB(t), smtp)
	ada := s.newClient(t).signUp("ada")
	verification := smtp.WaitFor(1, 10*time.Second) // sign-up sends a verification
	if got := mailsTo(verification, "ada@example.org", "Confirm"); len(got) != 1 {
		t.Fatalf("verification mails: %d", len(got))
	}

	anyone := s.newClient(t)
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset", map[string]string{"email": "nobody@example.org"}), 202)
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset", map[string]string{"email": "ADA@example.org"}), 202)
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset", map[string]string{"email": "not an address"}), 422)
	all := smtp.WaitFor(2, 10*time.Second)
	resets := mailsTo(all, "ada@example.org", "Choose a new")
	if len(resets) != 1 {
		t.Fatalf("%d reset mails", len(resets))
	}
	m := resets[0]
	if m.Header.Get("List-Unsubscribe") != "" || m.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("a reset is transactional: List-Unsubscribe %q, Auto-Submitted %q", m.Header.Get("List-Unsubscribe"), m.Header.Get("Auto-Submitted"))
	}
	if !strings.Contains(m.HTML(), "https://cc.example.org/reset/") {
		t.Error("the HTML part has no link")
	}
	token := tokenIn(t, m, "reset")
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset/confirm", map[string]string{"token": token, "password": "a brand new passphrase here"}), 200)
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset/confirm", map[string]string{"token": token, "password": "a brand new passphrase here"}), 404)
	ada.mustStatus(ada.call("GET", "/api/v1/me", nil), 401) // every sign-in ended

	// A second request at once sends nothing more (one mail per account every two minutes).
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset", map[string]string{"email": "ada@example.org"}), 202)
	time.Sleep(500 * time.Millisecond)
	if n := len(mailsTo(smtp.Messages(), "ada@example.org", "Choose a new")); n != 1 {
		t.Fatalf("%d reset mails after a second request", n)
	}
	for _, m := range smtp.Messages() {
		if strings.Contains(string(m.Raw), testPassword) {
			t.Fatal("a password went out by mail")
		}
	}
}

// Invitations by mail: one per address, bound to it; another account cannot use the link.
func TestInvitationByMail(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	s := newMailServer(t, pgtest.NewDB(t), smtp)
	fac := s.newClient(t).signUp("fay")
	cid := fac.createCommunity("North Balint")
	path := fmt.Sprintf("/api/v1/communities/%d/invitations/email", cid)
	fac.mustStatus(fac.call("POST", path, map[string]any{"emails": []string{"x"}, "role": "member"}), 422)
	fac.mustStatus(fac.call("POST", path, map[string]any{"emails": []string{"gil@example.org", "Gil@example.org", "hal@example.org"}, "role": "member"}), 201)
	all := smtp.WaitFor(3, 10*time.Second) // fay's verification and two invitations
	invites := mailsTo(all, "gil@example.org", "You are invited")
	if len(invites) != 1 || len(mailsTo(all, "hal@example.org", "You are invited")) != 1 {
		t.Fatalf("invitations: %d to gil", len(invites))
	}
	if from := invites[0].Header.Get("From"); !strings.Contains(from, "North Balint") {
		t.Errorf("From %q does not speak for the community", from)
	}
	token := tokenIn(t, invites[0], "join")
	hal := s.newClient(t).signUp("hal")
	hal.mustStatus(hal.call("POST", "/api/v1/invitations/"+token+"/accept", nil), 403)
	gil := s.newClient(t).signUp("gil")
	gil.mustStatus(gil.call("POST", "/api/v1/invitations/"+token+"/accept", nil), 200)
}

type feedEvent struct {
	uid, status string
	sequence    string
	start       time.Time
}

func parseCalendar(t *testing.T, text string) (string, []feedEvent) {
	t.Helper()
	cal, err := ical.ParseCalendar(strings.NewReader(text))
	if err != nil {
		t.Fatalf("not iCalendar: %v\n%s", err, text)
	}
	method := ""
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == "METHOD" {
			method = p.Value
		}
	}
	var out []feedEvent
	for _, ev := range cal.Events() {
		start, err := ev.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		e := feedEvent{uid: ev.Id(), start: start}
		if p := ev.GetProperty(ical.ComponentPropertyStatus); p != nil {
			e.status = p.Value
		}
		if p := ev.GetProperty(ical.ComponentPropertySequence); p != nil {
			e.sequence = p.Value
		}
		out = append(out, e)
	}
	return method, out
}

// Scheduling a weekly series mails every member an invitation with the meetings; moving one
// meeting sends an update with the same UID and a higher SEQUENCE; the member's feed shows the
// change in place; cancelling sends METHOD:CANCEL; nothing carries case text.
func TestScheduleMailAndFeed(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	s := newMailServer(t, pgtest.NewDB(t), smtp)
	fac := s.newClient(t).signUp("fay")
	cid := fac.createCommunity("North Balint")
	_, token := fac.invite(cid, "member")
	ben := s.newClient(t).signUp("ben")
	ben.join(token)
	room := publishCase(t, fac, cid)
	smtp.WaitFor(2, 10*time.Second) // the two verifications
	before := len(smtp.Messages())

	start := time.Now().In(mustLoad(t, "Europe/London")).AddDate(0, 0, 7)
	base := fmt.Sprintf("/api/v1/communities/%d/schedule", cid)
	ben.mustStatus(ben.call("POST", base, map[string]any{"title": "Monthly Balint", "template": "balint", "supervisor_id": fac.id,
		"time_zone": "Europe/London", "start": start.Format("2006-01-02T15:04"), "duration_minutes": 90, "repeat": map[string]any{"frequency": "weekly", "count": 4}}), 403)
	fac.mustStatus(fac.call("POST", base, map[string]any{"title": "Monthly Balint", "template": "balint", "supervisor_id": fac.id,
		"time_zone": "Europe/London", "start": "2026-03-29T01:30", "duration_minutes": 90}), 422) // a time that does not exist
	var created struct{ Schedule casestudy.ScheduledSession }
	fac.mustStatus(fac.call("POST", base, map[string]any{"title": "Weekly Balint", "template": "balint", "supervisor_id": fac.id,
		"time_zone": "Europe/London", "start": start.Format("2006-01-02T15:04"), "duration_minutes": 90,
		"repeat": map[string]any{"frequency": "weekly", "count": 4}}), 201).decode(t, &created)
	if created.Schedule.RRule != "FREQ=WEEKLY;INTERVAL=1;COUNT=4;BYDAY="+strings.ToUpper(start.Weekday().String()[:2]) {
		t.Errorf("RRULE %q", created.Schedule.RRule)
	}
	all := smtp.WaitFor(before+2, 10*time.Second)
	invite := mailsTo(all, "ben@example.org", "Scheduled: Weekly Balint")
	if len(invite) != 1 {
		t.Fatalf("ben got %d invitations", len(invite))
	}
	if u := invite[0].Header.Get("List-Unsubscribe"); !strings.Contains(u, "https://cc.example.org/unsubscribe/") || invite[0].Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q", u)
	}
	body, method := invite[0].Calendar()
	if method != "REQUEST" {
		t.Fatalf("method %q", method)
	}
	m, events := parseCalendar(t, body)
	if m != "REQUEST" || len(events) != 4 {
		t.Fatalf("%s with %d events", m, len(events))
	}
	for _, e := range events {
		if l := e.start.In(mustLoad(t, "Europe/London")); l.Hour() != start.Hour() || l.Minute() != start.Minute() {
			t.Errorf("meeting at %s, want %s London time", l, start.Format("15:04"))
		}
	}
	secondUID := events[1].uid

	// Ben answers, and proposes nothing (the case is fay's); fay picks her case for meeting 2.
	ben.mustStatus(ben.call("PUT", fmt.Sprintf("%s/%d/meetings/2/answer", base, created.Schedule.ID), map[string]string{"answer": "perhaps"}), 422)
	ben.mustStatus(ben.call("PUT", fmt.Sprintf("%s/%d/meetings/2/answer", base, created.Schedule.ID), map[string]string{"answer": "going"}), 200)
	ben.mustStatus(ben.call("POST", fmt.Sprintf("%s/%d/meetings/2/proposals", base, created.Schedule.ID), map[string]any{"case_id": room}), 422)
	fac.mustStatus(fac.call("POST", fmt.Sprintf("%s/%d/meetings/2/proposals", base, created.Schedule.ID), map[string]any{"case_id": room}), 200)
	fac.mustStatus(fac.call("GET", fmt.Sprintf("%s/%d/meetings/5", base, created.Schedule.ID), nil), 404)

	// Move meeting 2 by a day: an update with the same UID and a higher SEQUENCE.
	moved := events[1].start.In(mustLoad(t, "Europe/London")).AddDate(0, 0, 1)
	var meeting struct{ Meeting casestudy.Occurrence }
	fac.mustStatus(fac.call("PATCH", fmt.Sprintf("%s/%d/meetings/2", base, created.Schedule.ID), map[string]any{"move_to": moved.Format("2006-01-02T15:04")}), 200).decode(t, &meeting)
	if !meeting.Meeting.Moved || meeting.Meeting.Answers.Going != 1 || len(meeting.Meeting.Proposals) != 1 {
		t.Errorf("meeting after the move: %+v", meeting.Meeting)
	}
	all = smtp.WaitFor(before+4, 10*time.Second)
	changed := mailsTo(all, "ben@example.org", "Changed: Weekly Balint")
	if len(changed) != 1 {
		t.Fatalf("ben got %d changes", len(changed))
	}
	body, _ = changed[0].Calendar()
	_, updated := parseCalendar(t, body)
	if len(updated) != 1 || updated[0].uid != secondUID || updated[0].sequence != "1" || !updated[0].start.Equal(moved) {
		t.Fatalf("update %+v, want UID %s at %s with SEQUENCE 1", updated, secondUID, moved)
	}

	// Ben's feed: a stable URL, the four meetings with the move in place, nothing of the case.
	var feed struct{ URL string }
	ben.mustStatus(ben.call("GET", "/api/v1/me/calendar", nil), 200).decode(t, &feed)
	var again struct{ URL string }
	ben.mustStatus(ben.call("GET", "/api/v1/me/calendar", nil), 200).decode(t, &again)
	i := strings.Index(feed.URL, "/calendar/")
	if i < 0 || !strings.HasSuffix(feed.URL, ".ics") || again.URL != feed.URL {
		t.Fatalf("feed URLs %q, %q", feed.URL, again.URL)
	}
	path := feed.URL[i:]
	anyone := s.newClient(t)
	r := anyone.raw("GET", path, "", nil, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", r.status, r.header.Get("Content-Type"))
	}
	m, events = parseCalendar(t, string(r.body))
	if m != "PUBLISH" || len(events) != 4 || events[1].uid != secondUID || !events[1].start.Equal(moved) || events[1].sequence != "1" {
		t.Fatalf("feed %s %+v", m, events)
	}
	if strings.Contains(string(r.body), "What do you notice") {
		t.Fatal("the feed carries case text")
	}
	anyone.mustStatus(anyone.raw("GET", strings.Replace(path, ".ics", "x.ics", 1), "", nil, nil), 404)
	var renewed struct{ URL string }
	ben.mustStatus(ben.call("POST", "/api/v1/me/calendar/renew", nil), 200).decode(t, &renewed)
	anyone.mustStatus(anyone.raw("GET", path, "", nil, nil), 404)

	// Cancel the series: METHOD:CANCEL.
	fac.mustStatus(fac.call("DELETE", fmt.Sprintf("%s/%d", base, created.Schedule.ID), nil), 204)
	all = smtp.WaitFor(before+6, 10*time.Second)
	cancelled := mailsTo(all, "ben@example.org", "Cancelled: Weekly Balint")
	if len(cancelled) != 1 {
		t.Fatalf("ben got %d cancellations", len(cancelled))
	}
	if body, method := cancelled[0].Calendar(); method != "CANCEL" || !strings.Contains(body, "STATUS:CANCELLED") {
		t.Fatalf("cancellation %s:\n%s", method, body)
	}
	for _, m := range smtp.Messages() {
		if strings.Contains(string(m.Raw), "What do you notice") {
			t.Fatal("a mail carries case text")
		}
	}

	// One-click unsubscribe (RFC 8058): a POST without cookies.
	u := invite[0].Header.Get("List-Unsubscribe")
	unsub := u[strings.Index(u, "/unsubscribe/") : len(u)-1]
	anyone.mustStatus(anyone.raw("POST", unsub, "application/x-www-form-urlencoded", []byte("List-Unsubscribe=One-Click"), nil), 200)
	anyone.mustStatus(anyone.raw("POST", unsub+"x", "application/x-www-form-urlencoded", []byte("List-Unsubscribe=One-Click"), nil), 404)
}

func mustLoad(t *testing.T, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// With the SMTP server down, mail waits in the outbox and goes once it is back: nothing lost,
// nothing twice. Two processes share the outbox without sending a message twice.
func TestOutboxSurvivesSMTPOutageAndSharesAcrossProcesses(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	db := pgtest.NewDB(t)
	one := newMailServer(t, db, smtp)
	two := newMailServer(t, db, smtp)
	smtp.Refuse(true)
	const people = 12
	for i := range people {
		server := one
		if i%2 == 1 {
			server = two
		}
		server.newClient(t).signUp(fmt.Sprintf("p%02d", i))
	}
	time.Sleep(time.Second) // several refused attempts
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d accepted while refusing", n)
	}
	smtp.Stop()
	time.Sleep(300 * time.Millisecond)
	smtp.Restart()
	smtp.Refuse(false)
	smtp.WaitFor(people, 20*time.Second)
	time.Sleep(time.Second) // a duplicate would arrive now
	got := smtp.Messages()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.To[0]]++
	}
	if len(got) != people || len(seen) != people {
		t.Fatalf("%d messages to %d addresses, want %d each once: %v", len(got), len(seen), people, seen)
	}
	var left int
	if err := db.DB.GetContext(context.Background(), &left, `SELECT count(*) FROM gue_jobs`); err != nil || left != 0 {
		t.Fatalf("%d jobs left (%v)", left, err)
	}
}

// Reminders go 24 hours and 1 hour before, once each, to members who have not said no and have
// not switched them off.
func TestReminders(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	s, svc := newMailServerAndService(t, pgtest.NewDB(t), smtp)
	fac := s.newClient(t).signUp("fay")
	cid := fac.createCommunity("North Balint")
	_, token := fac.invite(cid, "member")
	ben := s.newClient(t).signUp("ben")
	ben.join(token)
	cat := s.newClient(t).signUp("cat")
	cat.join(token)
	smtp.WaitFor(3, 10*time.Second)
	base := fmt.Sprintf("/api/v1/communities/%d/schedule", cid)
	schedule := func(title string, in time.Duration) int64 {
		var out struct{ Schedule casestudy.ScheduledSession }
		start := time.Now().UTC().Add(in).Truncate(time.Minute)
		fac.mustStatus(fac.call("POST", base, map[string]any{"title": title, "template": "balint", "supervisor_id": fac.id,
			"time_zone": "UTC", "start": start.Format("2006-01-02T15:04"), "duration_minutes": 60}), 201).decode(t, &out)
		return out.Schedule.ID
	}
	soon := schedule("Soon", 40*time.Minute)
	schedule("Tomorrow", 20*time.Hour)
	ben.mustStatus(ben.call("PUT", fmt.Sprintf("%s/%d/meetings/1/answer", base, soon), map[string]string{"answer": "not_going"}), 200)
	smtp.WaitFor(3+6, 10*time.Second) // two "Scheduled" mails to each of three
	before := len(smtp.Messages())

	n, err := svc.QueueReminders(context.Background())
	if err != nil || n != 5 { // Soon: fay and cat (ben said no); Tomorrow: all three
		t.Fatalf("queued %d (%v), want 5", n, err)
	}
	if n, _ := svc.QueueReminders(context.Background()); n != 0 {
		t.Fatalf("queued %d more on a second run", n)
	}
	all := smtp.WaitFor(before+5, 10*time.Second)
	if got := mailsTo(all, "cat@example.org", "Within the hour: Soon"); len(got) != 1 {
		t.Fatalf("cat: %d hour reminders", len(got))
	} else if !strings.Contains(got[0].Header.Get("List-Unsubscribe"), "/unsubscribe/") {
		t.Error("a reminder has no unsubscribe link")
	}
	if got := mailsTo(all, "ben@example.org", "Within the hour"); len(got) != 0 {
		t.Fatal("ben said no and was reminded")
	}
	if got := mailsTo(all, "ben@example.org", "Tomorrow: Tomorrow"); len(got) != 1 {
		t.Fatalf("ben: %d day reminders", len(got))
	}
}

// Sign-up sends a link that confirms the address, once; a change of address waits until a
// link sent to the new address is followed, and the old address is then told.
func TestEmailVerificationAndChange(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	s := newMailServer(t, pgtest.NewDB(t), smtp)
	ada := s.newClient(t).signUp("ada")
	verify := mailsTo(smtp.WaitFor(1, 10*time.Second), "ada@example.org", "Confirm")
	if len(verify) != 1 {
		t.Fatalf("%d confirmations", len(verify))
	}
	token := tokenIn(t, verify[0], "verify")
	html := http.Header{"Accept": {"text/html"}}
	if page := ada.raw("GET", "/account", "", nil, html); !strings.Contains(string(page.body), `data-testid="email-unverified"`) {
		t.Fatal("the account page does not say the address is unconfirmed")
	}
	anyone := s.newClient(t)
	if r := anyone.raw("GET", "/verify/"+token, "", nil, html); r.status != 200 || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("verify: %d", r.status)
	}
	anyone.mustStatus(anyone.raw("GET", "/verify/"+token, "", nil, html), 404)
	if page := ada.raw("GET", "/account", "", nil, html); !strings.Contains(string(page.body), `data-testid="email-verified"`) {
		t.Fatal("the account page does not say the address is confirmed")
	}
	ada.mustStatus(ada.call("POST", "/api/v1/me/verify-email", nil), 409)

	// A change: a wrong password, a taken address, then the real thing.
	s.newClient(t).signUp("bea")
	ada.mustStatus(ada.call("POST", "/api/v1/me/email", map[string]string{"email": "ada@new.example", "password": "wrong password here"}), 422)
	ada.mustStatus(ada.call("POST", "/api/v1/me/email", map[string]string{"email": "bea@example.org", "password": testPassword}), 422)
	ada.mustStatus(ada.call("POST", "/api/v1/me/email", map[string]string{"email": "ada@new.example", "password": testPassword}), 202)
	all := smtp.WaitFor(3, 10*time.Second)
	change := mailsTo(all, "ada@new.example", "Confirm")
	if len(change) != 1 {
		t.Fatalf("%d confirmations to the new address", len(change))
	}
	var me struct{ User casestudy.User }
	ada.mustStatus(ada.call("GET", "/api/v1/me", nil), 200).decode(t, &me)
	if me.User.Email != "ada@example.org" {
		t.Fatalf("the address changed before it was confirmed: %s", me.User.Email)
	}
	anyone.mustStatus(anyone.raw("GET", "/verify/"+tokenIn(t, change[0], "verify"), "", nil, html), 200)
	ada.mustStatus(ada.call("GET", "/api/v1/me", nil), 200).decode(t, &me)
	if me.User.Email != "ada@new.example" {
		t.Fatalf("address after confirming: %s", me.User.Email)
	}
	told := mailsTo(smtp.WaitFor(4, 10*time.Second), "ada@example.org", "Your casecircle address was changed")
	if len(told) != 1 || !strings.Contains(told[0].Text(), "ada@new.example") {
		t.Fatalf("the old address was not told: %d", len(told))
	}
	again := s.newClient(t)
	again.mustStatus(again.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ada@new.example", "password": testPassword}), 200)
}

// A digest goes by SMTP to who chose it, with links, and not to who did not.
func TestDigestByMail(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	s, svc := newMailServerAndService(t, pgtest.NewDB(t), smtp)
	f := newRoomFixture(t, s) // ann publishes a case in the fixture
	f.member.mustStatus(f.member.call("PUT", "/api/v1/me/notifications/preferences", map[string]any{"digest": "daily"}), 200)
	smtp.WaitFor(2, 10*time.Second) // the confirmations
	if n, err := svc.QueueDigests(context.Background()); err != nil || n != 1 {
		t.Fatalf("queued %d (%v)", n, err)
	}
	got := mailsTo(smtp.WaitFor(3, 10*time.Second), "ben@example.org", "Your daily casecircle digest")
	if len(got) != 1 {
		t.Fatalf("%d digests", len(got))
	}
	text := got[0].Text()
	if !strings.Contains(text, "1 new case") || !strings.Contains(text, fmt.Sprintf("https://cc.example.org/communities/%d", f.cid)) ||
		strings.Contains(text, "A case") || got[0].Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("digest:\n%s", text)
	}
}
