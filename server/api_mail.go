package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server/ics"
	"github.com/casecircle/casecircle/server/mailer"
	"github.com/casecircle/casecircle/server/pusher"
)

// startBackground runs the server's own background work until Close: the mail worker (when
// mail is on) and the attendance sampler.
func (s *Server) startBackground() error {
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	s.stopBackground = func() { cancel(); done.Wait() }
	if s.cfg.Mail != nil {
		w, err := s.mailWorker()
		if err != nil {
			return err
		}
		done.Go(func() {
			if err := w.Run(ctx); err != nil {
				s.log.Error("mail worker stopped", "err", err)
			}
		})
	}
	if s.cfg.VAPIDPublicKey != "" {
		p, err := pusher.New(pusher.Config{DB: s.cfg.DB, Service: s.cfg.Service, PublicKey: s.cfg.VAPIDPublicKey, PrivateKey: s.cfg.VAPIDPrivateKey,
			Subject: s.cfg.VAPIDSubject, PublicURL: strings.TrimSuffix(s.cfg.PublicURL, "/"), HTTPClient: s.cfg.PushHTTPClient,
			Logger: s.cfg.Logger, PollInterval: s.cfg.MailPollInterval})
		if err != nil {
			return err
		}
		done.Go(func() {
			if err := p.Run(ctx); err != nil {
				s.log.Error("push worker stopped", "err", err)
			}
		})
	}
	done.Go(func() { s.sampleAttendance(ctx) })
	return nil
}

// sampleAttendance records, every AttendanceSlot, who has the room of a live session open on
// this process (each process its own sockets).
func (s *Server) sampleAttendance(ctx context.Context) {
	every := s.cfg.AttendanceEvery
	if every <= 0 {
		every = casestudy.AttendanceSlot
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		present := s.hub.LocalPresence()
		if len(present) == 0 {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := s.cfg.Service.RecordAttendance(rctx, present); err != nil && ctx.Err() == nil {
			s.log.Warn("recording attendance", "err", err)
		}
		cancel()
	}
}

// mailWorker builds the worker that sends the outbox.
func (s *Server) mailWorker() (*mailer.Worker, error) {
	return mailer.New(mailer.Config{
		DB: s.cfg.DB, Service: s.cfg.Service, Sender: s.cfg.Mail, From: s.cfg.MailFrom, PublicURL: s.cfg.PublicURL,
		Logger: s.cfg.Logger, PollInterval: s.cfg.MailPollInterval, Backoff: s.cfg.MailBackoff, Metrics: s.metrics,
	})
}

// resetRequestsPerMinute is how many reset mails one client IP may ask for a minute.
const resetRequestsPerMinute = 5

func (s *Server) registerMailRoutes(e *echo.Echo, api *echo.Group) {
	resetLimit := rateLimit(newLimiter(resetRequestsPerMinute, time.Minute/resetRequestsPerMinute, s.cfg.Clock))
	api.POST("/auth/reset", s.handleRequestReset, resetLimit)
	api.POST("/me/verify-email", s.handleResendVerification, requireUser, s.userLimit("verify.resend"))
	api.POST("/me/email", s.handleChangeEmail, requireUser, s.userLimit("verify.resend"))
	api.GET("/me/calendar", s.handleMyCalendar, requireUser)
	api.POST("/me/calendar/renew", s.handleRenewCalendar, requireUser, s.userLimit("calendar.renew"))
	api.DELETE("/me/calendar", s.handleRevokeCalendar, requireUser)
	api.GET("/me/schedule", s.handleMySchedule, requireUser)

	e.GET("/calendar/:file", s.handleCalendarFeed)
	e.GET("/verify/:token", s.handleVerifyPage)
	e.GET("/unsubscribe/:token", s.handleUnsubscribePage)
	e.POST("/unsubscribe/:token", s.handleUnsubscribe)
	e.GET("/forgot", s.handleForgotPage)
	if s.cfg.DemoMailbox != nil {
		e.GET("/demo/mailbox", s.handleDemoMailbox)
	}
}

// handleRequestReset: {"email"} → 202 whatever the address, so that nobody learns who has an
// account; the mail goes only to an account's own address, at most every two minutes.
func (s *Server) handleRequestReset(c echo.Context) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Service.RequestReset(c.Request().Context(), req.Email); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"status": "accepted",
		"message": "If an account has this address, a link to choose a new password is on its way. It works for an hour."})
}

func (s *Server) handleResendVerification(c echo.Context) error {
	if err := s.cfg.Service.ResendVerification(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"status": "sent"})
}

