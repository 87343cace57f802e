package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// nextMeeting is the community's next meeting that has not ended (a running one included).
func (s *Server) nextMeeting(c echo.Context, cid int64) (*casestudy.Occurrence, error) {
	now := time.Now()
	list, err := s.cfg.Service.Occurrences(c.Request().Context(), currentUser(c).ID, cid, now.Add(-casestudy.MaxScheduledMinutes*time.Minute), now.Add(90*24*time.Hour))
	if err != nil {
		return nil, err
	}
	for i := range list {
		if !list[i].Cancelled && list[i].End.After(now) {
			return &list[i], nil
		}
	}
	return nil, nil
}

type calendarPage struct {
	Community   casestudy.Community
	CanSchedule bool
	IsFacil     bool
	Me          int64
	Members     []casestudy.Member
	Supervisors []casestudy.Member
	Templates   []casestudy.Template
	MyCases     []casestudy.Case
	Cases       []casestudy.Case
	MailOn      bool
}

// handleCalendarPage: the community's meetings (a list and a month; calendar.js fills both from
// the API), answers, the case queue, and for organisers the scheduling form.
func (s *Server) handleCalendarPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	ctx := c.Request().Context()
	page := calendarPage{Community: cm, Me: u.ID, MailOn: s.cfg.Service.MailEnabled(),
		CanSchedule: cm.MyRole == casestudy.RoleFacilitator || cm.MyRole == casestudy.RoleSupervisor,
		IsFacil:     cm.MyRole == casestudy.RoleFacilitator}
	var err error
	if page.Members, err = s.cfg.Service.ListMembers(ctx, u.ID, cm.ID); err != nil {
		return err
	}
	for _, m := range page.Members {
		if m.Role == casestudy.RoleSupervisor || m.Role == casestudy.RoleFacilitator {
			page.Supervisors = append(page.Supervisors, m)
		}
	}
	if page.Templates, err = s.cfg.Service.ListTemplates(ctx, u.ID, cm.ID); err != nil {
		return err
	}
	listed, err := s.cfg.Service.ListCases(ctx, u.ID, cm.ID, casestudy.CaseFilter{Limit: casestudy.MaxCasePage})
	if err != nil {
		return err
	}
	for _, cs := range listed.Cases {
		if cs.Status != casestudy.StatusPublished {
			continue
		}
		page.Cases = append(page.Cases, cs)
		if cs.AuthorID == u.ID {
			page.MyCases = append(page.MyCases, cs)
		}
	}
	return s.render(c, http.StatusOK, "calendar", newPageData(c, page))
}

// handleNotificationsPage: what the person hears about, by kind and channel, and the digest.
func (s *Server) handleNotificationsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "notifications", newPageData(c, struct{ MailOn, PushOn bool }{
		s.cfg.Service.MailEnabled(), s.cfg.VAPIDPublicKey != ""}))
}

// calendarScript is what calendar.js needs to know of the page (no e-mail addresses).
type calendarScript struct {
	Community   int64        `json:"community"`
	Me          int64        `json:"me"`
	CanSchedule bool         `json:"can_schedule"`
	IsFacil     bool         `json:"is_facilitator"`
	MyCases     []caseOption `json:"my_cases"`
	Cases       []caseOption `json:"cases"`
}

type caseOption struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// Script is the page's data for calendar.js.
func (p calendarPage) Script() calendarScript {
	out := calendarScript{Community: p.Community.ID, Me: p.Me, CanSchedule: p.CanSchedule, IsFacil: p.IsFacil,
		MyCases: []caseOption{}, Cases: []caseOption{}}
	for _, c := range p.MyCases {
		out.MyCases = append(out.MyCases, caseOption{c.ID, c.Title})
	}
	for _, c := range p.Cases {
		out.Cases = append(out.Cases, caseOption{c.ID, c.Title})
	}
	return out
}
