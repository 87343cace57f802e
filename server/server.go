// Package server is casecircle's HTTP face: the Echo application with its routes, handlers,
// middleware, error mapping and page rendering. It holds no SQL; the domain does that.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/casecircle/casecircle/realtime"
)

// Config is what the server needs from the outside, wired in cmd.
type Config struct {
	DB             *sqlx.DB
	Logger         *slog.Logger
	AllowedOrigins []string // extra origins trusted for WebSocket and CSRF checks, e.g. behind a proxy
}

// maxBodyBytes caps every request body; larger ones get 413 before a handler sees them.
const maxBodyBytes = "64K"

// Server is the HTTP application.
type Server struct {
	cfg     Config
	log     *slog.Logger
	echo    *echo.Echo
	http    *http.Server
	conns   *realtime.Conns
	metrics *prometheus.Registry
	pages   *pages
	assets  *assets
}

// New builds the application and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		echo:    echo.New(),
		conns:   realtime.NewConns(),
		metrics: prometheus.NewRegistry(),
	}
	var err error
	if s.assets, err = newAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = newPages(s.assets); err != nil {
		return nil, err
	}

	s.metrics.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(cfg.DB.DB, "casecircle"),
	)
	httpMetrics := newHTTPMetrics(s.metrics)

	e := s.echo
	e.HideBanner, e.HidePort = true, true
	// Only the TCP peer is believed: X-Forwarded-For is trusted only from configured proxies.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	e.Use(
		s.requestID,
		s.logRequests,
		httpMetrics.middleware,
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}),
		securityHeaders,
		middleware.BodyLimit(maxBodyBytes),
	)
	s.registerOpsRoutes(e)
	s.registerAssetRoutes(e)
	s.registerPageRoutes(e)

	s.http = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	// Shutdown does not see hijacked (WebSocket) connections: close them with "going away, resume".
	s.http.RegisterOnShutdown(s.conns.CloseAll)
	return s, nil
}

// Handler is the whole application as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Conns is the set of open WebSocket connections closed at shutdown.
func (s *Server) Conns() *realtime.Conns { return s.conns }

// Serve answers requests on ln until Shutdown; it returns nil after a graceful shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections, closes WebSockets with a close frame and waits for
// in-flight requests until ctx ends, after which the remaining connections are cut.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		_ = s.http.Close()
	}
	return err
}
