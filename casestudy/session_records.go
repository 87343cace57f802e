package casestudy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// LearningPoint is what the group takes from a session: a learning point, optionally tagged with
// one of Proctor's three functions of supervision, or an action for the presenter.
type LearningPoint struct {
	ID         int64     `db:"id" json:"id"`
	AuthorID   *int64    `db:"author_id" json:"author_id"`
	AuthorName *string   `db:"author_name" json:"author_name"`
	Kind       string    `db:"kind" json:"kind"`         // "learning" or "action"
	Function   *string   `db:"function" json:"function"` // normative, formative, restorative
	Body       string    `db:"body" json:"body"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// NewLearningPoint is a learning point as written: anonymised before it is stored.
type NewLearningPoint struct {
	Kind      string    `json:"kind"`
	Function  string    `json:"function"`
	Body      string    `json:"body"`
	Decisions Decisions `json:"decisions"`
}

// Limits on learning points: the length of one, and how many a session may hold.
const (
	MaxLearningPointLength      = 1000
	MaxLearningPointsPerSession = 100
)

// Functions are Proctor's functions of supervision.
var Functions = []string{"normative", "formative", "restorative"}

// Person is someone as a record names them.
type Person struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// PhaseRecord is one phase as it ran.
type PhaseRecord struct {
	Name      string    `json:"name"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Messages  int       `json:"messages"`
}

// SessionRecord is what is kept of a session when it ends.
type SessionRecord struct {
	SessionID    int64         `json:"session_id"`
	TemplateKey  string        `json:"template_key"`
	TemplateName string        `json:"template_name"`
	StartedAt    time.Time     `json:"started_at"`
	EndedAt      time.Time     `json:"ended_at"`
	Presenter    Person        `json:"presenter"`
	Supervisor   Person        `json:"supervisor"`
	Participants []Person      `json:"participants"`
	Phases       []PhaseRecord `json:"phases"`
	// PhaseNames are the template's phases, by the index messages carry in their phase.
	PhaseNames     []string        `json:"phase_names"`
	LearningPoints []LearningPoint `json:"learning_points"`
	Actions        []LearningPoint `json:"actions"`
	// Attendance is who had the room open during the session and for how long, from presence
	// sampled every AttendanceSlot on every process.
	Attendance []Attendee `json:"attendance"`
}

// Attendee is one person's time in a session's room.
type Attendee struct {
	Person
	Seconds int `db:"seconds" json:"seconds"`
}

