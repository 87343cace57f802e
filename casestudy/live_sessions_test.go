package casestudy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/casestudy/session"
)

type sessionFixture struct {
	f                     *fixture
	cid                   int64
	fac, sup1, sup2       casestudy.User
	author, bob, cat, out casestudy.User
	sent                  int
}

func newSessionFixture(t *testing.T) *sessionFixture {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	sf := &sessionFixture{f: f}
	sf.cid, sf.author, sf.bob, sf.out = caseCommunity(t, f)
	sf.cat, _ = f.mustRegister(t, "cat")
	sf.sup1, _ = f.mustRegister(t, "sue")
	sf.sup2, _ = f.mustRegister(t, "sid")
	sf.fac = f.facilitatorOf(t, sf.cid)
	for _, m := range []struct {
		u    casestudy.User
		role casestudy.Role
	}{{sf.cat, casestudy.RoleMember}, {sf.sup1, casestudy.RoleSupervisor}, {sf.sup2, casestudy.RoleSupervisor}} {
		_, token, err := f.svc.CreateInvitation(ctx, sf.fac.ID, sf.cid, casestudy.NewInvitation{Role: m.role, MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AcceptInvitation(ctx, m.u.ID, token); err != nil {
			t.Fatal(err)
		}
	}
	return sf
}

func (sf *sessionFixture) post(room int64, u casestudy.User, body string, parent int64) (casestudy.RoomEvent, error) {
	sf.sent++
	return sf.f.svc.PostMessage(context.Background(), u.ID, sf.cid, room,
		casestudy.NewMessage{ClientID: fmt.Sprintf("m%d", sf.sent), Body: body, ParentID: parent})
}

func (sf *sessionFixture) control(t *testing.T, room int64, u casestudy.User, action string, present ...int64) (casestudy.RoomEvent, error) {
	t.Helper()
	return sf.f.svc.ControlSession(context.Background(), u.ID, sf.cid, room, casestudy.SessionCommand{Action: action}, present)
}

// mustOK returns a checker of (event, error) results that fails t on an error.
func mustOK(t *testing.T) func(casestudy.RoomEvent, error) casestudy.RoomEvent {
	return func(ev casestudy.RoomEvent, err error) casestudy.RoomEvent {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
}

func wantRefusal(t *testing.T, err error, code, says string) {
	t.Helper()
	if casestudy.ErrorCode(err) != code || !strings.Contains(err.Error(), says) {
		t.Fatalf("got %v, want %s saying %q", err, code, says)
	}
}

func TestLiveSessionDefaultTemplate(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	present := []int64{sf.author.ID, sf.bob.ID, sf.cat.ID, sf.sup1.ID}

	_, err := sf.f.svc.StartSession(ctx, sf.bob.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "default"}, present)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Only a supervisor")
	_, err = sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "nope"}, present)
	wantRefusal(t, err, casestudy.EVALIDATION, "template")
	start := must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "default"}, present))
	if start.Type != casestudy.EventSessionStarted || start.Session == nil || start.Session.PresenterID != sf.author.ID ||
		start.Session.SupervisorID != sf.sup1.ID || start.Session.State.Phase != 0 {
		t.Fatalf("start %+v", start)
	}
	_, err = sf.f.svc.StartSession(ctx, sf.sup2.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "default"}, present)
	wantRefusal(t, err, casestudy.ECONFLICT, "already running")

	// Presentation: the presenter only.
	_, err = sf.post(room, sf.bob, "A question already", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Only the presenter may speak")
	told := must(sf.post(room, sf.author, "Here is my case", 0))
	if told.Message.Phase == nil || *told.Message.Phase != 0 || told.Message.SessionID == nil {
		t.Fatalf("message not tagged with its phase: %+v", told.Message)
	}

	// Only the session's supervisor steers.
	_, err = sf.control(t, room, sf.bob, casestudy.SessionAdvance)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Only the session's supervisor")
	must(sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...))

	// Clarifying questions: members ask, the presenter answers in the thread.
	q := must(sf.post(room, sf.bob, "Who is the sponsor?", 0))
	_, err = sf.post(room, sf.author, "Let me add something", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "answers questions in their threads")
	must(sf.post(room, sf.author, "The CEO", q.Message.ID))

	// Reflective round: the presenter listens.
	must(sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...))
	_, err = sf.post(room, sf.author, "But actually", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "The presenter listens")
	must(sf.post(room, sf.cat, "I notice rescuing", 0))

	// Timer commands are events too.
	paused := must(sf.control(t, room, sf.sup1, casestudy.SessionPause))
	if !paused.Session.State.Paused || paused.Action != casestudy.SessionPause {
		t.Fatalf("pause %+v", paused)
	}
	must(sf.f.svc.ControlSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.SessionCommand{Action: casestudy.SessionExtend, Minutes: 5}, present))
	resumed := must(sf.control(t, room, sf.sup1, casestudy.SessionResume))
	if resumed.Session.State.Paused || resumed.Session.State.Deadline.IsZero() {
		t.Fatalf("resume %+v", resumed.Session.State)
	}

	// Another supervisor takes over (the first one's disconnect never ends the session).
	_, err = sf.control(t, room, sf.bob, casestudy.SessionTakeOver)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Only a supervisor can take over")
	must(sf.control(t, room, sf.sup2, casestudy.SessionTakeOver))
	_, err = sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Only the session's supervisor")
	must(sf.control(t, room, sf.sup2, casestudy.SessionAdvance, present...))

	// A late joiner sees the current state; the stream replays the session as it happened.
	view, err := sf.f.svc.LiveSession(ctx, sf.cat.ID, sf.cid, room)
	if err != nil || view.State.Phase != 3 || view.SupervisorID != sf.sup2.ID || view.Template.Phases[3].Name != "Presenter response" {
		t.Fatalf("late join %+v %v", view, err)
	}
	events, err := sf.f.svc.RoomEvents(ctx, sf.cat.ID, sf.cid, room, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var phases []int
	for i, ev := range events {
		if ev.Seq != int64(i+1) {
			t.Fatalf("gap in the stream at %d: %d", i, ev.Seq)
		}
		if ev.Session != nil && (ev.Action == "start" || ev.Action == casestudy.SessionAdvance) {
			phases = append(phases, ev.Session.State.Phase)
		}
	}
	if fmt.Sprint(phases) != "[0 1 2 3]" {
		t.Fatalf("replayed phases %v", phases)
	}

	// Learning points, in the last phase only; members may record them in this format.
	_, err = sf.f.svc.AddLearningPoint(ctx, sf.cat.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "Too early"})
	wantRefusal(t, err, casestudy.ECONFLICT, "last phase")
	must(sf.control(t, room, sf.sup2, casestudy.SessionAdvance, present...))
	must(sf.post(room, sf.author, "I will ask before I advise", 0))
	must(sf.f.svc.AddLearningPoint(ctx, sf.cat.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "Rescuing shows up as advice", Function: "formative"}))
	lp := must(sf.f.svc.AddLearningPoint(ctx, sf.sup2.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "Ask the sponsor about the contract", Kind: "action"}))
	if lp.Action != "learning_point" || lp.LearningPoint == nil || lp.LearningPoint.Kind != "action" || lp.LearningPoint.ID == 0 ||
		*lp.LearningPoint.AuthorName != "Sid" || len(lp.Session.LearningPoints) != 0 {
		t.Fatalf("learning point event %+v %+v", lp.LearningPoint, lp.Session.LearningPoints)
	}
	if view, err := sf.f.svc.LiveSession(ctx, sf.bob.ID, sf.cid, room); err != nil || len(view.LearningPoints) != 2 {
		t.Fatalf("a late joiner's snapshot: %+v %v", view.LearningPoints, err)
	}
	_, err = sf.f.svc.AddLearningPoint(ctx, sf.cat.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "Priya Raghunathan was right"})
	wantRefusal(t, err, casestudy.EVALIDATION, "decisions")
	_, err = sf.f.svc.AddLearningPoint(ctx, sf.cat.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "x", Function: "magic"})
	wantRefusal(t, err, casestudy.EVALIDATION, "function")

	// Ending: the record is kept, the room is open again, and a new session may start.
	end := must(sf.control(t, room, sf.sup2, casestudy.SessionEnd))
	if end.Type != casestudy.EventSessionEnded || end.Session.EndedAt == nil {
		t.Fatalf("end %+v", end)
	}
	if _, err := sf.f.svc.LiveSession(ctx, sf.cat.ID, sf.cid, room); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Fatalf("after the end: %v", err)
	}
	records, err := sf.f.svc.SessionRecords(ctx, sf.bob.ID, sf.cid, room)
	if err != nil || len(records) != 1 {
		t.Fatalf("records %v %v", records, err)
	}
	rec := records[0]
	var runs []string
	for _, p := range rec.Phases {
		runs = append(runs, fmt.Sprintf("%s:%d", p.Name, p.Messages))
	}
	if strings.Join(runs, ", ") != "Presentation:1, Clarifying questions:2, Reflective round:1, Presenter response:0, Learning and actions:1" {
		t.Fatalf("phases as run: %v", runs)
	}
	if len(rec.LearningPoints) != 1 || *rec.LearningPoints[0].Function != "formative" || len(rec.Actions) != 1 ||
		rec.Presenter.ID != sf.author.ID || rec.Supervisor.ID != sf.sup2.ID || len(rec.Participants) < 4 || rec.EndedAt.Before(rec.StartedAt) {
		t.Fatalf("record %+v", rec)
	}
	must(sf.post(room, sf.author, "Thank you all", 0))
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "balint"}, present))

	// Outsiders see nothing.
	_, err = sf.f.svc.LiveSession(ctx, sf.out.ID, sf.cid, room)
	wantRefusal(t, err, casestudy.ENOTFOUND, "")
}

