// Command casecircle is the group-supervision server: one binary for serving, migrating and
// checking health.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	stdmail "net/mail"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // time zone names work in a container without zoneinfo files

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/embeddedpg"
	"github.com/casecircle/casecircle/internal/mail"
	"github.com/casecircle/casecircle/internal/postgres"
	"github.com/casecircle/casecircle/server"
)

// shutdownTimeout bounds how long in-flight requests may take to finish when stopping.
const shutdownTimeout = 15 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, env envLookup, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printCommands(stdout)
		return 0
	}
	command, rest := args[0], args[1:]
	var err error
	switch command {
	case "serve", "migrate":
		cfg, perr := parseConfig(command, rest, env, stderr)
		if errors.Is(perr, flag.ErrHelp) {
			return 0
		}
		if perr != nil {
			fmt.Fprintln(stderr, "casecircle:", perr)
			return 2
		}
		logger := newLogger(cfg.LogFormat, stderr)
		if command == "serve" {
			tuneGC(env)
			err = serve(cfg, logger, stdout)
		} else {
			err = migrate(cfg, logger)
		}
	case "healthcheck":
		err = healthcheck(env)
	case "anonymise":
		err = anonymiseCommand(rest, os.Stdin, stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
	default:
		fmt.Fprintf(stderr, "casecircle: unknown command %q\n\n", command)
		printCommands(stderr)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "casecircle:", err)
		return 1
	}
	return 0
}

func printCommands(w io.Writer) {
	fmt.Fprint(w, `casecircle: a home for coaching and mentoring supervision groups.

Usage: casecircle <command> [flags]

Commands:
  serve        serve the web application (casecircle serve --help for its flags)
  migrate      apply database migrations and exit (same flags as serve)
  anonymise    replace identifying details in text on stdin (--json for the findings); no database needed
  healthcheck  exit 0 if the server at CASECIRCLE_ADDR answers /healthz (for container health checks)
`)
}

