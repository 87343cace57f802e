package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// registerSessionRoutes adds the live session of a case room: start, steer, read. Its changes
// reach everyone in the room as events of the room's stream (docs/protocol.md).
func (s *Server) registerSessionRoutes(g *echo.Group) {
	commandLimit := s.userLimit("session.command")
	g.GET("/cases/:id/session", s.handleGetSession)
	g.POST("/cases/:id/session", s.handleStartSession, commandLimit)
	g.POST("/cases/:id/session/commands", s.handleSessionCommand, commandLimit)
	g.POST("/cases/:id/session/learning", s.handleAddLearningPoint, s.userLimit("session.learning"))
	g.GET("/cases/:id/session/records", s.handleSessionRecords)
}

// handleAddLearningPoint: POST …/session/learning {"kind": "learning"|"action", "function":
// "formative", "body": "…", "decisions": {…}}, in the session's last phase.
func (s *Server) handleAddLearningPoint(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	var req casestudy.NewLearningPoint
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.cfg.Service.AddLearningPoint(c.Request().Context(), currentUser(c).ID, communityID(c), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"event": ev})
}

func (s *Server) handleSessionRecords(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	records, err := s.cfg.Service.SessionRecords(c.Request().Context(), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"records": records})
}

func (s *Server) handleGetSession(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	v, err := s.cfg.Service.LiveSession(c.Request().Context(), currentUser(c).ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": v})
}

// handleStartSession: POST …/session {"template": "default", "presenter_id": 0}. The first
// turn order is made of the members in the room now.
func (s *Server) handleStartSession(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	var req casestudy.StartSessionInput
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.cfg.Service.StartSession(c.Request().Context(), currentUser(c).ID, communityID(c), id, req, s.hub.Present(id))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"event": ev})
}

// handleSessionCommand: POST …/session/commands {"action": "advance"} (or pause, resume,
// extend with "minutes", skip_turn, grant_floor with "user_id", withdraw_floor, take_over, end,
// raise_hand, lower_hand).
func (s *Server) handleSessionCommand(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	var req casestudy.SessionCommand
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.cfg.Service.ControlSession(c.Request().Context(), currentUser(c).ID, communityID(c), id, req, s.hub.Present(id))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"event": ev})
}