func TestLiveSessionTurnsAndHands(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	tpl, err := sf.f.svc.CreateTemplate(ctx, sf.fac.ID, sf.cid, casestudy.Template{Name: "Turns then hands", Phases: []casestudy.Phase{
		{Name: "Questions in turn", Minutes: 5, Policy: casestudy.PolicyRoundRobin, PresenterMayPost: true},
		{Name: "Hands", Minutes: 5, Policy: casestudy.PolicyHandRaise},
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	present := []int64{sf.author.ID, sf.sup1.ID, sf.bob.ID, sf.cat.ID}
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: tpl.Key}, present))

	_, err = sf.post(room, sf.cat, "Out of turn", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "It is Bob's turn")
	must(sf.post(room, sf.bob, "My question", 0))
	view, _ := sf.f.svc.LiveSession(ctx, sf.cat.ID, sf.cid, room)
	if view.State.CurrentSpeaker() != sf.cat.ID {
		t.Fatalf("after Bob's question the turn is %d's, want Cat's", view.State.CurrentSpeaker())
	}
	events, _ := sf.f.svc.RoomEvents(ctx, sf.cat.ID, sf.cid, room, 0, 100)
	if last := events[len(events)-1]; last.Action != "turn" || last.Session.State.Turn != 1 {
		t.Fatalf("no turn event after the contribution: %+v", last)
	}
	_, err = sf.post(room, sf.bob, "Another", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "It is Cat's turn")
	must(sf.post(room, sf.cat, "Mine", 0))
	_, err = sf.post(room, sf.bob, "Again", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Everyone has had their turn")

	must(sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...))
	_, err = sf.post(room, sf.cat, "Can I?", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Raise your hand")
	must(sf.control(t, room, sf.cat, casestudy.SessionRaiseHand))
	must(sf.control(t, room, sf.bob, casestudy.SessionRaiseHand))
	_, err = sf.control(t, room, sf.cat, casestudy.SessionGrantFloor)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Only the session's supervisor")
	granted := must(sf.control(t, room, sf.sup1, casestudy.SessionGrantFloor))
	if granted.Session.State.Floor != sf.cat.ID || len(granted.Session.State.Hands) != 1 {
		t.Fatalf("grant %+v", granted.Session.State)
	}
	must(sf.post(room, sf.cat, "My idea", 0))
	_, err = sf.post(room, sf.bob, "Me too", 0)
	wantRefusal(t, err, casestudy.EFORBIDDEN, "Cat has the floor")
	must(sf.post(room, sf.sup1, "Thank you, Cat", 0))
}

// facilitatorOf finds the community's (first) facilitator.
func (f *fixture) facilitatorOf(t *testing.T, cid int64) casestudy.User {
	t.Helper()
	var id int64
	if err := f.db.Get(&id, `SELECT user_id FROM memberships WHERE community_id = $1 AND role = 'facilitator' ORDER BY user_id LIMIT 1`, cid); err != nil {
		t.Fatal(err)
	}
	return casestudy.User{ID: id}
}

// TestAutoAdvance: a phase whose template says so moves on by itself once over time; others wait
// for the supervisor.
func TestAutoAdvance(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	tpl, err := sf.f.svc.CreateTemplate(ctx, sf.fac.ID, sf.cid, casestudy.Template{Name: "Timed", Phases: []casestudy.Phase{
		{Name: "Automatic", Minutes: 5, Policy: casestudy.PolicyOpen, PresenterMayPost: true, AutoAdvance: true},
		{Name: "Manual", Minutes: 5, Policy: casestudy.PolicyOpen, PresenterMayPost: true},
		{Name: "Last", Minutes: 5, Policy: casestudy.PolicyOpen, PresenterMayPost: true, AutoAdvance: true},
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: tpl.Key}, nil))
	phase := func() int {
		v, err := sf.f.svc.LiveSession(ctx, sf.bob.ID, sf.cid, room)
		if err != nil {
			t.Fatal(err)
		}
		return v.State.Phase
	}
	if n, err := sf.f.svc.AdvanceOverdueSessions(ctx); err != nil || n != 0 || phase() != 0 {
		t.Fatalf("advanced %d before time (%v)", n, err)
	}
	sf.f.clock.Advance(5 * time.Minute)
	if n, err := sf.f.svc.AdvanceOverdueSessions(ctx); err != nil || n != 1 || phase() != 1 {
		t.Fatalf("advanced %d at the deadline (%v), phase %d", n, err, phase())
	}
	sf.f.clock.Advance(10 * time.Minute)
	if n, _ := sf.f.svc.AdvanceOverdueSessions(ctx); n != 0 || phase() != 1 {
		t.Fatalf("a manual phase moved on by itself")
	}
}

// A session event carries what changed: its size does not grow with the learning points
// recorded before it, and a session holds a bounded number of them.
func TestSessionEventsStaySmall(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "balint"}, nil))
	for {
		ev := must(sf.control(t, room, sf.sup1, casestudy.SessionAdvance))
		if ev.Session.State.Phase == len(ev.Session.Template.Phases)-1 {
			break
		}
	}
	long := strings.Repeat("Rescuing shows up as advice. ", 40)[:casestudy.MaxLearningPointLength]
	for range casestudy.MaxLearningPointsPerSession {
		must(sf.f.svc.AddLearningPoint(ctx, sf.sup1.ID, sf.cid, room, casestudy.NewLearningPoint{Body: long}))
	}
	_, err := sf.f.svc.AddLearningPoint(ctx, sf.sup1.ID, sf.cid, room, casestudy.NewLearningPoint{Body: "one more"})
	wantRefusal(t, err, casestudy.ECONFLICT, "at most")
	must(sf.control(t, room, sf.sup1, casestudy.SessionPause))
	events, err := sf.f.svc.RoomEvents(ctx, sf.bob.ID, sf.cid, room, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	largest := 0
	for _, ev := range events {
		b, _ := json.Marshal(ev)
		largest = max(largest, len(b))
	}
	t.Logf("%d events, the largest %d bytes", len(events), largest)
	if largest > 8<<10 {
		t.Fatalf("largest of %d session events is %d bytes; events must not carry every learning point", len(events), largest)
	}
	if view, err := sf.f.svc.LiveSession(ctx, sf.bob.ID, sf.cid, room); err != nil || len(view.LearningPoints) != casestudy.MaxLearningPointsPerSession {
		t.Fatalf("snapshot holds %d points: %v", len(view.LearningPoints), err)
	}
}

