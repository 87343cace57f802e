package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/casecircle/casecircle/casestudy/schedule"
)

// Recurrence is how a scheduled session repeats (schedule.Recurrence).
type Recurrence = schedule.Recurrence

// Limits of scheduling.
const (
	MaxScheduleTitleLength = 120
	MinScheduledMinutes    = 15
	MaxScheduledMinutes    = 480
	// MaxOccurrenceMove is how far one occurrence may be moved from where its series puts it.
	MaxOccurrenceMove = 30 * 24 * time.Hour
	// MaxScheduleWindow bounds one listing of occurrences.
	MaxScheduleWindow = 400 * 24 * time.Hour
	// MaxSchedulesPerCommunity bounds the series a community runs at once.
	MaxSchedulesPerCommunity = 50
)

// ScheduledSession is a series of meetings (or one), as its organisers set it.
type ScheduledSession struct {
	ID              int64      `db:"id" json:"id"`
	CommunityID     int64      `db:"community_id" json:"community_id"`
	Title           string     `db:"title" json:"title"`
	TemplateKey     string     `db:"template_key" json:"template"`
	SupervisorID    *int64     `db:"supervisor_id" json:"supervisor_id"`
	PresenterID     *int64     `db:"presenter_id" json:"presenter_id"` // nil: to be chosen
	CaseID          *int64     `db:"case_id" json:"case_id"`
	TimeZone        string     `db:"time_zone" json:"time_zone"`
	StartsLocal     time.Time  `db:"starts_local" json:"-"`
	Start           string     `db:"-" json:"start"` // wall-clock, YYYY-MM-DDTHH:MM in TimeZone
	DurationMinutes int        `db:"duration_minutes" json:"duration_minutes"`
	RRule           string     `db:"rrule" json:"rrule"`
	Repeat          Recurrence `db:"-" json:"repeat"`
	Sequence        int        `db:"sequence" json:"sequence"`
	CancelledAt     *time.Time `db:"cancelled_at" json:"cancelled_at,omitempty"`
}

const scheduleColumns = `id, community_id, title, template_key, supervisor_id, presenter_id, case_id, time_zone, starts_local,
	duration_minutes, rrule, sequence, cancelled_at`

// series is the schedule's first start in its zone and its rule.
func (s ScheduledSession) series() schedule.Series {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	l := s.StartsLocal
	return schedule.Series{Start: time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, loc), RRule: s.RRule}
}

func (s *ScheduledSession) fill() {
	s.Start = s.StartsLocal.Format("2006-01-02T15:04")
	s.Repeat = schedule.RecurrenceOf(s.RRule, s.series().Start.Location())
}

// ScheduleInput is what an organiser sets for a series.
type ScheduleInput struct {
	Title           string     `json:"title"`
	TemplateKey     string     `json:"template"`
	SupervisorID    int64      `json:"supervisor_id"`
	PresenterID     int64      `json:"presenter_id,omitempty"` // 0: to be chosen
	CaseID          int64      `json:"case_id,omitempty"`
	TimeZone        string     `json:"time_zone"`
	Start           string     `json:"start"` // YYYY-MM-DDTHH:MM, wall-clock in TimeZone
	DurationMinutes int        `json:"duration_minutes"`
	Repeat          Recurrence `json:"repeat"`
}

type checkedSchedule struct {
	ScheduleInput
	start time.Time
	rrule string
}

func (s Schedule) checkSchedule(ctx context.Context, tx *sqlx.Tx, communityID int64, in ScheduleInput) (checkedSchedule, error) {
	out := checkedSchedule{ScheduleInput: in}
	title, err := validateLine("title", in.Title, MaxScheduleTitleLength, "Give the session a title.")
	if err != nil {
		return out, err
	}
	out.Title = title
	if _, err := templateByKey(ctx, tx, communityID, in.TemplateKey); err != nil {
		return out, FieldErrorf("template", "Choose one of the community's formats.")
	}
	if in.DurationMinutes < MinScheduledMinutes || in.DurationMinutes > MaxScheduledMinutes {
		return out, FieldErrorf("duration_minutes", "A session lasts %d minutes to %d hours.", MinScheduledMinutes, MaxScheduledMinutes/60)
	}
	if out.start, err = schedule.ParseLocal(in.Start, in.TimeZone); err != nil {
		return out, err
	}
	if out.rrule, err = in.Repeat.RRule(out.start); err != nil {
		return out, err
	}
	if role, err := membershipRole(ctx, tx, in.SupervisorID, communityID, false); err != nil || (role != RoleSupervisor && role != RoleFacilitator) {
		return out, FieldErrorf("supervisor_id", "Choose a supervisor of the community.")
	}
	if in.PresenterID != 0 {
		if _, err := membershipRole(ctx, tx, in.PresenterID, communityID, false); err != nil {
			return out, FieldErrorf("presenter_id", "The presenter must be a member of the community.")
		}
		if in.PresenterID == in.SupervisorID {
			return out, FieldErrorf("presenter_id", "The supervisor cannot also present.")
		}
	}
	if in.CaseID != 0 {
		if err := requirePublishedCase(ctx, tx, communityID, in.CaseID); err != nil {
			return out, err
		}
	}
	return out, nil
}