func newLogger(format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(cfg Config, logger *slog.Logger, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(cfg, logger)
	m.demoOut = stdout
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	fmt.Fprintf(stdout, "\ncasecircle is ready: open %s in your browser (Ctrl-C to stop)\n\n", m.URL())
	if cfg.DebugAddr != "" {
		go serveDebug(cfg.DebugAddr, logger)
	}
	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case serveErr = <-m.ServeErr():
	}
	stop() // a second Ctrl-C kills at once; the cluster still stops through its parent-death signal
	if err := m.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// serverGCPercent is the garbage collector's target for the server when GOGC is not set. The
// server's live heap is small (about 25 MB; the anonymiser's word lists are not on it), so at
// Go's default of 100 it collects several times a second under message load: measured with
// casecircle-bench's ingest scenario, 200 carried 1.02–1.32× the messages (median 1.23×, same-run
// pairs) for about 30 MB more memory. GOGC, when set, wins.
const serverGCPercent = 200

func tuneGC(env envLookup) {
	if env("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}

func migrate(cfg Config, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(cfg, logger)
	defer m.Close()
	return m.openDatabase(ctx)
}

func healthcheck(env envLookup) error {
	addr := env("CASECIRCLE_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	res, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", res.Status)
	}
	return nil
}

// Main is one running casecircle: database, migrations and HTTP server. Tests boot it on :0.
type Main struct {
	Config Config
	Logger *slog.Logger

	cluster  *embeddedpg.Cluster // nil with an external DATABASE_URL
	db       *sqlx.DB
	dsn      string // of db, for the realtime bus's LISTEN connection
	server   *server.Server
	listener net.Listener
	serveErr chan error
	closing  chan struct{}
	demoOut  io.Writer // where demo credentials are printed
	svc      *casestudy.Service
	// jobs are Main's own goroutines (serving, the session clock, retention, the cluster
	// watch): Close stops them through closing and waits for them.
	jobs      sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a Main that has not started yet.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, serveErr: make(chan error, 1), closing: make(chan struct{}), demoOut: io.Discard}
}

// Run opens (and if need be starts) the database, migrates it and starts serving HTTP in the
// background. It returns once the server accepts connections.
func (m *Main) Run(ctx context.Context) error {
	if err := m.openDatabase(ctx); err != nil {
		return err
	}
	key := m.Config.SecretKey
	if key == nil {
		var created bool
		var err error
		if key, created, err = loadSecretKey(m.Config.DataDir); err != nil {
			return fmt.Errorf("secret key: %w", err)
		}
		if created {
			m.Logger.Info("made a secret key for the label books; keep it with the data, and give it to every process that shares this database",
				"file", filepath.Join(m.Config.DataDir, secretKeyFile))
		}
	}
	relay := &eventRelay{}
	node := nodeID()
	sender, mailbox, err := m.mailSender()
	if err != nil {
		return err
	}
	options := []casestudy.ServiceOption{casestudy.WithEvents(relay), casestudy.WithNodeID(node), casestudy.WithSecretKey(key)}
	if sender != nil {
		options = append(options, casestudy.WithMail())
	}
	vapid, created, err := loadVAPIDKeys(m.Config.VAPID, m.Config.DataDir)
	switch {
	case err != nil && m.Config.VAPID.Public+m.Config.VAPID.Private != "":
		return fmt.Errorf("web push keys: %w", err)
	case err != nil:
		m.Logger.Warn("web push is off: no VAPID keys", "err", err)
		vapid = vapidKeys{}
	}
	if created {
		m.Logger.Info("made VAPID keys for web push; keep them with the data", "file", filepath.Join(m.Config.DataDir, vapidFile))
	}
	if vapid.Public != "" {
		options = append(options, casestudy.WithPush())
	}
	svc := casestudy.NewService(m.db, options...)
	if err := svc.CheckSecretKey(ctx); err != nil {
		return err
	}
	if m.Config.Demo {
		if err := seedDemo(ctx, svc, m.Logger, m.demoOut); err != nil {
			return fmt.Errorf("seeding demo data: %w", err)
		}
	}
	// Listen first: the public URL defaults to the address actually bound (port 0 picks one).
	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listening on %s: %w", m.Config.Addr, err)
	}
	publicURL := m.Config.PublicURL
	if publicURL == "" {
		publicURL = defaultPublicURL(m.listener.Addr())
	}
	allowed := m.Config.AllowedOrigins
	if m.Config.PublicURL != "" {
		allowed = append(slices.Clone(allowed), strings.TrimSuffix(m.Config.PublicURL, "/"))
	}
	srv, err := server.New(server.Config{
		DB: m.db, Service: svc, Logger: m.Logger, PublicURL: publicURL,
		AllowedOrigins: allowed, TrustedProxies: m.Config.TrustedProxies, SecureCookies: m.Config.SecureCookies,
		DatabaseURL: m.dsn, NodeID: node,
		WSMessagesPerSec: m.Config.WSMessageRate, WSBurst: m.Config.WSMessageBurst,
		WSMaxSocketsPerUser: m.Config.WSMaxSocketsPerUser, WSMaxSocketsPerIP: m.Config.WSMaxSocketsPerIP, AuthPerMinute: m.Config.AuthRate,
		Mail: sender, MailFrom: m.Config.MailFrom, DemoMailbox: mailbox,
		VAPIDPublicKey: vapid.Public, VAPIDPrivateKey: vapid.Private, VAPIDSubject: vapidSubject(m.Config.MailFrom, publicURL),
	})
	if err != nil {
		_ = m.listener.Close()
		return err
	}
	m.server = srv
	relay.target = srv.Events()
	m.svc = svc
	m.jobs.Go(func() { m.serveErr <- m.server.Serve(m.listener) })
	m.jobs.Go(func() { m.runSessionClock(svc) })
	m.jobs.Go(func() { m.runRetention(svc) })
	if sender != nil {
		m.jobs.Go(func() { m.runMailJobs(svc) })
	}
	m.Logger.Info("serving HTTP", "addr", m.listener.Addr().String())
	if mailbox != nil {
		fmt.Fprintf(m.demoOut, "\nThe mail this demo would send: %s/demo/mailbox\n", strings.TrimSuffix(publicURL, "/"))
	}
	return nil
}

