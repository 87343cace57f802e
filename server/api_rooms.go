package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// registerRoomRoutes adds a case room's HTTP side: its event stream for first loads and after a
// gap too large to resume over a WebSocket, and posting, editing and deleting messages.
func (s *Server) registerRoomRoutes(g *echo.Group) {
	postLimit := userRateLimit(newLimiter(20, time.Second, s.cfg.Clock))
	g.GET("/cases/:id/events", s.handleRoomEvents)
	g.POST("/cases/:id/messages", s.handlePostMessage, postLimit)
	g.PUT("/cases/:id/messages/:mid", s.handleEditMessage, postLimit)
	g.DELETE("/cases/:id/messages/:mid", s.handleDeleteMessage, postLimit)
}

// handleRoomEvents: GET …/events?after={seq}&limit={n}, oldest first, with the room's head.
func (s *Server) handleRoomEvents(c echo.Context) error {
	id, err := idParam(c, "id", "room")
	if err != nil {
		return err
	}
	var after int64
	if a := c.QueryParam("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			return casestudy.FieldErrorf("after", "Use a sequence number of 0 or more.")
		}
	}
	limit := 200
	if l := c.QueryParam("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > casestudy.MaxEventsPage {
			return casestudy.FieldErrorf("limit", "Use a limit from 1 to %d.", casestudy.MaxEventsPage)
		}
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	events, err := s.cfg.Service.RoomEvents(ctx, u.ID, communityID(c), id, after, limit)
	if err != nil {
		return err
	}
	head, err := s.cfg.Service.RoomHead(ctx, u.ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events, "head": head})
}

type messageRequest struct {
	ClientID  string              `json:"client_id"`
	ParentID  int64               `json:"parent_id"`
	Body      string              `json:"body"`
	Lens      casestudy.Lens      `json:"lens"`
	Decisions casestudy.Decisions `json:"decisions"`
}

func (s *Server) handlePostMessage(c echo.Context) error {
	id, err := idParam(c, "id", "room")
	if err != nil {
		return err
	}
	var req messageRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.cfg.Service.PostMessage(c.Request().Context(), currentUser(c).ID, communityID(c), id,
		casestudy.NewMessage{ClientID: req.ClientID, ParentID: req.ParentID, Body: req.Body, Lens: req.Lens, Decisions: req.Decisions})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"event": ev})
}

func (s *Server) handleEditMessage(c echo.Context) error {
	id, mid, err := messageParams(c)
	if err != nil {
		return err
	}
	var req struct {
		Body      string              `json:"body"`
		Decisions casestudy.Decisions `json:"decisions"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.cfg.Service.EditMessage(c.Request().Context(), currentUser(c).ID, communityID(c), id, mid, req.Body, req.Decisions)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"event": ev})
}

func (s *Server) handleDeleteMessage(c echo.Context) error {
	id, mid, err := messageParams(c)
	if err != nil {
		return err
	}
	ev, err := s.cfg.Service.DeleteMessage(c.Request().Context(), currentUser(c).ID, communityID(c), id, mid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"event": ev})
}

// messageParams parses the room and message ids of a message route.
func messageParams(c echo.Context) (room, message int64, err error) {
	if room, err = idParam(c, "id", "room"); err != nil {
		return 0, 0, err
	}
	message, err = idParam(c, "mid", "message")
	return room, message, err
}
