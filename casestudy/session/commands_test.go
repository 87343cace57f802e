package session_test

import (
	"slices"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy/errs"
	"github.com/casecircle/casecircle/casestudy/session"
)

func TestWhoMayCommand(t *testing.T) {
	p := session.People{Presenter: presenterID, Supervisor: supervisorID}
	const otherSupervisor = 9
	for _, c := range []struct {
		action     string
		by         int64
		supervises bool
		code       string
	}{
		{session.ActionAdvance, supervisorID, true, ""},
		{session.ActionAdvance, otherSupervisor, true, errs.EFORBIDDEN},
		{session.ActionEnd, supervisorID, false, errs.EFORBIDDEN}, // demoted while it runs
		{session.ActionTakeOver, otherSupervisor, true, ""},
		{session.ActionTakeOver, ann, false, errs.EFORBIDDEN},
		{session.ActionTakeOver, supervisorID, true, errs.ECONFLICT},
		{session.ActionTakeOver, presenterID, true, errs.ECONFLICT},
		{session.ActionRaiseHand, ann, false, ""},
		{session.ActionLowerHand, presenterID, false, ""},
	} {
		if got := errorCode(session.MayCommand(c.action, c.by, c.supervises, p)); got != c.code {
			t.Errorf("%s by %d (supervises %v): %q, want %q", c.action, c.by, c.supervises, got, c.code)
		}
	}
	if got := p.MembersOnly([]int64{ben, presenterID, ann, supervisorID, ben}); !slices.Equal(got, []int64{ben, ann}) {
		t.Errorf("members only: %v", got)
	}
	if p.RoleOf(presenterID) != session.Presenter || p.RoleOf(supervisorID) != session.Supervisor || p.RoleOf(ann) != session.Member {
		t.Error("roles of the people")
	}
}

func TestApplyCommands(t *testing.T) {
	hand := session.Phase{Name: "Round", Minutes: 10, Policy: session.PolicyHandRaise}
	robin := session.Phase{Name: "Turns", Minutes: 10, Policy: session.PolicyRoundRobin}
	s := newSession(t, hand, robin)
	apply := func(action string, by session.Speaker, extra ...int64) error {
		cmd := session.Command{Action: action}
		if len(extra) > 0 {
			cmd.UserID, cmd.Minutes = extra[0], int(extra[0])
		}
		next, err := s.state.Apply(s.tpl, cmd, by, s.now, []int64{ann, ben})
		if err == nil {
			s.state = next
		}
		return err
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(apply(session.ActionRaiseHand, annS))
	must(apply(session.ActionGrantFloor, supervisor))
	if s.state.Floor != ann {
		t.Fatalf("floor %d", s.state.Floor)
	}
	must(apply(session.ActionWithdrawFloor, supervisor))
	must(apply(session.ActionRaiseHand, benS))
	must(apply(session.ActionLowerHand, benS))
	must(apply(session.ActionPause, supervisor))
	must(apply(session.ActionExtend, supervisor, 5))
	must(apply(session.ActionResume, supervisor))
	if left := s.state.Deadline.Sub(s.now); left != 15*time.Minute {
		t.Fatalf("%v left after extending by 5", left)
	}
	must(apply(session.ActionAdvance, supervisor))
	must(apply(session.ActionSkipTurn, supervisor))
	if s.state.CurrentSpeaker() != ben {
		t.Fatalf("after a skip it is %d's turn", s.state.CurrentSpeaker())
	}
	must(apply(session.ActionBack, supervisor))
	if err := apply("dance", supervisor); errorCode(err) != errs.EVALIDATION {
		t.Fatalf("an unknown action: %v", err)
	}
}

func TestSpeakingNamesTheFloor(t *testing.T) {
	hand := session.Phase{Name: "Round", Minutes: 10, Policy: session.PolicyHandRaise}
	s := newSession(t, hand)
	p := session.People{Presenter: presenterID, Supervisor: supervisorID}
	s.state.Floor = ann
	sp := s.state.Speaking(s.tpl, p, names)
	if sp.Speaker != ann || sp.SpeakerRules == nil || sp.SpeakerRules.New != "" || sp.Member.New != "Ann has the floor. Raise your hand to speak next." ||
		sp.Supervisor.New != "" || sp.Summary != "Ann has the floor." {
		t.Fatalf("speaking %+v", sp)
	}
	s.state.Ended = true
	if sp := s.state.Speaking(s.tpl, p, names); sp.Speaker != 0 || sp.Member.New != "" || sp.Summary != "The session has ended." {
		t.Fatalf("after the end: %+v", sp)
	}
}