// openDatabase connects to DATABASE_URL or starts the embedded cluster, then migrates.
func (m *Main) openDatabase(ctx context.Context) error {
	dsn := m.Config.DatabaseURL
	if dsn == "" {
		dir, err := filepath.Abs(filepath.Join(m.Config.DataDir, "postgres"))
		if err != nil {
			return err
		}
		m.cluster, err = embeddedpg.Start(ctx, embeddedpg.Config{Dir: dir, Logger: m.Logger})
		if err != nil {
			return fmt.Errorf("embedded PostgreSQL: %w", err)
		}
		m.jobs.Go(m.watchCluster)
		// Migrations run as the schema's owner; the server connects as a plain role that
		// cannot switch off the audit log's triggers (docs/security.md).
		ownerDSN, appDSN, err := m.cluster.PrepareDatabase(ctx, "casecircle")
		if err != nil {
			return err
		}
		if err := migrateWith(ctx, ownerDSN, m.Logger); err != nil {
			return err
		}
		if err := m.cluster.GrantApp(ctx, "casecircle"); err != nil {
			return err
		}
		m.Logger.Info("database: embedded PostgreSQL", "version", m.cluster.Version(), "dir", dir, "role", embeddedpg.AppRole)
		db, err := postgres.Open(ctx, appDSN)
		if err != nil {
			return err
		}
		m.db, m.dsn = db, appDSN
		return nil
	} else {
		m.Logger.Info("database: external PostgreSQL", "url", redactURL(dsn))
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	m.db, m.dsn = db, dsn
	return postgres.Migrate(ctx, db, m.Logger)
}

// migrateWith migrates the database at dsn over a connection of its own.
func migrateWith(ctx context.Context, dsn string, log *slog.Logger) error {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return postgres.Migrate(ctx, db, log)
}

// watchCluster reports an embedded PostgreSQL that stops on its own; /readyz then says 503.
func (m *Main) watchCluster() {
	select {
	case <-m.cluster.Done():
		select {
		case <-m.closing:
		default:
			m.Logger.Error("embedded PostgreSQL exited unexpectedly; see its log", "log", m.cluster.Dir()+".log")
		}
	case <-m.closing:
	}
}

// URL is the base URL the server answers on.
func (m *Main) URL() string {
	addr := m.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port)) + "/"
}

// ServeErr delivers the error that made the HTTP server stop, if it stops on its own.
func (m *Main) ServeErr() <-chan error { return m.serveErr }

// DB is the open database pool.
func (m *Main) DB() *sqlx.DB { return m.db }

// Cluster is the embedded PostgreSQL, or nil when DATABASE_URL is used.
func (m *Main) Cluster() *embeddedpg.Cluster { return m.cluster }

// Close shuts down in order: stop taking requests and let in-flight ones finish, close
// WebSockets with a close frame, stop the message writer and Main's jobs and wait for them,
// close the database pool, stop the embedded cluster. A second call returns the first's result.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	close(m.closing)
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("HTTP shutdown: %w", err))
		}
		cancel()
	}
	if m.svc != nil {
		m.svc.Close()
	}
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if m.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := m.cluster.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	m.jobs.Wait() // the cluster watch ends once the cluster has stopped
	return errors.Join(errs...)
}

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// redactURL hides the password of a database URL or key=value DSN, for logging.
func redactURL(raw string) string {
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "(unparseable URL)"
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return dsnPassword.ReplaceAllString(raw, "${1}xxxxx")
}

// serveDebug serves Go's profiler (net/http/pprof) on its own listener, for measuring; never
// on the public address.
func serveDebug(addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	logger.Info("profiler listening", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("profiler stopped", "err", err)
	}
}