// AddLearningPoint records a learning point or an action in the session's last phase: by the
// supervisor, or by anyone if the template lets members record learning.
func (s LiveSessions) AddLearningPoint(ctx context.Context, userID, communityID, caseID int64, in NewLearningPoint) (RoomEvent, error) {
	if in.Kind == "" {
		in.Kind = "learning"
	}
	if in.Kind != "learning" && in.Kind != "action" {
		return RoomEvent{}, FieldErrorf("kind", "A learning point or an action.")
	}
	if in.Function != "" && !slices.Contains(Functions, in.Function) {
		return RoomEvent{}, FieldErrorf("function", "Choose normative, formative, restorative or none.")
	}
	body := strings.TrimSpace(anonymise.Normalise(in.Body))
	if n := utf8.RuneCountInString(body); n == 0 || n > MaxLearningPointLength {
		return RoomEvent{}, FieldErrorf("body", "Write 1 to %d characters.", MaxLearningPointLength)
	}
	dec, err := s.anonymiseMessage(ctx, userID, communityID, caseID, body, in.Decisions)
	if err != nil {
		return RoomEvent{}, err
	}
	body = dec.texts["body"]
	var ev RoomEvent
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireOpenRoom(ctx, tx, userID, communityID, caseID); err != nil {
			return err
		}
		view, err := liveSessionForUpdate(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if view.State.Phase != len(view.Template.Phases)-1 {
			return Errorf(ECONFLICT, "Learning points are recorded in the last phase (%s).", view.Template.Phases[len(view.Template.Phases)-1].Name)
		}
		supervising := userID == view.SupervisorID
		if supervising {
			// Read again: a supervisor demoted during the session no longer records for it.
			role, err := requireRole(ctx, tx, userID, communityID)
			if err != nil {
				return err
			}
			supervising = role == RoleSupervisor || role == RoleFacilitator
		}
		if !supervising && !view.Template.MembersRecordLearning {
			return Errorf(EFORBIDDEN, "In this format the supervisor records the learning points.")
		}
		if len(view.LearningPoints) >= MaxLearningPointsPerSession {
			return Errorf(ECONFLICT, "A session holds at most %d learning points and actions.", MaxLearningPointsPerSession)
		}
		var function *string
		if in.Function != "" {
			function = &in.Function
		}
		now := s.now().UTC()
		point := LearningPoint{AuthorID: &userID, Kind: in.Kind, Function: function, Body: body, CreatedAt: now}
		if err := sqlx.GetContext(ctx, tx, &point.ID, `INSERT INTO learning_points (session_id, author_id, kind, function, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, view.ID, userID, in.Kind, function, body, now); err != nil {
			return err
		}
		name := displayName(ctx, tx, userID)
		point.AuthorName = &name
		ev, err = appendSessionEvent(ctx, tx, s.node, EventSessionChanged, "learning_point", userID, view, &point, now)
		return err
	})
	if err == nil {
		s.events.RoomEventCommitted(ev)
	}
	return ev, err
}

func learningPoints(ctx context.Context, q sqlx.QueryerContext, sessionID int64) ([]LearningPoint, error) {
	points := []LearningPoint{}
	err := sqlx.SelectContext(ctx, q, &points, `
		SELECT p.id, p.author_id, u.display_name AS author_name, p.kind, p.function, p.body, p.created_at
		FROM learning_points p LEFT JOIN users u ON u.id = p.author_id
		WHERE p.session_id = $1 ORDER BY p.id`, sessionID)
	return points, err
}

// sessionRecord puts together what is kept of a session as it ends at `ended`: its phases as
// they ran (from the room's session events), messages per phase, who took part, and what it
// produced.
func sessionRecord(ctx context.Context, tx *sqlx.Tx, view SessionView, ended time.Time) (SessionRecord, error) {
	rec := SessionRecord{SessionID: view.ID, TemplateKey: view.TemplateKey, TemplateName: view.Template.Name,
		StartedAt: view.StartedAt, EndedAt: ended, Phases: []PhaseRecord{}, Participants: []Person{}}
	for _, p := range view.Template.Phases {
		rec.PhaseNames = append(rec.PhaseNames, p.Name)
	}
	var changes []struct {
		At      time.Time       `db:"at"`
		Payload json.RawMessage `db:"payload"`
	}
	if err := sqlx.SelectContext(ctx, tx, &changes, `SELECT at, payload FROM room_events WHERE session_id = $1 ORDER BY seq`, view.ID); err != nil {
		return rec, err
	}
	current := -1
	for _, c := range changes {
		var p sessionPayload
		if err := json.Unmarshal(c.Payload, &p); err != nil {
			return rec, err
		}
		if phase := p.Session.State.Phase; phase != current {
			if n := len(rec.Phases); n > 0 {
				rec.Phases[n-1].EndedAt = c.At.UTC()
			}
			rec.Phases = append(rec.Phases, PhaseRecord{Name: view.Template.Phases[phase].Name, StartedAt: c.At.UTC()})
			current = phase
		}
	}
	if n := len(rec.Phases); n > 0 {
		rec.Phases[n-1].EndedAt = ended
	}
	// Messages per phase as run: a phase gone back to counts once per run, so count by name.
	var counts []struct {
		Phase int `db:"phase"`
		N     int `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, tx, &counts, `SELECT phase, count(*) AS n FROM messages WHERE session_id = $1 GROUP BY phase`, view.ID); err != nil {
		return rec, err
	}
	for _, c := range counts {
		name := view.Template.Phases[c.Phase].Name
		for i := len(rec.Phases) - 1; i >= 0; i-- {
			if rec.Phases[i].Name == name {
				rec.Phases[i].Messages += c.N
				break
			}
		}
	}
	if err := sqlx.SelectContext(ctx, tx, &rec.Participants, `
		SELECT u.id, u.display_name AS name FROM users u
		WHERE u.id IN (SELECT author_id FROM messages WHERE session_id = $1 UNION SELECT $2::bigint UNION SELECT $3::bigint)
		ORDER BY lower(u.display_name), u.id`, view.ID, view.PresenterID, view.SupervisorID); err != nil {
		return rec, err
	}
	for _, m := range rec.Participants {
		switch m.ID {
		case view.PresenterID:
			rec.Presenter = m
		case view.SupervisorID:
			rec.Supervisor = m
		}
	}
	rec.Attendance = []Attendee{}
	if err := sqlx.SelectContext(ctx, tx, &rec.Attendance, `
		SELECT u.id, u.display_name AS name, count(*) * $2 AS seconds FROM session_attendance a JOIN users u ON u.id = a.user_id
		WHERE a.live_session_id = $1 GROUP BY u.id, u.display_name ORDER BY lower(u.display_name), u.id`,
		view.ID, int(AttendanceSlot.Seconds())); err != nil {
		return rec, err
	}
	points, err := learningPoints(ctx, tx, view.ID)
	if err != nil {
		return rec, err
	}
	rec.LearningPoints, rec.Actions = []LearningPoint{}, []LearningPoint{}
	for _, p := range points {
		if p.Kind == "action" {
			rec.Actions = append(rec.Actions, p)
		} else {
			rec.LearningPoints = append(rec.LearningPoints, p)
		}
	}
	return rec, nil
}

// SessionRecords lists the records of a case's ended sessions, newest first, for members.
func (s LiveSessions) SessionRecords(ctx context.Context, userID, communityID, caseID int64) ([]SessionRecord, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := sqlx.SelectContext(ctx, s.db, &raw, `SELECT record FROM live_sessions WHERE case_id = $1 AND record IS NOT NULL ORDER BY ended_at DESC`, caseID); err != nil {
		return nil, err
	}
	out := make([]SessionRecord, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
