package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/casecircle/casecircle/internal/mail"
)

// Config is the whole configuration of a casecircle process, parsed once here and passed down.
type Config struct {
	Addr           string       // where HTTP is served
	DatabaseURL    string       // empty: run an embedded PostgreSQL under DataDir
	DataDir        string       // holds the embedded cluster
	LogFormat      string       // "text" or "json"
	AllowedOrigins []string     // extra origins trusted for WebSocket and CSRF checks
	Demo           bool         // seed demo data
	TrustedProxies []*net.IPNet // proxies whose X-Forwarded-For is believed
	SecureCookies  bool         // Secure cookies even when TLS ends at a proxy
	PublicURL      string       // where people reach the server; empty: http:// and the listen address
	// RequireDatabaseURL refuses to fall back to the embedded cluster (set in the container image,
	// which has no PostgreSQL binaries and no place for a cluster).
	RequireDatabaseURL bool
	WSMessageRate      float64 // frames a second per WebSocket (publish, edit, delete, read, subscribe)
	WSMessageBurst     int
	// WSMaxSocketsPerUser and WSMaxSocketsPerIP cap open sockets on this process.
	WSMaxSocketsPerUser, WSMaxSocketsPerIP int
	AuthRate                               int           // sign-ins and sign-ups a minute per client IP
	DebugAddr                              string        // serves the Go profiler there when set (e.g. 127.0.0.1:6060)
	RetentionEvery                         time.Duration // how often retention policies are applied
	SMTPURL                                string        // empty: no mail (a demo server keeps it in its demo mailbox)
	MailFrom                               string
	// VAPID is the web push key pair from CASECIRCLE_VAPID_PUBLIC_KEY and _PRIVATE_KEY (empty: the
	// data directory's vapid.json). Never a flag.
	VAPID vapidKeys
	// SecretKey keys the label books' digests (from CASECIRCLE_SECRET_KEY; nil: the data
	// directory's secret.key). Never a flag, never logged.
	SecretKey []byte
}

// envLookup reads an environment variable; tests pass a map instead of os.Getenv.
type envLookup func(string) string

// flagSpec describes one flag and its environment equivalent, for parsing and for --help.
type flagSpec struct {
	name, env, def, help string
}

