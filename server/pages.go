package server

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/frontend"
)

// pages holds one parsed template set per page, each combined with the shared layout.
type pages struct {
	byName map[string]*template.Template
}

func newPages(a *assets) (*pages, error) {
	funcs := template.FuncMap{"asset": a.url}
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
	DisplayName string
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
}

func (s *Server) handleHome(c echo.Context) error {
	return s.render(c, http.StatusOK, "home", pageData{})
}
