package server

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server/render"
)

// handleSearch: GET /api/v1/search?q=… → {"hits": [...], "next": cursor}.
func (s *Server) handleSearch(c echo.Context) error {
	q, err := searchQuery(c)
	if err != nil {
		return err
	}
	page, err := s.cfg.Service.Search(c.Request().Context(), currentUser(c).ID, q)
	if err != nil {
		return err
	}
	for i := range page.Hits {
		page.Hits[i].Snippet = render.Snippet(page.Hits[i].Snippet) // escaped HTML with <mark>
	}
	return c.JSON(http.StatusOK, page)
}

type searchPage struct {
	Query       string
	Hits        []searchHitView
	Next        string // the query string of the next page, if there is one
	Error       string
	Communities []casestudy.Community
	Kinds       []kindOption
	Filter      struct{ Community, Kind, Tag, Archived, From, To string }
}

type searchHitView struct {
	casestudy.SearchHit
	SnippetHTML template.HTML // escaped by render.Snippet, with <mark> around matches
}

// handleSearchPage: /search?q=…, the results as a page (and updated as one types by search.js).
func (s *Server) handleSearchPage(c echo.Context) error {
	if currentUser(c) == nil {
		return redirectToSignIn(c)
	}
	p := searchPage{Query: c.QueryParam("q"), Kinds: kindOptions}
	p.Filter.Community, p.Filter.Kind, p.Filter.Tag = c.QueryParam("community"), c.QueryParam("kind"), c.QueryParam("tag")
	p.Filter.Archived, p.Filter.From, p.Filter.To = c.QueryParam("archived"), c.QueryParam("from"), c.QueryParam("to")
	var err error
	if p.Communities, err = s.cfg.Service.ListCommunities(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	if p.Query != "" {
		q, err := searchQuery(c)
		if err == nil {
			var page casestudy.SearchPage
			if page, err = s.cfg.Service.Search(c.Request().Context(), currentUser(c).ID, q); err == nil {
				for _, h := range page.Hits {
					p.Hits = append(p.Hits, searchHitView{SearchHit: h, SnippetHTML: template.HTML(render.Snippet(h.Snippet))}) // #nosec: escaped in render.Snippet
				}
				if page.Next != "" {
					next := c.QueryParams()
					next.Set("cursor", page.Next)
					p.Next = next.Encode()
				}
			}
		}
		if err != nil {
			e := casestudy.AsError(err)
			if e == nil || e.Code != casestudy.EVALIDATION {
				return err
			}
			p.Error = e.Message // a wrapped validation error too, not only a bare one
		}
	}
	return s.render(c, http.StatusOK, "search", newPageData(c, p))
}
