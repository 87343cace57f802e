package server

import (
	"net/http"

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
	f, err := archiveFilter(c, 50)
	if err != nil {
		return err
	}
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
