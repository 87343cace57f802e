// Package mailer sends the mail outbox: a pool of gue workers locks one queued message at a
// time (FOR UPDATE SKIP LOCKED, so several processes share the queue and none sends a message
// another holds), asks the domain what the message needs as of now, writes it as text and
// HTML in the community's voice, and hands it to the sender. A failure leaves the job to be
// tried again with exponential backoff; a message no longer wanted (its recipient left, the
// meeting is gone) is dropped.
//
// Delivery is at least once: if a process dies after the SMTP server accepted a message and
// before its job is deleted, the message goes again, with the same Message-ID.
package mailer

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vgarvardt/gue/v5"
	"github.com/vgarvardt/gue/v5/adapter/libpq"
	slogadapter "github.com/vgarvardt/gue/v5/adapter/slog"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/mail"
	"github.com/casecircle/casecircle/server/ics"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

// Config wires a Worker.
type Config struct {
	DB        *sqlx.DB
	Service   *casestudy.Service
	Sender    mail.Sender
	From      string // the From address, also the calendar's organiser
	PublicURL string // links start with it
	Logger    *slog.Logger
	// Workers is how many messages this process sends at once (default 2).
	Workers int
	// PollInterval is how often an idle worker looks for mail (default 1s).
	PollInterval time.Duration
	// Backoff overrides the retry delays (tests).
	Backoff gue.Backoff
	Now     func() time.Time
	Metrics prometheus.Registerer
}

// MaxAttempts is how many times a message is tried before it is given up (about a day with
// the default backoff, capped at an hour between tries).
const MaxAttempts = 30

// Worker sends queued mail until its context ends.
type Worker struct {
	cfg  Config
	pool *gue.WorkerPool
	text *texttemplate.Template
	html map[casestudy.MailKind]*htmltemplate.Template
	host string
	m    metrics
}

// New builds a worker; Run starts it.
func New(cfg Config) (*Worker, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Worker{cfg: cfg, html: map[casestudy.MailKind]*htmltemplate.Template{}, m: newMetrics(cfg.Metrics)}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		w.host = u.Hostname()
	} else {
		w.host = "casecircle.invalid"
	}
	if err := w.parseTemplates(); err != nil {
		return nil, err
	}
	backoff := cfg.Backoff
	if backoff == nil {
		backoff = gue.DefaultExponentialBackoff
	}
	giveUp := func(retries int) time.Duration {
		if retries >= MaxAttempts {
			return -1
		}
		return backoff(retries)
	}
	client, err := gue.NewClient(libpq.NewConnPool(cfg.DB.DB), gue.WithClientBackoff(giveUp),
		gue.WithClientLogger(slogadapter.New(cfg.Logger.With("component", "mail"))))
	if err != nil {
		return nil, err
	}
	w.pool, err = gue.NewWorkerPool(client, gue.WorkMap{casestudy.MailJobType: w.work}, cfg.Workers,
		gue.WithPoolQueue(casestudy.MailQueue), gue.WithPoolPollInterval(cfg.PollInterval),
		gue.WithPoolLogger(slogadapter.New(cfg.Logger.With("component", "mail"))),
		gue.WithPoolHooksJobDone(w.jobDone))
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Run sends mail until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	err := w.pool.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (w *Worker) jobDone(_ context.Context, j *gue.Job, err error) {
	if err == nil {
		return
	}
	w.m.failed.Inc()
	// The kind and attempt, never the recipient or the token.
	var job casestudy.MailJob
	_ = json.Unmarshal(j.Args, &job)
	level := slog.LevelWarn
	msg := "sending mail failed; it will be tried again"
	if int(j.ErrorCount)+1 >= MaxAttempts {
		level, msg = slog.LevelError, "sending mail failed for the last time; it is given up"
	}
	w.cfg.Logger.Log(context.Background(), level, msg, "kind", job.Kind, "attempt", j.ErrorCount+1, "err", err)
}

