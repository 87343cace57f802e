package session_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy/errs"
	"github.com/casecircle/casecircle/casestudy/session"
)

func TestBuiltinTemplatesAreValid(t *testing.T) {
	want := []string{"default", "balint", "action-learning", "kollegiale-beratung", "intervision-incident", "solution-focused"}
	got := session.BuiltinTemplates()
	if len(got) != len(want) {
		t.Fatalf("%d built-in templates, want %d", len(got), len(want))
	}
	for i, tpl := range got {
		if tpl.Key != want[i] {
			t.Errorf("template %d is %q, want %q", i, tpl.Key, want[i])
		}
		if err := tpl.Validate(); err != nil {
			t.Errorf("%s: %v", tpl.Key, err)
		}
	}
	if sf, _ := session.BuiltinTemplate("solution-focused"); sf.Total() != 35 {
		t.Errorf("the solution-focused reflecting team lasts %d minutes, want 35", sf.Total())
	}
	if _, ok := session.BuiltinTemplate("nope"); ok {
		t.Error("an unknown key found a template")
	}
}

func TestTemplateValidation(t *testing.T) {
	base := func() session.Template {
		d, _ := session.BuiltinTemplate("default")
		return d
	}
	cases := []struct {
		field  string
		mutate func(*session.Template)
	}{
		{"name", func(t *session.Template) { t.Name = "  " }},
		{"phases", func(t *session.Template) { t.Phases = nil }},
		{"phases", func(t *session.Template) {
			for range 21 {
				t.Phases = append(t.Phases, t.Phases[0])
			}
		}},
		{"phases[1].minutes", func(t *session.Template) { t.Phases[1].Minutes = 0 }},
		{"phases[1].minutes", func(t *session.Template) { t.Phases[1].Minutes = 121 }},
		{"phases[0].name", func(t *session.Template) { t.Phases[0].Name = "" }},
		{"phases[2].policy", func(t *session.Template) { t.Phases[2].Policy = "shouting" }},
		{"phases[0].roles", func(t *session.Template) { t.Phases[0].Roles = nil }},
		{"phases[0].roles", func(t *session.Template) { t.Phases[0].Roles = []session.Role{"king"} }},
		{"phases[0].produces", func(t *session.Template) { t.Phases[0].Produces = "gossip" }},
		{"phases", func(t *session.Template) {
			for i := range t.Phases {
				t.Phases[i].Minutes = 100
			}
		}},
	}
	for _, c := range cases {
		tpl := base()
		c.mutate(&tpl)
		err := tpl.Validate()
		if errorCode(err) != errs.EVALIDATION || !strings.Contains(err.Error(), "("+c.field+")") {
			t.Errorf("want a validation error on %s, got %v", c.field, err)
		}
	}
}

// harness is a small harness: a template, a clock, a state, and the people.
type harness struct {
	t     *testing.T
	tpl   session.Template
	now   time.Time
	state session.State
}

const (
	presenterID  = 1
	supervisorID = 2
	ann, ben     = 3, 4
)

var (
	presenter  = session.Speaker{UserID: presenterID, Role: session.Presenter}
	supervisor = session.Speaker{UserID: supervisorID, Role: session.Supervisor}
	annS       = session.Speaker{UserID: ann, Role: session.Member}
	benS       = session.Speaker{UserID: ben, Role: session.Member}
)

func names(id int64) string {
	return map[int64]string{ann: "Ann", ben: "Ben", presenterID: "Pia", supervisorID: "Sam"}[id]
}

func newSession(t *testing.T, phases ...session.Phase) *harness {
	tpl := session.Template{Name: "test", Phases: phases}
	if err := tpl.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	return &harness{t: t, tpl: tpl, now: now, state: session.NewState(tpl, now, []int64{ann, ben})}
}

func (s *harness) may(who session.Speaker, reply bool) error {
	return s.state.MayPost(s.tpl, who, reply, names)
}

func (s *harness) allowed(who session.Speaker, reply bool) {
	s.t.Helper()
	if err := s.may(who, reply); err != nil {
		s.t.Errorf("%s (reply %v) refused: %v", names(who.UserID), reply, err)
	}
}