// runSessionClock moves on live sessions whose phase is over time and whose template says so,
// every two seconds, until the process closes.
func (m *Main) runSessionClock(svc *casestudy.Service) {
	m.every(2*time.Second, 10*time.Second, "advancing overdue sessions", func(ctx context.Context) error {
		_, err := svc.AdvanceOverdueSessions(ctx)
		return err
	})
}

// every runs work every interval, each run bounded by timeout, until the process closes; a
// failure is logged as a warning (unless the process is closing, which cancels runs).
func (m *Main) every(interval, timeout time.Duration, what string, work func(context.Context) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-m.closing:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			if err := work(ctx); err != nil {
				select {
				case <-m.closing:
				default:
					m.Logger.Warn(what, "err", err)
				}
			}
			cancel()
		}
	}
}

// mailSender is the SMTP server of --smtp-url; a demo without one keeps mail in a mailbox that
// /demo/mailbox shows; otherwise there is no mail (nil).
func (m *Main) mailSender() (mail.Sender, *mail.Mailbox, error) {
	switch {
	case m.Config.SMTPURL != "":
		sender, err := mail.NewSMTP(m.Config.SMTPURL, m.Config.MailFrom)
		if err != nil {
			return nil, nil, err
		}
		m.Logger.Info("sending mail", "smtp", sender.String())
		return sender, nil, nil
	case m.Config.Demo:
		box := mail.NewMailbox(200)
		m.Logger.Info("no --smtp-url: the demo keeps its mail at /demo/mailbox")
		return box, box, nil
	}
	return nil, nil, nil
}

// vapidSubject is the contact push services see: the From address, else the public URL.
func vapidSubject(from, publicURL string) string {
	if addr, err := stdmail.ParseAddress(from); err == nil {
		return "mailto:" + addr.Address
	}
	return publicURL
}

// runMailJobs queues the reminders and digests that are due every minute, until the process
// closes. Several processes may run it: each is queued once (casestudy.QueueReminders,
// QueueDigests).
func (m *Main) runMailJobs(svc *casestudy.Service) {
	m.every(time.Minute, 30*time.Second, "queueing reminders and digests", func(ctx context.Context) error {
		if _, err := svc.QueueReminders(ctx); err != nil {
			return err
		}
		_, err := svc.QueueDigests(ctx)
		return err
	})
}

// runRetention applies the communities' retention policies soon after start and then every
// --retention-every, until the process closes. Several processes may run it: an advisory lock
// lets one at a time do the work.
func (m *Main) runRetention(svc *casestudy.Service) {
	first := time.NewTimer(30 * time.Second)
	defer first.Stop()
	every := m.Config.RetentionEvery
	if every <= 0 { // a Config built in code rather than parsed
		every = time.Hour
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-m.closing:
			return
		case <-first.C:
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		report, err := svc.ApplyRetention(ctx)
		cancel()
		switch {
		case err != nil:
			select {
			case <-m.closing:
			default:
				m.Logger.Warn("applying retention", "err", err)
			}
		case report.Messages+report.Drafts > 0:
			m.Logger.Info("retention applied", "communities", report.Communities, "messages", report.Messages, "drafts", report.Drafts)
		}
	}
}

// nodeID names this process on the realtime bus: host name and process id, readable in logs.
func nodeID() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// eventRelay lets the domain service, built before the server, deliver events to it.
type eventRelay struct{ target casestudy.Events }

func (r *eventRelay) SignInsRevoked(userID int64) {
	if r.target != nil {
		r.target.SignInsRevoked(userID)
	}
}

func (r *eventRelay) RoomEventCommitted(ev casestudy.RoomEvent) {
	if r.target != nil {
		r.target.RoomEventCommitted(ev)
	}
}

func (r *eventRelay) NotificationsChanged(userIDs []int64) {
	if r.target != nil {
		r.target.NotificationsChanged(userIDs)
	}
}

func (r *eventRelay) MembershipEnded(userID, communityID int64) {
	if r.target != nil {
		r.target.MembershipEnded(userID, communityID)
	}
}

// defaultPublicURL is http:// and the address the server listens on; an unspecified host
// (":8080", "0.0.0.0:8080") becomes localhost.
func defaultPublicURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
