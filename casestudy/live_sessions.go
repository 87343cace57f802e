package casestudy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/casecircle/casecircle/casestudy/session"
	"github.com/casecircle/casecircle/internal/postgres"
)

// A live session runs on a published case, in its room: a supervisor of the community starts
// it with a template, the case's author presents (or a member the supervisor names), and every
// change — phase, timer, turn, hand, floor — is an event of the room's stream, carrying the
// session as it stood after the change. Late joiners and reconnecting clients therefore see the
// exact current state, and replaying the room shows the session as it happened.

// SessionView is a live session as everyone in the room sees it.
type SessionView struct {
	ID           int64    `json:"id"`
	Room         int64    `json:"room"`
	TemplateKey  string   `json:"template_key"`
	Template     Template `json:"template"`
	PresenterID  int64    `json:"presenter_id"`
	SupervisorID int64    `json:"supervisor_id"`
	// PresenterName and SupervisorName, for pages that name them before they are in the room.
	PresenterName  string       `json:"presenter_name"`
	SupervisorName string       `json:"supervisor_name"`
	State          SessionState `json:"state"`
	StartedAt      time.Time    `json:"started_at"`
	EndedAt        *time.Time   `json:"ended_at,omitempty"`
	// LearningPoints are those recorded so far (learning points and actions). A snapshot of
	// the session carries them all; a session event carries none, and the event that records
	// one carries it in LearningPoint, so that events stay small however long the list grows.
	LearningPoints []LearningPoint `json:"learning_points,omitempty"`
	// Speaking is who may post now and why the others may not (session.Speaking), so that a
	// browser shows the server's rules instead of copying them. Set on what reaches browsers:
	// snapshots, LiveSession and session events.
	Speaking *session.Speaking `json:"speaking,omitempty"`
}

// withSpeaking sets v.Speaking, reading the names of members that its messages name.
func (v SessionView) withSpeaking(ctx context.Context, q sqlx.QueryerContext) SessionView {
	names := map[int64]string{v.PresenterID: v.PresenterName, v.SupervisorID: v.SupervisorName}
	sp := v.State.Speaking(v.Template, v.people(), func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		names[id] = displayName(ctx, q, id)
		return names[id]
	})
	v.Speaking = &sp
	return v
}

// sessionPayload is what a session event stores: the session's state after the change, and
// for "learning_point" the point recorded.
type sessionPayload struct {
	Action        string         `json:"action"`
	By            int64          `json:"by"`
	Session       SessionView    `json:"session"`
	LearningPoint *LearningPoint `json:"learning_point,omitempty"`
}

// StartSessionInput starts a live session.
type StartSessionInput struct {
	TemplateKey string `json:"template"`
	PresenterID int64  `json:"presenter_id,omitempty"` // 0: the case's author
	// ScheduleID and N name the scheduled meeting this session is, when started from the
	// calendar; its attendance then belongs to that meeting.
	ScheduleID int64 `json:"schedule_id,omitempty"`
	N          int   `json:"n,omitempty"`
}