func (s *harness) refused(who session.Speaker, reply bool, says string) {
	s.t.Helper()
	err := s.may(who, reply)
	if errorCode(err) != errs.EFORBIDDEN || !strings.Contains(err.Error(), says) {
		s.t.Errorf("%s (reply %v): got %v, want a refusal saying %q", names(who.UserID), reply, err, says)
	}
}

func (s *harness) post(who session.Speaker, reply bool) {
	s.t.Helper()
	s.allowed(who, reply)
	s.state = s.state.AfterPost(s.tpl, who, reply)
}

func TestSpeakingPolicies(t *testing.T) {
	t.Run("open, presenter listening", func(t *testing.T) {
		s := newSession(t, session.Phase{Name: "Reflective round", Minutes: 10, Policy: session.PolicyOpen})
		s.allowed(annS, false)
		s.allowed(supervisor, true)
		s.refused(presenter, false, "The presenter listens")
		s.refused(presenter, true, "The presenter listens")
	})
	t.Run("roles", func(t *testing.T) {
		s := newSession(t, session.Phase{Name: "Presentation", Minutes: 10, Policy: session.PolicyRoles,
			Roles: []session.Role{session.Presenter}, PresenterMayPost: true})
		s.allowed(presenter, false)
		s.refused(annS, false, "Only the presenter may speak")
		// The supervisor may always speak, in every format (a facilitation note).
		s.allowed(supervisor, false)
		s.allowed(supervisor, true)
	})
	t.Run("ask and answer", func(t *testing.T) {
		s := newSession(t, session.Phase{Name: "Clarifying questions", Minutes: 10, Policy: session.PolicyAskAnswer, PresenterMayPost: true})
		s.allowed(annS, false)
		s.allowed(presenter, true)
		s.refused(presenter, false, "the presenter answers questions in their threads")
		s.refused(benS, true, "ask your question as a new message")
	})
	t.Run("round robin passes the turn after each contribution", func(t *testing.T) {
		s := newSession(t, session.Phase{Name: "Questions in turn", Minutes: 10, Policy: session.PolicyRoundRobin, PresenterMayPost: true})
		s.refused(benS, false, "It is Ann's turn.")
		s.post(annS, false)
		s.refused(annS, false, "It is Ben's turn.")
		s.allowed(presenter, true) // the presenter answers Ann's question in its thread
		s.refused(presenter, false, "It is Ben's turn.")
		s.post(supervisor, false) // the supervisor may always speak, and takes no one's turn
		s.post(benS, false)
		s.refused(annS, false, "Everyone has had their turn")
	})
	t.Run("round robin: skip, and a late joiner", func(t *testing.T) {
		s := newSession(t, session.Phase{Name: "Advice in turn", Minutes: 10, Policy: session.PolicyRoundRobin})
		var err error
		if s.state, err = s.state.SkipTurn(s.tpl); err != nil {
			t.Fatal(err)
		}
		s.refused(annS, false, "It is Ben's turn.")
		s.state = s.state.JoinTurns(5).JoinTurns(5)
		s.post(benS, false)
		if got := s.state.CurrentSpeaker(); got != 5 {
			t.Fatalf("after Ben comes %d, want the late joiner", got)
		}
		s.state, _ = s.state.SkipTurn(s.tpl)
		if _, err := s.state.SkipTurn(s.tpl); errorCode(err) != errs.ECONFLICT {
			t.Fatalf("skipping past the end: %v", err)
		}
	})
	t.Run("hand raise queue and floor", func(t *testing.T) {
		s := newSession(t, session.Phase{Name: "Reflection", Minutes: 10, Policy: session.PolicyHandRaise})
		s.refused(annS, false, "Raise your hand")
		s.allowed(supervisor, false)
		var err error
		if s.state, err = s.state.RaiseHand(s.tpl, benS); err != nil {
			t.Fatal(err)
		}
		if s.state, err = s.state.RaiseHand(s.tpl, annS); err != nil {
			t.Fatal(err)
		}
		if _, err := s.state.RaiseHand(s.tpl, annS); errorCode(err) != errs.ECONFLICT {
			t.Fatalf("raising twice: %v", err)
		}
		if _, err := s.state.RaiseHand(s.tpl, presenter); errorCode(err) != errs.EFORBIDDEN {
			t.Fatalf("the listening presenter raised a hand: %v", err)
		}
		if s.state, err = s.state.GrantFloor(s.tpl, 0); err != nil || s.state.Floor != ben {
			t.Fatalf("the floor went to %d (%v), want Ben, first in the queue", s.state.Floor, err)
		}
		s.allowed(benS, false)
		s.refused(annS, false, "Ben has the floor")
		if s.state, err = s.state.GrantFloor(s.tpl, 0); err != nil || s.state.Floor != ann || len(s.state.Hands) != 0 {
			t.Fatalf("floor %d hands %v (%v)", s.state.Floor, s.state.Hands, err)
		}
		if s.state, err = s.state.WithdrawFloor(); err != nil {
			t.Fatal(err)
		}
		s.refused(annS, false, "Raise your hand")
		if _, err := s.state.GrantFloor(s.tpl, 0); errorCode(err) != errs.ECONFLICT {
			t.Fatalf("granting with no hands up: %v", err)
		}
		s.state, _ = s.state.RaiseHand(s.tpl, annS)
		if s.state, err = s.state.LowerHand(ann); err != nil || len(s.state.Hands) != 0 {
			t.Fatalf("lowering: %v %v", s.state.Hands, err)
		}
	})
}

