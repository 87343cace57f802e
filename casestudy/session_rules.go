package casestudy

import (
	"time"

	"github.com/casecircle/casecircle/casestudy/session"
)

// The rules of a live session (templates, phases, speaking policies, the state machine and who
// may post) are pure and live in casestudy/session, unit-tested without a database; this
// package stores and enforces them. These names keep the domain's vocabulary for callers.

type (
	// SpeakingPolicy says who may post in a phase.
	SpeakingPolicy = session.SpeakingPolicy
	// SessionRole is a person's part in one live session.
	SessionRole = session.Role
	// Phase is one step of a template.
	Phase = session.Phase
	// Template is a named list of phases.
	Template = session.Template
	// SessionState is where a live session stands.
	SessionState = session.State
	// Speaker is a participant as the rules see them.
	Speaker = session.Speaker
	// SessionCommand is a change asked of a live session.
	SessionCommand = session.Command
)

// Speaking policies, session roles and template limits (see casestudy/session).
const (
	PolicyOpen       = session.PolicyOpen
	PolicyRoles      = session.PolicyRoles
	PolicyAskAnswer  = session.PolicyAskAnswer
	PolicyRoundRobin = session.PolicyRoundRobin
	PolicyHandRaise  = session.PolicyHandRaise

	SessionPresenter  = session.Presenter
	SessionSupervisor = session.Supervisor
	SessionMember     = session.Member

	MaxPhases             = session.MaxPhases
	MaxPhaseMinutes       = session.MaxPhaseMinutes
	MaxSessionMinutes     = session.MaxSessionMinutes
	MaxPhaseNameLength    = session.MaxPhaseNameLength
	MaxInstructionLength  = session.MaxInstructionLength
	MaxTemplateNameLength = session.MaxTemplateNameLength
	MaxDescriptionLength  = session.MaxDescriptionLength
)

// Session commands.
const (
	SessionAdvance       = session.ActionAdvance
	SessionBack          = session.ActionBack
	SessionPause         = session.ActionPause
	SessionResume        = session.ActionResume
	SessionExtend        = session.ActionExtend
	SessionSkipTurn      = session.ActionSkipTurn
	SessionGrantFloor    = session.ActionGrantFloor
	SessionWithdrawFloor = session.ActionWithdrawFloor
	SessionTakeOver      = session.ActionTakeOver
	SessionEnd           = session.ActionEnd
	SessionRaiseHand     = session.ActionRaiseHand
	SessionLowerHand     = session.ActionLowerHand
)

// BuiltinTemplates returns the templates casecircle ships.
func BuiltinTemplates() []Template { return session.BuiltinTemplates() }

// BuiltinTemplate returns the built-in template with that key.
func BuiltinTemplate(key string) (Template, bool) { return session.BuiltinTemplate(key) }

// NewSessionState is the state of a session that starts now (see session.NewState).
func NewSessionState(t Template, now time.Time, present []int64) SessionState {
	return session.NewState(t, now, present)
}
