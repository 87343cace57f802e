package session

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/casecircle/casecircle/casestudy/errs"
)

// State is where a live session stands: the phase, its server deadline (UTC) or the time
// left while paused, and who may speak. It is a value: every command returns the next state, and
// the service stores it with the event that records the change, so that replaying a room's
// events, or reading the latest state, shows exactly what everyone saw.
type State struct {
	Phase     int           `json:"phase"`
	StartedAt time.Time     `json:"phase_started_at"`
	Deadline  time.Time     `json:"deadline,omitzero"` // when the phase is due to end; zero while paused
	Paused    bool          `json:"paused"`
	Remaining time.Duration `json:"remaining_ns,omitempty"` // time left, while paused
	// TurnOrder lists who speaks in turn (round-robin phases), Turn the index of the current one.
	TurnOrder []int64 `json:"turn_order,omitempty"`
	Turn      int     `json:"turn"`
	Hands     []int64 `json:"hands,omitempty"` // raised hands, in order (hand-raise phases)
	Floor     int64   `json:"floor,omitempty"` // who has been given the floor
	Ended     bool    `json:"ended"`
}

// Speaker is a participant as the rules see them.
type Speaker struct {
	UserID int64
	Role   Role
}

// enterPhase starts phase i at now: a fresh deadline, a fresh turn order of the members present
// (in the order given), no hands, no floor.
func enterPhase(t Template, i int, now time.Time, present []int64) State {
	return State{
		Phase:     i,
		StartedAt: now,
		Deadline:  now.Add(time.Duration(t.Phases[i].Minutes) * time.Minute),
		TurnOrder: slices.Clone(present),
	}
}

// NewState is the state of a session that starts now; present are the members (not the
// presenter or supervisor) in the room, in the order they came.
func NewState(t Template, now time.Time, present []int64) State {
	return enterPhase(t, 0, now, present)
}

// Advance moves to the next phase; in the last phase it is an error (end the session instead).
func (s State) Advance(t Template, now time.Time, present []int64) (State, error) {
	if s.Phase+1 >= len(t.Phases) {
		return s, errs.Errorf(errs.ECONFLICT, "This is the last phase: end the session instead.")
	}
	return enterPhase(t, s.Phase+1, now, present), nil
}

// Back returns to the previous phase, with its full time again.
func (s State) Back(t Template, now time.Time, present []int64) (State, error) {
	if s.Phase == 0 {
		return s, errs.Errorf(errs.ECONFLICT, "This is the first phase.")
	}
	return enterPhase(t, s.Phase-1, now, present), nil
}

// Pause stops the clock, keeping the time left.
func (s State) Pause(now time.Time) (State, error) {
	if s.Paused {
		return s, errs.Errorf(errs.ECONFLICT, "The timer is already paused.")
	}
	s.Remaining = max(0, s.Deadline.Sub(now))
	s.Deadline, s.Paused = time.Time{}, true
	return s, nil
}

// Resume restarts the clock with the time that was left.
func (s State) Resume(now time.Time) (State, error) {
	if !s.Paused {
		return s, errs.Errorf(errs.ECONFLICT, "The timer is running.")
	}
	s.Deadline, s.Paused, s.Remaining = now.Add(s.Remaining), false, 0
	return s, nil
}

