package session

import (
	"slices"

	"github.com/casecircle/casecircle/casestudy/errs"
)

// Command is a change asked of a live session.
type Command struct {
	Action  string `json:"action"`
	Minutes int    `json:"minutes,omitempty"` // extend
	UserID  int64  `json:"user_id,omitempty"` // grant_floor (0: the first raised hand)
}

// Session actions.
const (
	ActionAdvance       = "advance"
	ActionBack          = "back"
	ActionPause         = "pause"
	ActionResume        = "resume"
	ActionExtend        = "extend"
	ActionSkipTurn      = "skip_turn"
	ActionGrantFloor    = "grant_floor"
	ActionWithdrawFloor = "withdraw_floor"
	ActionTakeOver      = "take_over"
	ActionEnd           = "end"
	ActionRaiseHand     = "raise_hand"
	ActionLowerHand     = "lower_hand"
)

// steeringActions may be given only by the session's supervisor (take_over: by another
// supervisor or facilitator of the community).
var steeringActions = []string{ActionAdvance, ActionBack, ActionPause, ActionResume, ActionExtend,
	ActionSkipTurn, ActionGrantFloor, ActionWithdrawFloor, ActionEnd}

// People are who hold the session's parts.
type People struct {
	Presenter, Supervisor int64
}

// MayCommand says whether a person may give the action: the session's supervisor steers it; a
// supervisor of the community (supervises) may take it over, unless they present; anyone raises
// and lowers their own hand.
func MayCommand(action string, by int64, supervises bool, p People) error {
	steering := slices.Contains(steeringActions, action)
	switch {
	case steering && by != p.Supervisor:
		return errs.Errorf(errs.EFORBIDDEN, "Only the session's supervisor steers it; another supervisor can take over.")
	case steering && !supervises:
		return errs.Errorf(errs.EFORBIDDEN, "You are no longer a supervisor of this community; another supervisor can take over.")
	case action == ActionTakeOver && !supervises:
		return errs.Errorf(errs.EFORBIDDEN, "Only a supervisor can take over a session.")
	case action == ActionTakeOver && by == p.Supervisor:
		return errs.Errorf(errs.ECONFLICT, "You are already this session's supervisor.")
	case action == ActionTakeOver && by == p.Presenter:
		return errs.Errorf(errs.ECONFLICT, "The presenter cannot supervise their own case.")
	}
	return nil
}

// RoleOf is a person's part in the session.
func (p People) RoleOf(userID int64) Role {
	switch userID {
	case p.Presenter:
		return Presenter
	case p.Supervisor:
		return Supervisor
	}
	return Member
}

// MembersOnly drops the presenter and the supervisor from the people present: they take no
// turns.
func (p People) MembersOnly(present []int64) []int64 {
	var out []int64
	for _, id := range present {
		if id != p.Presenter && id != p.Supervisor && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