// The role is read on every command: a supervisor demoted while their session runs stops
// steering it, and another supervisor can take it over.
func TestDemotedSupervisorStopsSteering(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "balint"}, nil))
	if err := sf.f.svc.ChangeRole(ctx, sf.fac.ID, sf.cid, sf.sup1.ID, casestudy.RoleMember); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{casestudy.SessionAdvance, casestudy.SessionPause, casestudy.SessionExtend, casestudy.SessionEnd} {
		_, err := sf.f.svc.ControlSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.SessionCommand{Action: action, Minutes: 5}, nil)
		wantRefusal(t, err, casestudy.EFORBIDDEN, "no longer a supervisor")
	}
	ev := must(sf.control(t, room, sf.sup2, casestudy.SessionTakeOver))
	if ev.Session.SupervisorID != sf.sup2.ID {
		t.Fatalf("take over: %+v", ev.Session)
	}
	must(sf.control(t, room, sf.sup2, casestudy.SessionEnd))
}

// Withdrawing a case ends its live session (which nobody could end afterwards), its record
// kept; the room and its records are closed to everyone, the facilitator included.
func TestWithdrawingACaseEndsItsSession(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "balint"}, nil))
	if _, err := sf.f.svc.WithdrawCase(ctx, sf.author.ID, sf.cid, room); err != nil {
		t.Fatal(err)
	}
	if _, err := sf.f.svc.LiveSession(ctx, sf.author.ID, sf.cid, room); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Fatalf("a session still runs on the withdrawn case: %v", err)
	}
	var kept bool
	if err := sf.f.db.Get(&kept, `SELECT record IS NOT NULL FROM live_sessions WHERE case_id = $1`, room); err != nil || !kept {
		t.Fatalf("the session's record was not kept: %v", err)
	}
	if _, err := sf.f.svc.SessionRecords(ctx, sf.fac.ID, sf.cid, room); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
		t.Fatalf("the facilitator still reads the withdrawn case's records: %v", err)
	}
	var last casestudy.RoomEvent
	for _, ev := range sf.f.events.room {
		last = ev
	}
	if last.Type != casestudy.EventSessionEnded || last.Action != "withdrawn" {
		t.Fatalf("the room was told %+v", last)
	}
}

