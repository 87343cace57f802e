package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// registerCaseRoutes adds the case-study API under /communities/:cid (members only, through
// requireMember; the service checks visibility and authorship again).
func (s *Server) registerCaseRoutes(g *echo.Group) {
	// Anonymising and saving cost some CPU.
	writeLimit := s.userLimit("case.write")
	g.GET("/cases", s.handleListCases)
	g.POST("/cases/anonymise", s.handleAnonymiseCase, writeLimit)
	g.POST("/cases", s.handleCreateCase, writeLimit)
	g.GET("/cases/:id", s.handleGetCase)
	g.PUT("/cases/:id", s.handleUpdateCase, writeLimit)
	g.POST("/cases/:id/withdraw", s.handleWithdrawCase, writeLimit)
	g.GET("/cases/:id/revisions", s.handleListCaseRevisions)
	g.POST("/cases/:id/revisions/:version/redact", s.handleRedactCaseRevision, writeLimit)
	s.registerRoomRoutes(g)
	s.registerSessionRoutes(g)
}

type caseRequest struct {
	Case          casestudy.CaseInput  `json:"case"`
	Decisions     casestudy.Decisions  `json:"decisions"`
	Action        casestudy.SaveAction `json:"action"`
	Attest        bool                 `json:"attest"`
	RedactEarlier bool                 `json:"redact_earlier"`
}

func (r caseRequest) save() casestudy.SaveCase {
	return casestudy.SaveCase{Input: r.Case, Decisions: r.Decisions, Action: r.Action, Attest: r.Attest, RedactEarlier: r.RedactEarlier}
}

// handleAnonymiseCase: POST …/cases/anonymise {"case", "case_id"?}. With the id of the author's
// case being edited, the case's label book is used and the answer also lists the earlier versions
// that still hold one of the texts found ("earlier_versions_holding"), which the composer offers
// to redact in the same save.
func (s *Server) handleAnonymiseCase(c echo.Context) error {
	var req struct {
		Case   casestudy.CaseInput `json:"case"`
		CaseID int64               `json:"case_id"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.CaseID < 0 {
		return casestudy.FieldErrorf("case_id", "Not a valid case id.")
	}
	p, err := s.cfg.Service.AnonymiseCase(c.Request().Context(), currentUser(c).ID, communityID(c), req.CaseID, req.Case)
	if err != nil {
		return err
	}
	// The preview holds the author's raw text: it must never be cached anywhere.
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, p)
}

func (s *Server) handleRedactCaseRevision(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	version, err := idParam(c, "version", "version")
	if err != nil {
		return err
	}
	rev, err := s.cfg.Service.RedactCaseRevision(c.Request().Context(), currentUser(c).ID, communityID(c), id, int(version))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"revision": rev})
}

func (s *Server) handleCreateCase(c echo.Context) error {
	var req caseRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cs, err := s.cfg.Service.CreateCase(c.Request().Context(), currentUser(c).ID, communityID(c), req.save())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"case": cs})
}

func (s *Server) handleUpdateCase(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	var req caseRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cs, err := s.cfg.Service.UpdateCase(c.Request().Context(), currentUser(c).ID, communityID(c), id, req.save())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"case": cs})
}

func (s *Server) handleGetCase(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	cs, err := s.cfg.Service.ViewCase(c.Request().Context(), signInToken(c), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"case": cs})
}

func (s *Server) handleWithdrawCase(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	cs, err := s.cfg.Service.WithdrawCase(c.Request().Context(), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"case": cs})
}

func (s *Server) handleListCaseRevisions(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	revs, err := s.cfg.Service.ListCaseRevisions(c.Request().Context(), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"revisions": revs})
}

func (s *Server) handleListCases(c echo.Context) error {
	f, err := caseFilterFrom(c)
	if err != nil {
		return err
	}
	page, err := s.cfg.Service.ListCases(c.Request().Context(), currentUser(c).ID, communityID(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
