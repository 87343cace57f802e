package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/casestudy/markup"
	"github.com/casecircle/casecircle/casestudy/session"
	"github.com/casecircle/casecircle/frontend"
)

// pages holds one parsed template set per page, each combined with the shared layout.
type pages struct {
	byName map[string]*template.Template
}

func newPages(a *assets) (*pages, error) {
	funcs := template.FuncMap{
		"asset": a.url,
		// date renders a moment as a <time> element; the page script shows it in the reader's
		// time zone (frontend/static/dates.js), UTC until then.
		"date": func(t time.Time) template.HTML {
			return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + t.UTC().Format("2 Jan 2006, 15:04 UTC") + `</time>`)
		},
		// clock renders a time of day as a <time> the page script shows in the reader's zone.
		"clock": func(t time.Time) template.HTML {
			return template.HTML(`<time data-clock datetime="` + t.UTC().Format(time.RFC3339) + `">` + t.UTC().Format("15:04:05 UTC") + `</time>`)
		},
		"kind":        kindLabel,
		"deref":       func(b *bool) bool { return b != nil && *b },
		"join":        strings.Join,
		"jsonText":    func(b json.RawMessage) string { return string(b) },
		"auditAction": auditActionLabel,
		// markdown renders a summary's Markdown as the room renders messages: goldmark, then
		// bluemonday's allow-list, so the HTML is safe to insert.
		"markdown": func(s string) template.HTML { return template.HTML(markup.Render(s)) },
		"policyLabel": func(p casestudy.SpeakingPolicy) string {
			if l, ok := policyLabels[p]; ok {
				return l
			}
			return string(p)
		},
		"productLabel": func(p string) string {
			if p == "" {
				return "nothing in particular"
			}
			return strings.ReplaceAll(p, "_", " ")
		},
		// lenses are the seven lenses with their labels, for the composer's list; the room's
		// script reads a message's label from that list.
		"lenses":      func() []casestudy.Lens { return casestudy.Lenses },
		"lensLabel":   func(l casestudy.Lens) string { return lensLabels[l] },
		"auditTarget": auditTarget,
		"auditDetail": auditDetail,
		"policyNames": func(ps []casestudy.SpeakingPolicy) []string {
			out := make([]string, len(ps))
			for i, p := range ps {
				out[i] = string(p)
			}
			return out
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(frontend.Templates, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(frontend.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(frontend.Templates, file)
		if err != nil {
			return nil, err
		}
		p.byName[name] = t
	}
	return p, nil
}

// pageUser is what the layout shows of the signed-in user.
type pageUser struct {
	ID          int64
	DisplayName string
	TimeZone    string // the zone the page's script shows times in ("": the browser's)
}

// pageData is what every page receives; pages add their own fields through Page.
type pageData struct {
	User    *pageUser
	Title   string
	Message string
	Page    any
}

// render writes a whole page or, if rendering fails, nothing but an error: the page is built in
// memory first so a template fault never sends half a page.
func (s *Server) render(c echo.Context, status int, name string, data pageData) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return echo.NewHTTPError(http.StatusInternalServerError, "no page "+name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

func (s *Server) renderErrorPage(c echo.Context, status int, detail errorDetail) {
	title := http.StatusText(status)
	if status == http.StatusNotFound {
		title = "Page not found"
	}
	if err := s.render(c, status, "error", pageData{Title: title, Message: detail.Message}); err != nil {
		s.logger(c).Error("rendering error page", "err", err)
		_ = c.String(status, detail.Message)
	}
}

func (s *Server) registerPageRoutes(e *echo.Echo) {
	e.GET("/", s.handleHome)
	e.GET("/signin", s.authPage("signin"))
	e.GET("/signup", s.authPage("signup"))
	e.GET("/account", s.handleAccountPage, signedInPage)
	e.GET("/account/notifications", s.handleNotificationsPage, signedInPage)
	e.GET("/account/deleted", func(c echo.Context) error {
		return s.render(c, http.StatusOK, "goodbye", newPageData(c, nil))
	})
	e.GET("/join/:token", s.handleJoinPage)
	e.GET("/reset/:token", func(c echo.Context) error {
		// The token is in the path: no Referer may carry it to another site.
		c.Response().Header().Set("Referrer-Policy", "no-referrer")
		return s.render(c, http.StatusOK, "reset", newPageData(c, struct{ Token string }{c.Param("token")}))
	})
	e.GET("/search", s.handleSearchPage)

	// A community's pages are for its members: the middleware reads the community once, and
	// anyone else gets what the API gives (404), or the sign-in page.
	cg := e.Group("/communities/:cid", signedInPage, s.memberOfCommunity)
	cg.GET("", s.handleCommunityPage)
	s.registerCasePages(cg)
	cg.GET("/templates", s.handleTemplatesPage)
	cg.GET("/archive", s.handleArchivePage)
	cg.GET("/cases/:id/archive", s.handleArchiveFormPage)
	cg.GET("/templates/:key", s.handleTemplatePage)
	cg.GET("/audit", s.handleAuditPage)
	cg.GET("/calendar", s.handleCalendarPage)
}

// signedInPage sends a visitor who is not signed in to the sign-in page, to come back after.
func signedInPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			return redirectToSignIn(c)
		}
		return next(c)
	}
}

