package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/internal/mail"
	"github.com/casecircle/casecircle/internal/mailtest"
)

func TestSMTPSchemes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mode   mailtest.Mode
		scheme string
		ok     bool
	}{
		{"plain server, smtp:// sends without TLS", mailtest.Plain, "smtp", true},
		{"STARTTLS server, smtp:// upgrades", mailtest.StartTLS, "smtp", true},
		{"STARTTLS server, smtp+starttls:// upgrades", mailtest.StartTLS, "smtp+starttls", true},
		{"plain server, smtp+starttls:// refuses to send", mailtest.Plain, "smtp+starttls", false},
		{"implicit TLS, smtps://", mailtest.Implicit, "smtps", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := mailtest.Start(t, mailtest.WithMode(tc.mode), mailtest.WithAuth("relay", "s3cret pass"))
			sender, err := mail.NewSMTP(srv.URL(tc.scheme), "casecircle <noreply@example.org>", mail.WithTLSConfig(srv.TLSConfig()))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(sender.String(), "s3cret") {
				t.Errorf("String() shows the password: %s", sender)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = sender.Send(ctx, mail.Message{
				To: "ana@example.org", ToName: "Ana", Subject: "Your session", Text: "Plain words", HTML: "<p>HTML words</p>",
				MessageID: "outbox-42@casecircle.test", Unsubscribe: "https://cc.example.org/unsubscribe/abc", Community: "North Balint",
				Calendar: []byte("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"), CalendarMethod: "REQUEST",
			})
			if !tc.ok {
				if err == nil {
					t.Fatal("sent without TLS although the URL demands STARTTLS")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.WaitFor(1, 10*time.Second)[0]
			if got.To[0] != "ana@example.org" || got.From != "noreply@example.org" {
				t.Errorf("envelope %s → %v", got.From, got.To)
			}
			for header, want := range map[string]string{
				"Subject": "Your session", "Message-Id": "<outbox-42@casecircle.test>",
				"List-Unsubscribe": "<https://cc.example.org/unsubscribe/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
				"From": `"North Balint (casecircle)" <noreply@example.org>`,
			} {
				if v := got.Header.Get(header); v != want {
					t.Errorf("%s: %q, want %q", header, v, want)
				}
			}
			if strings.TrimSpace(got.Text()) != "Plain words" || !strings.Contains(got.HTML(), "<p>HTML words</p>") {
				t.Errorf("bodies: %q / %q", got.Text(), got.HTML())
			}
			if cal, method := got.Calendar(); !strings.Contains(cal, "METHOD:REQUEST") || method != "REQUEST" {
				t.Errorf("calendar %q method %q", cal, method)
			}
		})
	}
}

func TestSMTPWrongPasswordIsAnError(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithAuth("relay", "right"))
	url := strings.Replace(srv.URL("smtp"), ":right@", ":wrong@", 1)
	sender, err := mail.NewSMTP(url, "noreply@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), mail.Message{To: "a@example.org", Subject: "x", Text: "y"}); err == nil {
		t.Fatal("sent with a wrong password")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted", n)
	}
}

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"smtp://localhost:1025": true, "smtps://u:p@mail.example.org": true, "smtp+starttls://mail.example.org:587": true,
		"http://mail.example.org": false, "smtp://": false, "smtp://host:99999": false, "smtp://host/path": false, "::": false,
	} {
		if _, err := mail.ParseSMTPURL(raw); (err == nil) != ok {
			t.Errorf("%q: err %v", raw, err)
		}
	}
	if _, err := mail.NewSMTP("smtp://localhost:25", "not an address"); err == nil {
		t.Error("accepted a From that is not an address")
	}
}

func TestMailboxKeepsTheNewest(t *testing.T) {
	t.Parallel()
	box := mail.NewMailbox(2)
	for _, s := range []string{"one", "two", "three"} {
		_ = box.Send(context.Background(), mail.Message{Subject: s})
	}
	got := box.Messages()
	if len(got) != 2 || got[0].Subject != "three" || got[1].Subject != "two" {
		t.Fatalf("%+v", got)
	}
}
