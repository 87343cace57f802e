package server

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// statusOf maps each domain error code to its HTTP status.
var statusOf = map[string]int{
	casestudy.EINVALID:      http.StatusBadRequest,
	casestudy.EUNAUTHORIZED: http.StatusUnauthorized,
	casestudy.EFORBIDDEN:    http.StatusForbidden,
	casestudy.ENOTFOUND:     http.StatusNotFound,
	casestudy.ECONFLICT:     http.StatusConflict,
	casestudy.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	casestudy.EVALIDATION:   http.StatusUnprocessableEntity,
	casestudy.ERATELIMITED:  http.StatusTooManyRequests,
	casestudy.EUNAVAILABLE:  http.StatusServiceUnavailable,
	casestudy.EINTERNAL:     http.StatusInternalServerError,
}

// codeOfStatus maps statuses raised by Echo itself (unknown route, body too large, …) to codes.
var codeOfStatus = map[int]string{
	http.StatusBadRequest:            casestudy.EINVALID,
	http.StatusUnauthorized:          casestudy.EUNAUTHORIZED,
	http.StatusForbidden:             casestudy.EFORBIDDEN,
	http.StatusNotFound:              casestudy.ENOTFOUND,
	http.StatusMethodNotAllowed:      casestudy.ENOTFOUND,
	http.StatusConflict:              casestudy.ECONFLICT,
	http.StatusRequestEntityTooLarge: casestudy.ETOOLARGE,
	http.StatusUnsupportedMediaType:  casestudy.EINVALID,
	http.StatusUnprocessableEntity:   casestudy.EVALIDATION,
	http.StatusTooManyRequests:       casestudy.ERATELIMITED,
	http.StatusServiceUnavailable:    casestudy.EUNAVAILABLE,
}

// errorBody is the JSON shape of every error: {"error":{"code","message","field"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Details is more for the client to act on, the same over HTTP and WebSocket (see
	// clientDetails): the undecided anonymiser findings ({"findings": [...]}, 422), or the
	// phase and policy behind a refused post.
	Details any `json:"details,omitempty"`
}

// clientDetails is a domain error's details as clients receive them, over HTTP and in
// WebSocket error frames alike: open findings as {"findings": [...]}, anything else as it is.
func clientDetails(e *casestudy.Error) any {
	if open, ok := e.Details.(casestudy.OpenFindingsError); ok {
		return map[string]any{"findings": open.Findings}
	}
	return e.Details
}

// handleError is Echo's HTTPErrorHandler: the one place where errors become responses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, detail := s.describe(err, c)
	if domainErr := casestudy.AsError(err); domainErr != nil && domainErr.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(domainErr.RetryAfter.Seconds()))))
	}
	if wantsHTML(c) {
		s.renderErrorPage(c, status, detail)
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, errorBody{Error: detail})
}

func (s *Server) describe(err error, c echo.Context) (int, errorDetail) {
	if domainErr := casestudy.AsError(err); domainErr != nil {
		status, ok := statusOf[domainErr.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		switch {
		case status == http.StatusInternalServerError:
			// A database fault the domain classified: its operation and cause go to the log.
			s.logger(c).Error("internal error", "route", routeLabel(c), "err", err)
		case status == http.StatusServiceUnavailable && domainErr.Err != nil:
			s.logger(c).Warn("database unavailable", "route", routeLabel(c), "op", domainErr.Op, "err", domainErr.Err)
		}
		detail := errorDetail{Code: domainErr.Code, Message: domainErr.Message, Field: domainErr.Field}
		detail.Details = clientDetails(domainErr)
		return status, detail
	}
	var httpErr *echo.HTTPError
	if errors.As(err, &httpErr) {
		if code, ok := codeOfStatus[httpErr.Code]; ok {
			return httpErr.Code, errorDetail{Code: code, Message: publicMessage(httpErr)}
		}
	}
	// Anything else is our fault: log it with the request id, say nothing specific.
	s.logger(c).Error("internal error", "route", routeLabel(c), "err", err)
	return http.StatusInternalServerError, errorDetail{Code: casestudy.EINTERNAL, Message: "Something went wrong on our side; it has been logged."}
}

func publicMessage(e *echo.HTTPError) string {
	switch e.Code {
	case http.StatusNotFound:
		return "Not found."
	case http.StatusMethodNotAllowed:
		return "Not found."
	case http.StatusRequestEntityTooLarge:
		return "The request body is too large."
	}
	if msg, ok := e.Message.(string); ok && msg != "" {
		return msg
	}
	return http.StatusText(e.Code)
}

// wantsHTML is true for a browser navigating to a page, as opposed to an API call or a probe.
func wantsHTML(c echo.Context) bool {
	r := c.Request()
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/api/") || isProbe(c) {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
