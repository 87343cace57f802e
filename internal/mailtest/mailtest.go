// Package mailtest runs a real SMTP server on loopback for tests (emersion/go-smtp): it speaks
// plain SMTP, STARTTLS or implicit TLS, may require a password, can refuse mail for a while, and
// keeps what it accepted, parsed, for assertions.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how the server protects the connection.
type Mode int

// Modes.
const (
	Plain    Mode = iota // no TLS offered
	StartTLS             // STARTTLS offered
	Implicit             // TLS from the first byte (smtps)
)

// Server is a listening SMTP server.
type Server struct {
	t        testing.TB
	mode     Mode
	user     string
	password string
	cert     tls.Certificate
	pool     *x509.CertPool

	mu       sync.Mutex
	addr     string
	srv      *smtp.Server
	received []Received
	refusing bool
	arrived  chan struct{}
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Raw  []byte
	*mail.Message
	body []byte
}

// Option configures a Server.
type Option func(*Server)

// WithMode sets the TLS mode.
func WithMode(m Mode) Option { return func(s *Server) { s.mode = m } }

// WithAuth requires these credentials.
func WithAuth(user, password string) Option {
	return func(s *Server) { s.user, s.password = user, password }
}

// Start listens on a free loopback port; the server stops when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, arrived: make(chan struct{}, 1000)}
	for _, o := range opts {
		o(s)
	}
	s.cert, s.pool = selfSigned(t)
	s.listen("127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) listen(addr string) {
	s.t.Helper()
	if err := s.listenOn(addr); err != nil {
		s.t.Fatalf("mailtest: listen: %v", err)
	}
}

func (s *Server) listenOn(addr string) error {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: s}, nil }))
	srv.Domain = "mail.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = s.mode == Plain
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{s.cert}}
	var l net.Listener
	var err error
	if s.mode == Implicit {
		l, err = tls.Listen("tcp", addr, tlsConfig)
	} else {
		l, err = net.Listen("tcp", addr)
		if s.mode == StartTLS {
			srv.TLSConfig = tlsConfig
		}
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.addr, s.srv = l.Addr().String(), srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }() // owned by s: Stop closes the server, which ends Serve
	return nil
}

// Stop closes the server (mail sent now fails to connect). Start it again with Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart listens again on the same address (the old socket may linger for a moment).
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	var err error
	for range 50 {
		if err = s.listenOn(addr); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("mailtest: listen again on %s: %v", addr, err)
}

// Refuse makes the server answer every message with a temporary failure (451) until called
// with false.
func (s *Server) Refuse(on bool) {
	s.mu.Lock()
	s.refusing = on
	s.mu.Unlock()
}

// URL is the --smtp-url for this server with the given scheme (smtp, smtps, smtp+starttls).
func (s *Server) URL(scheme string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := url.URL{Scheme: scheme, Host: s.addr}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.password)
	}
	return u.String()
}

// TLSConfig trusts this server's certificate.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1"}
}

// Messages returns what has been accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// WaitFor waits until n messages have been accepted in all and returns them; it fails the test
// after timeout.
func (s *Server) WaitFor(n int, timeout time.Duration) []Received {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-deadline:
			s.t.Fatalf("mailtest: %d messages arrived in %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

// Text is the message's text/plain part, decoded.
func (r Received) Text() string { return r.part("text/plain") }

// HTML is the message's text/html part, decoded.
func (r Received) HTML() string { return r.part("text/html") }

// Calendar is the message's text/calendar attachment and its method parameter.
func (r Received) Calendar() (body, method string) {
	var found string
	walk(r.Header.Get("Content-Type"), r.body, func(mediaType string, params map[string]string, body []byte) {
		if mediaType == "text/calendar" && found == "" {
			found, method = string(body), params["method"]
		}
	})
	return found, method
}

func (r Received) part(want string) string {
	var found string
	walk(r.Header.Get("Content-Type"), r.body, func(mediaType string, _ map[string]string, body []byte) {
		if mediaType == want && found == "" {
			found = string(body)
		}
	})
	return found
}

// walk visits every leaf part of a MIME body, decoded from its transfer encoding.
func walk(contentType string, body []byte, visit func(string, map[string]string, []byte)) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		visit(mediaType, params, body)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return
		}
		raw, _ := io.ReadAll(p)
		visit2 := decode(p.Header.Get("Content-Transfer-Encoding"), raw)
		walk(p.Header.Get("Content-Type"), visit2, visit)
	}
}

type session struct {
	server *Server
	from   string
	to     []string
	authed bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != s.server.user || password != s.server.password {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.server.mu.Lock()
	refusing := s.server.refusing
	s.server.mu.Unlock()
	if refusing {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(msg.Body)
	body = decode(msg.Header.Get("Content-Transfer-Encoding"), body)
	s.server.mu.Lock()
	s.server.received = append(s.server.received, Received{From: s.from, To: s.to, Raw: raw, Message: msg, body: body})
	s.server.mu.Unlock()
	select {
	case s.server.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