// work sends one queued message.
func (w *Worker) work(ctx context.Context, j *gue.Job) error {
	var job casestudy.MailJob
	if err := json.Unmarshal(j.Args, &job); err != nil {
		return fmt.Errorf("unreadable mail job: %w", err)
	}
	prepared, err := w.cfg.Service.PrepareMail(ctx, job)
	if errors.Is(err, casestudy.ErrMailNotWanted) {
		w.m.dropped.Inc()
		return nil
	}
	if err != nil {
		return err
	}
	msg, err := w.Render(prepared)
	if err != nil {
		return err
	}
	msg.MessageID = fmt.Sprintf("%s@%s", j.ID.String(), w.host)
	if err := w.cfg.Sender.Send(ctx, msg); err != nil {
		return err
	}
	w.m.sent.Inc()
	return nil
}

// view is what the templates see.
type view struct {
	casestudy.PreparedMail
	Subject      string
	Community    string
	Link         string // the mailed link (reset, invitation, verification)
	CalendarLink string
	PrepareLink  string
	Preferences  string
	Unsubscribe  string
	Meeting      casestudy.Occurrence
	Zone         string
	RoomLink     string
	Base         string
}

// Render writes a prepared message (exported for the demo mailbox's tests and previews).
func (w *Worker) Render(p casestudy.PreparedMail) (mail.Message, error) {
	base := strings.TrimSuffix(w.cfg.PublicURL, "/")
	v := view{PreparedMail: p, Community: p.CommunityName, Preferences: base + "/account/notifications", Zone: p.TimeZone, Base: base}
	if p.CaseID != 0 {
		v.RoomLink = fmt.Sprintf("%s/communities/%d/cases/%d#room-heading", base, p.CommunityID, p.CaseID)
	}
	if v.Zone == "" {
		v.Zone = "UTC"
	}
	if len(p.Meetings) > 0 {
		v.Meeting = p.Meetings[0]
		v.CalendarLink = fmt.Sprintf("%s/communities/%d/calendar#meeting-%d-%d", base, p.CommunityID, v.Meeting.ScheduleID, v.Meeting.N)
		v.PrepareLink = fmt.Sprintf("%s/communities/%d/cases/new", base, p.CommunityID)
		if v.Meeting.CaseID != nil {
			v.PrepareLink = fmt.Sprintf("%s/communities/%d/cases/%d", base, p.CommunityID, *v.Meeting.CaseID)
		}
	}
	switch p.Kind {
	case casestudy.MailPasswordReset:
		v.Link = base + "/reset/" + url.PathEscape(p.Token)
	case casestudy.MailInvitation:
		v.Link = base + "/join/" + url.PathEscape(p.Token)
	case casestudy.MailVerifyEmail:
		v.Link = base + "/verify/" + url.PathEscape(p.Token)
	}
	if p.Unsubscribe != "" {
		v.Unsubscribe = base + "/unsubscribe/" + url.PathEscape(p.Unsubscribe)
	}
	v.Subject = subject(v)
	loc, err := time.LoadLocation(v.Zone)
	if err != nil {
		loc = time.UTC
	}
	funcs := texttemplate.FuncMap{"when": func(t time.Time) string { return t.In(loc).Format("Monday 2 January 2006, 15:04 MST") }}
	var text bytes.Buffer
	if err := template(w.text, funcs).ExecuteTemplate(&text, string(p.Kind), v); err != nil {
		return mail.Message{}, err
	}
	if err := template(w.text, funcs).ExecuteTemplate(&text, "footer", v); err != nil {
		return mail.Message{}, err
	}
	var html bytes.Buffer
	page, ok := w.html[p.Kind]
	if !ok {
		return mail.Message{}, fmt.Errorf("no template for mail %q", p.Kind)
	}
	page, err = page.Clone()
	if err != nil {
		return mail.Message{}, err
	}
	if err := page.Funcs(htmltemplate.FuncMap(funcs)).ExecuteTemplate(&html, "page", v); err != nil {
		return mail.Message{}, err
	}
	msg := mail.Message{To: p.To, ToName: p.ToName, Subject: v.Subject, Text: strings.TrimLeft(text.String(), "\n"), HTML: html.String(),
		Unsubscribe: v.Unsubscribe, Community: p.CommunityName}
	if cal := w.calendar(p); cal != nil {
		msg.Calendar, msg.CalendarMethod = cal.Write(p.Meetings), cal.Method
	}
	return msg, nil
}

