package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// handleHealthz says the process is alive; it checks nothing else, so an orchestrator restarts
// the process only when the process itself is stuck.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz says whether this instance can serve: the database must answer.
func (s *Server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.DB.PingContext(ctx); err != nil {
		s.logger(c).Warn("not ready: database unreachable", "err", err)
		return casestudy.Errorf(casestudy.EUNAVAILABLE, "The database cannot be reached.")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
