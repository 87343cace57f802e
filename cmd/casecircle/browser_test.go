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
		chromedp.WaitReady(`//p[@data-testid="server-status"][@data-checked="ok"]`),
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
	if serverStatus != "" {
		t.Errorf("server status %q: nothing is said when all is well", serverStatus)
	}

	background := browsertest.Get(b, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`))
	if background != "rgb(251, 250, 247)" {
		t.Errorf("stylesheet not applied: page background %q", background)
	}
}

// TestCommunityFlowInBrowser: one person starts a community and invites another, who signs up
// through the link and joins; the first then sees them and makes them a supervisor.
func TestCommunityFlowInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	ada := browsertest.New(t)
	bo := browsertest.New(t) // a second browser: its own cookies

	const password = "a long and unusual passphrase"
	signUp := func(b *browsertest.Browser, email, name string) {
		b.Do(
			chromedp.WaitVisible(chromedp.CSS(`form[data-api="/api/v1/auth/signup"]`)),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#display_name"), name),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/auth/signup"] button[type="submit"]`)),
		)
	}

	// Ada signs up, after first seeing a validation error next to the field.
	ada.Do(chromedp.Navigate(base+"/signup"),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.org"),
		chromedp.SendKeys(chromedp.CSS("#display_name"), "Ada"),
		chromedp.SendKeys(chromedp.CSS("#password"), "too short"),
		chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/auth/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#password[aria-invalid="true"]`)),
	)
	if msg := browsertest.Get(ada, chromedp.Text(chromedp.CSS("#password-error"))); !strings.Contains(msg, "at least 12") {
		t.Errorf("error next to the password field: %q", msg)
	}
	ada.Do(chromedp.Navigate(base + "/signup"))
	signUp(ada, "ada@example.org", "Ada")
	ada.Do(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)),
		chromedp.SendKeys(chromedp.CSS("#community-name"), "Northern coaches"),
		chromedp.SendKeys(chromedp.CSS("#community-description"), "Peer supervision, fortnightly"),
		chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/communities"] button[type="submit"]`)),
		chromedp.WaitVisible(`//h1[.="Northern coaches"]`),
		chromedp.Click(chromedp.CSS(`form[data-success="invitation"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="invitation-url"]`)),
	)
	link := browsertest.Get(ada, chromedp.Value(chromedp.CSS(`[data-testid="invitation-url"]`)))
	if !strings.HasPrefix(link, base+"/join/") {
		t.Fatalf("invitation link %q", link)
	}
	if role := browsertest.Get(ada, chromedp.Text(chromedp.CSS(`[data-testid="my-role"]`))); role != "facilitator" {
		t.Fatalf("creator's role %q", role)
	}
	ada.Screenshot("community-facilitator")

	// Bo opens the link signed out, creates an account from there and joins.
	bo.Do(chromedp.Navigate(link),
		chromedp.WaitVisible(`//a[.="Create an account"]`),
		chromedp.Click(`//main//a[.="Create an account"]`),
	)
	signUp(bo, "bo@example.org", "Bo")
	bo.Do(
		chromedp.WaitVisible(`//p[@data-testid="join-status"][contains(., "Northern coaches")]`),
		chromedp.Click(`//button[contains(., "Join Northern coaches")]`),
		chromedp.WaitVisible(`//h1[.="Northern coaches"]`),
	)
	if role := browsertest.Get(bo, chromedp.Text(chromedp.CSS(`[data-testid="my-role"]`))); role != "member" {
		t.Fatalf("Bo's role %q", role)
	}

	// Ada sees Bo and promotes them.
	ada.Do(chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="Bo"]`)),
		chromedp.SetValue(chromedp.CSS(`li[data-member="Bo"] select`), "supervisor"),
		chromedp.Click(chromedp.CSS(`li[data-member="Bo"] button[type="submit"]`)),
		chromedp.WaitVisible(`//li[@data-member="Bo"]/span[@data-testid="member-role"][.="supervisor"]`),
	)
	bo.Do(chromedp.Reload(), chromedp.WaitVisible(`//strong[@data-testid="my-role"][.="supervisor"]`))
	ada.Screenshot("community-after-promotion")

	// Bo signs out, is refused with a wrong password, and signs back in to find the community.
	bo.Do(
		chromedp.Click(`//header//button[.="Sign out"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-out"]`)),
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), "bo@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), "not Bo's password at all"),
		chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/auth/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(`//p[@data-form-error][contains(., "do not match")]`),
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), "bo@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/auth/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(`//ul[@data-testid="community-list"]//a[contains(., "Northern coaches")]`),
		chromedp.EmulateViewport(390, 844),
	)
	bo.Screenshot("home-phone")
}