func requirePublishedCase(ctx context.Context, q sqlx.QueryerContext, communityID, caseID int64) error {
	var status string
	err := sqlx.GetContext(ctx, q, &status, `SELECT status FROM cases WHERE id = $1 AND community_id = $2`, caseID, communityID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status != "published") {
		return FieldErrorf("case_id", "Choose a published case of the community.")
	}
	return err
}

// requireOrganiser: facilitators and supervisors schedule.
func requireOrganiser(ctx context.Context, q sqlx.QueryerContext, userID, communityID int64) error {
	_, err := requireRole(ctx, q, userID, communityID, RoleFacilitator, RoleSupervisor)
	if ErrorCode(err) == EFORBIDDEN {
		return Errorf(EFORBIDDEN, "Only facilitators and supervisors schedule sessions.")
	}
	return err
}

// CreateScheduledSession schedules a session or a series, and tells the community by mail
// (with the meetings for their calendars).
func (s Schedule) CreateScheduledSession(ctx context.Context, actorID, communityID int64, in ScheduleInput) (ScheduledSession, error) {
	var out ScheduledSession
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireOrganiser(ctx, tx, actorID, communityID); err != nil {
			return err
		}
		var running int
		if err := sqlx.GetContext(ctx, tx, &running, `SELECT count(*) FROM scheduled_sessions WHERE community_id = $1 AND cancelled_at IS NULL`, communityID); err != nil {
			return err
		}
		if running >= MaxSchedulesPerCommunity {
			return Errorf(ECONFLICT, "A community can have %d scheduled series at once: cancel one first.", MaxSchedulesPerCommunity)
		}
		c, err := s.checkSchedule(ctx, tx, communityID, in)
		if err != nil {
			return err
		}
		now := s.Now()
		if err := sqlx.GetContext(ctx, tx, &out, `
			INSERT INTO scheduled_sessions (community_id, title, template_key, supervisor_id, presenter_id, case_id, time_zone,
				starts_local, duration_minutes, rrule, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, nullif($5, 0), nullif($6, 0), $7, $8, $9, $10, $11, $12, $12) RETURNING `+scheduleColumns,
			communityID, c.Title, c.TemplateKey, c.SupervisorID, c.PresenterID, c.CaseID, c.TimeZone,
			c.start.Format("2006-01-02 15:04"), c.DurationMinutes, c.rrule, actorID, now); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "schedule.created",
			TargetType: "scheduled_session", TargetID: &out.ID}); err != nil {
			return err
		}
		return s.mailCommunity(ctx, tx, communityID, MailJob{Kind: MailSessionScheduled, ScheduleID: out.ID, ActorID: actorID})
	})
	out.fill()
	return out, err
}

// UpdateScheduledSession changes a series; calendars receive the change (a higher SEQUENCE).
// The changes made to single occurrences stay with their numbers.
func (s Schedule) UpdateScheduledSession(ctx context.Context, actorID, communityID, scheduleID int64, in ScheduleInput) (ScheduledSession, error) {
	var out ScheduledSession
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireOrganiser(ctx, tx, actorID, communityID); err != nil {
			return err
		}
		if _, err := scheduleForUpdate(ctx, tx, communityID, scheduleID); err != nil {
			return err
		}
		c, err := s.checkSchedule(ctx, tx, communityID, in)
		if err != nil {
			return err
		}
		if err := sqlx.GetContext(ctx, tx, &out, `
			UPDATE scheduled_sessions SET title = $3, template_key = $4, supervisor_id = $5, presenter_id = nullif($6, 0),
				case_id = nullif($7, 0), time_zone = $8, starts_local = $9, duration_minutes = $10, rrule = $11,
				sequence = sequence + 1, updated_at = $12
			WHERE id = $1 AND community_id = $2 RETURNING `+scheduleColumns,
			scheduleID, communityID, c.Title, c.TemplateKey, c.SupervisorID, c.PresenterID, c.CaseID, c.TimeZone,
			c.start.Format("2006-01-02 15:04"), c.DurationMinutes, c.rrule, s.Now()); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "schedule.changed",
			TargetType: "scheduled_session", TargetID: &scheduleID}); err != nil {
			return err
		}
		return s.mailCommunity(ctx, tx, communityID, MailJob{Kind: MailSessionChanged, ScheduleID: scheduleID, ActorID: actorID})
	})
	out.fill()
	return out, err
}

