package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

const (
	headerRequestID = "X-Request-ID"
	ctxLogger       = "casecircle.logger"
	ctxRequestID    = "casecircle.request_id"
)

// An incoming request id is reused (so a proxy's id ties the logs together) only when it is
// short and plain, so nobody can smuggle text into our logs through it.
var plainRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID gives each request an id, returned in X-Request-ID and carried by every log line.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !plainRequestID.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Response().Header().Set(headerRequestID, id)
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, s.log.With("request_id", id))
		// The domain records the id in audit entries.
		c.SetRequest(c.Request().WithContext(casestudy.WithRequestID(c.Request().Context(), id)))
		return next(c)
	}
}

// logger is the request's logger, tagged with its request id.
func (s *Server) logger(c echo.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return s.log
}

// logRequests writes one line per request. It logs the route pattern, never the raw path or
// query: those can carry invitation tokens or search words, which are confidential.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the response now, so its status is the one logged
		}
		res := c.Response()
		level := slog.LevelInfo
		switch {
		case res.Status >= 500 && res.Status != http.StatusServiceUnavailable:
			level = slog.LevelError
		case res.Status >= 400: // 503 included: the database is away, not our code at fault
			level = slog.LevelWarn
		}
		if isProbe(c) && level == slog.LevelInfo {
			level = slog.LevelDebug // probes every few seconds would drown the log
		}
		s.logger(c).Log(c.Request().Context(), level, "request",
			"method", c.Request().Method,
			"route", routeLabel(c),
			"status", res.Status,
			"bytes", res.Size,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"remote_ip", c.RealIP(),
		)
		return nil
	}
}

func isProbe(c echo.Context) bool {
	switch c.Path() {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// routeLabel is the matched route pattern, e.g. "/api/v1/communities/:id", or "unmatched".
func routeLabel(c echo.Context) string {
	if p := c.Path(); p != "" && p != "/*" {
		return p
	}
	return "unmatched"
}

// contentSecurityPolicy allows only our own scripts, styles and connections: no inline script,
// no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		return next(c)
	}
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.logger(c).Error("panic while handling request", "route", routeLabel(c), "err", err, "stack", string(stack))
	return err
}

// validateParams refuses a query or path parameter that is not valid UTF-8 or holds a control
// character (a NUL from %00, an escape sequence): 422 naming the parameter, before any handler
// or the database sees it. PostgreSQL refuses both in text and would answer a 500.
func validateParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		bad := func(s string) bool { return !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) }
		for name, values := range c.QueryParams() {
			if bad(name) {
				return casestudy.FieldErrorf(strings.ToValidUTF8(name, "?"), "Unknown parameter.")
			}
			for _, v := range values {
				if bad(v) {
					return casestudy.FieldErrorf(name, "Use letters, digits, spaces and punctuation only.")
				}
			}
		}
		for i, name := range c.ParamNames() {
			if v := c.ParamValues()[i]; bad(v) {
				return casestudy.FieldErrorf(name, "Use letters, digits, spaces and punctuation only.")
			}
		}
		return next(c)
	}
}