const pageCommunityKey = "page-community"

// memberOfCommunity reads the community of :cid for its member and keeps it for the handler
// (pageCommunity); anyone else gets the API's answer, 404.
func (s *Server) memberOfCommunity(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cid, err := idParam(c, "cid", "community")
		if err != nil {
			return err
		}
		cm, err := s.cfg.Service.GetCommunity(c.Request().Context(), currentUser(c).ID, cid)
		if err != nil {
			return err
		}
		c.Set(pageCommunityKey, cm)
		return next(c)
	}
}

// pageCommunity is the community memberOfCommunity read.
func pageCommunity(c echo.Context) casestudy.Community {
	cm, _ := c.Get(pageCommunityKey).(casestudy.Community)
	return cm
}

type auditPage struct {
	Community casestudy.Community
	Entries   []casestudy.AuditEntry
	Members   []casestudy.Member
	Actions   []string
	Filter    struct{ Action, Actor, From, To string }
	Older     string // the query of the next page, if there is one
}

// handleAuditPage shows a community's audit log to its facilitators, with filters.
func (s *Server) handleAuditPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	f.Limit = 100
	ctx := c.Request().Context()
	p := auditPage{Community: cm, Actions: casestudy.AuditActions}
	if p.Entries, err = s.cfg.Service.ListAudit(ctx, u.ID, cm.ID, f); err != nil {
		return err
	}
	if p.Members, err = s.cfg.Service.ListMembers(ctx, u.ID, cm.ID); err != nil {
		return err
	}
	p.Filter.Action, p.Filter.Actor, p.Filter.From, p.Filter.To = c.QueryParam("action"), c.QueryParam("actor"), c.QueryParam("from"), c.QueryParam("to")
	if len(p.Entries) == f.Limit {
		q := c.QueryParams()
		q.Set("before", strconv.FormatInt(p.Entries[len(p.Entries)-1].ID, 10))
		p.Older = q.Encode()
	}
	return s.render(c, http.StatusOK, "audit", newPageData(c, p))
}

type archivePage struct {
	Community casestudy.Community
	Cases     []casestudy.ArchivedCase
	Kinds     []kindOption
	Templates []casestudy.Template
	Filter    struct{ Kind, Tag, Template, From, To string }
}

// handleArchivePage lists the community's archived cases with their summaries.
func (s *Server) handleArchivePage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	p := archivePage{Community: cm, Kinds: kindOptions}
	p.Filter.Kind, p.Filter.Tag, p.Filter.Template = c.QueryParam("kind"), c.QueryParam("tag"), c.QueryParam("template")
	p.Filter.From, p.Filter.To = c.QueryParam("from"), c.QueryParam("to")
	f, err := archiveFilter(c, 200)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if p.Cases, err = s.cfg.Service.ListArchive(ctx, u.ID, cm.ID, f); err != nil {
		return err
	}
	if p.Templates, err = s.cfg.Service.ListTemplates(ctx, u.ID, cm.ID); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "archive", newPageData(c, p))
}

