package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// rateSpec is a token bucket: Burst requests at once, then one more every Every.
type rateSpec struct {
	Burst int
	Every time.Duration
}

// perUserLimits bound what one signed-in person can make the server do, per process: each
// write that costs CPU, storage or other people's attention, and search. Beyond a limit the
// answer is 429 rate_limited with Retry-After. docs/security.md lists them; a test keeps the
// two equal.
var perUserLimits = map[string]rateSpec{
	"community.create":          {Burst: 5, Every: time.Minute},
	"community.change":          {Burst: 20, Every: 3 * time.Second}, // members, policy, rename, delete
	"invitation.create":         {Burst: 20, Every: 6 * time.Second},
	"reset_link.create":         {Burst: 10, Every: 30 * time.Second},
	"template.write":            {Burst: 20, Every: 6 * time.Second},
	"case.write":                {Burst: 30, Every: 2 * time.Second}, // anonymise, save, redact
	"message.write":             {Burst: 20, Every: time.Second},     // post, edit, delete, read marks
	"message.anonymise":         {Burst: 60, Every: 500 * time.Millisecond},
	"session.command":           {Burst: 20, Every: time.Second}, // start, steer, hands
	"session.learning":          {Burst: 10, Every: 3 * time.Second},
	"archive.write":             {Burst: 20, Every: 3 * time.Second},
	"export":                    {Burst: 10, Every: 6 * time.Second},
	"search":                    {Burst: 30, Every: time.Second},
	"schedule.answer":           {Burst: 30, Every: time.Second}, // RSVPs
	"verify.resend":             {Burst: 3, Every: time.Minute},
	"calendar.renew":            {Burst: 5, Every: time.Minute},
	"notifications.read":        {Burst: 30, Every: time.Second},
	"notifications.preferences": {Burst: 20, Every: 3 * time.Second},
}

// userLimit returns the middleware applying the named per-user limit. Each call makes its own
// buckets, so a limit shared by several routes must be made once and passed to each.
func (s *Server) userLimit(name string) echo.MiddlewareFunc {
	spec, ok := perUserLimits[name]
	if !ok {
		panic("server: no per-user limit named " + name)
	}
	return userRateLimit(newLimiter(spec.Burst, spec.Every, s.cfg.Clock))
}

// userRateLimit limits per signed-in user rather than per network.
func userRateLimit(l *limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ok, wait := l.allow("user:" + strconv.FormatInt(currentUser(c).ID, 10)); !ok {
				return &casestudy.Error{Code: casestudy.ERATELIMITED, Message: "Too many requests; try again shortly.", RetryAfter: wait}
			}
			return next(c)
		}
	}
}
