package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

func (s *Server) registerCommunityRoutes(api *echo.Group) {
	api.GET("/communities", s.handleListCommunities, requireUser)
	api.POST("/communities", s.handleCreateCommunity, requireUser, s.userLimit("community.create"))

	changeLimit := s.userLimit("community.change")
	g := api.Group("/communities/:cid", s.requireMember)
	g.GET("", s.handleGetCommunity)
	g.PATCH("", s.handleUpdateCommunity, changeLimit)
	g.DELETE("", s.handleDeleteCommunity, changeLimit)
	g.GET("/members", s.handleListMembers)
	g.PATCH("/members/:uid", s.handleChangeRole, changeLimit)
	g.DELETE("/members/:uid", s.handleRemoveMember, changeLimit)
	g.POST("/members/:uid/reset-link", s.handleCreateResetLink, s.userLimit("reset_link.create"))
	g.GET("/invitations", s.handleListInvitations)
	g.POST("/invitations", s.handleCreateInvitation, s.userLimit("invitation.create"))
	g.DELETE("/invitations/:iid", s.handleRevokeInvitation, changeLimit)
	g.GET("/audit", s.handleListAudit)
	s.registerCaseRoutes(g)
	s.registerTemplateRoutes(g)
	s.registerArchiveRoutes(g)
	s.registerExportRoutes(g, changeLimit)
	s.registerScheduleRoutes(g, changeLimit)

	api.GET("/invitations/:token", s.handlePreviewInvitation, requireUser)
	api.POST("/invitations/:token/accept", s.handleAcceptInvitation, requireUser)
}

func (s *Server) handleListCommunities(c echo.Context) error {
	list, err := s.cfg.Service.ListCommunities(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"communities": list})
}

type createCommunityRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) handleCreateCommunity(c echo.Context) error {
	var req createCommunityRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cm, err := s.cfg.Service.CreateCommunity(c.Request().Context(), currentUser(c).ID, casestudy.NewCommunity{Name: req.Name, Description: req.Description})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"community": cm})
}

func (s *Server) handleUpdateCommunity(c echo.Context) error {
	var req createCommunityRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cm, err := s.cfg.Service.UpdateCommunity(c.Request().Context(), currentUser(c).ID, communityID(c), casestudy.NewCommunity{Name: req.Name, Description: req.Description})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"community": cm})
}

// handleDeleteCommunity: DELETE /communities/:cid {"confirm_name": "…"}.
func (s *Server) handleDeleteCommunity(c echo.Context) error {
	var req struct {
		ConfirmName string `json:"confirm_name"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Service.DeleteCommunity(c.Request().Context(), currentUser(c).ID, communityID(c), req.ConfirmName); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleGetCommunity(c echo.Context) error {
	cm, err := s.cfg.Service.GetCommunity(c.Request().Context(), currentUser(c).ID, communityID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"community": cm})
}

func (s *Server) handleListMembers(c echo.Context) error {
	list, err := s.cfg.Service.ListMembers(c.Request().Context(), currentUser(c).ID, communityID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"members": list})
}

// idParam parses a positive id from the path; anything else is simply not found.
func idParam(c echo.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, casestudy.Errorf(casestudy.ENOTFOUND, "No such %s.", what)
	}
	return id, nil
}

type changeRoleRequest struct {
	Role casestudy.Role `json:"role"`
}

func (s *Server) handleChangeRole(c echo.Context) error {
	uid, err := idParam(c, "uid", "member")
	if err != nil {
		return err
	}
	var req changeRoleRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Service.ChangeRole(c.Request().Context(), currentUser(c).ID, communityID(c), uid, req.Role); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleRemoveMember(c echo.Context) error {
	uid, err := idParam(c, "uid", "member")
	if err != nil {
		return err
	}
	if err := s.cfg.Service.RemoveMember(c.Request().Context(), currentUser(c).ID, communityID(c), uid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleCreateResetLink: a facilitator's link for a member who forgot their password, to hand
// over in person → 201 {"url", "expires_at"}. Built from the public URL, as invitations are.
func (s *Server) handleCreateResetLink(c echo.Context) error {
	uid, err := idParam(c, "uid", "member")
	if err != nil {
		return err
	}
	token, expires, err := s.cfg.Service.CreateResetLink(c.Request().Context(), currentUser(c).ID, communityID(c), uid)
	if err != nil {
		return err
	}
	link := strings.TrimSuffix(s.cfg.PublicURL, "/") + "/reset/" + token
	return c.JSON(http.StatusCreated, map[string]any{"url": link, "expires_at": expires})
}

type createInvitationRequest struct {
	Role           casestudy.Role `json:"role"`
	ExpiresInHours *int           `json:"expires_in_hours"`
	MaxUses        int            `json:"max_uses"`
	Note           string         `json:"note"`
}

func (s *Server) handleCreateInvitation(c echo.Context) error {
	var req createInvitationRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	lifetime := casestudy.DefaultInvitationLifetime
	if req.ExpiresInHours != nil { // given: it must be in range (0 is not "the default")
		if *req.ExpiresInHours < 1 {
			return casestudy.FieldErrorf("expires_in_hours", "An invitation lasts from 1 hour to 30 days.")
		}
		lifetime = time.Duration(*req.ExpiresInHours) * time.Hour
	}
	inv, token, err := s.cfg.Service.CreateInvitation(c.Request().Context(), currentUser(c).ID, communityID(c), casestudy.NewInvitation{
		Role: req.Role, Lifetime: lifetime, MaxUses: req.MaxUses, Note: req.Note,
	})
	if err != nil {
		return err
	}
	// The link is built from the configured public URL: a request's Host header is the
	// client's to choose, and a link to another host would carry the token there.
	link := strings.TrimSuffix(s.cfg.PublicURL, "/") + "/join/" + token
	return c.JSON(http.StatusCreated, map[string]any{"invitation": inv, "token": token, "url": link})
}

func (s *Server) handleListInvitations(c echo.Context) error {
	list, err := s.cfg.Service.ListInvitations(c.Request().Context(), currentUser(c).ID, communityID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invitations": list})
}

func (s *Server) handleRevokeInvitation(c echo.Context) error {
	iid, err := idParam(c, "iid", "invitation")
	if err != nil {
		return err
	}
	if err := s.cfg.Service.RevokeInvitation(c.Request().Context(), currentUser(c).ID, communityID(c), iid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleListAudit: GET …/audit?action=case.&actor=12&from=2026-11-01&to=2026-11-30&before=&limit=.
func (s *Server) handleListAudit(c echo.Context) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	entries, err := s.cfg.Service.ListAudit(c.Request().Context(), currentUser(c).ID, communityID(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries})
}

func (s *Server) handlePreviewInvitation(c echo.Context) error {
	p, err := s.cfg.Service.PreviewInvitation(c.Request().Context(), currentUser(c).ID, c.Param("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invitation": p})
}

func (s *Server) handleAcceptInvitation(c echo.Context) error {
	cm, err := s.cfg.Service.AcceptInvitation(c.Request().Context(), currentUser(c).ID, c.Param("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"community": cm})
}
