package session

import (
	"errors"
	"fmt"
	"strings"

	"github.com/casecircle/casecircle/casestudy/errs"
)

// Speaking tells a browser who may post now and, for everyone else, why not: MayPost, the
// rule the server enforces on every message, evaluated for each part in the session, so that
// the composer shows the server's own answer instead of a copy of its rules.
type Speaking struct {
	Presenter  PostRules `json:"presenter"`
	Supervisor PostRules `json:"supervisor"`
	Member     PostRules `json:"member"` // a member who is not Speaker
	// Speaker is the member whose turn it is, or who has the floor (0: none); SpeakerRules
	// are theirs.
	Speaker      int64      `json:"speaker,omitempty"`
	SpeakerRules *PostRules `json:"speaker_rules,omitempty"`
	// Summary says in one line who speaks now, for the phase banner.
	Summary string `json:"summary"`
}

// PostRules says, for a new message and for a reply, "" when one may post, or why not.
type PostRules struct {
	New   string `json:"new"`
	Reply string `json:"reply"`
}

// Speaking evaluates MayPost for every part in the session; names gives display names.
func (s State) Speaking(t Template, p People, names func(int64) string) Speaking {
	rules := func(who Speaker) PostRules {
		return PostRules{New: reason(s.MayPost(t, who, false, names)), Reply: reason(s.MayPost(t, who, true, names))}
	}
	out := Speaking{
		Presenter:  rules(Speaker{UserID: p.Presenter, Role: Presenter}),
		Supervisor: rules(Speaker{UserID: p.Supervisor, Role: Supervisor}),
		Member:     rules(Speaker{Role: Member}), // nobody's turn, nobody's floor
		Summary:    s.whoSpeaks(t, p, names),
	}
	if s.Ended {
		return out
	}
	switch t.Phases[s.Phase].Policy {
	case PolicyRoundRobin:
		out.Speaker = s.CurrentSpeaker()
	case PolicyHandRaise:
		out.Speaker = s.Floor
	}
	if out.Speaker != 0 {
		r := rules(Speaker{UserID: out.Speaker, Role: Member})
		out.SpeakerRules = &r
	}
	return out
}

// reason is a refusal's message, or "" when there is none.
func reason(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// whoSpeaks says who speaks in the current phase.
func (s State) whoSpeaks(t Template, p People, names func(int64) string) string {
	if s.Ended {
		return "The session has ended."
	}
	ph := t.Phases[s.Phase]
	presenter := names(p.Presenter)
	switch ph.Policy {
	case PolicyRoles:
		parts := make([]string, len(ph.Roles))
		for i, r := range ph.Roles {
			switch r {
			case Presenter:
				parts[i] = fmt.Sprintf("the presenter (%s)", presenter)
			case Supervisor:
				parts[i] = fmt.Sprintf("the supervisor (%s)", names(p.Supervisor))
			default:
				parts[i] = "the members"
			}
		}
		return "Speaking now: " + strings.Join(parts, " and ") + "."
	case PolicyAskAnswer:
		return fmt.Sprintf("Members ask; %s answers in each question's thread.", presenter)
	case PolicyRoundRobin:
		if current := s.CurrentSpeaker(); current != 0 {
			return fmt.Sprintf("In turn: now %s.", names(current))
		}
		return "Everyone has had their turn."
	case PolicyHandRaise:
		if s.Floor != 0 {
			return fmt.Sprintf("%s has the floor.", names(s.Floor))
		}
		return "Raise your hand to speak."
	}
	if ph.PresenterMayPost {
		return "Everyone may speak."
	}
	return fmt.Sprintf("Everyone may speak; %s listens.", presenter)
}