type archiveFormPage struct {
	Community casestudy.Community
	Case      casestudy.Case
}

// handleArchiveFormPage is where a facilitator writes the learning summary and archives.
func (s *Server) handleArchiveFormPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	if cm.MyRole != casestudy.RoleFacilitator {
		return casestudy.Errorf(casestudy.EFORBIDDEN, "Only a facilitator can archive a case.")
	}
	cs, err := s.cfg.Service.GetCase(c.Request().Context(), u.ID, cm.ID, id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "archive_form", newPageData(c, archiveFormPage{Community: cm, Case: cs}))
}

type templatesPage struct {
	Community   casestudy.Community
	Templates   []casestudy.Template
	Facilitator bool
}

// handleTemplatesPage lists the community's live-session formats; facilitators copy them.
func (s *Server) handleTemplatesPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	ts, err := s.cfg.Service.ListTemplates(c.Request().Context(), u.ID, cm.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "templates", newPageData(c, templatesPage{Community: cm, Templates: ts, Facilitator: cm.MyRole == casestudy.RoleFacilitator}))
}

type templatePage struct {
	Community   casestudy.Community
	Template    casestudy.Template
	Facilitator bool
	Policies    []casestudy.SpeakingPolicy
	Products    []string
}

// handleTemplatePage shows one format; a facilitator edits the community's own there.
func (s *Server) handleTemplatePage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	t, err := s.cfg.Service.GetTemplate(c.Request().Context(), u.ID, cm.ID, c.Param("key"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "template", newPageData(c, templatePage{Community: cm, Template: t,
		Facilitator: cm.MyRole == casestudy.RoleFacilitator, Policies: session.SpeakingPolicies, Products: session.Products}))
}

// newPageData fills in what the layout needs about the signed-in user.
func newPageData(c echo.Context, page any) pageData {
	d := pageData{Page: page}
	if u := currentUser(c); u != nil {
		d.User = &pageUser{ID: u.ID, DisplayName: u.DisplayName, TimeZone: u.TimeZone}
	}
	return d
}

// redirectToSignIn sends an anonymous visitor to sign in, then back here.
func redirectToSignIn(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(c.Request().URL.Path))
}

type homePage struct {
	Communities []casestudy.Community
	Activity    map[int64]casestudy.Activity // by community
}

func (s *Server) handleHome(c echo.Context) error {
	var page homePage
	if u := currentUser(c); u != nil {
		list, err := s.cfg.Service.ListCommunities(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		page.Communities = list
		if page.Activity, err = s.cfg.Service.CommunityActivity(c.Request().Context(), u.ID); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "home", newPageData(c, page))
}

type authPage struct {
	Next string
}

// authPage renders the sign-in or sign-up page, or sends a signed-in visitor on to next.
func (s *Server) authPage(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		next := safeNext(c.QueryParam("next"))
		if currentUser(c) != nil {
			return c.Redirect(http.StatusSeeOther, next)
		}
		return s.render(c, http.StatusOK, name, newPageData(c, authPage{Next: next}))
	}
}

type accountPage struct {
	Email    string
	Verified bool
	MailOn   bool
}

func (s *Server) handleAccountPage(c echo.Context) error {
	u := currentUser(c)
	verified, err := s.cfg.Service.EmailVerified(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "account", newPageData(c, accountPage{Email: u.Email, Verified: verified, MailOn: s.cfg.Service.MailEnabled()}))
}

type communityPage struct {
	Community     casestudy.Community
	Activity      casestudy.Activity // summed over the community's rooms
	Members       []casestudy.Member
	Invitations   []casestudy.Invitation
	Me            int64
	IsFacilitator bool
	Roles         []casestudy.Role
	Policy        casestudy.Policy
	// NextMeeting is the next (or running) meeting of the community's schedule, if any.
	NextMeeting *casestudy.Occurrence
	MailOn      bool
}

