package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// registerArchiveRoutes adds archiving under /communities/:cid: facilitators archive and
// unarchive cases with a learning summary; members read the archive.
func (s *Server) registerArchiveRoutes(g *echo.Group) {
	g.GET("/archive", s.handleListArchive)
	g.GET("/cases/:id/archive", s.handleArchiveDraft)
	writeLimit := s.userLimit("archive.write")
	g.POST("/cases/:id/archive", s.handleArchiveCase, writeLimit)
	g.POST("/cases/:id/unarchive", s.handleUnarchiveCase, writeLimit)
	g.GET("/cases/:id/summary", s.handleCaseSummary)
}

// handleListArchive: GET …/archive?kind=&tag=&template=&from=2026-01-01&to=2026-12-31&limit=.
func (s *Server) handleListArchive(c echo.Context) error {
	f := casestudy.ArchiveFilter{Kind: casestudy.CaseKind(c.QueryParam("kind")), Tag: c.QueryParam("tag"), Template: c.QueryParam("template")}
	for name, target := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.QueryParam(name); v != "" {
			d, err := time.Parse("2006-01-02", v)
			if err != nil {
				return casestudy.FieldErrorf(name, "Use a date like 2026-11-24.")
			}
			*target = d
		}
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	limit, err := int64Query(c, "limit", 50, 1)
	if err != nil || limit > 200 {
		return casestudy.FieldErrorf("limit", "Use a limit from 1 to 200.")
	}
	f.Limit = int(limit)
	list, err := s.cfg.Service.ListArchive(c.Request().Context(), currentUser(c).ID, communityID(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cases": list})
}

func (s *Server) handleArchiveDraft(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	draft, records, err := s.cfg.Service.ArchiveDraft(c.Request().Context(), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"summary": draft, "records": records})
}

func (s *Server) handleArchiveCase(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	var req casestudy.SummaryInput
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	sum, err := s.cfg.Service.ArchiveCase(c.Request().Context(), currentUser(c).ID, communityID(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"summary": sum})
}

func (s *Server) handleUnarchiveCase(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	if err := s.cfg.Service.UnarchiveCase(c.Request().Context(), currentUser(c).ID, communityID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleCaseSummary(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	sum, err := s.cfg.Service.CaseSummary(c.Request().Context(), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"summary": sum})
}
