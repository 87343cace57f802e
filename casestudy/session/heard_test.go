package session_test

import (
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy/session"
)

// Whose voice the group hears follows the phase, like who may post.
func TestMayBeHeard(t *testing.T) {
	const presenter, supervisor, ann, bob = 1, 2, 3, 4
	people := session.People{Presenter: presenter, Supervisor: supervisor}
	who := func(id int64) session.Speaker { return session.Speaker{UserID: id, Role: people.RoleOf(id)} }
	tpl := session.Template{Name: "All policies", Phases: []session.Phase{
		{Name: "Presentation", Minutes: 5, Policy: session.PolicyRoles, Roles: []session.Role{session.Presenter}, PresenterMayPost: true},
		{Name: "Questions", Minutes: 5, Policy: session.PolicyAskAnswer, PresenterMayPost: true},
		{Name: "Reflective round", Minutes: 5, Policy: session.PolicyOpen, PresenterMayPost: false},
		{Name: "Round", Minutes: 5, Policy: session.PolicyRoundRobin, PresenterMayPost: true},
		{Name: "Hands", Minutes: 5, Policy: session.PolicyHandRaise, PresenterMayPost: true},
	}}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	st := session.NewState(tpl, now, []int64{ann, bob})
	heard := func(ids ...int64) map[int64]bool {
		out := map[int64]bool{}
		for _, id := range []int64{presenter, supervisor, ann, bob} {
			out[id] = st.MayBeHeard(tpl, who(id))
		}
		return out
	}
	check := func(phase string, want map[int64]bool) {
		t.Helper()
		got := heard()
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: user %d heard %v, want %v", phase, id, got[id], w)
			}
		}
	}
	check("presentation", map[int64]bool{presenter: true, supervisor: true, ann: false, bob: false})
	var err error
	advance := func() {
		t.Helper()
		if st, err = st.Advance(tpl, now, []int64{ann, bob}); err != nil {
			t.Fatal(err)
		}
	}
	advance()
	check("questions", map[int64]bool{presenter: true, supervisor: true, ann: true, bob: true})
	advance()
	check("reflective round", map[int64]bool{presenter: false, supervisor: true, ann: true, bob: true})
	advance()
	check("round-robin, ann's turn", map[int64]bool{presenter: false, supervisor: true, ann: true, bob: false})
	if st, err = st.SkipTurn(tpl); err != nil {
		t.Fatal(err)
	}
	check("round-robin, bob's turn", map[int64]bool{ann: false, bob: true})
	advance()
	check("hands, no floor", map[int64]bool{presenter: false, supervisor: true, ann: false, bob: false})
	if st, err = st.GrantFloor(tpl, bob); err != nil {
		t.Fatal(err)
	}
	check("hands, bob's floor", map[int64]bool{ann: false, bob: true})
	st.Ended = true
	check("ended", map[int64]bool{presenter: true, ann: true, bob: true})
}