// CancelScheduledSession cancels a whole series; calendars receive the cancellation.
func (s Schedule) CancelScheduledSession(ctx context.Context, actorID, communityID, scheduleID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireOrganiser(ctx, tx, actorID, communityID); err != nil {
			return err
		}
		sched, err := scheduleForUpdate(ctx, tx, communityID, scheduleID)
		if err != nil {
			return err
		}
		if sched.CancelledAt != nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scheduled_sessions SET cancelled_at = $2, sequence = sequence + 1, updated_at = $2 WHERE id = $1`,
			scheduleID, s.Now()); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "schedule.cancelled",
			TargetType: "scheduled_session", TargetID: &scheduleID}); err != nil {
			return err
		}
		return s.mailCommunity(ctx, tx, communityID, MailJob{Kind: MailSessionCancelled, ScheduleID: scheduleID, ActorID: actorID})
	})
}

func scheduleForUpdate(ctx context.Context, tx *sqlx.Tx, communityID, scheduleID int64) (ScheduledSession, error) {
	var sched ScheduledSession
	err := sqlx.GetContext(ctx, tx, &sched, `SELECT `+scheduleColumns+` FROM scheduled_sessions WHERE id = $1 AND community_id = $2 FOR UPDATE`,
		scheduleID, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return sched, Errorf(ENOTFOUND, "No such scheduled session.")
	}
	return sched, err
}

// ScheduledSession returns one series, for members.
func (s Schedule) ScheduledSession(ctx context.Context, userID, communityID, scheduleID int64) (ScheduledSession, error) {
	var sched ScheduledSession
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return sched, err
	}
	err := sqlx.GetContext(ctx, s.db, &sched, `SELECT `+scheduleColumns+` FROM scheduled_sessions WHERE id = $1 AND community_id = $2`,
		scheduleID, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return sched, Errorf(ENOTFOUND, "No such scheduled session.")
	}
	sched.fill()
	return sched, err
}

// mailCommunity queues one message to each member who has not switched that kind of mail off.
func (s Schedule) mailCommunity(ctx context.Context, tx *sqlx.Tx, communityID int64, job MailJob) error {
	if !s.MailEnabled() {
		return nil
	}
	var members []int64
	if err := sqlx.SelectContext(ctx, tx, &members, `
		SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.community_id = $1 AND u.erased_at IS NULL
		  AND coalesce((SELECT p.enabled FROM notification_preferences p WHERE p.user_id = m.user_id AND p.kind = $2
			      AND p.channel = 'email' AND p.community_id IN (0, $1) ORDER BY p.community_id DESC LIMIT 1), true)
		ORDER BY m.user_id`, communityID, NotifySessionChanges); err != nil {
		return err
	}
	jobs := make([]MailJob, 0, len(members))
	for _, id := range members {
		j := job
		j.UserID, j.CommunityID = id, communityID
		jobs = append(jobs, j)
	}
	return s.enqueueMail(ctx, tx, jobs...)
}

// Occurrence is one meeting of a series, as a member sees it.
type Occurrence struct {
	ScheduleID    int64     `json:"schedule_id"`
	N             int       `json:"n"`
	CommunityID   int64     `json:"community_id"`
	CommunityName string    `json:"community_name"`
	Title         string    `json:"title"`
	TemplateKey   string    `json:"template"`
	TemplateName  string    `json:"template_name"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	// OriginalStart is where the series puts it (RECURRENCE-ID); differs from Start when moved.
	OriginalStart  time.Time      `json:"original_start"`
	TimeZone       string         `json:"time_zone"` // the organiser's
	SupervisorID   *int64         `json:"supervisor_id"`
	SupervisorName string         `json:"supervisor_name"`
	PresenterID    *int64         `json:"presenter_id"` // nil: to be chosen
	PresenterName  string         `json:"presenter_name"`
	CaseID         *int64         `json:"case_id"`
	CaseTitle      string         `json:"case_title,omitempty"` // anonymised title, for pages only
	Cancelled      bool           `json:"cancelled"`
	Moved          bool           `json:"moved"`
	Sequence       int            `json:"sequence"` // the calendar SEQUENCE: series and occurrence changes
	LiveSessionID  *int64         `json:"live_session_id,omitempty"`
	Live           bool           `json:"live"` // a live session is running for it now
	Answers        AnswerCounts   `json:"answers"`
	MyAnswer       string         `json:"my_answer"`
	Proposals      []CaseProposal `json:"proposals"`
	// Repeats says whether the occurrence belongs to a repeating series.
	Repeats bool `json:"repeats"`
}

