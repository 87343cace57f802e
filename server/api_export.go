package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server/render"
)

// registerExportRoutes adds, under /communities/:cid, the community's policy (members read it,
// facilitators set it) and the facilitators' exports.
func (s *Server) registerExportRoutes(g *echo.Group, changeLimit echo.MiddlewareFunc) {
	g.GET("/policy", s.handleGetPolicy)
	g.PUT("/policy", s.handleSetPolicy, changeLimit)
	exportLimit := s.userLimit("export")
	g.GET("/cases/:id/export", s.handleExportCase, exportLimit)
	g.GET("/export", s.handleExportCommunity, exportLimit)
}

func (s *Server) handleGetPolicy(c echo.Context) error {
	p, err := s.cfg.Service.CommunityPolicy(c.Request().Context(), currentUser(c).ID, communityID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"policy": p})
}

type policyRequest struct {
	ExportNames        string          `json:"export_names"`
	LeaverContent      string          `json:"leaver_content"`
	RetainMessagesDays json.RawMessage `json:"retain_messages_days"`
	RetainDraftsDays   json.RawMessage `json:"retain_drafts_days"`
	RevisionHistory    string          `json:"revision_history"`
	MailCaseTitles     *bool           `json:"mail_case_titles"` // absent: keep
}

// optionalDays reads a number of days that may be null, absent or "" (all meaning "keep"), so
// that a form's empty field and an API's null mean the same.
func optionalDays(field string, raw json.RawMessage) (*int, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return nil, nil
	}
	var n int
	if err := json.Unmarshal([]byte(strings.Trim(s, `"`)), &n); err != nil {
		return nil, casestudy.FieldErrorf(field, "Use a whole number of days, or leave it empty to keep.")
	}
	return &n, nil
}

func (s *Server) handleSetPolicy(c echo.Context) error {
	var req policyRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p := casestudy.Policy{ExportNames: req.ExportNames, LeaverContent: req.LeaverContent, RevisionHistory: req.RevisionHistory,
		MailCaseTitles: req.MailCaseTitles}
	var err error
	if p.RetainMessagesDays, err = optionalDays("retain_messages_days", req.RetainMessagesDays); err != nil {
		return err
	}
	if p.RetainDraftsDays, err = optionalDays("retain_drafts_days", req.RetainDraftsDays); err != nil {
		return err
	}
	if p, err = s.cfg.Service.SetCommunityPolicy(c.Request().Context(), currentUser(c).ID, communityID(c), p); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"policy": p})
}

// exportCSP lets the printable export carry its own stylesheet inline (so that it prints the
// same when saved and opened from disk) and nothing else: no scripts, no images, no requests.
const exportCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// handleExportCase: GET …/cases/:id/export?format=markdown|html|json[&download=1]. Markdown and
// JSON download as files; HTML opens as a printable page unless download is asked for.
func (s *Server) handleExportCase(c echo.Context) error {
	id, err := idParam(c, "id", "case")
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "markdown"
	}
	if format != "markdown" && format != "html" && format != "json" {
		return casestudy.FieldErrorf("format", `Choose "markdown", "html" or "json".`)
	}
	ex, err := s.cfg.Service.ExportCase(c.Request().Context(), currentUser(c).ID, communityID(c), id, format)
	if err != nil {
		return err
	}
	name := exportFileName(ex.Case.ID, ex.Case.Title)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	switch format {
	case "markdown":
		attachment(c, name+".md")
		return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", render.CaseMarkdown(ex))
	case "json":
		attachment(c, name+".json")
		return c.JSON(http.StatusOK, ex)
	}
	page, err := s.printableCase(ex)
	if err != nil {
		return err
	}
	if c.QueryParam("download") != "" {
		attachment(c, name+".html")
	}
	h.Set("Content-Security-Policy", exportCSP)
	return c.HTMLBlob(http.StatusOK, page)
}

// printableCase renders the export as one self-contained HTML page with a print stylesheet.
func (s *Server) printableCase(ex casestudy.CaseExport) ([]byte, error) {
	var buf bytes.Buffer
	err := s.pages.byName["export_case"].ExecuteTemplate(&buf, "export_case", struct {
		casestudy.CaseExport
		ExportedAt time.Time
		Paragraphs func(string) []string
		Trusted    func(string) template.HTML
	}{ex, time.Now(), paragraphs, trustedHTML})
	return buf.Bytes(), err
}

// trustedHTML marks a message's stored HTML as safe: it was rendered by goldmark and cleaned by
// bluemonday when it was stored (casestudy/markup), and only that HTML is ever stored.
func trustedHTML(s string) template.HTML { return template.HTML(s) } //nolint:gosec // sanitised at write time

// paragraphs splits plain text on blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// handleExportCommunity: GET …/export, a ZIP of community.json and one Markdown file per case.
func (s *Server) handleExportCommunity(c echo.Context) error {
	ex, err := s.cfg.Service.ExportCommunity(c.Request().Context(), currentUser(c).ID, communityID(c))
	if err != nil {
		return err
	}
	// Built in memory first: an error half-way must not send half an archive.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, body []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: ex.ExportedAt})
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	doc, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return err
	}
	if err := add("community.json", doc); err != nil {
		return err
	}
	for _, cs := range ex.Cases {
		if err := add("cases/"+exportFileName(cs.Case.ID, cs.Case.Title)+".md", render.CaseMarkdown(cs)); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	attachment(c, fmt.Sprintf("casecircle-%s-%s.zip", slug(ex.Community), ex.ExportedAt.Format("2006-01-02")))
	return c.Blob(http.StatusOK, "application/zip", buf.Bytes())
}

func attachment(c echo.Context, name string) {
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a safe file-name part: lower-case ASCII letters and digits joined by dashes.
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "case"
	}
	return s
}

func exportFileName(id int64, title string) string {
	return fmt.Sprintf("case-%d-%s", id, slug(title))
}