func (s *Server) handleCommunityPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	ctx := c.Request().Context()
	cid := cm.ID
	members, err := s.cfg.Service.ListMembers(ctx, u.ID, cid)
	if err != nil {
		return err
	}
	page := communityPage{Community: cm, Members: members, Me: u.ID, IsFacilitator: cm.MyRole == casestudy.RoleFacilitator,
		Roles: []casestudy.Role{casestudy.RoleMember, casestudy.RoleSupervisor, casestudy.RoleFacilitator}}
	if page.IsFacilitator {
		if page.Invitations, err = s.cfg.Service.ListInvitations(ctx, u.ID, cid); err != nil {
			return err
		}
	}
	if page.Policy, err = s.cfg.Service.CommunityPolicy(ctx, u.ID, cid); err != nil {
		return err
	}
	rooms, err := s.cfg.Service.RoomActivity(ctx, u.ID, cid)
	if err != nil {
		return err
	}
	for _, a := range rooms {
		page.Activity.Unread += a.Unread
		page.Activity.Live = page.Activity.Live || a.Live
	}
	page.MailOn = s.cfg.Service.MailEnabled()
	if page.NextMeeting, err = s.nextMeeting(c, cid); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "community", newPageData(c, page))
}

type joinPage struct {
	Token      string
	Invitation *casestudy.InvitationPreview
	Problem    string
}

func (s *Server) handleJoinPage(c echo.Context) error {
	u := currentUser(c)
	page := joinPage{Token: c.Param("token")}
	if u != nil {
		p, err := s.cfg.Service.PreviewInvitation(c.Request().Context(), u.ID, page.Token)
		switch casestudy.ErrorCode(err) {
		case "":
			page.Invitation = &p
		case casestudy.ENOTFOUND:
			var e *casestudy.Error
			errors.As(err, &e)
			page.Problem = e.Message
		default:
			return err
		}
	}
	// The invitation token is in this page's URL: keep it out of Referer headers entirely.
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.render(c, http.StatusOK, "join", newPageData(c, page))
}

// casePages: the list with filters, the composer (new and edit) and the case page, in a
// community's group.
func (s *Server) registerCasePages(cg *echo.Group) {
	cg.GET("/cases", s.handleCaseListPage)
	cg.GET("/cases/new", s.handleComposerPage)
	cg.GET("/cases/:id", s.handleCasePage)
	cg.GET("/cases/:id/edit", s.handleComposerPage)
}

// kindOption is one kind in a select, with its label.
type kindOption struct {
	Value casestudy.CaseKind
	Label string
}

var kindOptions = []kindOption{
	{casestudy.KindCoaching, "Coaching"}, {casestudy.KindMentoring, "Mentoring"},
	{casestudy.KindTeamCoaching, "Team coaching"}, {casestudy.KindSupervision, "Supervision"},
	{casestudy.KindOther, "Other"},
}

func kindLabel(k casestudy.CaseKind) string {
	for _, o := range kindOptions {
		if o.Value == k {
			return o.Label
		}
	}
	return string(k)
}

type caseListPage struct {
	Community  casestudy.Community
	Cases      []casestudy.Case
	Members    []casestudy.Member
	Kinds      []kindOption
	Filter     casestudy.CaseFilter
	NextURL    string
	FilterNote string
	Activity   map[int64]casestudy.Activity // by case
}

func (s *Server) handleCaseListPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	ctx := c.Request().Context()
	f, err := caseFilterFrom(c)
	if err != nil {
		return err
	}
	page, err := s.cfg.Service.ListCases(ctx, u.ID, cm.ID, f)
	if err != nil {
		return err
	}
	members, err := s.cfg.Service.ListMembers(ctx, u.ID, cm.ID)
	if err != nil {
		return err
	}
	activity, err := s.cfg.Service.RoomActivity(ctx, u.ID, cm.ID)
	if err != nil {
		return err
	}
	p := caseListPage{Community: cm, Cases: page.Cases, Members: members, Kinds: kindOptions, Filter: f, Activity: activity}
	if page.NextCursor != "" {
		q := c.QueryParams()
		q.Set("cursor", page.NextCursor)
		p.NextURL = c.Request().URL.Path + "?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "cases", newPageData(c, p))
}

type composerPage struct {
	Community   casestudy.Community
	Case        *casestudy.Case
	Kinds       []kindOption
	Attestation string
}