// AnswerCounts counts a meeting's RSVPs.
type AnswerCounts struct {
	Going    int `json:"going"`
	Maybe    int `json:"maybe"`
	NotGoing int `json:"not_going"`
}

// CaseProposal is a case a member put forward for a meeting.
type CaseProposal struct {
	CaseID     int64  `db:"case_id" json:"case_id"`
	Title      string `db:"title" json:"title"`
	AuthorID   int64  `db:"author_id" json:"author_id"`
	AuthorName string `db:"author_name" json:"author_name"`
}

// Answers to "will you come?".
const (
	AnswerGoing    = "going"
	AnswerMaybe    = "maybe"
	AnswerNotGoing = "not_going"
)

type occurrenceRow struct {
	ScheduleID    int64      `db:"schedule_id"`
	N             int        `db:"n"`
	MovedTo       *time.Time `db:"moved_to"`
	Cancelled     bool       `db:"cancelled"`
	PresenterID   *int64     `db:"presenter_id"`
	CaseID        *int64     `db:"case_id"`
	LiveSessionID *int64     `db:"live_session_id"`
	Sequence      int        `db:"sequence"`
}

// Occurrences lists a community's meetings that start in [from, to), for a member.
func (s Schedule) Occurrences(ctx context.Context, userID, communityID int64, from, to time.Time) ([]Occurrence, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return nil, err
	}
	return s.occurrences(ctx, userID, []int64{communityID}, from, to, 0)
}

// MyOccurrences lists the meetings of every community the user belongs to, for their calendar.
func (s Schedule) MyOccurrences(ctx context.Context, userID int64, from, to time.Time) ([]Occurrence, error) {
	var communities []int64
	if err := sqlx.SelectContext(ctx, s.db, &communities, `SELECT community_id FROM memberships WHERE user_id = $1`, userID); err != nil {
		return nil, err
	}
	return s.occurrences(ctx, userID, communities, from, to, 0)
}

// Occurrence returns one meeting, for a member.
func (s Schedule) Occurrence(ctx context.Context, userID, communityID, scheduleID int64, n int) (Occurrence, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return Occurrence{}, err
	}
	return s.oneOccurrence(ctx, s.db, userID, communityID, scheduleID, n)
}

func (s Schedule) oneOccurrence(ctx context.Context, q sqlx.QueryerContext, userID, communityID, scheduleID int64, n int) (Occurrence, error) {
	var sched ScheduledSession
	err := sqlx.GetContext(ctx, q, &sched, `SELECT `+scheduleColumns+` FROM scheduled_sessions WHERE id = $1 AND community_id = $2`, scheduleID, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return Occurrence{}, Errorf(ENOTFOUND, "No such scheduled session.")
	}
	if err != nil {
		return Occurrence{}, err
	}
	start, ok := sched.series().Nth(n)
	if !ok {
		return Occurrence{}, Errorf(ENOTFOUND, "No such meeting in this series.")
	}
	// A moved meeting may start up to MaxOccurrenceMove either side of where the rule puts it.
	list, err := s.expand(ctx, q, userID, []ScheduledSession{sched}, start.Add(-MaxOccurrenceMove), start.Add(MaxOccurrenceMove+time.Second), n)
	if err != nil {
		return Occurrence{}, err
	}
	if len(list) == 0 {
		return Occurrence{}, Errorf(ENOTFOUND, "No such meeting in this series.")
	}
	return list[0], nil
}