// handleChangeEmail: {"email", "password"} → 202 when a link to the new address must prove it
// first (mail on), 200 when the address changed at once (mail off).
func (s *Server) handleChangeEmail(c echo.Context) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	pending, err := s.cfg.Service.ChangeEmail(c.Request().Context(), signInToken(c), req.Password, req.Email)
	if err != nil {
		return err
	}
	if pending {
		return c.JSON(http.StatusAccepted, map[string]string{"status": "confirm",
			"message": "Follow the link we sent to the new address: your address changes then."})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "changed"})
}

func (s *Server) calendarURL(secret string) string {
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/calendar/" + secret + ".ics"
}

// handleMyCalendar: the person's calendar feed URL, made on first request.
func (s *Server) handleMyCalendar(c echo.Context) error {
	secret, err := s.cfg.Service.CalendarFeed(c.Request().Context(), currentUser(c).ID, false)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"url": s.calendarURL(secret)})
}

// handleRenewCalendar: a new URL; the old one stops working.
func (s *Server) handleRenewCalendar(c echo.Context) error {
	secret, err := s.cfg.Service.CalendarFeed(c.Request().Context(), currentUser(c).ID, true)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"url": s.calendarURL(secret)})
}

func (s *Server) handleRevokeCalendar(c echo.Context) error {
	if err := s.cfg.Service.RevokeCalendarFeed(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleMySchedule: the meetings of all the person's communities, ?from=&to= (RFC 3339; default
// from a day ago for 60 days).
func (s *Server) handleMySchedule(c echo.Context) error {
	from, to, err := scheduleWindow(c)
	if err != nil {
		return err
	}
	list, err := s.cfg.Service.MyOccurrences(c.Request().Context(), currentUser(c).ID, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"meetings": list})
}

// handleCalendarFeed serves /calendar/{secret}.ics to calendar apps, which send no cookie.
func (s *Server) handleCalendarFeed(c echo.Context) error {
	secret, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok || secret == "" || len(secret) > 128 {
		return casestudy.Errorf(casestudy.ENOTFOUND, "No such calendar.")
	}
	list, err := s.cfg.Service.FeedOccurrences(c.Request().Context(), secret)
	if err != nil {
		return err
	}
	cal := ics.Calendar{Method: ics.Publish, Name: "casecircle", Host: s.publicHost(), BaseURL: strings.TrimSuffix(s.cfg.PublicURL, "/"), Now: time.Now()}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("Referrer-Policy", "no-referrer")
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", cal.Write(list))
}

func (s *Server) publicHost() string {
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "casecircle.invalid"
}

func (s *Server) handleVerifyPage(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	if err := s.cfg.Service.VerifyEmail(c.Request().Context(), c.Param("token")); err != nil {
		if casestudy.ErrorCode(err) == casestudy.ENOTFOUND {
			return s.notice(c, http.StatusNotFound, "This link does not work", errorText(err))
		}
		return err
	}
	return s.notice(c, http.StatusOK, "Address confirmed", "Thank you: your e-mail address is confirmed.")
}

// handleUnsubscribePage shows a button rather than acting on GET: mail scanners follow links.
func (s *Server) handleUnsubscribePage(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.render(c, http.StatusOK, "unsubscribe", newPageData(c, struct{ Token string }{c.Param("token")}))
}

// handleUnsubscribe is the one-click unsubscribe (RFC 8058): a POST from the mail app or the
// page's button; no sign-in, the signed token is the authority.
func (s *Server) handleUnsubscribe(c echo.Context) error {
	kind, err := s.cfg.Service.Unsubscribe(c.Request().Context(), c.Param("token"))
	if err != nil {
		if casestudy.ErrorCode(err) == casestudy.ENOTFOUND {
			return s.notice(c, http.StatusNotFound, "This link does not work", errorText(err))
		}
		return err
	}
	what := map[string]string{casestudy.NotifySessionReminders: "reminders before sessions",
		casestudy.NotifySessionChanges: "mail about sessions scheduled, changed or cancelled",
		casestudy.NotifyMention:        "mail when someone mentions you", casestudy.NotifyReply: "mail when someone replies to you",
		"digest": "the digest"}[kind]
	return s.notice(c, http.StatusOK, "Unsubscribed", "You will no longer receive "+what+" by e-mail. Your account page lets you switch them on again.")
}

func (s *Server) handleForgotPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "forgot", newPageData(c, struct{ MailOn bool }{s.cfg.Service.MailEnabled()}))
}

func (s *Server) handleDemoMailbox(c echo.Context) error {
	return s.render(c, http.StatusOK, "mailbox", newPageData(c, s.cfg.DemoMailbox.Messages()))
}

func errorText(err error) string {
	if e, ok := err.(*casestudy.Error); ok {
		return e.Message
	}
	return "Something went wrong."
}

// notice renders a page with a title and a sentence.
func (s *Server) notice(c echo.Context, status int, title, message string) error {
	d := newPageData(c, nil)
	d.Title, d.Message = title, message
	return s.render(c, status, "notice", d)
}