var serveFlags = []flagSpec{
	{"addr", "CASECIRCLE_ADDR", "127.0.0.1:8080", "address to serve HTTP on (host:port; port 0 picks a free one)"},
	{"database-url", "DATABASE_URL", "", "PostgreSQL URL (postgres://user:pass@host/db); empty runs an embedded PostgreSQL under --data-dir"},
	{"data-dir", "CASECIRCLE_DATA_DIR", "./data", "directory for the embedded PostgreSQL cluster and its log"},
	{"log-format", "CASECIRCLE_LOG_FORMAT", "text", "log format: text or json"},
	{"public-url", "CASECIRCLE_PUBLIC_URL", "", "the URL people reach this server at, e.g. https://supervision.example.org; links in invitations start with it (default: http:// and the listen address)"},
	{"allowed-origin", "CASECIRCLE_ALLOWED_ORIGINS", "", "extra origin trusted for WebSocket and CSRF checks, e.g. https://supervision.example.org behind a proxy; repeatable (env: comma-separated)"},
	{"trusted-proxy", "CASECIRCLE_TRUSTED_PROXIES", "", "network (CIDR) of a reverse proxy whose X-Forwarded-For is believed for client IPs; repeatable (env: comma-separated)"},
	{"secure-cookies", "CASECIRCLE_SECURE_COOKIES", "false", "mark cookies Secure (__Host- prefix) even without TLS here: set it when a proxy terminates HTTPS"},
	{"demo", "CASECIRCLE_DEMO", "false", "seed a demo community with demo accounts (never on a real deployment)"},
	{"ws-message-rate", "CASECIRCLE_WS_MESSAGE_RATE", "10", "frames a second each WebSocket may send (publish, edit, delete, read, subscribe); more get an error frame"},
	{"ws-message-burst", "CASECIRCLE_WS_MESSAGE_BURST", "20", "frames a WebSocket may send at once before --ws-message-rate applies"},
	{"ws-max-sockets-per-user", "CASECIRCLE_WS_MAX_SOCKETS_PER_USER", "20", "open WebSockets one account may hold on this process; more are refused with 429"},
	{"ws-max-sockets-per-ip", "CASECIRCLE_WS_MAX_SOCKETS_PER_IP", "200", "open WebSockets one client address may hold on this process (behind a proxy, set --trusted-proxy); more are refused with 429"},
	{"auth-rate", "CASECIRCLE_AUTH_RATE", "10", "sign-ins and sign-ups a minute per client IP address"},
	{"retention-every", "CASECIRCLE_RETENTION_EVERY", "1h", "how often the communities' retention policies are applied (a Go duration: 1h, 30m); one process at a time does it"},
	{"smtp-url", "CASECIRCLE_SMTP_URL", "", "SMTP server for outgoing mail: smtp://user:pass@host:587 (STARTTLS when offered, plain when not, as local mail catchers need), smtps://host:465 (TLS), smtp+starttls://host:587 (STARTTLS or nothing is sent); empty: no e-mail"},
	{"mail-from", "CASECIRCLE_MAIL_FROM", "", "From address of outgoing mail, e.g. \"casecircle <noreply@example.org>\" (required with --smtp-url)"},
	{"debug-addr", "CASECIRCLE_DEBUG_ADDR", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; keep it private"},
}

// parseConfig reads flags over environment variables over defaults.
func parseConfig(command string, args []string, env envLookup, usageOut io.Writer) (Config, error) {
	fs := flag.NewFlagSet("casecircle "+command, flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.Usage = func() { printUsage(usageOut, command) }

	value := func(name string) string {
		for _, f := range serveFlags {
			if f.name == name {
				if v := env(f.env); v != "" {
					return v
				}
				return f.def
			}
		}
		panic("unknown flag " + name)
	}
	var cfg Config
	fs.StringVar(&cfg.Addr, "addr", value("addr"), "")
	fs.StringVar(&cfg.DatabaseURL, "database-url", value("database-url"), "")
	fs.StringVar(&cfg.DataDir, "data-dir", value("data-dir"), "")
	fs.StringVar(&cfg.LogFormat, "log-format", value("log-format"), "")
	fs.StringVar(&cfg.PublicURL, "public-url", value("public-url"), "")
	origins := &stringList{values: splitList(value("allowed-origin"))}
	fs.Var(origins, "allowed-origin", "")
	demoDefault, err := parseBool("CASECIRCLE_DEMO", value("demo"))
	if err != nil {
		return cfg, err
	}
	fs.BoolVar(&cfg.Demo, "demo", demoDefault, "")
	proxies := &stringList{values: splitList(value("trusted-proxy"))}
	fs.Var(proxies, "trusted-proxy", "")
	secureDefault, err := parseBool("CASECIRCLE_SECURE_COOKIES", value("secure-cookies"))
	if err != nil {
		return cfg, err
	}
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", secureDefault, "")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", value("debug-addr"), "")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", value("smtp-url"), "")
	fs.StringVar(&cfg.MailFrom, "mail-from", value("mail-from"), "")
	retentionDefault, err := time.ParseDuration(value("retention-every"))
	if err != nil {
		return cfg, fmt.Errorf("CASECIRCLE_RETENTION_EVERY: %q is not a duration like 1h or 30m", value("retention-every"))
	}
	fs.DurationVar(&cfg.RetentionEvery, "retention-every", retentionDefault, "")
	fs.Float64Var(&cfg.WSMessageRate, "ws-message-rate", 0, "")
	fs.IntVar(&cfg.WSMessageBurst, "ws-message-burst", 0, "")
	fs.IntVar(&cfg.AuthRate, "auth-rate", 0, "")
	fs.IntVar(&cfg.WSMaxSocketsPerUser, "ws-max-sockets-per-user", 0, "")
	fs.IntVar(&cfg.WSMaxSocketsPerIP, "ws-max-sockets-per-ip", 0, "")
	for name, target := range map[string]any{"ws-message-rate": &cfg.WSMessageRate, "ws-message-burst": &cfg.WSMessageBurst, "auth-rate": &cfg.AuthRate,
		"ws-max-sockets-per-user": &cfg.WSMaxSocketsPerUser, "ws-max-sockets-per-ip": &cfg.WSMaxSocketsPerIP} {
		if err := setNumber(name, value(name), target); err != nil {
			return cfg, err
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see casecircle %s --help)", fs.Arg(0), command)
	}
	cfg.AllowedOrigins = origins.values
	for _, p := range proxies.values {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			if ip := net.ParseIP(p); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				n = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
			} else {
				return cfg, fmt.Errorf("--trusted-proxy %q must be an IP address or a CIDR network like 10.0.0.0/8", p)
			}
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	if cfg.RequireDatabaseURL, err = parseBool("CASECIRCLE_REQUIRE_DATABASE_URL", env("CASECIRCLE_REQUIRE_DATABASE_URL")); err != nil {
		return cfg, err
	}
	cfg.VAPID = vapidKeys{Public: env("CASECIRCLE_VAPID_PUBLIC_KEY"), Private: env("CASECIRCLE_VAPID_PRIVATE_KEY")}
	if raw := env("CASECIRCLE_SECRET_KEY"); raw != "" {
		if cfg.SecretKey, err = parseSecretKey(raw); err != nil {
			return cfg, fmt.Errorf("CASECIRCLE_SECRET_KEY: %w", err)
		}
	}
	return cfg, cfg.validate()
}

// setNumber sets a numeric flag's default from its environment value (or built-in default).
func setNumber(name, raw string, target any) error {
	var err error
	switch t := target.(type) {
	case *float64:
		*t, err = strconv.ParseFloat(raw, 64)
	case *int:
		*t, err = strconv.Atoi(raw)
	}
	if err != nil {
		return fmt.Errorf("--%s: %q is not a number", name, raw)
	}
	return nil
}

func (cfg Config) validate() error {
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, not %q", cfg.LogFormat)
	}
	if cfg.Addr == "" {
		return errors.New("--addr must not be empty")
	}
	if cfg.WSMessageRate <= 0 || cfg.WSMessageBurst < 1 || cfg.AuthRate < 1 || cfg.WSMaxSocketsPerUser < 1 || cfg.WSMaxSocketsPerIP < 1 {
		return errors.New("--ws-message-rate, --ws-message-burst, --ws-max-sockets-per-user, --ws-max-sockets-per-ip and --auth-rate must be positive")
	}
	if cfg.RetentionEvery < time.Minute {
		return errors.New("--retention-every must be at least a minute")
	}
	if cfg.DatabaseURL == "" && cfg.DataDir == "" {
		return errors.New("set --database-url, or --data-dir for the embedded PostgreSQL")
	}
	if cfg.DatabaseURL == "" && cfg.RequireDatabaseURL {
		return errors.New("DATABASE_URL is required here (CASECIRCLE_REQUIRE_DATABASE_URL is set, as in the container image, which runs no embedded PostgreSQL)")
	}
	if cfg.SecretKey == nil && cfg.RequireDatabaseURL {
		return errors.New("CASECIRCLE_SECRET_KEY is required here (as in the container image, where no data directory keeps a key file): " +
			"the same key on every process, made once with: openssl rand -hex 32")
	}
	if cfg.SMTPURL != "" {
		if _, err := mail.ParseSMTPURL(cfg.SMTPURL); err != nil {
			return fmt.Errorf("--smtp-url: %w", err) // the URL itself is never repeated: it may hold a password
		}
		if cfg.MailFrom == "" {
			return errors.New("--mail-from is required with --smtp-url, e.g. \"casecircle <noreply@example.org>\"")
		}
	}
	if cfg.PublicURL != "" && !isOrigin(cfg.PublicURL, false) {
		return fmt.Errorf("--public-url %q must be a URL like https://supervision.example.org", cfg.PublicURL)
	}
	for _, o := range cfg.AllowedOrigins {
		if !isOrigin(o, true) {
			return fmt.Errorf("--allowed-origin %q must be an origin like https://supervision.example.org", o)
		}
	}
	return nil
}