// Extend gives the current phase more time (also while paused); from an overrun deadline, the
// extra time counts from now.
func (s State) Extend(now time.Time, d time.Duration) (State, error) {
	if d < time.Minute || d > 60*time.Minute {
		return s, errs.FieldErrorf("minutes", "Extend by 1 to 60 minutes.")
	}
	if s.Paused {
		s.Remaining += d
	} else {
		s.Deadline = later(s.Deadline, now).Add(d)
	}
	return s, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Overdue is true once the running phase has passed its deadline.
func (s State) Overdue(now time.Time) bool {
	return !s.Paused && !s.Deadline.IsZero() && !now.Before(s.Deadline)
}

// CurrentSpeaker is whose turn it is in a round-robin phase, or 0.
func (s State) CurrentSpeaker() int64 {
	if s.Turn < len(s.TurnOrder) {
		return s.TurnOrder[s.Turn]
	}
	return 0
}

// SkipTurn passes the turn to the next in order.
func (s State) SkipTurn(t Template) (State, error) {
	if t.Phases[s.Phase].Policy != PolicyRoundRobin {
		return s, errs.Errorf(errs.ECONFLICT, "This phase has no turns.")
	}
	if s.Turn >= len(s.TurnOrder) {
		return s, errs.Errorf(errs.ECONFLICT, "Everyone has had their turn.")
	}
	s.Turn++
	return s, nil
}

// JoinTurns adds a member who arrives during a round-robin phase at the end of the order.
func (s State) JoinTurns(userID int64) State {
	if !slices.Contains(s.TurnOrder, userID) {
		s.TurnOrder = append(slices.Clone(s.TurnOrder), userID)
	}
	return s
}

// RaiseHand queues a member who wants to speak in a hand-raise phase.
func (s State) RaiseHand(t Template, who Speaker) (State, error) {
	if t.Phases[s.Phase].Policy != PolicyHandRaise {
		return s, errs.Errorf(errs.ECONFLICT, "Hands are raised only in hand-raise phases.")
	}
	if who.Role == Presenter && !t.Phases[s.Phase].PresenterMayPost {
		return s, errs.Errorf(errs.EFORBIDDEN, "The presenter listens in this phase.")
	}
	if slices.Contains(s.Hands, who.UserID) || s.Floor == who.UserID {
		return s, errs.Errorf(errs.ECONFLICT, "Your hand is already up.")
	}
	s.Hands = append(slices.Clone(s.Hands), who.UserID)
	return s, nil
}

// LowerHand takes a member out of the queue.
func (s State) LowerHand(userID int64) (State, error) {
	i := slices.Index(s.Hands, userID)
	if i < 0 {
		return s, errs.Errorf(errs.ECONFLICT, "Your hand is not up.")
	}
	s.Hands = slices.Delete(slices.Clone(s.Hands), i, i+1)
	return s, nil
}

// GrantFloor gives the floor to a member, taking them out of the queue (0: the first in it).
func (s State) GrantFloor(t Template, userID int64) (State, error) {
	if t.Phases[s.Phase].Policy != PolicyHandRaise {
		return s, errs.Errorf(errs.ECONFLICT, "The floor is given only in hand-raise phases.")
	}
	if userID == 0 {
		if len(s.Hands) == 0 {
			return s, errs.Errorf(errs.ECONFLICT, "No hands are raised.")
		}
		userID = s.Hands[0]
	}
	if i := slices.Index(s.Hands, userID); i >= 0 {
		s.Hands = slices.Delete(slices.Clone(s.Hands), i, i+1)
	}
	s.Floor = userID
	return s, nil
}

// WithdrawFloor takes the floor back.
func (s State) WithdrawFloor() (State, error) {
	if s.Floor == 0 {
		return s, errs.Errorf(errs.ECONFLICT, "Nobody has the floor.")
	}
	s.Floor = 0
	return s, nil
}

// Apply gives the next state after a command that changes only the state (not take_over or
// end, which change the session around it); present are the members in the room, for a new
// phase's turns. Who may give which command is checked before (mayCommand).
func (s State) Apply(t Template, cmd Command, by Speaker, now time.Time, present []int64) (State, error) {
	switch cmd.Action {
	case ActionAdvance:
		return s.Advance(t, now, present)
	case ActionBack:
		return s.Back(t, now, present)
	case ActionPause:
		return s.Pause(now)
	case ActionResume:
		return s.Resume(now)
	case ActionExtend:
		return s.Extend(now, time.Duration(cmd.Minutes)*time.Minute)
	case ActionSkipTurn:
		return s.SkipTurn(t)
	case ActionGrantFloor:
		return s.GrantFloor(t, cmd.UserID)
	case ActionWithdrawFloor:
		return s.WithdrawFloor()
	case ActionRaiseHand:
		return s.RaiseHand(t, by)
	case ActionLowerHand:
		return s.LowerHand(by.UserID)
	}
	return s, errs.FieldErrorf("action", "Unknown session action.")
}

// MayPost says whether who may post now (a reply when isReply), and if not, why: the error says
// who may speak, for the composer to show.
func (s State) MayPost(t Template, who Speaker, isReply bool, names func(int64) string) error {
	if s.Ended {
		return nil
	}
	if who.Role == Supervisor {
		return nil // in every phase: a facilitation note, e.g. to stop a breach of confidentiality
	}
	p := t.Phases[s.Phase]
	refuse := func(format string, args ...any) error {
		return &errs.Error{Code: errs.EFORBIDDEN, Field: "phase", Message: fmt.Sprintf(format, args...),
			Details: map[string]any{"phase": p.Name, "policy": p.Policy}}
	}
	if who.Role == Presenter && !p.PresenterMayPost {
		return refuse("The presenter listens in this phase (%s).", p.Name)
	}
	switch p.Policy {
	case PolicyOpen:
		return nil
	case PolicyRoles:
		if slices.Contains(p.Roles, who.Role) {
			return nil
		}
		return refuse("Only the %s may speak in this phase (%s).", joinRoles(p.Roles), p.Name)
	case PolicyAskAnswer:
		if who.Role == Presenter && !isReply {
			return refuse("In %s the presenter answers questions in their threads: use Reply.", p.Name)
		}
		if who.Role != Presenter && isReply {
			return refuse("In %s, ask your question as a new message; the presenter answers.", p.Name)
		}
		return nil
	case PolicyRoundRobin:
		if who.Role == Supervisor || (who.Role == Presenter && isReply) {
			return nil
		}
		current := s.CurrentSpeaker()
		if current == who.UserID && !isReply {
			return nil
		}
		if current == 0 {
			return refuse("Everyone has had their turn in %s; the supervisor moves on.", p.Name)
		}
		return refuse("It is %s's turn.", names(current))
	case PolicyHandRaise:
		if who.Role == Supervisor || s.Floor == who.UserID {
			return nil
		}
		if s.Floor != 0 {
			return refuse("%s has the floor. Raise your hand to speak next.", names(s.Floor))
		}
		return refuse("Raise your hand; the supervisor gives the floor.")
	}
	return nil
}

// AfterPost is the state after who posted: in a round-robin phase, the speaker's contribution
// passes the turn.
func (s State) AfterPost(t Template, who Speaker, isReply bool) State {
	if !s.Ended && t.Phases[s.Phase].Policy == PolicyRoundRobin && !isReply && s.CurrentSpeaker() == who.UserID {
		s.Turn++
	}
	return s
}

func joinRoles(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, " and ")
}

// MayBeHeard says whether who's voice reaches the group now, in a call run by the same rules as
// the room: the supervisor always; the presenter when the phase lets them speak; in an open phase
// everyone; in a roles phase those roles; in questions and answers both the askers and the
// presenter who answers; in round-robin only the one whose turn it is; in hand-raise the holder
// of the floor. Before the session starts and after it ends everyone is heard.
func (s State) MayBeHeard(t Template, who Speaker) bool {
	if s.Ended || len(t.Phases) == 0 {
		return true
	}
	noNames := func(int64) string { return "" }
	if s.MayPost(t, who, false, noNames) == nil {
		return true
	}
	return t.Phases[s.Phase].Policy == PolicyAskAnswer && s.MayPost(t, who, true, noNames) == nil
}