func (s Schedule) occurrences(ctx context.Context, userID int64, communities []int64, from, to time.Time, onlyN int) ([]Occurrence, error) {
	if !from.Before(to) || to.Sub(from) > MaxScheduleWindow {
		return nil, FieldErrorf("to", "List at most %d days at a time.", int(MaxScheduleWindow.Hours()/24))
	}
	var series []ScheduledSession
	if err := sqlx.SelectContext(ctx, s.db, &series, `SELECT `+scheduleColumns+` FROM scheduled_sessions
		WHERE community_id = ANY($1) AND (cancelled_at IS NULL OR cancelled_at > $2) ORDER BY id`, pq.Array(communities), from.Add(-MaxOccurrenceMove)); err != nil {
		return nil, err
	}
	list, err := s.expand(ctx, s.db, userID, series, from, to, onlyN)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// expand lists the occurrences of the series whose (possibly moved) start is in [from, to),
// with their changes, answers and proposals, in order of start.
func (s Schedule) expand(ctx context.Context, q sqlx.QueryerContext, userID int64, series []ScheduledSession, from, to time.Time, onlyN int) ([]Occurrence, error) {
	out := []Occurrence{}
	if len(series) == 0 {
		return out, nil
	}
	ids := make([]int64, len(series))
	for i, sc := range series {
		ids[i] = sc.ID
	}
	var rows []occurrenceRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT schedule_id, n, moved_to, cancelled, presenter_id, case_id, live_session_id, sequence
		FROM schedule_occurrences WHERE schedule_id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	changes := map[[2]int64]occurrenceRow{}
	for _, r := range rows {
		changes[[2]int64{r.ScheduleID, int64(r.N)}] = r
	}
	names := nameCache{q: q, ctx: ctx, names: map[int64]string{}}
	for _, sc := range series {
		numbered, err := sc.series().Between(from.Add(-MaxOccurrenceMove), to.Add(MaxOccurrenceMove))
		if err != nil {
			return nil, err
		}
		tplName := sc.TemplateKey
		if tpl, err := templateByKey(ctx, q, sc.CommunityID, sc.TemplateKey); err == nil {
			tplName = tpl.Name
		}
		for _, nb := range numbered {
			if onlyN != 0 && nb.N != onlyN {
				continue
			}
			o := Occurrence{ScheduleID: sc.ID, N: nb.N, CommunityID: sc.CommunityID, Title: sc.Title, TemplateKey: sc.TemplateKey,
				TemplateName: tplName, Start: nb.Start.UTC(), OriginalStart: nb.Start.UTC(), TimeZone: sc.TimeZone,
				SupervisorID: sc.SupervisorID, PresenterID: sc.PresenterID, CaseID: sc.CaseID, Sequence: sc.Sequence,
				Cancelled: sc.CancelledAt != nil, Repeats: sc.RRule != "", Proposals: []CaseProposal{}}
			if ch, ok := changes[[2]int64{sc.ID, int64(nb.N)}]; ok {
				if ch.MovedTo != nil {
					o.Start, o.Moved = ch.MovedTo.UTC(), true
				}
				o.Cancelled = o.Cancelled || ch.Cancelled
				if ch.PresenterID != nil {
					o.PresenterID = ch.PresenterID
				}
				if ch.CaseID != nil {
					o.CaseID = ch.CaseID
				}
				o.LiveSessionID = ch.LiveSessionID
				o.Sequence += ch.Sequence
			}
			if o.Start.Before(from) || !o.Start.Before(to) {
				continue
			}
			o.End = o.Start.Add(time.Duration(sc.DurationMinutes) * time.Minute)
			if o.SupervisorID != nil {
				o.SupervisorName = names.get(*o.SupervisorID)
			}
			if o.PresenterID != nil {
				o.PresenterName = names.get(*o.PresenterID)
			}
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int { return a.Start.Compare(b.Start) })
	if len(out) > schedule.MaxOccurrences {
		out = out[:schedule.MaxOccurrences]
	}
	return out, s.decorate(ctx, q, userID, out)
}

// decorate adds community names, case titles, answers, proposals and whether a live session
// runs, in one query each for the whole list (a feed lists a year of meetings).
func (s Schedule) decorate(ctx context.Context, q sqlx.QueryerContext, userID int64, list []Occurrence) error {
	if len(list) == 0 {
		return nil
	}
	var communities, cases, sessions, schedules []int64
	for _, o := range list {
		communities, schedules = append(communities, o.CommunityID), append(schedules, o.ScheduleID)
		if o.CaseID != nil {
			cases = append(cases, *o.CaseID)
		}
		if o.LiveSessionID != nil {
			sessions = append(sessions, *o.LiveSessionID)
		}
	}
	type named struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	var rows []named
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, name FROM communities WHERE id = ANY($1)`, pq.Array(communities)); err != nil {
		return err
	}
	communityName := map[int64]string{}
	for _, r := range rows {
		communityName[r.ID] = r.Name
	}
	rows = nil
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, title AS name FROM cases WHERE id = ANY($1)`, pq.Array(cases)); err != nil {
		return err
	}
	caseTitle := map[int64]string{}
	for _, r := range rows {
		caseTitle[r.ID] = r.Name
	}
	var running []int64
	if err := sqlx.SelectContext(ctx, q, &running, `SELECT id FROM live_sessions WHERE id = ANY($1) AND ended_at IS NULL`, pq.Array(sessions)); err != nil {
		return err
	}
	type meetingKey struct {
		schedule int64
		n        int
	}
	var answers []struct {
		ScheduleID int64  `db:"schedule_id"`
		N          int    `db:"n"`
		UserID     int64  `db:"user_id"`
		Answer     string `db:"answer"`
	}
	if err := sqlx.SelectContext(ctx, q, &answers, `SELECT schedule_id, n, user_id, answer FROM schedule_answers WHERE schedule_id = ANY($1)`,
		pq.Array(schedules)); err != nil {
		return err
	}
	var proposals []struct {
		ScheduleID int64 `db:"schedule_id"`
		N          int   `db:"n"`
		CaseProposal
	}
	if err := sqlx.SelectContext(ctx, q, &proposals, `
		SELECT p.schedule_id, p.n, p.case_id, c.title, c.author_id, u.display_name AS author_name
		FROM case_proposals p JOIN cases c ON c.id = p.case_id JOIN users u ON u.id = c.author_id
		WHERE p.schedule_id = ANY($1) AND c.status = 'published' ORDER BY p.proposed_at`, pq.Array(schedules)); err != nil {
		return err
	}
	index := make(map[meetingKey]*Occurrence, len(list))
	for i := range list {
		o := &list[i]
		index[meetingKey{o.ScheduleID, o.N}] = o
		o.CommunityName = communityName[o.CommunityID]
		if o.CaseID != nil {
			o.CaseTitle = caseTitle[*o.CaseID]
		}
		o.Live = o.LiveSessionID != nil && slices.Contains(running, *o.LiveSessionID)
	}
	for _, a := range answers {
		o := index[meetingKey{a.ScheduleID, a.N}]
		if o == nil {
			continue
		}
		switch a.Answer {
		case AnswerGoing:
			o.Answers.Going++
		case AnswerMaybe:
			o.Answers.Maybe++
		case AnswerNotGoing:
			o.Answers.NotGoing++
		}
		if a.UserID == userID {
			o.MyAnswer = a.Answer
		}
	}
	for _, p := range proposals {
		if o := index[meetingKey{p.ScheduleID, p.N}]; o != nil {
			o.Proposals = append(o.Proposals, p.CaseProposal)
		}
	}
	return nil
}

type nameCache struct {
	ctx   context.Context
	q     sqlx.QueryerContext
	names map[int64]string
}

func (c nameCache) get(id int64) string {
	if n, ok := c.names[id]; ok {
		return n
	}
	c.names[id] = displayName(c.ctx, c.q, id)
	return c.names[id]
}

// OccurrenceChange changes one meeting; nil fields stay as they are.
type OccurrenceChange struct {
	MoveTo      *string `json:"move_to,omitempty"` // YYYY-MM-DDTHH:MM in the series' zone; "" moves it back
	Cancelled   *bool   `json:"cancelled,omitempty"`
	PresenterID *int64  `json:"presenter_id,omitempty"` // 0: back to the series' choice
	CaseID      *int64  `json:"case_id,omitempty"`      // 0: none
}

// ChangeOccurrence moves, cancels or restores one meeting, or names its presenter or case.
// Members' calendars receive the change; a newly named presenter is told.
func (s Schedule) ChangeOccurrence(ctx context.Context, actorID, communityID, scheduleID int64, n int, ch OccurrenceChange) (Occurrence, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := requireOrganiser(ctx, tx, actorID, communityID); err != nil {
			return err
		}
		return s.changeOccurrence(ctx, tx, actorID, communityID, scheduleID, n, ch)
	})
	if err != nil {
		return Occurrence{}, err
	}
	return s.oneOccurrence(ctx, s.db, actorID, communityID, scheduleID, n)
}

