package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/internal/browsertest"
	"github.com/casecircle/casecircle/internal/pgtest"
)

// bootWithTestDB runs the whole server on :0 over a fresh test database.
func bootWithTestDB(t *testing.T) *Main {
	t.Helper()
	url, _ := pgtest.NewDatabaseURL(t)
	m := mustRun(t, Config{Addr: "127.0.0.1:0", DatabaseURL: url, LogFormat: "text"})
	t.Cleanup(func() { m.Close() })
	return m
}

func TestHomePageInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	b := browsertest.New(t)

	b.Do(
		chromedp.Navigate(m.URL()),
		// Filled in by the page's ES module: proves the script loaded under the CSP and that the
		// fingerprinted asset URLs resolve.
		chromedp.WaitVisible(`//p[@data-testid="server-status"][normalize-space()="Server ready."]`),
	)
	title := browsertest.Get(b, chromedp.Title())
	heading := browsertest.Get(b, chromedp.Text(chromedp.CSS("h1")))
	sessionState := browsertest.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="session-state"]`)))
	serverStatus := browsertest.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="server-status"]`)))
	b.Screenshot("home")

	if !strings.Contains(title, "casecircle") || heading != "casecircle" {
		t.Errorf("title %q, heading %q: want the product name", title, heading)
	}
	if strings.TrimSpace(sessionState) != "You are not signed in." {
		t.Errorf("session state %q", sessionState)
	}
	if serverStatus != "Server ready." {
		t.Errorf("server status %q", serverStatus)
	}

	background := browsertest.Get(b, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`))
	if background != "rgb(251, 250, 247)" {
		t.Errorf("stylesheet not applied: page background %q", background)
	}
}