func (s *Server) handleComposerPage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	p := composerPage{Community: cm, Kinds: kindOptions, Attestation: casestudy.AttestationText}
	if c.Param("id") != "" {
		id, err := idParam(c, "id", "case")
		if err != nil {
			return err
		}
		cs, err := s.cfg.Service.GetCase(c.Request().Context(), u.ID, cm.ID, id)
		if err != nil {
			return err
		}
		if cs.AuthorID != u.ID {
			return casestudy.Errorf(casestudy.EFORBIDDEN, "Only the author can edit a case.")
		}
		p.Case = &cs
	}
	return s.render(c, http.StatusOK, "composer", newPageData(c, p))
}

type casePage struct {
	Community casestudy.Community
	Case      casestudy.Case
	KindLabel string
	Mine      bool
	Revisions []casestudy.CaseRevision
	Records   []casestudy.SessionRecord
	Summary   *casestudy.Summary
	// MayRedact: the author and the facilitators can redact earlier versions.
	MayRedact bool
	// Mentionable are the members a message may mention (the composer's picker), not oneself.
	Mentionable []mentionable
}

type mentionable struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (s *Server) handleCasePage(c echo.Context) error {
	u, cm := currentUser(c), pageCommunity(c)
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cs, err := s.cfg.Service.ViewCase(ctx, signInToken(c), u.ID, cm.ID, id)
	if err != nil {
		return err
	}
	// Earlier versions are for the author and the facilitators unless the community shares them.
	revs, err := s.cfg.Service.ListCaseRevisions(ctx, u.ID, cm.ID, id)
	if casestudy.ErrorCode(err) == casestudy.EFORBIDDEN {
		revs, err = nil, nil
	}
	if err != nil {
		return err
	}
	var records []casestudy.SessionRecord
	if cs.Status == casestudy.StatusPublished || cs.Status == casestudy.StatusArchived {
		if records, err = s.cfg.Service.SessionRecords(ctx, u.ID, cm.ID, id); err != nil {
			return err
		}
	}
	var summary *casestudy.Summary
	if cs.Status == casestudy.StatusArchived {
		sum, err := s.cfg.Service.CaseSummary(ctx, u.ID, cm.ID, id)
		switch casestudy.ErrorCode(err) {
		case "":
			summary = &sum
			// Only the session records the summary keeps are shown with the archived case.
			records = slices.DeleteFunc(records, func(r casestudy.SessionRecord) bool { return !slices.Contains(sum.KeptSessions, r.SessionID) })
		case casestudy.ENOTFOUND:
		default:
			return err
		}
	}
	members, err := s.cfg.Service.ListMembers(ctx, u.ID, cm.ID)
	if err != nil {
		return err
	}
	mention := []mentionable{}
	for _, m := range members {
		if m.UserID != u.ID {
			mention = append(mention, mentionable{m.UserID, m.DisplayName})
		}
	}
	return s.render(c, http.StatusOK, "case", newPageData(c, casePage{Community: cm, Case: cs, KindLabel: kindLabel(cs.Kind),
		Mine: cs.AuthorID == u.ID, Revisions: revs, Records: records, Summary: summary,
		MayRedact: cs.AuthorID == u.ID || cm.MyRole == casestudy.RoleFacilitator, Mentionable: mention}))
}

// lensLabels name the seven lenses of the seven-eyed model (Hawkins and Shohet) in the UI.
var lensLabels = map[casestudy.Lens]string{
	"client": "The client", "interventions": "The interventions", "relationship": "The relationship",
	"practitioner": "The practitioner", "parallel_process": "Parallel process", "supervisor": "The supervisor's process",
	"wider_context": "The wider context",
}

// policyLabels are the speaking policies as the format pages name them.
var policyLabels = map[casestudy.SpeakingPolicy]string{
	casestudy.PolicyOpen: "Everyone", casestudy.PolicyRoles: "Only some roles",
	casestudy.PolicyAskAnswer: "Members ask, the presenter answers", casestudy.PolicyRoundRobin: "In turn (round-robin)",
	casestudy.PolicyHandRaise: "Raise a hand; the supervisor gives the floor",
}
