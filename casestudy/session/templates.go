package session

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/casecircle/casecircle/casestudy/errs"
)

// A live session follows a template: an ordered list of phases, each with a name, an
// instruction shown to everyone, a default duration, a speaking policy, whether the presenter
// may post, and what the phase produces. casecircle ships the well-known formats; facilitators
// copy and adapt them for their community.

// SpeakingPolicy says who may post in a phase. The server enforces it on every message.
type SpeakingPolicy string

// Speaking policies.
const (
	PolicyOpen       SpeakingPolicy = "open"        // everyone (the presenter only if the phase allows)
	PolicyRoles      SpeakingPolicy = "roles"       // only the session roles listed in the phase
	PolicyAskAnswer  SpeakingPolicy = "ask_answer"  // members post questions; the presenter answers in their threads
	PolicyRoundRobin SpeakingPolicy = "round_robin" // in turn: the current speaker posts once, then the turn passes
	PolicyHandRaise  SpeakingPolicy = "hand_raise"  // members raise a hand; the supervisor gives one the floor
)

// SpeakingPolicies lists the policies in the order the UI offers them.
var SpeakingPolicies = []SpeakingPolicy{PolicyOpen, PolicyRoles, PolicyAskAnswer, PolicyRoundRobin, PolicyHandRaise}

// Role is a person's part in one live session (distinct from their community role).
type Role string

// Session roles.
const (
	Presenter  Role = "presenter"  // brings the case
	Supervisor Role = "supervisor" // facilitates
	Member     Role = "member"     // everyone else present
)

// Products are what a phase yields; messages posted in it are tagged so.
var Products = []string{"", "questions", "hypotheses", "advice", "actions", "learning_points", "reflections"}

// Phase is one step of a template.
type Phase struct {
	Name             string         `json:"name"`
	Instruction      string         `json:"instruction"`
	Minutes          int            `json:"minutes"`
	Policy           SpeakingPolicy `json:"policy"`
	Roles            []Role         `json:"roles,omitempty"` // for PolicyRoles
	PresenterMayPost bool           `json:"presenter_may_post"`
	Produces         string         `json:"produces,omitempty"`
	// AutoAdvance moves to the next phase when the deadline passes; otherwise the supervisor is
	// prompted and decides.
	AutoAdvance bool `json:"auto_advance,omitempty"`
}

