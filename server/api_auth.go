package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// defaultAuthPerMinute is how many sign-ins (and, apart, sign-ups) one client IP may try a minute.
const defaultAuthPerMinute = 10

func (s *Server) registerAuthRoutes(api *echo.Group) {
	// Attempts a minute per client IP for sign-in and for sign-up, each with its own bucket.
	perMinute := s.cfg.AuthPerMinute
	if perMinute <= 0 {
		perMinute = defaultAuthPerMinute
	}
	signinLimit := rateLimit(newLimiter(perMinute, time.Minute/time.Duration(perMinute), s.cfg.Clock))
	signupLimit := rateLimit(newLimiter(perMinute, time.Minute/time.Duration(perMinute), s.cfg.Clock))
	api.POST("/auth/signup", s.handleSignUp, signupLimit)
	api.POST("/auth/signin", s.handleSignIn, signinLimit)
	// Reset links share the sign-in bucket: both try secrets.
	api.POST("/auth/reset/confirm", s.handleConfirmReset, signinLimit)
	api.POST("/auth/signout", s.handleSignOut, requireUser)
	api.POST("/auth/password", s.handleChangePassword, requireUser)
	api.GET("/me", s.handleMe, requireUser)
	api.PATCH("/me", s.handleUpdateMe, requireUser)
	api.GET("/me/data", s.handleMyData, requireUser)
	api.DELETE("/me", s.handleDeleteAccount, requireUser)
}

type confirmResetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// handleConfirmReset: {"token", "password"} → 200 once per link; every sign-in of the account
// ends, and the person signs in with the new password.
func (s *Server) handleConfirmReset(c echo.Context) error {
	var req confirmResetRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Service.ConfirmReset(c.Request().Context(), req.Token, req.Password); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "reset"})
}

type signUpRequest struct {
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
}

type userResponse struct {
	User casestudy.User `json:"user"`
}

func (s *Server) handleSignUp(c echo.Context) error {
	var req signUpRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, token, err := s.cfg.Service.Register(c.Request().Context(), casestudy.SignUp{Email: req.Email, DisplayName: req.DisplayName, Password: req.Password})
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.JSON(http.StatusCreated, userResponse{User: u})
}

type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) handleSignIn(c echo.Context) error {
	var req signInRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, token, err := s.cfg.Service.SignIn(c.Request().Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	// A brand-new token at every sign-in: a token planted before sign-in is worth nothing after.
	s.setSessionCookie(c, token)
	return c.JSON(http.StatusOK, userResponse{User: u})
}

func (s *Server) handleSignOut(c echo.Context) error {
	if err := s.cfg.Service.SignOut(c.Request().Context(), signInToken(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.NoContent(http.StatusNoContent)
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) handleChangePassword(c echo.Context) error {
	var req changePasswordRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.cfg.Service.ChangePassword(c.Request().Context(), signInToken(c), req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleMe(c echo.Context) error {
	return c.JSON(http.StatusOK, userResponse{User: *currentUser(c)})
}

type updateMeRequest struct {
	TimeZone *string `json:"time_zone"`
}

// handleUpdateMe: PATCH /me {"time_zone": "Europe/London"} (or "" for the browser's own).
func (s *Server) handleUpdateMe(c echo.Context) error {
	var req updateMeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.TimeZone == nil {
		return casestudy.FieldErrorf("time_zone", "Give the time zone to use, or an empty one for the browser's own.")
	}
	u, err := s.cfg.Service.SetTimeZone(c.Request().Context(), currentUser(c).ID, *req.TimeZone)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userResponse{User: u})
}

// handleMyData: GET /me/data, everything the user wrote or chose, as a JSON download.
func (s *Server) handleMyData(c echo.Context) error {
	d, err := s.cfg.Service.MyData(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	attachment(c, "casecircle-my-data-"+d.ExportedAt.Format("2006-01-02")+".json")
	return c.JSONPretty(http.StatusOK, d, "  ")
}

type deleteAccountRequest struct {
	Password string `json:"password"`
}

// handleDeleteAccount: DELETE /me with the password, erasing the account (see
// casestudy.Service.DeleteAccount).
func (s *Server) handleDeleteAccount(c echo.Context) error {
	var req deleteAccountRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Password == "" {
		return casestudy.FieldErrorf("password", "Enter your password to confirm.")
	}
	if err := s.cfg.Service.DeleteAccount(c.Request().Context(), signInToken(c), req.Password); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.NoContent(http.StatusNoContent)
}
