// Package mail sends casecircle's e-mail: a Message built by the server goes out through SMTP
// (go-mail) or, on a demo server without SMTP, into a Mailbox that a page shows.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one rendered e-mail to one person.
type Message struct {
	To, ToName string
	Subject    string
	Text, HTML string
	// MessageID is stable for one piece of outgoing mail, so that a message sent again after a
	// crash is recognisable as the same one (id@host, without angle brackets).
	MessageID string
	// Unsubscribe is the one-click unsubscribe URL (RFC 8058) of mail that is not transactional.
	Unsubscribe string
	// Calendar is an iCalendar object sent with the message (an invitation, change or
	// cancellation); CalendarMethod is its METHOD (REQUEST, CANCEL).
	Calendar       []byte
	CalendarMethod string
	// Community names the community the mail speaks for, for the sender's display name.
	Community string
}

// Sender sends one message; an error means it was not accepted and may be tried again.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// TLS modes of an SMTP URL's scheme.
const (
	schemeSMTP     = "smtp"          // STARTTLS when the server offers it, plain when not
	schemeSMTPS    = "smtps"         // TLS from the first byte
	schemeStartTLS = "smtp+starttls" // STARTTLS or nothing is sent
)

// SMTP sends mail through an SMTP server, one connection a message.
type SMTP struct {
	from      string
	host      string
	options   []gomail.Option
	redacted  string
	tlsConfig *tls.Config
}

// Option adjusts an SMTP sender.
type Option func(*SMTP)

// WithTLSConfig sets the TLS configuration (tests trust their own certificate with it).
func WithTLSConfig(c *tls.Config) Option { return func(s *SMTP) { s.tlsConfig = c } }

// ParseSMTPURL checks an --smtp-url without connecting: smtp://, smtps:// or smtp+starttls://,
// a host, an optional port and optional credentials.
func ParseSMTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	switch u.Scheme {
	case schemeSMTP, schemeSMTPS, schemeStartTLS:
	default:
		return nil, fmt.Errorf("scheme %q: use smtp://, smtps:// or smtp+starttls://", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q", p)
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("an SMTP URL has no path, query or fragment")
	}
	return u, nil
}

// NewSMTP makes a sender from an --smtp-url and the From address (--mail-from).
func NewSMTP(rawURL, from string, opts ...Option) (*SMTP, error) {
	u, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	if _, err := parseAddress(from); err != nil {
		return nil, fmt.Errorf("--mail-from: %w", err)
	}
	s := &SMTP{from: from, host: u.Hostname(), redacted: u.Redacted()}
	for _, o := range opts {
		o(s)
	}
	port := 587
	var options []gomail.Option
	switch u.Scheme {
	case schemeSMTPS:
		port = 465
		options = append(options, gomail.WithSSL())
	case schemeStartTLS:
		options = append(options, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		options = append(options, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	options = append(options, gomail.WithPort(port), gomail.WithTimeout(30*time.Second))
	if u.User != nil {
		password, _ := u.User.Password()
		auth := gomail.SMTPAuthAutoDiscover // never a password in the clear to another host
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			auth = gomail.SMTPAuthPlainNoEnc // a mail catcher on this machine
		}
		options = append(options, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(password))
	}
	if s.tlsConfig != nil {
		options = append(options, gomail.WithTLSConfig(s.tlsConfig))
	}
	s.options = options
	if _, err := gomail.NewClient(s.host, s.options...); err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	return s, nil
}

// String names the server without its password, for logs.
func (s *SMTP) String() string { return s.redacted }

// Send delivers one message in a connection of its own.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, msg)
}

func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	from := s.from
	if m.Community != "" {
		if addr, err := parseAddress(s.from); err == nil {
			from = fmt.Sprintf("%q <%s>", m.Community+" (casecircle)", addr)
		}
	}
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetUserAgent("casecircle")
	if m.Unsubscribe != "" {
		msg.SetListUnsubscribe("<" + m.Unsubscribe + ">")
		msg.SetListUnsubscribePost()
		msg.SetGenHeader(gomail.HeaderPrecedence, "bulk")
	} else {
		// Transactional mail: tell autoresponders not to answer it.
		msg.SetGenHeader("Auto-Submitted", "auto-generated")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if len(m.Calendar) > 0 {
		method := m.CalendarMethod
		if method == "" {
			method = "PUBLISH"
		}
		if err := msg.AttachReader("invite.ics", strings.NewReader(string(m.Calendar)),
			gomail.WithFileContentType(gomail.ContentType("text/calendar; charset=utf-8; method="+method))); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

func parseAddress(s string) (string, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s); err != nil {
		return "", errors.New("not an e-mail address")
	}
	from := msg.GetFrom()
	if len(from) != 1 {
		return "", errors.New("not one e-mail address")
	}
	return from[0].Address, nil
}

// Mailbox keeps the last messages instead of sending them: a demo server without SMTP shows
// them on its demo mailbox page, so a newcomer sees what would go out.
type Mailbox struct {
	mu   sync.Mutex
	max  int
	mail []Delivered
	seq  int
}

// Delivered is a message kept by a Mailbox.
type Delivered struct {
	Number int
	At     time.Time
	Message
}

// NewMailbox keeps at most max messages, dropping the oldest.
func NewMailbox(max int) *Mailbox { return &Mailbox{max: max} }

// Send keeps the message.
func (b *Mailbox) Send(_ context.Context, m Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	b.mail = append(b.mail, Delivered{Number: b.seq, At: time.Now(), Message: m})
	if len(b.mail) > b.max {
		b.mail = b.mail[len(b.mail)-b.max:]
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (b *Mailbox) Messages() []Delivered {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Delivered, len(b.mail))
	for i, m := range b.mail {
		out[len(b.mail)-1-i] = m
	}
	return out
}