// Template is a named list of phases: built in (Key set, no community) or a community's own.
type Template struct {
	ID          int64   `json:"id,omitempty"`
	Key         string  `json:"key"` // built-in templates: a stable name; community copies: "custom-<id>"
	CommunityID *int64  `json:"community_id,omitempty"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Phases      []Phase `json:"phases"`
	Builtin     bool    `json:"builtin"`
	// MembersRecordLearning lets members, not only the supervisor, record learning points in
	// the last phase.
	MembersRecordLearning bool `json:"members_record_learning"`
}

// Limits of templates.
const (
	MaxPhases             = 20
	MaxPhaseMinutes       = 120
	MaxSessionMinutes     = 480
	MaxPhaseNameLength    = 80
	MaxInstructionLength  = 600
	MaxTemplateNameLength = 120
	MaxDescriptionLength  = 1000
)

// Total is the template's planned length in minutes.
func (t Template) Total() int {
	n := 0
	for _, p := range t.Phases {
		n += p.Minutes
	}
	return n
}

// Validate checks a template as a facilitator submits it: at least one phase, sane durations,
// known policies and roles. Errors name the field, e.g. "phases[2].minutes".
func (t Template) Validate() error {
	if n := utf8.RuneCountInString(strings.TrimSpace(t.Name)); n == 0 || n > MaxTemplateNameLength {
		return errs.FieldErrorf("name", "Give the template a name of 1 to %d characters.", MaxTemplateNameLength)
	}
	if utf8.RuneCountInString(t.Description) > MaxDescriptionLength {
		return errs.FieldErrorf("description", "Use at most %d characters.", MaxDescriptionLength)
	}
	switch {
	case len(t.Phases) == 0:
		return errs.FieldErrorf("phases", "A session needs at least one phase.")
	case len(t.Phases) > MaxPhases:
		return errs.FieldErrorf("phases", "Use at most %d phases.", MaxPhases)
	}
	for i, p := range t.Phases {
		field := func(name string) string { return fmt.Sprintf("phases[%d].%s", i, name) }
		if n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); n == 0 || n > MaxPhaseNameLength {
			return errs.FieldErrorf(field("name"), "Give phase %d a name of 1 to %d characters.", i+1, MaxPhaseNameLength)
		}
		if utf8.RuneCountInString(p.Instruction) > MaxInstructionLength {
			return errs.FieldErrorf(field("instruction"), "Use at most %d characters.", MaxInstructionLength)
		}
		if p.Minutes < 1 || p.Minutes > MaxPhaseMinutes {
			return errs.FieldErrorf(field("minutes"), "A phase lasts 1 to %d minutes.", MaxPhaseMinutes)
		}
		if !slices.Contains(SpeakingPolicies, p.Policy) {
			return errs.FieldErrorf(field("policy"), "Choose open, roles, ask_answer, round_robin or hand_raise.")
		}
		for _, r := range p.Roles {
			if r != Presenter && r != Supervisor && r != Member {
				return errs.FieldErrorf(field("roles"), "Roles are presenter, supervisor and member.")
			}
		}
		if p.Policy == PolicyRoles && len(p.Roles) == 0 {
			return errs.FieldErrorf(field("roles"), "Name who may speak in this phase.")
		}
		if !slices.Contains(Products, p.Produces) {
			return errs.FieldErrorf(field("produces"), "Choose questions, hypotheses, advice, actions, learning_points, reflections or nothing.")
		}
	}
	if t.Total() > MaxSessionMinutes {
		return errs.FieldErrorf("phases", "A session lasts at most %d minutes in all (this one: %d).", MaxSessionMinutes, t.Total())
	}
	return nil
}

func phase(name string, minutes int, policy SpeakingPolicy, presenterMayPost bool, produces, instruction string, roles ...Role) Phase {
	return Phase{Name: name, Minutes: minutes, Policy: policy, PresenterMayPost: presenterMayPost, Produces: produces, Instruction: instruction, Roles: roles}
}

// BuiltinTemplates are the formats casecircle ships (described in docs/sessions.md).
func BuiltinTemplates() []Template {
	presenter, supervisor := Presenter, Supervisor
	return []Template{
		{Key: "default", Name: "Case consultation (default)", Builtin: true, MembersRecordLearning: true,
			Description: "The shape every format shares: the presenter tells, the group asks, reflects while the presenter listens, the presenter responds, and everyone harvests the learning.",
			Phases: []Phase{
				phase("Presentation", 10, PolicyRoles, true, "", "The presenter tells the case and their question. Everyone else listens.", presenter),
				phase("Clarifying questions", 10, PolicyAskAnswer, true, "questions", "Ask factual questions only; the presenter answers each in its thread."),
				phase("Reflective round", 15, PolicyOpen, false, "reflections", "Share what you notice, feel and wonder. The presenter only listens."),
				phase("Presenter response", 5, PolicyRoles, true, "", "The presenter says what struck them and what they take away.", presenter),
				phase("Learning and actions", 5, PolicyOpen, true, "learning_points", "Record learning points and the presenter's next actions."),
			}},
		{Key: "balint", Name: "Balint group", Builtin: true,
			Description: "About 45 minutes a case: the group explores the relationship between practitioner and client while the presenter sits outside the circle.",
			Phases: []Phase{
				phase("Opening", 3, PolicyOpen, true, "", "Who has a case today?"),
				phase("Presentation", 10, PolicyRoles, true, "", "The presenter tells the case freely, without notes.", presenter),
				phase("Factual questions", 7, PolicyAskAnswer, true, "questions", "Only factual questions; the presenter answers."),
				phase("Group discussion", 15, PolicyOpen, false, "hypotheses", "The presenter is outside the circle and silent. Explore feelings, fantasies and the relationship."),
				phase("Presenter returns", 5, PolicyRoles, true, "", "The presenter comes back and says what resonated.", presenter),
				phase("Reflection on the process", 5, PolicyOpen, true, "learning_points", "The supervisor leads a look at how the group worked."),
			}},
		{Key: "action-learning", Name: "Action Learning Set", Builtin: true,
			Description: "30–40 minutes a presenter: insightful questions, not advice, lead the presenter to their own actions.",
			Phases: []Phase{
				phase("Contract", 2, PolicyOpen, true, "", "Agree time, confidentiality and how we work."),
				phase("Presenter talks", 8, PolicyRoles, true, "", "The presenter talks uninterrupted.", presenter),
				phase("Clarifying questions", 5, PolicyAskAnswer, true, "questions", "Clarify facts; the presenter answers."),
				phase("Open questions, in turn", 12, PolicyRoundRobin, true, "questions", "One open, non-advisory question each, in turn; the presenter answers in its thread."),
				phase("Presenter's actions", 5, PolicyRoles, true, "actions", "The presenter states what they will do.", presenter),
				phase("Process review", 3, PolicyOpen, true, "learning_points", "What helped, what did not?"),
			}},
		{Key: "kollegiale-beratung", Name: "Peer consultation (Kollegiale Beratung)", Builtin: true,
			Description: "45–50 minutes with fixed roles: the group consults while the presenter listens, and the presenter closes by saying what helped.",
			Phases: []Phase{
				phase("Casting of roles", 3, PolicyOpen, true, "", "Agree the presenter, the moderator and a scribe."),
				phase("Spontaneous account", 7, PolicyRoles, true, "", "The presenter tells the case.", presenter),
				phase("Key question", 5, PolicyRoles, true, "", "The presenter and the supervisor agree the key question.", presenter, supervisor),
				phase("Method choice", 3, PolicyRoles, false, "", "The supervisor chooses the consultation method.", supervisor),
				phase("Consultation", 20, PolicyOpen, false, "advice", "Members consult; the presenter listens."),
				phase("Close", 5, PolicyRoles, true, "learning_points", "The presenter says what helped.", presenter),
			}},
		{Key: "intervision-incident", Name: "Intervision: incident method", Builtin: true,
			Description: "About 65 minutes: informative questions, analysis and advice while the presenter listens, then the presenter's evaluation.",
			Phases: []Phase{
				phase("Review of last advice", 5, PolicyOpen, true, "", "What came of last time's advice?"),
				phase("Case pitches", 8, PolicyOpen, true, "", "Pitch an incident in a sentence or two."),
				phase("Choose a case", 2, PolicyRoles, true, "", "The supervisor and the group choose a case.", supervisor),
				phase("Question round", 10, PolicyRoundRobin, true, "questions", "Informative questions only, in turn; the presenter answers in its thread."),
				phase("Analysis", 15, PolicyOpen, false, "hypotheses", "Analyse the incident; the presenter is silent."),
				phase("Advice round", 15, PolicyRoundRobin, false, "advice", "One piece of advice each, in turn; the presenter listens and takes notes."),
				phase("Evaluation", 10, PolicyRoles, true, "learning_points", "The presenter evaluates the advice.", presenter),
			}},
		{Key: "solution-focused", Name: "Solution-focused reflecting team", Builtin: true,
			Description: "35 minutes, strictly timed: request, presentation, one clarifying question each, affirmation, reflection, closure.",
			Phases: []Phase{
				{Name: "Request", Minutes: 5, Policy: PolicyRoles, Roles: []Role{presenter}, PresenterMayPost: true, AutoAdvance: true, Instruction: "The presenter states what they want from the team."},
				{Name: "Presentation", Minutes: 5, Policy: PolicyRoles, Roles: []Role{presenter}, PresenterMayPost: true, AutoAdvance: true, Instruction: "The presenter describes the situation."},
				{Name: "Clarification", Minutes: 8, Policy: PolicyRoundRobin, PresenterMayPost: true, Produces: "questions", AutoAdvance: true, Instruction: "One question each, in turn; the presenter answers in its thread."},
				{Name: "Affirmation", Minutes: 3, Policy: PolicyRoundRobin, PresenterMayPost: false, AutoAdvance: true, Instruction: "In turn: what impresses you about how the presenter handles this?"},
				{Name: "Reflection", Minutes: 10, Policy: PolicyHandRaise, PresenterMayPost: false, Produces: "reflections", AutoAdvance: true, Instruction: "Raise a hand to offer an idea; the presenter listens."},
				{Name: "Closure", Minutes: 4, Policy: PolicyRoles, Roles: []Role{presenter}, PresenterMayPost: true, Produces: "learning_points", Instruction: "The presenter says what they take away."},
			}},
	}
}

// BuiltinTemplate returns the built-in template with key, or false.
func BuiltinTemplate(key string) (Template, bool) {
	for _, t := range BuiltinTemplates() {
		if t.Key == key {
			return t, true
		}
	}
	return Template{}, false
}
