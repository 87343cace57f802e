package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// registerTemplateRoutes adds live-session templates under /communities/:cid: every member
// reads them; facilitators copy, edit and delete the community's own.
func (s *Server) registerTemplateRoutes(g *echo.Group) {
	g.GET("/templates", s.handleListTemplates)
	g.GET("/templates/:key", s.handleGetTemplate)
	writeLimit := s.userLimit("template.write")
	g.POST("/templates", s.handleCreateTemplate, writeLimit)
	g.PUT("/templates/:key", s.handleUpdateTemplate, writeLimit)
	g.DELETE("/templates/:key", s.handleDeleteTemplate, writeLimit)
}

func (s *Server) handleListTemplates(c echo.Context) error {
	ts, err := s.cfg.Service.ListTemplates(c.Request().Context(), currentUser(c).ID, communityID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": ts})
}

func (s *Server) handleGetTemplate(c echo.Context) error {
	t, err := s.cfg.Service.GetTemplate(c.Request().Context(), currentUser(c).ID, communityID(c), c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"template": t})
}

// templateBody is a template as a facilitator writes it.
type templateBody struct {
	Name                  string            `json:"name"`
	Description           string            `json:"description"`
	Phases                []casestudy.Phase `json:"phases"`
	MembersRecordLearning bool              `json:"members_record_learning"`
}

func (b templateBody) template() casestudy.Template {
	return casestudy.Template{Name: b.Name, Description: b.Description, Phases: b.Phases, MembersRecordLearning: b.MembersRecordLearning}
}

// handleCreateTemplate: POST …/templates with {"copy_of": "balint"} (a copy to edit) or
// {"template": {…}, "based_on": "balint"}.
func (s *Server) handleCreateTemplate(c echo.Context) error {
	var req struct {
		CopyOf   string        `json:"copy_of"`
		Template *templateBody `json:"template"`
		BasedOn  string        `json:"based_on"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx, u := c.Request().Context(), currentUser(c)
	var t casestudy.Template
	var err error
	switch {
	case req.CopyOf != "" && req.Template == nil:
		t, err = s.cfg.Service.CopyTemplate(ctx, u.ID, communityID(c), req.CopyOf)
	case req.Template != nil && req.CopyOf == "":
		t, err = s.cfg.Service.CreateTemplate(ctx, u.ID, communityID(c), req.Template.template(), req.BasedOn)
	default:
		return casestudy.FieldErrorf("template", "Send either copy_of or a template.")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"template": t})
}

func (s *Server) handleUpdateTemplate(c echo.Context) error {
	var req struct {
		Template templateBody `json:"template"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	t, err := s.cfg.Service.UpdateTemplate(c.Request().Context(), currentUser(c).ID, communityID(c), c.Param("key"), req.Template.template())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"template": t})
}

func (s *Server) handleDeleteTemplate(c echo.Context) error {
	if err := s.cfg.Service.DeleteTemplate(c.Request().Context(), currentUser(c).ID, communityID(c), c.Param("key")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
