package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

func (s *Server) registerNotificationRoutes(api *echo.Group) {
	api.GET("/me/notifications", s.handleNotifications, requireUser)
	api.POST("/me/notifications/read", s.handleNotificationsRead, requireUser, s.userLimit("notifications.read"))
	api.GET("/me/notifications/preferences", s.handleGetPreferences, requireUser)
	api.PUT("/me/notifications/preferences", s.handlePutPreferences, requireUser, s.userLimit("notifications.preferences"))
	api.GET("/push/key", s.handlePushKey)
	api.POST("/me/push", s.handleSubscribePush, requireUser, s.userLimit("notifications.preferences"))
	api.DELETE("/me/push", s.handleUnsubscribePush, requireUser)
}

// handleNotifications: the bell: {"notifications": [...], "unread": n}; ?count=1 only counts.
func (s *Server) handleNotifications(c echo.Context) error {
	ctx, user := c.Request().Context(), currentUser(c)
	c.Response().Header().Set("Cache-Control", "no-store")
	if c.QueryParam("count") != "" {
		n, err := s.cfg.Service.UnreadNotifications(ctx, user.ID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]int{"unread": n})
	}
	list, unread, err := s.cfg.Service.Notifications(ctx, user.ID, 0)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": list, "unread": unread})
}

// handleNotificationsRead: {"up_to": id} (0: all) marks them read; the person's other tabs hear.
func (s *Server) handleNotificationsRead(c echo.Context) error {
	var req struct {
		UpTo int64 `json:"up_to"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.UpTo < 0 {
		return casestudy.FieldErrorf("up_to", "Give the newest notification read, or 0 for all.")
	}
	if err := s.cfg.Service.MarkNotificationsRead(c.Request().Context(), currentUser(c).ID, req.UpTo); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type preferencesResponse struct {
	casestudy.Preferences
	Kinds []casestudy.NotificationKind `json:"kinds"`
	Mail  bool                         `json:"mail"`
	Push  bool                         `json:"push"`
}

func (s *Server) preferences(c echo.Context, p casestudy.Preferences) error {
	return c.JSON(http.StatusOK, preferencesResponse{Preferences: p, Kinds: casestudy.NotificationKinds,
		Mail: s.cfg.Service.MailEnabled(), Push: s.cfg.Service.PushEnabled()})
}

func (s *Server) handleGetPreferences(c echo.Context) error {
	p, err := s.cfg.Service.NotificationPreferences(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.preferences(c, p)
}

func (s *Server) handlePutPreferences(c echo.Context) error {
	var req casestudy.Preferences
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, err := s.cfg.Service.SetNotificationPreferences(c.Request().Context(), currentUser(c).ID, req)
	if err != nil {
		return err
	}
	return s.preferences(c, p)
}

// handlePushKey: the VAPID public key browsers subscribe with; 404 when push is off.
func (s *Server) handlePushKey(c echo.Context) error {
	if s.cfg.VAPIDPublicKey == "" {
		return casestudy.Errorf(casestudy.ENOTFOUND, "This server sends no push notifications.")
	}
	return c.JSON(http.StatusOK, map[string]string{"key": s.cfg.VAPIDPublicKey})
}

type pushSubscriptionRequest struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// handleSubscribePush keeps a browser's PushSubscription (its toJSON()).
func (s *Server) handleSubscribePush(c echo.Context) error {
	var req pushSubscriptionRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Service.SavePushSubscription(c.Request().Context(), currentUser(c).ID,
		casestudy.PushSubscription{Endpoint: req.Endpoint, P256dh: req.Keys.P256dh, Auth: req.Keys.Auth}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// handleUnsubscribePush: {"endpoint"} forgets that browser; {} forgets them all.
func (s *Server) handleUnsubscribePush(c echo.Context) error {
	var req struct {
		Endpoint string `json:"endpoint"`
	}
	if c.Request().ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			return err
		}
	}
	if err := s.cfg.Service.DeletePushSubscription(c.Request().Context(), currentUser(c).ID, req.Endpoint); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