func template(t *texttemplate.Template, funcs texttemplate.FuncMap) *texttemplate.Template {
	c, _ := t.Clone()
	return c.Funcs(funcs)
}

// calendar is the iCalendar attachment of mail about meetings.
func (w *Worker) calendar(p casestudy.PreparedMail) *ics.Calendar {
	method := ""
	switch p.Kind {
	case casestudy.MailSessionScheduled, casestudy.MailSessionChanged:
		method = ics.Request
	case casestudy.MailSessionCancelled:
		method = ics.Cancel
	default:
		return nil
	}
	from := w.cfg.From
	if i := strings.LastIndex(from, "<"); i >= 0 {
		from = strings.TrimSuffix(from[i+1:], ">")
	}
	return &ics.Calendar{Method: method, Host: w.host, Organizer: from, BaseURL: strings.TrimSuffix(w.cfg.PublicURL, "/"), Now: w.cfg.Now()}
}

func subject(v view) string {
	switch v.Kind {
	case casestudy.MailPasswordReset:
		return "Choose a new casecircle password"
	case casestudy.MailInvitation:
		return "You are invited to " + v.Community + " on casecircle"
	case casestudy.MailVerifyEmail:
		return "Confirm your e-mail address for casecircle"
	case casestudy.MailEmailChanged:
		return "Your casecircle address was changed"
	case casestudy.MailSessionScheduled:
		return "Scheduled: " + v.Meeting.Title
	case casestudy.MailSessionChanged:
		return "Changed: " + v.Meeting.Title
	case casestudy.MailSessionCancelled:
		return "Cancelled: " + v.Meeting.Title
	case casestudy.MailSessionReminder:
		if v.Lead == "1h" {
			return "Within the hour: " + v.Meeting.Title
		}
		return "Tomorrow: " + v.Meeting.Title
	case casestudy.MailPresentingNext:
		return "You are presenting next: " + v.Meeting.Title
	case casestudy.MailMention:
		return "You were mentioned in " + v.Community
	case casestudy.MailReply:
		return "A reply to your message in " + v.Community
	case casestudy.MailDigest:
		if v.Digest == casestudy.DigestWeekly {
			return "Your weekly casecircle digest"
		}
		return "Your daily casecircle digest"
	}
	return "casecircle"
}

// kinds with a template each.
var kinds = []casestudy.MailKind{casestudy.MailPasswordReset, casestudy.MailInvitation, casestudy.MailVerifyEmail,
	casestudy.MailSessionScheduled, casestudy.MailSessionChanged, casestudy.MailSessionCancelled,
	casestudy.MailSessionReminder, casestudy.MailPresentingNext, casestudy.MailMention, casestudy.MailReply, casestudy.MailDigest, casestudy.MailEmailChanged}

func (w *Worker) parseTemplates() error {
	placeholder := texttemplate.FuncMap{"when": func(time.Time) string { return "" }}
	var err error
	if w.text, err = texttemplate.New("text").Funcs(placeholder).ParseFS(templateFiles, "templates/text.tmpl"); err != nil {
		return err
	}
	base, err := htmltemplate.New("html").Funcs(htmltemplate.FuncMap(placeholder)).ParseFS(templateFiles, "templates/html.tmpl", "templates/bodies.tmpl")
	if err != nil {
		return err
	}
	for _, k := range kinds {
		page, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := page.New("content").Parse(`{{template "` + string(k) + `.html" .}}`); err != nil {
			return err
		}
		if w.text.Lookup(string(k)) == nil {
			return fmt.Errorf("no text template for %q", k)
		}
		w.html[k] = page
	}
	return nil
}
