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

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/mail"
	"github.com/casecircle/casecircle/realtime"
)

// Config is what the server needs from the outside, wired in cmd.
type Config struct {
	DB             *sqlx.DB
	Service        *casestudy.Service
	Logger         *slog.Logger
	AllowedOrigins []string // extra origins trusted for WebSocket and CSRF checks, e.g. behind a proxy
	// TrustedProxies are the networks whose X-Forwarded-For is believed; none by default.
	TrustedProxies []*net.IPNet
	// SecureCookies marks cookies Secure (and __Host-) even when TLS ends at a proxy.
	SecureCookies bool
	// PublicURL is where people reach this server (https://supervision.example.org): links
	// it hands out (invitations) start with it, never with a request's Host header. Empty:
	// links are given as paths, which the browser completes with its own origin.
	PublicURL string
	// Clock drives rate limits; nil means time.Now.
	Clock func() time.Time
	// DatabaseURL, when set, lets the realtime hub LISTEN for other processes' room events,
	// presence and closed sessions. Without it the process delivers only its own events.
	DatabaseURL string
	// NodeID names this process on the bus; it must be the one given to the service.
	NodeID string
	// WSMessagesPerSec and WSBurst limit each WebSocket's frames; zero takes the hub's defaults.
	WSMessagesPerSec float64
	WSBurst          int
	// WSResumeWindow and WSSendQueue override the hub's resume window and send queue (tests).
	WSResumeWindow int
	WSSendQueue    int
	// WSSendQueueBytes caps the bytes waiting for one socket; 0 takes the hub's default (1 MiB).
	WSSendQueueBytes int
	// WSMaxSocketsPerUser and WSMaxSocketsPerIP cap open sockets; 0 takes the hub's defaults.
	WSMaxSocketsPerUser int
	WSMaxSocketsPerIP   int
	// WSSocketSendBuffer caps each WebSocket's kernel send buffer; 0 takes the hub's default
	// (64 KiB), negative leaves the OS default.
	WSSocketSendBuffer int
	// BusPingEvery and BusPingTimeout override how the LISTEN connection is watched (tests).
	BusPingEvery, BusPingTimeout time.Duration
	// WSClock drives the sockets' frame rate limit; nil means time.Now (tests step it).
	WSClock func() time.Time
	// WSSignInSweep is how often open sockets are matched with their sessions; 0: a minute.
	WSSignInSweep time.Duration
	// AuthPerMinute is how many sign-ins and sign-ups one IP address may try a minute; 0 means 10.
	AuthPerMinute int
	// Mail sends the outbox (SMTP, or a demo Mailbox); nil when this process sends no mail. The
	// service must then be built without casestudy.WithMail either, or mail waits in the outbox
	// for a process that sends.
	Mail mail.Sender
	// MailFrom is the From address (--mail-from).
	MailFrom string
	// DemoMailbox, when set, is shown on /demo/mailbox.
	DemoMailbox *mail.Mailbox
	// MailPollInterval and MailBackoff override the mail worker's defaults (tests).
	MailPollInterval time.Duration
	MailBackoff      func(retries int) time.Duration
	// AttendanceEvery overrides how often presence is sampled for attendance (tests).
	AttendanceEvery time.Duration
	// VAPIDPublicKey and VAPIDPrivateKey sign web push (empty: no push); VAPIDSubject is the
	// contact push services see (mailto: or https:).
	VAPIDPublicKey, VAPIDPrivateKey, VAPIDSubject string
	// PushHTTPClient sends web push (tests trust their push service with it); nil: the default.
	PushHTTPClient *http.Client
}

// maxBodyBytes caps every request body; larger ones get 413 before a handler sees them.
// A case with every field at its limit, in a non-Latin script, plus decisions, fits.
const maxBodyBytes = "192K"

// Server is the HTTP application.
type Server struct {
	cfg     Config
	log     *slog.Logger
	echo    *echo.Echo
	http    *http.Server
	conns   *realtime.Conns
	hub     *realtime.Hub
	bus     *realtime.Bus
	metrics *prometheus.Registry
	pages   *pages
	assets  *assets
	// stopBackground stops the mail worker and the attendance sampler and waits for them.
	stopBackground func()
}

// New builds the application and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Service == nil {
		return nil, errNoService
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

	s.hub = realtime.NewHub(&roomBackend{svc: cfg.Service}, s.conns, realtime.Options{
		NodeID: cfg.NodeID, Logger: cfg.Logger, Metrics: s.metrics, CheckOrigin: s.originAllowed,
		MessagesPerSec: cfg.WSMessagesPerSec, Burst: cfg.WSBurst,
		ResumeWindow: cfg.WSResumeWindow, SendQueue: cfg.WSSendQueue, SendQueueBytes: cfg.WSSendQueueBytes,
		SocketSendBuffer: cfg.WSSocketSendBuffer, MaxSocketsPerUser: cfg.WSMaxSocketsPerUser, MaxSocketsPerIP: cfg.WSMaxSocketsPerIP,
		SignInSweep: cfg.WSSignInSweep, Clock: cfg.WSClock, MaxMessageChars: casestudy.MaxMessageLength, BusPingEvery: cfg.BusPingEvery, BusPingTimeout: cfg.BusPingTimeout,
	})
	if cfg.DatabaseURL != "" {
		if s.bus, err = realtime.StartBus(s.hub, cfg.DB.DB, cfg.DatabaseURL, casestudy.RoomEventsChannel); err != nil {
			s.hub.Close()
			return nil, err
		}
	}

	s.metrics.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(cfg.DB.DB, "casecircle"),
	)
	httpMetrics := newHTTPMetrics(s.metrics)
	csrf, err := s.crossOriginProtection()
	if err != nil {
		s.Close() // the hub, and the bus with its LISTEN connection, are running already
		return nil, err
	}

	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = clientIPExtractor(cfg.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	e.Use(
		s.requestID,
		s.logRequests,
		httpMetrics.middleware,
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}),
		securityHeaders,
		middleware.BodyLimit(maxBodyBytes),
		validateParams,
		csrf,
		s.loadUser,
	)
	s.registerOpsRoutes(e)
	s.registerAssetRoutes(e)
	s.registerPageRoutes(e)
	api := e.Group("/api/v1")
	s.registerAuthRoutes(api)
	api.GET("/search", s.handleSearch, requireUser, s.userLimit("search"))
	s.registerCommunityRoutes(api)
	api.GET("/ws", s.handleWebSocket)
	s.registerMailRoutes(e, api)
	s.registerNotificationRoutes(api)

	if err := s.startBackground(); err != nil {
		s.Close()
		return nil, err
	}

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
	s.Close()
	return err
}

// Close closes every WebSocket with "going away, resume" and stops the realtime hub and bus;
// for servers run through Handler (tests), which Shutdown does not reach.
func (s *Server) Close() {
	if s.stopBackground != nil {
		s.stopBackground()
		s.stopBackground = nil
	}
	s.conns.CloseAll()
	if s.bus != nil {
		_ = s.bus.Close()
		s.bus = nil
	}
	s.hub.Close()
}

// clientIPExtractor believes only the TCP peer, unless that peer is a configured proxy: then the
// right-most X-Forwarded-For address not itself a trusted proxy is the client.
func clientIPExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
