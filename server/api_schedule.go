package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

func (s *Server) registerScheduleRoutes(g *echo.Group, changeLimit echo.MiddlewareFunc) {
	g.GET("/schedule", s.handleListMeetings)
	g.POST("/schedule", s.handleCreateSchedule, changeLimit)
	g.GET("/schedule/:sid", s.handleGetSchedule)
	g.PUT("/schedule/:sid", s.handleUpdateSchedule, changeLimit)
	g.DELETE("/schedule/:sid", s.handleCancelSchedule, changeLimit)
	g.GET("/schedule/:sid/meetings/:n", s.handleGetMeeting)
	svc := s.cfg.Service
	g.PATCH("/schedule/:sid/meetings/:n", meetingAction(svc.ChangeOccurrence), changeLimit)
	g.PUT("/schedule/:sid/meetings/:n/answer", meetingAction(func(ctx context.Context, uid, cid, sid int64, n int, r answerRequest) (casestudy.Occurrence, error) {
		return svc.AnswerOccurrence(ctx, uid, cid, sid, n, r.Answer)
	}), s.userLimit("schedule.answer"))
	g.POST("/schedule/:sid/meetings/:n/proposals", meetingAction(func(ctx context.Context, uid, cid, sid int64, n int, r caseChoice) (casestudy.Occurrence, error) {
		return svc.ProposeCase(ctx, uid, cid, sid, n, r.CaseID)
	}), changeLimit)
	g.PUT("/schedule/:sid/meetings/:n/case", meetingAction(func(ctx context.Context, uid, cid, sid int64, n int, r caseChoice) (casestudy.Occurrence, error) {
		return svc.PickCase(ctx, uid, cid, sid, n, r.CaseID)
	}), changeLimit)
	g.POST("/invitations/email", s.handleInviteByEmail, s.userLimit("invitation.create"))
}

// scheduleWindow reads ?from=&to= (RFC 3339); by default a day ago to 60 days ahead.
func scheduleWindow(c echo.Context) (time.Time, time.Time, error) {
	now := time.Now()
	from, to := now.Add(-24*time.Hour), now.Add(60*24*time.Hour)
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := c.QueryParam(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return from, to, casestudy.FieldErrorf(p.name, "Give %s as a date and time, e.g. 2026-12-01T00:00:00Z.", p.name)
			}
			*p.into = t
		}
	}
	return from, to, nil
}

func meetingParams(c echo.Context) (cid, sid int64, n int, err error) {
	if cid, err = idParam(c, "cid", "community"); err != nil {
		return
	}
	if sid, err = idParam(c, "sid", "scheduled session"); err != nil {
		return
	}
	v, convErr := strconv.Atoi(c.Param("n"))
	if convErr != nil || v < 1 || v > 100000 {
		err = casestudy.Errorf(casestudy.ENOTFOUND, "No such meeting in this series.")
		return
	}
	return cid, sid, v, nil
}

func (s *Server) handleListMeetings(c echo.Context) error {
	cid, err := idParam(c, "cid", "community")
	if err != nil {
		return err
	}
	from, to, err := scheduleWindow(c)
	if err != nil {
		return err
	}
	list, err := s.cfg.Service.Occurrences(c.Request().Context(), currentUser(c).ID, cid, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"meetings": list})
}

func (s *Server) handleCreateSchedule(c echo.Context) error {
	cid, err := idParam(c, "cid", "community")
	if err != nil {
		return err
	}
	var in casestudy.ScheduleInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	sched, err := s.cfg.Service.CreateScheduledSession(c.Request().Context(), currentUser(c).ID, cid, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"schedule": sched})
}

func (s *Server) handleGetSchedule(c echo.Context) error {
	cid, sid, err := scheduleParams(c)
	if err != nil {
		return err
	}
	sched, err := s.cfg.Service.ScheduledSession(c.Request().Context(), currentUser(c).ID, cid, sid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"schedule": sched})
}

func scheduleParams(c echo.Context) (int64, int64, error) {
	cid, err := idParam(c, "cid", "community")
	if err != nil {
		return 0, 0, err
	}
	sid, err := idParam(c, "sid", "scheduled session")
	return cid, sid, err
}

func (s *Server) handleUpdateSchedule(c echo.Context) error {
	cid, sid, err := scheduleParams(c)
	if err != nil {
		return err
	}
	var in casestudy.ScheduleInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	sched, err := s.cfg.Service.UpdateScheduledSession(c.Request().Context(), currentUser(c).ID, cid, sid, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"schedule": sched})
}

func (s *Server) handleCancelSchedule(c echo.Context) error {
	cid, sid, err := scheduleParams(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Service.CancelScheduledSession(c.Request().Context(), currentUser(c).ID, cid, sid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleGetMeeting(c echo.Context) error {
	cid, sid, n, err := meetingParams(c)
	if err != nil {
		return err
	}
	o, err := s.cfg.Service.Occurrence(c.Request().Context(), currentUser(c).ID, cid, sid, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"meeting": o})
}

// meetingAction answers a change to one meeting: it reads the meeting from the path and a body
// of type T, lets act do the change as the signed-in person, and answers {"meeting"} as it now is.
func meetingAction[T any](act func(ctx context.Context, userID, cid, sid int64, n int, req T) (casestudy.Occurrence, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		cid, sid, n, err := meetingParams(c)
		if err != nil {
			return err
		}
		var req T
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		o, err := act(c.Request().Context(), currentUser(c).ID, cid, sid, n, req)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"meeting": o})
	}
}

type answerRequest struct {
	Answer string `json:"answer"`
}

type caseChoice struct {
	CaseID int64 `json:"case_id"`
}

// handleInviteByEmail: {"emails": [...], "role"} → 201 {"invitations"}: one single-use
// invitation per address, bound to it, mailed.
func (s *Server) handleInviteByEmail(c echo.Context) error {
	cid, err := idParam(c, "cid", "community")
	if err != nil {
		return err
	}
	var req struct {
		Emails []string       `json:"emails"`
		Role   casestudy.Role `json:"role"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = casestudy.RoleMember
	}
	list, err := s.cfg.Service.InviteByEmail(c.Request().Context(), currentUser(c).ID, cid, req.Role, req.Emails)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"invitations": list})
}