// isOrigin says whether s is an http(s) URL with a host and no path, query (or, unless
// userAllowed, user info).
func isOrigin(s string, userAllowed bool) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && (userAllowed || u.User == nil)
}

func parseBool(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, not %q", name, v)
	}
	return b, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.TrimSuffix(s, "/"))
		}
	}
	return out
}

// stringList is a repeatable flag. The first use on the command line replaces the values taken
// from the environment rather than adding to them.
type stringList struct {
	values  []string
	fromCLI bool
}

func (l *stringList) String() string { return strings.Join(l.values, ",") }

func (l *stringList) Set(v string) error {
	if !l.fromCLI {
		l.values, l.fromCLI = nil, true
	}
	l.values = append(l.values, splitList(v)...)
	return nil
}

func printUsage(w io.Writer, command string) {
	fmt.Fprintf(w, "Usage: casecircle %s [flags]\n\n", command)
	switch command {
	case "serve":
		fmt.Fprintln(w, "Serve casecircle over HTTP. Migrations are applied at start.")
	case "migrate":
		fmt.Fprintln(w, "Apply database migrations, then exit.")
	}
	fmt.Fprintln(w, "\nThe label books' secret key comes from CASECIRCLE_SECRET_KEY (hex or base64, at least 32 bytes;")
	fmt.Fprintln(w, "the same on every process that shares a database), or from secret.key in --data-dir, made on first start.")
	fmt.Fprintln(w, "\nFlags (each may also be set by the environment variable shown):")
	for _, f := range serveFlags {
		def := ""
		if f.def != "" && f.def != "false" {
			def = fmt.Sprintf(" (default %q)", f.def)
		}
		kind := " value"
		if f.name == "demo" || f.name == "secure-cookies" {
			kind = ""
		}
		fmt.Fprintf(w, "  --%s%s\n      %s%s\n      env: %s\n", f.name, kind, f.help, def, f.env)
	}
}
