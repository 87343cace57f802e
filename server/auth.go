package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

const (
	cookiePlain  = "casecircle_session"
	cookieSecure = "__Host-casecircle_session" // __Host-: Secure, Path=/, no Domain: cannot be planted by a subdomain
	ctxUser      = "casecircle.user"
	ctxToken     = "casecircle.token"
	ctxRole      = "casecircle.role"
	ctxCommunity = "casecircle.community_id"
)

func (s *Server) secure(c echo.Context) bool { return s.cfg.SecureCookies || c.Request().TLS != nil }

func (s *Server) cookieName(c echo.Context) string {
	if s.secure(c) {
		return cookieSecure
	}
	return cookiePlain
}

func (s *Server) setSessionCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(c), Value: token, Path: "/", HttpOnly: true, Secure: s.secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: int(casestudy.MaxSignInAge / time.Second),
	})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.cookieName(c), Value: "", Path: "/", HttpOnly: true, Secure: s.secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// loadUser identifies the signed-in user, if any, from the session cookie. Failing that the
// request goes on anonymously; routes that need a user say so with requireUser.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isProbe(c) || c.Path() == "/static/*" {
			return next(c) // no session lookup for probes and immutable assets
		}
		cookie, err := c.Cookie(s.cookieName(c))
		if err != nil || cookie.Value == "" {
			return next(c)
		}
		u, err := s.cfg.Service.Authenticate(c.Request().Context(), cookie.Value)
		switch casestudy.ErrorCode(err) {
		case "":
			c.Set(ctxUser, &u)
			c.Set(ctxToken, cookie.Value)
			// Pages for a signed-in user are private: never kept by shared or browser caches.
			c.Response().Header().Set("Cache-Control", "no-store")
		case casestudy.EUNAUTHORIZED:
			s.clearSessionCookie(c)
		default:
			return err
		}
		return next(c)
	}
}

func currentUser(c echo.Context) *casestudy.User {
	u, _ := c.Get(ctxUser).(*casestudy.User)
	return u
}

func signInToken(c echo.Context) string {
	t, _ := c.Get(ctxToken).(string)
	return t
}

// requireUser refuses anonymous requests with 401.
func requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			return casestudy.Errorf(casestudy.EUNAUTHORIZED, "Please sign in.")
		}
		return next(c)
	}
}

// requireMember is the one authorization gate of every /communities/:cid route: the caller must
// be a member, or gets 404 whatever the community's existence. Handlers then check roles.
func (s *Server) requireMember(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if u == nil {
			return casestudy.Errorf(casestudy.EUNAUTHORIZED, "Please sign in.")
		}
		cid, err := strconv.ParseInt(c.Param("cid"), 10, 64)
		if err != nil || cid <= 0 {
			return casestudy.Errorf(casestudy.ENOTFOUND, "No such community.")
		}
		role, err := s.cfg.Service.Membership(c.Request().Context(), u.ID, cid)
		if err != nil {
			return err
		}
		c.Set(ctxCommunity, cid)
		c.Set(ctxRole, role)
		return next(c)
	}
}

func communityID(c echo.Context) int64 {
	id, _ := c.Get(ctxCommunity).(int64)
	return id
}

// rateLimit answers 429 with Retry-After once the client IP has used its allowance.
func rateLimit(l *limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ok, wait := l.allow(c.RealIP()); !ok {
				return &casestudy.Error{Code: casestudy.ERATELIMITED, Message: "Too many attempts from your network; try again shortly.", RetryAfter: wait}
			}
			return next(c)
		}
	}
}

// crossOriginProtection refuses state-changing requests made by a browser from another origin
// (CSRF), using Go's http.CrossOriginProtection: Sec-Fetch-Site, else Origin against Host.
func (s *Server) crossOriginProtection() (echo.MiddlewareFunc, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range s.cfg.AllowedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return casestudy.Errorf(casestudy.EFORBIDDEN, "Cross-origin request refused.")
			}
			return next(c)
		}
	}, nil
}

// originAllowed is the Origin check for WebSocket upgrades: this server's own host, or one of
// the configured --allowed-origin values. Browsers always send Origin on upgrades.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// safeNext returns a local path to go back to after signing in, or "/" for anything else.
// It accepts only what parses as a path on this origin: no scheme, no host, no "//" or "\"
// that a browser would read as another host, and no control characters or spaces at all,
// because browsers strip tabs and newlines from URLs before they resolve them.
func safeNext(next string) string {
	for _, r := range next {
		if r <= ' ' || r == 0x7f || r == '\\' || !unicode.IsPrint(r) {
			return "/"
		}
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return u.String()
}

var errNoService = errors.New("server: Config.Service is required")