func (s Schedule) changeOccurrence(ctx context.Context, tx *sqlx.Tx, actorID, communityID, scheduleID int64, n int, ch OccurrenceChange) error {
	sched, err := scheduleForUpdate(ctx, tx, communityID, scheduleID)
	if err != nil {
		return err
	}
	original, ok := sched.series().Nth(n)
	if !ok {
		return Errorf(ENOTFOUND, "No such meeting in this series.")
	}
	var row occurrenceRow
	err = sqlx.GetContext(ctx, tx, &row, `SELECT schedule_id, n, moved_to, cancelled, presenter_id, case_id, live_session_id, sequence
		FROM schedule_occurrences WHERE schedule_id = $1 AND n = $2 FOR UPDATE`, scheduleID, n)
	if errors.Is(err, sql.ErrNoRows) {
		row = occurrenceRow{} // sqlx has allocated its pointer fields before finding no row
	} else if err != nil {
		return err
	}
	before := row
	if row, err = applyChange(ctx, tx, sched, communityID, original, row, ch); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO schedule_occurrences (schedule_id, n, moved_to, cancelled, presenter_id, case_id, sequence)
		VALUES ($1, $2, $3, $4, $5, $6, 1)
		ON CONFLICT (schedule_id, n) DO UPDATE SET moved_to = $3, cancelled = $4, presenter_id = $5, case_id = $6,
			sequence = schedule_occurrences.sequence + 1`,
		scheduleID, n, row.MovedTo, row.Cancelled, row.PresenterID, row.CaseID); err != nil {
		return err
	}
	if err := appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "schedule.occurrence_changed",
		TargetType: "scheduled_session", TargetID: &scheduleID, Detail: detailJSON(map[string]int{"n": n})}); err != nil {
		return err
	}
	timing := !equalTimes(before.MovedTo, row.MovedTo) || before.Cancelled != row.Cancelled
	if timing {
		kind := MailSessionChanged
		if row.Cancelled {
			kind = MailSessionCancelled
		}
		if err := s.mailCommunity(ctx, tx, communityID, MailJob{Kind: kind, ScheduleID: scheduleID, N: n, ActorID: actorID}); err != nil {
			return err
		}
	}
	if row.PresenterID != nil && !equalIDs(before.PresenterID, row.PresenterID) && !row.Cancelled {
		return s.enqueueMail(ctx, tx, MailJob{Kind: MailPresentingNext, UserID: *row.PresenterID, CommunityID: communityID,
			ScheduleID: scheduleID, N: n, ActorID: actorID})
	}
	return nil
}

// applyChange checks a change of one meeting and returns the meeting's row with it applied.
func applyChange(ctx context.Context, tx *sqlx.Tx, sched ScheduledSession, communityID int64, original time.Time, row occurrenceRow, ch OccurrenceChange) (occurrenceRow, error) {
	if ch.MoveTo != nil {
		if *ch.MoveTo == "" {
			row.MovedTo = nil
		} else {
			to, err := schedule.ParseLocal(*ch.MoveTo, sched.TimeZone)
			if err != nil {
				return row, FieldErrorf("move_to", "%s", errorMessage(err))
			}
			if d := to.Sub(original); d > MaxOccurrenceMove || d < -MaxOccurrenceMove {
				return row, FieldErrorf("move_to", "Move a meeting by at most %d days; to change the series, edit it.", int(MaxOccurrenceMove.Hours()/24))
			}
			to = to.UTC()
			row.MovedTo = &to
		}
	}
	if ch.Cancelled != nil {
		row.Cancelled = *ch.Cancelled
	}
	if ch.PresenterID != nil {
		row.PresenterID = nil
		if *ch.PresenterID != 0 {
			if _, err := membershipRole(ctx, tx, *ch.PresenterID, communityID, false); err != nil {
				return row, FieldErrorf("presenter_id", "The presenter must be a member of the community.")
			}
			if sched.SupervisorID != nil && *sched.SupervisorID == *ch.PresenterID {
				return row, FieldErrorf("presenter_id", "The supervisor cannot also present.")
			}
			row.PresenterID = ch.PresenterID
		}
	}
	if ch.CaseID != nil {
		row.CaseID = nil
		if *ch.CaseID != 0 {
			if err := requirePublishedCase(ctx, tx, communityID, *ch.CaseID); err != nil {
				return row, err
			}
			row.CaseID = ch.CaseID
		}
	}
	return row, nil
}

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func equalIDs(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "That is not a valid time."
}

// AnswerOccurrence records a member's answer to "will you come?" ("" takes it back).
func (s Schedule) AnswerOccurrence(ctx context.Context, userID, communityID, scheduleID int64, n int, answer string) (Occurrence, error) {
	if answer != "" && answer != AnswerGoing && answer != AnswerMaybe && answer != AnswerNotGoing {
		return Occurrence{}, FieldErrorf("answer", "Answer going, maybe or not_going.")
	}
	return s.onComingMeeting(ctx, userID, communityID, scheduleID, n, func(tx *sqlx.Tx) error {
		if answer == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM schedule_answers WHERE schedule_id = $1 AND n = $2 AND user_id = $3`, scheduleID, n, userID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schedule_answers (schedule_id, n, user_id, answer, answered_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (schedule_id, n, user_id) DO UPDATE SET answer = $4, answered_at = $5`, scheduleID, n, userID, answer, s.Now())
		return err
	})
}

// ProposeCase puts the member's own published case forward for a meeting (the case queue).
func (s Schedule) ProposeCase(ctx context.Context, userID, communityID, scheduleID int64, n int, caseID int64) (Occurrence, error) {
	return s.onComingMeeting(ctx, userID, communityID, scheduleID, n, func(tx *sqlx.Tx) error {
		var author int64
		err := sqlx.GetContext(ctx, tx, &author, `SELECT author_id FROM cases WHERE id = $1 AND community_id = $2 AND status = 'published'`, caseID, communityID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && author != userID) {
			return FieldErrorf("case_id", "Propose one of your own published cases.")
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO case_proposals (schedule_id, n, case_id, proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, scheduleID, n, caseID, userID, s.Now())
		return err
	})
}

// onComingMeeting runs do for a member, in one transaction, on a meeting that is neither
// cancelled nor over, and returns the meeting as it then is.
func (s Schedule) onComingMeeting(ctx context.Context, userID, communityID, scheduleID int64, n int, do func(tx *sqlx.Tx) error) (Occurrence, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, userID, communityID); err != nil {
			return err
		}
		o, err := s.oneOccurrence(ctx, tx, userID, communityID, scheduleID, n)
		if err != nil {
			return err
		}
		if o.Cancelled {
			return Errorf(ECONFLICT, "This meeting is cancelled.")
		}
		if !o.End.After(s.Now()) {
			return Errorf(ECONFLICT, "This meeting is over.")
		}
		return do(tx)
	})
	if err != nil {
		return Occurrence{}, err
	}
	return s.oneOccurrence(ctx, s.db, userID, communityID, scheduleID, n)
}

// PickCase chooses a proposed (or any published) case for a meeting; its author presents
// unless a presenter was named, and is told.
func (s Schedule) PickCase(ctx context.Context, actorID, communityID, scheduleID int64, n int, caseID int64) (Occurrence, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
			if ErrorCode(err) == EFORBIDDEN {
				return Errorf(EFORBIDDEN, "Facilitators pick the case for a meeting.")
			}
			return err
		}
		var author int64
		if err := requirePublishedCase(ctx, tx, communityID, caseID); err != nil {
			return err
		}
		if err := sqlx.GetContext(ctx, tx, &author, `SELECT author_id FROM cases WHERE id = $1`, caseID); err != nil {
			return err
		}
		return s.changeOccurrence(ctx, tx, actorID, communityID, scheduleID, n, OccurrenceChange{CaseID: &caseID, PresenterID: &author})
	})
	if err != nil {
		return Occurrence{}, err
	}
	return s.oneOccurrence(ctx, s.db, actorID, communityID, scheduleID, n)
}

// linkOccurrence records that a live session is the scheduled meeting it was started for (from
// the calendar): the meeting shows as live, and its attendance is the session's.
func linkOccurrence(ctx context.Context, tx *sqlx.Tx, communityID, caseID, sessionID int64, in StartSessionInput) error {
	if in.ScheduleID == 0 {
		return nil
	}
	sched, err := scheduleForUpdate(ctx, tx, communityID, in.ScheduleID)
	if err != nil {
		return FieldErrorf("schedule_id", "No such scheduled session in this community.")
	}
	if _, ok := sched.series().Nth(in.N); !ok || sched.CancelledAt != nil {
		return FieldErrorf("n", "No such meeting in this series.")
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO schedule_occurrences (schedule_id, n, case_id, live_session_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (schedule_id, n) DO UPDATE SET live_session_id = $4, case_id = coalesce(schedule_occurrences.case_id, $3)`,
		in.ScheduleID, in.N, caseID, sessionID)
	return err
}
