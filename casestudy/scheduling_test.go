package casestudy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

// A weekly meeting started from the calendar is linked to its live session; attendance comes
// from presence samples (several processes, several tabs: one slot each) and lands in the
// session's record; the meeting shows as live while it runs.
func TestMeetingStartedFromCalendarRecordsAttendance(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	start := sf.f.clock.Now().Add(time.Hour)
	sched, err := sf.f.svc.CreateScheduledSession(ctx, sf.sup1.ID, sf.cid, casestudy.ScheduleInput{Title: "Weekly Balint", TemplateKey: "balint",
		SupervisorID: sf.sup1.ID, TimeZone: "Europe/Berlin", Start: start.In(berlin(t)).Format("2006-01-02T15:04"), DurationMinutes: 60,
		Repeat: casestudy.Recurrence{Frequency: "weekly", Count: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.f.svc.CreateScheduledSession(ctx, sf.bob.ID, sf.cid, casestudy.ScheduleInput{}); casestudy.ErrorCode(err) != casestudy.EFORBIDDEN {
		t.Fatalf("a member scheduled: %v", err)
	}
	sf.f.clock.Advance(time.Hour)
	_, err = sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "balint", ScheduleID: sched.ID, N: 1},
		[]int64{sf.author.ID, sf.bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	meeting, err := sf.f.svc.Occurrence(ctx, sf.cat.ID, sf.cid, sched.ID, 1)
	if err != nil || !meeting.Live || meeting.CaseID == nil || *meeting.CaseID != room {
		t.Fatalf("meeting %+v (%v)", meeting, err)
	}
	// Four samples, 30 s apart: bob throughout (seen by two processes at once), cat from the
	// third; an outsider's socket is never counted.
	for i := range 4 {
		sf.f.clock.Advance(casestudy.AttendanceSlot)
		seen := []int64{sf.author.ID, sf.bob.ID, sf.out.ID}
		if i >= 2 {
			seen = append(seen, sf.cat.ID)
		}
		for range 2 { // two processes report
			if err := sf.f.svc.RecordAttendance(ctx, map[int64][]int64{room: seen, room + 1000: {sf.bob.ID}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := sf.control(t, room, sf.sup1, "end"); err != nil {
		t.Fatal(err)
	}
	records, err := sf.f.svc.SessionRecords(ctx, sf.bob.ID, sf.cid, room)
	if err != nil || len(records) != 1 {
		t.Fatalf("records %v %v", records, err)
	}
	seconds := map[int64]int{}
	for _, a := range records[0].Attendance {
		seconds[a.ID] = a.Seconds
	}
	// The start counts one slot for those present then (author, bob, the supervisor).
	if seconds[sf.bob.ID] != 150 || seconds[sf.cat.ID] != 60 || seconds[sf.sup1.ID] != 30 || seconds[sf.out.ID] != 0 {
		t.Fatalf("attendance %v", seconds)
	}
	if meeting, _ := sf.f.svc.Occurrence(ctx, sf.cat.ID, sf.cid, sched.ID, 1); meeting.Live {
		t.Error("still live after the end")
	}
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A digest lists what happened since the last one, once; a person with nothing new gets none.
func TestDigests(t *testing.T) {
	t.Parallel()
	db := newFixture(t).db
	clock := newClock()
	svc := closedAtEnd(t, casestudy.NewService(db.DB, casestudy.WithClock(clock.Now), casestudy.WithMail()))
	f := &fixture{svc: svc, db: db, clock: clock, events: &recorder{}}
	ctx := context.Background()
	cid, author, bob, _ := caseCommunity(t, f)
	for _, u := range []casestudy.User{author, bob} {
		if _, err := svc.SetNotificationPreferences(ctx, u.ID, casestudy.Preferences{Digest: casestudy.DigestDaily}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	publishedRoom(t, f, cid, author)
	clock.Advance(time.Minute)
	if n, err := svc.QueueDigests(ctx); err != nil || n != 2 {
		t.Fatalf("queued %d (%v), want 2", n, err)
	}
	if n, _ := svc.QueueDigests(ctx); n != 0 {
		t.Fatalf("queued %d more at once", n)
	}
	jobs := digestJobs(t, f)
	if len(jobs) != 2 {
		t.Fatalf("%d digest jobs", len(jobs))
	}
	got := map[int64]error{}
	for _, j := range jobs {
		p, err := svc.PrepareMail(ctx, j)
		got[j.UserID] = err
		if err == nil {
			if len(p.Communities) != 1 || p.Communities[0].NewCases != 1 || len(p.Communities[0].Titles) != 0 || p.Unsubscribe == "" {
				t.Errorf("bob's digest %+v", p.Communities)
			}
		}
	}
	// Bob sees ann's new case; ann, whose own case it is, has nothing new: no digest.
	if got[bob.ID] != nil || !errors.Is(got[author.ID], casestudy.ErrMailNotWanted) {
		t.Fatalf("digests: %v", got)
	}
	clock.Advance(23 * time.Hour)
	if n, _ := svc.QueueDigests(ctx); n != 0 {
		t.Fatal("a daily digest again within a day")
	}
	clock.Advance(2 * time.Hour)
	if n, _ := svc.QueueDigests(ctx); n != 2 {
		t.Fatalf("queued %d the next day", n)
	}
}

func digestJobs(t *testing.T, f *fixture) []casestudy.MailJob {
	t.Helper()
	var raw [][]byte
	if err := f.db.Select(&raw, `SELECT args FROM gue_jobs WHERE queue = 'mail' ORDER BY created_at`); err != nil {
		t.Fatal(err)
	}
	var out []casestudy.MailJob
	for _, r := range raw {
		var j casestudy.MailJob
		if err := json.Unmarshal(r, &j); err != nil {
			t.Fatal(err)
		}
		if j.Kind == casestudy.MailDigest {
			out = append(out, j)
		}
	}
	return out
}

// "Your case is being discussed" is one unread notification per case, however many messages;
// once the author has read it, the next message makes a new one at once.
func TestCaseDiscussedOncePerRead(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	discussed := func() int {
		t.Helper()
		list, _, err := sf.f.svc.Notifications(ctx, sf.author.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range list {
			if x.Kind == casestudy.NotifyCaseDiscussed && x.ReadAt == nil {
				n++
			}
		}
		return n
	}
	for i, who := range []casestudy.User{sf.bob, sf.cat, sf.bob, sf.author} {
		if _, err := sf.post(room, who, fmt.Sprintf("Thought %d", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := discussed(); n != 1 {
		t.Fatalf("%d unread 'case discussed', want 1", n)
	}
	if err := sf.f.svc.MarkNotificationsRead(ctx, sf.author.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := sf.post(room, sf.cat, "One more", 0); err != nil {
		t.Fatal(err)
	}
	if n := discussed(); n != 1 {
		t.Fatalf("%d unread after reading and a new message, want 1", n)
	}
}