func TestSessionTimer(t *testing.T) {
	s := newSession(t,
		session.Phase{Name: "One", Minutes: 10, Policy: session.PolicyOpen, PresenterMayPost: true},
		session.Phase{Name: "Two", Minutes: 5, Policy: session.PolicyRoundRobin})
	start := s.now
	if !s.state.Deadline.Equal(start.Add(10 * time.Minute)) {
		t.Fatalf("deadline %v", s.state.Deadline)
	}
	var err error
	// Paused after 4 minutes with 6 left; resumed 3 minutes later: due 6 minutes after that.
	if s.state, err = s.state.Pause(start.Add(4 * time.Minute)); err != nil || !s.state.Paused || s.state.Remaining != 6*time.Minute {
		t.Fatalf("pause: %+v %v", s.state, err)
	}
	if _, err := s.state.Pause(start); errorCode(err) != errs.ECONFLICT {
		t.Fatalf("pausing twice: %v", err)
	}
	if s.state, err = s.state.Extend(start, 2*time.Minute); err != nil || s.state.Remaining != 8*time.Minute {
		t.Fatalf("extend while paused: %+v %v", s.state, err)
	}
	if s.state, err = s.state.Resume(start.Add(7 * time.Minute)); err != nil || !s.state.Deadline.Equal(start.Add(15*time.Minute)) {
		t.Fatalf("resume: %+v %v", s.state, err)
	}
	if s.state.Overdue(start.Add(14*time.Minute)) || !s.state.Overdue(start.Add(15*time.Minute)) {
		t.Fatal("overdue at the wrong time")
	}
	// Extending an overrun phase counts from now.
	if s.state, err = s.state.Extend(start.Add(20*time.Minute), 5*time.Minute); err != nil || !s.state.Deadline.Equal(start.Add(25*time.Minute)) {
		t.Fatalf("extend overdue: %v %v", s.state.Deadline, err)
	}
	if _, err := s.state.Extend(start, 0); errorCode(err) != errs.EVALIDATION {
		t.Fatalf("extend by nothing: %v", err)
	}
	// Phases: forward with a fresh clock and turn order, not past the end, and back.
	present := []int64{ben, ann}
	if s.state, err = s.state.Advance(s.tpl, start.Add(30*time.Minute), present); err != nil || s.state.Phase != 1 ||
		!s.state.Deadline.Equal(start.Add(35*time.Minute)) || s.state.CurrentSpeaker() != ben {
		t.Fatalf("advance: %+v %v", s.state, err)
	}
	if _, err := s.state.Advance(s.tpl, start, present); errorCode(err) != errs.ECONFLICT {
		t.Fatalf("advancing past the last phase: %v", err)
	}
	if s.state, err = s.state.Back(s.tpl, start.Add(31*time.Minute), present); err != nil || s.state.Phase != 0 {
		t.Fatalf("back: %+v %v", s.state, err)
	}
	if _, err := s.state.Back(s.tpl, start, present); errorCode(err) != errs.ECONFLICT {
		t.Fatalf("back from the first phase: %v", err)
	}
}

// errorCode is the code of a domain error, or "" (these rules return nothing else).
func errorCode(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