// StartSession starts a live session on a published case. present are the people in the room
// now, in the order they came (the first round-robin order is made from them).
func (s LiveSessions) StartSession(ctx context.Context, userID, communityID, caseID int64, in StartSessionInput, present []int64) (RoomEvent, error) {
	var ev RoomEvent
	var notified []int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID, RoleSupervisor, RoleFacilitator); err != nil {
			if ErrorCode(err) == EFORBIDDEN {
				return Errorf(EFORBIDDEN, "Only a supervisor can start a live session.")
			}
			return err
		}
		if err := requireOpenRoom(ctx, tx, userID, communityID, caseID); err != nil {
			return err
		}
		tpl, err := templateByKey(ctx, tx, communityID, in.TemplateKey)
		if err != nil {
			return FieldErrorf("template", "Choose one of the community's templates.")
		}
		presenter := in.PresenterID
		if presenter == 0 {
			if err := sqlx.GetContext(ctx, tx, &presenter, `SELECT author_id FROM cases WHERE id = $1`, caseID); err != nil {
				return err
			}
		} else if _, err := requireRole(ctx, tx, presenter, communityID); err != nil {
			return FieldErrorf("presenter_id", "The presenter must be a member of the community.")
		}
		if presenter == userID {
			return FieldErrorf("presenter_id", "The supervisor cannot also present: name another presenter.")
		}
		now := s.now().UTC()
		view := SessionView{Room: caseID, TemplateKey: in.TemplateKey, Template: tpl, PresenterID: presenter, SupervisorID: userID,
			State: NewSessionState(tpl, now, session.People{Presenter: presenter, Supervisor: userID}.MembersOnly(present)), StartedAt: now}
		view.PresenterName, view.SupervisorName = displayName(ctx, tx, presenter), displayName(ctx, tx, userID)
		tplJSON, _ := json.Marshal(tpl)
		stateJSON, _ := json.Marshal(view.State)
		err = sqlx.GetContext(ctx, tx, &view.ID, `
			INSERT INTO live_sessions (case_id, template_key, template, presenter_id, supervisor_id, state, started_by, started_at)
			VALUES ($1, $2, $3, $4, $5, $6, $5, $7) RETURNING id`, caseID, in.TemplateKey, tplJSON, presenter, userID, stateJSON, now)
		if postgres.IsUniqueViolation(err, "") {
			return Errorf(ECONFLICT, "A live session is already running on this case.")
		}
		if err != nil {
			return err
		}
		if ev, err = appendSessionEvent(ctx, tx, s.node, EventSessionStarted, "start", userID, view, nil, now); err != nil {
			return err
		}
		if notified, err = notifySessionStarting(ctx, tx, communityID, caseID, userID, now); err != nil {
			return err
		}
		if err := s.pushSessionStarting(ctx, tx, communityID, caseID, notified, now); err != nil {
			return err
		}
		// Those in the room as it starts attend from the first slot.
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_attendance (live_session_id, user_id, slot)
			SELECT $1, u, $3 FROM unnest($2::bigint[]) AS u ON CONFLICT DO NOTHING`,
			view.ID, pq.Array(append(slices.Clone(present), userID)), now.Truncate(AttendanceSlot)); err != nil {
			return err
		}
		if err := linkOccurrence(ctx, tx, communityID, caseID, view.ID, in); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "session.started",
			TargetType: "case", TargetID: &caseID, Detail: detailJSON(map[string]any{"session": view.ID, "template": in.TemplateKey})})
	})
	if err == nil {
		s.events.RoomEventCommitted(ev)
		s.events.NotificationsChanged(notified)
	}
	return ev, err
}

// ControlSession applies a command to the case's live session: supervisors steer it; anyone in
// the community raises and lowers their own hand.
func (s LiveSessions) ControlSession(ctx context.Context, userID, communityID, caseID int64, cmd SessionCommand, present []int64) (RoomEvent, error) {
	var ev RoomEvent
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The role is read again on every command: a supervisor demoted while their session
		// runs stops steering it at once (another supervisor takes over).
		role, err := requireRole(ctx, tx, userID, communityID)
		if err != nil {
			return err
		}
		if err := requireRoom(ctx, tx, userID, communityID, caseID); err != nil {
			return err
		}
		view, err := liveSessionForUpdate(ctx, tx, caseID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		supervises := role == RoleSupervisor || role == RoleFacilitator
		if err := session.MayCommand(cmd.Action, userID, supervises, view.people()); err != nil {
			return err
		}
		st := view.State
		switch cmd.Action {
		case SessionTakeOver:
			previous := view.SupervisorID
			view.SupervisorID, view.SupervisorName = userID, displayName(ctx, tx, userID)
			// Audited with the displaced supervisor as the target.
			if err := appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "session.taken_over",
				TargetType: "user", TargetID: &previous, Detail: detailJSON(map[string]any{"session": view.ID, "case": caseID})}); err != nil {
				return err
			}
		case SessionEnd:
			st.Ended = true
			view.EndedAt = &now
		default:
			members := view.people().MembersOnly(present)
			if st, err = st.Apply(view.Template, cmd, Speaker{UserID: userID, Role: view.roleOf(userID)}, now, members); err != nil {
				return err
			}
		}
		view.State = st
		if cmd.Action == SessionEnd {
			ev, err = endSession(ctx, tx, s.node, view, userID, communityID, SessionEnd, now)
			return err
		}
		stateJSON, _ := json.Marshal(st)
		if _, err := tx.ExecContext(ctx, `UPDATE live_sessions SET state = $2, supervisor_id = $3 WHERE id = $1`,
			view.ID, stateJSON, view.SupervisorID); err != nil {
			return err
		}
		ev, err = appendSessionEvent(ctx, tx, s.node, EventSessionChanged, cmd.Action, userID, view, nil, now)
		return err
	})
	if err == nil {
		s.events.RoomEventCommitted(ev)
	}
	return ev, err
}

// endSession ends a running session in tx: its record is kept, the room hears of it (action:
// "end", or "withdrawn" when its case was withdrawn), and the audit log has it.
func endSession(ctx context.Context, tx *sqlx.Tx, node string, view SessionView, by, communityID int64, action string, now time.Time) (RoomEvent, error) {
	view.State.Ended = true
	view.EndedAt = &now
	record, err := sessionRecord(ctx, tx, view, now)
	if err != nil {
		return RoomEvent{}, err
	}
	stateJSON, _ := json.Marshal(view.State)
	recordJSON, _ := json.Marshal(record)
	if _, err := tx.ExecContext(ctx, `UPDATE live_sessions SET state = $2, supervisor_id = $3, ended_at = $4, record = $5 WHERE id = $1`,
		view.ID, stateJSON, view.SupervisorID, now, recordJSON); err != nil {
		return RoomEvent{}, err
	}
	caseID := view.Room
	if err := appendAudit(ctx, tx, AuditEntry{ActorID: &by, CommunityID: &communityID, Action: "session.ended",
		TargetType: "case", TargetID: &caseID, Detail: detailJSON(map[string]any{"session": view.ID, "how": action})}); err != nil {
		return RoomEvent{}, err
	}
	return appendSessionEvent(ctx, tx, node, EventSessionEnded, action, by, view, nil, now)
}

func (v SessionView) people() session.People {
	return session.People{Presenter: v.PresenterID, Supervisor: v.SupervisorID}
}

func (v SessionView) roleOf(userID int64) SessionRole { return v.people().RoleOf(userID) }

// LiveSession returns the case's running session, for a member; ENOTFOUND when none runs.
func (s LiveSessions) LiveSession(ctx context.Context, userID, communityID, caseID int64) (SessionView, error) {
	if err := requireRoom(ctx, s.db, userID, communityID, caseID); err != nil {
		return SessionView{}, err
	}
	v, err := liveSession(ctx, s.db, caseID, "")
	if err != nil {
		return SessionView{}, err
	}
	return v.withSpeaking(ctx, s.db), nil
}

func liveSessionForUpdate(ctx context.Context, tx *sqlx.Tx, caseID int64) (SessionView, error) {
	return liveSession(ctx, tx, caseID, " FOR UPDATE")
}

// speakingCheck applies a running session's speaking policy to one post and tags it with the
// phase. It returns the session's next state and whether the post moved it on (a turn passed).
type speakingCheck struct {
	tx    *sqlx.Tx
	ctx   context.Context
	names map[int64]string
}

func (c *speakingCheck) name(id int64) string {
	if n, ok := c.names[id]; ok {
		return n
	}
	var n string
	if err := sqlx.GetContext(c.ctx, c.tx, &n, `SELECT display_name FROM users WHERE id = $1`, id); err != nil {
		n = "another member"
	}
	if c.names == nil {
		c.names = map[int64]string{}
	}
	c.names[id] = n
	return n
}

// check refuses a post the phase does not allow, or records it: v.State moves on and changed
// says whether it did.
func (c *speakingCheck) check(v *SessionView, userID int64, isReply bool) (changed bool, err error) {
	who := Speaker{UserID: userID, Role: v.roleOf(userID)}
	if err := v.State.MayPost(v.Template, who, isReply, c.name); err != nil {
		return false, err
	}
	next := v.State.AfterPost(v.Template, who, isReply)
	changed = next.Turn != v.State.Turn
	v.State = next
	return changed, nil
}

// saveTurn stores a session whose turn passed and announces it.
func saveTurn(ctx context.Context, tx *sqlx.Tx, node string, v SessionView, by int64, now time.Time) (RoomEvent, error) {
	stateJSON, _ := json.Marshal(v.State)
	if _, err := tx.ExecContext(ctx, `UPDATE live_sessions SET state = $2 WHERE id = $1`, v.ID, stateJSON); err != nil {
		return RoomEvent{}, err
	}
	return appendSessionEvent(ctx, tx, node, EventSessionChanged, "turn", by, v, nil, now)
}

func liveSession(ctx context.Context, q sqlx.QueryerContext, caseID int64, lock string) (SessionView, error) {
	var row struct {
		ID             int64           `db:"id"`
		TemplateKey    string          `db:"template_key"`
		Template       json.RawMessage `db:"template"`
		PresenterID    sql.NullInt64   `db:"presenter_id"`
		SupervisorID   sql.NullInt64   `db:"supervisor_id"`
		State          json.RawMessage `db:"state"`
		StartedAt      time.Time       `db:"started_at"`
		PresenterName  sql.NullString  `db:"presenter_name"`
		SupervisorName sql.NullString  `db:"supervisor_name"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT id, template_key, template, presenter_id, supervisor_id, state, started_at,
		(SELECT display_name FROM users WHERE id = presenter_id) AS presenter_name,
		(SELECT display_name FROM users WHERE id = supervisor_id) AS supervisor_name
		FROM live_sessions WHERE case_id = $1 AND ended_at IS NULL`+lock, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return SessionView{}, Errorf(ENOTFOUND, "No live session is running on this case.")
	}
	if err != nil {
		return SessionView{}, err
	}
	v := SessionView{ID: row.ID, Room: caseID, TemplateKey: row.TemplateKey, PresenterID: row.PresenterID.Int64,
		SupervisorID: row.SupervisorID.Int64, StartedAt: row.StartedAt.UTC(),
		PresenterName: row.PresenterName.String, SupervisorName: row.SupervisorName.String}
	if err := json.Unmarshal(row.Template, &v.Template); err != nil {
		return v, err
	}
	if err := json.Unmarshal(row.State, &v.State); err != nil {
		return v, err
	}
	v.LearningPoints, err = learningPoints(ctx, q, v.ID)
	return v, err
}

// appendSessionEvent adds a session event to the room with the session's state as it now
// stands, without its learning points; point is the one this event records, if any.
func appendSessionEvent(ctx context.Context, tx *sqlx.Tx, node, evType, action string, by int64, view SessionView, point *LearningPoint, now time.Time) (RoomEvent, error) {
	seq, err := nextRoomSeq(ctx, tx, view.Room)
	if err != nil {
		return RoomEvent{}, err
	}
	view.LearningPoints = nil
	view = view.withSpeaking(ctx, tx)
	payload, err := json.Marshal(sessionPayload{Action: action, By: by, Session: view, LearningPoint: point})
	if err != nil {
		return RoomEvent{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO room_events (case_id, seq, type, session_id, payload, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		view.Room, seq, evType, view.ID, payload, now); err != nil {
		return RoomEvent{}, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, RoomEventsChannel, roomNotice(node, view.Room, seq)); err != nil {
		return RoomEvent{}, err
	}
	return RoomEvent{Room: view.Room, Seq: seq, Type: evType, At: now, Session: &view, Action: action, LearningPoint: point}, nil
}

// AdvanceOverdueSessions moves on every running session whose phase is over time and whose
// template says to advance by itself; other overdue phases wait for their supervisor, who is
// prompted by the page. Several processes may run it at once: each session is taken by one.
func (s LiveSessions) AdvanceOverdueSessions(ctx context.Context) (int, error) {
	var rooms []int64
	if err := sqlx.SelectContext(ctx, s.db, &rooms, `SELECT case_id FROM live_sessions WHERE ended_at IS NULL
		AND NOT (state->>'paused')::boolean AND (state->>'deadline')::timestamptz <= $1`, s.now().UTC()); err != nil {
		return 0, err
	}
	advanced := 0
	for _, room := range rooms {
		var ev RoomEvent
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var locked int64
			err := sqlx.GetContext(ctx, tx, &locked, `SELECT id FROM live_sessions WHERE case_id = $1 AND ended_at IS NULL FOR UPDATE SKIP LOCKED`, room)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // another process has it, or it ended
			}
			if err != nil {
				return err
			}
			view, err := liveSession(ctx, tx, room, "")
			if err != nil {
				return err
			}
			now := s.now().UTC()
			last := view.State.Phase == len(view.Template.Phases)-1
			if !view.State.Overdue(now) || last || !view.Template.Phases[view.State.Phase].AutoAdvance {
				return nil
			}
			if view.State, err = view.State.Advance(view.Template, now, view.State.TurnOrder); err != nil {
				return err
			}
			stateJSON, _ := json.Marshal(view.State)
			if _, err := tx.ExecContext(ctx, `UPDATE live_sessions SET state = $2 WHERE id = $1`, view.ID, stateJSON); err != nil {
				return err
			}
			ev, err = appendSessionEvent(ctx, tx, s.node, EventSessionChanged, "auto_advance", 0, view, nil, now)
			return err
		})
		if err != nil {
			return advanced, err
		}
		if ev.Seq != 0 {
			advanced++
			s.events.RoomEventCommitted(ev)
		}
	}
	return advanced, nil
}

// displayName is a user's name as others see it, or "a former member".
func displayName(ctx context.Context, q sqlx.QueryerContext, userID int64) string {
	var name string
	if err := sqlx.GetContext(ctx, q, &name, `SELECT display_name FROM users WHERE id = $1`, userID); err != nil {
		return FormerMember
	}
	return name
}

// AttendanceSlot is how often presence in the rooms of live sessions is sampled: a person
// present at a sample is credited with one slot.
const AttendanceSlot = 30 * time.Second

// RecordAttendance records who is present now in each room (room → users, as one process sees
// its own sockets) that has a live session running, in the current slot. Every process calls
// it for its own sockets; a slot counts once however many processes or tabs saw the person.
func (s LiveSessions) RecordAttendance(ctx context.Context, present map[int64][]int64) error {
	var rooms, users []int64
	for room, ids := range present {
		for _, id := range ids {
			rooms, users = append(rooms, room), append(users, id)
		}
	}
	if len(rooms) == 0 {
		return nil
	}
	slot := s.Now().Truncate(AttendanceSlot)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO session_attendance (live_session_id, user_id, slot)
			SELECT ls.id, v.u, $3 FROM unnest($1::bigint[], $2::bigint[]) AS v(r, u)
			JOIN live_sessions ls ON ls.case_id = v.r AND ls.ended_at IS NULL
			JOIN cases c ON c.id = v.r
			JOIN memberships m ON m.community_id = c.community_id AND m.user_id = v.u
			ON CONFLICT DO NOTHING`, pq.Array(rooms), pq.Array(users), slot)
		return err
	})
}

// Heard says whether the participant's voice reaches the group now in the session's call: the
// same rules as posting (session.State.MayBeHeard), for the media gate (realtime/media.Policy).
func (v SessionView) Heard(userID int64) bool {
	return v.State.MayBeHeard(v.Template, session.Speaker{UserID: userID, Role: v.roleOf(userID)})
}
