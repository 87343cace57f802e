package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// registerRoomRoutes adds a case room's HTTP side: its event stream for first loads and after a
// gap too large to resume over a WebSocket, and posting, editing and deleting messages.
func (s *Server) registerRoomRoutes(g *echo.Group) {
	postLimit := s.userLimit("message.write")
	g.GET("/cases/:id/events", s.handleRoomEvents)
	g.GET("/cases/:id/messages", s.handleRoomThreads)
	g.PUT("/cases/:id/read", s.handleMarkRead, postLimit)
	g.POST("/cases/:id/messages", s.handlePostMessage, postLimit)
	g.PUT("/cases/:id/messages/:mid", s.handleEditMessage, postLimit)
	g.DELETE("/cases/:id/messages/:mid", s.handleDeleteMessage, postLimit)
	// The composer asks while one types (debounced): findings before anything is sent.
	g.POST("/cases/:id/messages/anonymise", s.handleAnonymiseMessage, s.userLimit("message.anonymise"))
	g.GET("/cases/:id/messages/:mid/revisions", s.handleListMessageRevisions)
	g.POST("/cases/:id/messages/:mid/revisions/:version/redact", s.handleRedactMessageRevision, postLimit)
}

// handleAnonymiseMessage: POST …/messages/anonymise {"body"} → the body's findings with the
// case's label book, and a redacted preview. Nothing is stored; the answer is never cached.
func (s *Server) handleAnonymiseMessage(c echo.Context) error {
	id, err := idParam(c, "id", "room")
	if err != nil {
		return err
	}
	var req struct {
		Body string `json:"body"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, err := s.cfg.Service.AnonymiseMessage(c.Request().Context(), currentUser(c).ID, communityID(c), id, req.Body)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, p)
}

func (s *Server) handleListMessageRevisions(c echo.Context) error {
	id, mid, err := messageParams(c)
	if err != nil {
		return err
	}
	revs, err := s.cfg.Service.ListMessageRevisions(c.Request().Context(), currentUser(c).ID, communityID(c), id, mid)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"revisions": revs})
}

func (s *Server) handleRedactMessageRevision(c echo.Context) error {
	id, mid, err := messageParams(c)
	if err != nil {
		return err
	}
	version, err := idParam(c, "version", "version")
	if err != nil {
		return err
	}
	if err := s.cfg.Service.RedactMessageRevision(c.Request().Context(), currentUser(c).ID, communityID(c), id, mid, int(version)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"redacted": version})
}

// handleRoomEvents: GET …/events?after={seq}&limit={n} (the page after a seq) or
// ?before={seq}&limit={n} (the page before it), oldest first, with the room's head.
func (s *Server) handleRoomEvents(c echo.Context) error {
	id, err := idParam(c, "id", "room")
	if err != nil {
		return err
	}
	after, err := int64Query(c, "after", 0, 0)
	if err != nil {
		return err
	}
	before, err := int64Query(c, "before", 0, 1)
	if err != nil {
		return err
	}
	if c.QueryParam("after") != "" && c.QueryParam("before") != "" {
		return casestudy.FieldErrorf("before", "Give after or before, not both.")
	}
	limit, err := int64Query(c, "limit", 200, 1)
	if err != nil || limit > casestudy.MaxEventsPage {
		return casestudy.FieldErrorf("limit", "Use a limit from 1 to %d.", casestudy.MaxEventsPage)
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	var events []casestudy.RoomEvent
	if before > 0 {
		events, err = s.cfg.Service.RoomEventsBefore(ctx, u.ID, communityID(c), id, before, int(limit))
	} else {
		events, err = s.cfg.Service.RoomEvents(ctx, u.ID, communityID(c), id, after, int(limit))
	}
	if err != nil {
		return err
	}
	head, err := s.cfg.Service.RoomHead(ctx, u.ID, communityID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events, "head": head})
}

// handleRoomThreads: GET …/messages?before={message id}&limit={n}: a page of threads, newest
// first, each with its replies, plus the head and the caller's unread marker, read in one
// snapshot: subscribe after that head to miss nothing.
func (s *Server) handleRoomThreads(c echo.Context) error {
	id, err := idParam(c, "id", "room")
	if err != nil {
		return err
	}
	before, err := int64Query(c, "before", 0, 1)
	if err != nil {
		return err
	}
	limit, err := int64Query(c, "limit", 50, 1)
	if err != nil || limit > casestudy.MaxThreadsPage {
		return casestudy.FieldErrorf("limit", "Use a limit from 1 to %d.", casestudy.MaxThreadsPage)
	}
	snap, err := s.cfg.Service.RoomThreads(c.Request().Context(), currentUser(c).ID, communityID(c), id, before, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, snap)
}

// handleMarkRead: PUT …/read {"seq": n} moves the caller's unread marker forward.
func (s *Server) handleMarkRead(c echo.Context) error {
	id, err := idParam(c, "id", "room")
	if err != nil {
		return err
	}
	var req struct {
		Seq int64 `json:"seq"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	read, err := s.cfg.Service.MarkRead(c.Request().Context(), currentUser(c).ID, communityID(c), id, req.Seq)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"read_seq": read})
}

// int64Query parses an optional integer query parameter of at least min.
func int64Query(c echo.Context, name string, def, min int64) (int64, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < min {
		return 0, casestudy.FieldErrorf(name, "Use a whole number of %d or more.", min)
	}
	return v, nil
}

type messageRequest struct {
	ClientID  string              `json:"client_id"`
	ParentID  int64               `json:"parent_id"`
	Body      string              `json:"body"`
	Lens      casestudy.Lens      `json:"lens"`
	Decisions casestudy.Decisions `json:"decisions"`
	Mentions  []int64             `json:"mentions"`
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
		casestudy.NewMessage{ClientID: req.ClientID, ParentID: req.ParentID, Body: req.Body, Lens: req.Lens, Decisions: req.Decisions, Mentions: req.Mentions})
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
		Body          string              `json:"body"`
		Decisions     casestudy.Decisions `json:"decisions"`
		RedactEarlier bool                `json:"redact_earlier"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.cfg.Service.EditMessage(c.Request().Context(), currentUser(c).ID, communityID(c), id, mid, req.Body, req.Decisions, req.RedactEarlier)
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