// What the browser is told about who may post is the answer the server's own check gives: in
// every phase of a session, for the presenter, the supervisor and a member, the speaking
// table on the snapshot, on LiveSession and on the session's events refuses exactly the posts
// that PostMessage refuses, with the same message.
func TestSpeakingTableMatchesWhatPostingRefuses(t *testing.T) {
	t.Parallel()
	sf := newSessionFixture(t)
	ctx := context.Background()
	room := publishedRoom(t, sf.f, sf.cid, sf.author)
	must := mustOK(t)
	present := []int64{sf.author.ID, sf.bob.ID, sf.cat.ID, sf.sup1.ID}
	ev := must(sf.f.svc.StartSession(ctx, sf.sup1.ID, sf.cid, room, casestudy.StartSessionInput{TemplateKey: "balint"}, present))
	for phase := 0; ; phase++ {
		live, err := sf.f.svc.LiveSession(ctx, sf.bob.ID, sf.cid, room)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := sf.f.svc.RoomThreads(ctx, sf.bob.ID, sf.cid, room, 0, 10)
		if err != nil || snap.Session == nil {
			t.Fatalf("snapshot %+v, %v", snap.Session, err)
		}
		for where, sp := range map[string]*session.Speaking{"event": ev.Session.Speaking, "LiveSession": live.Speaking, "snapshot": snap.Session.Speaking} {
			if sp == nil || sp.Summary == "" {
				t.Fatalf("phase %d: no speaking table on the %s", phase, where)
			}
			if !reflect.DeepEqual(sp, live.Speaking) {
				t.Errorf("phase %d: the %s's table differs from LiveSession's", phase, where)
			}
		}
		sp := live.Speaking
		thread := must(sf.post(room, sf.sup1, fmt.Sprintf("Thread for phase %d", phase), 0)) // the supervisor may always post
		for _, who := range []struct {
			u     casestudy.User
			rules session.PostRules
		}{{sf.author, sp.Presenter}, {sf.sup1, sp.Supervisor}, {sf.cat, sp.Member}} {
			if who.u.ID == sp.Speaker {
				continue
			}
			for _, reply := range []bool{false, true} {
				want, parent := who.rules.New, int64(0)
				if reply {
					want, parent = who.rules.Reply, thread.Message.ID
				}
				_, err := sf.post(room, who.u, "A contribution", parent)
				switch {
				case want == "" && err != nil:
					t.Errorf("phase %d: %s (reply %v) was told it may post, and was refused: %v", phase, who.u.DisplayName, reply, err)
				case want != "" && (err == nil || casestudy.AsError(err).Message != want):
					t.Errorf("phase %d: %s (reply %v) was told %q, and posting gave %v", phase, who.u.DisplayName, reply, want, err)
				}
			}
		}
		next, err := sf.control(t, room, sf.sup1, casestudy.SessionAdvance, present...)
		if casestudy.ErrorCode(err) == casestudy.ECONFLICT {
			break // the last phase
		}
		ev = must(next, err)
	}
}
