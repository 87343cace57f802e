package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/internal/browsertest"
)

// TestPasswordResetInBrowser: Bo forgot his password. Ada, the facilitator, makes a reset link
// on the community page and hands it over; Bo opens it signed out, chooses a new password, is
// sent to the sign-in page and signs in with it. The link works once.
func TestPasswordResetInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	_, _, group := twoMemberCommunity(t, testService(t, m))

	ada := browsertest.New(t)
	signInAs(ada, base, "ada@example.org")
	ada.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d", base, group.ID)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="Bo"] [data-testid="reset-link"]`)),
		// With no mail server, the page says how invitations and resets travel instead.
		chromedp.WaitVisible(`//p[@data-testid="mail-off"][contains(., "sends no e-mail")]`))
	browsertest.Get(ada, chromedp.Evaluate[bool](`window.confirm = () => true; true`))
	ada.Do(chromedp.Click(chromedp.CSS(`li[data-member="Bo"] [data-testid="reset-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-link-url"]`)))
	link := browsertest.Get(ada, chromedp.Value(chromedp.CSS(`[data-testid="reset-link-url"]`)))
	if !strings.HasPrefix(link, base+"/reset/") {
		t.Fatalf("reset link %q", link)
	}

	const newPassword = "a brand new and unusual passphrase"
	bo := browsertest.New(t)
	bo.Do(chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-form"]`)),
		chromedp.SendKeys(chromedp.CSS("#reset-password"), "too short"),
		chromedp.Click(chromedp.CSS(`[data-testid="reset-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reset-password[aria-invalid="true"]`)),
	)
	browsertest.Get(bo, chromedp.Evaluate[bool](`document.querySelector("#reset-password").value = ""; true`))
	bo.Do(
		chromedp.SendKeys(chromedp.CSS("#reset-password"), newPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="reset-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-api="/api/v1/auth/signin"]`)),
		chromedp.SendKeys(chromedp.CSS("#email"), "bo@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), newPassword),
		chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/auth/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)),
	)

	// Used once: the page says so when the link is tried again.
	again := browsertest.New(t)
	again.Do(chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-form"]`)),
		chromedp.SendKeys(chromedp.CSS("#reset-password"), newPassword+" again"),
		chromedp.Click(chromedp.CSS(`[data-testid="reset-form"] button[type="submit"]`)),
		chromedp.WaitVisible(`//p[@data-form-error][contains(., "does not work any more")]`),
	)
}

// TestTimeZoneInBrowser: Ada's browser runs in New York, but she reads casecircle in Tokyo
// time: she chooses it on her account page, and every page then shows times in it.
func TestTimeZoneInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	_, _, group := twoMemberCommunity(t, testService(t, m))
	ada := browsertest.New(t)
	ada.SetTimezone("America/New_York")
	signInAs(ada, base, "ada@example.org")
	audit := fmt.Sprintf("%s/communities/%d/audit", base, group.ID)
	firstDate := func() string {
		ada.Do(chromedp.Navigate(audit), chromedp.WaitVisible(`//td/time[contains(., "20")]`))
		return browsertest.Get(ada, chromedp.Text(`(//td/time)[1]`))
	}
	if d := firstDate(); !strings.Contains(d, "EST") && !strings.Contains(d, "EDT") {
		t.Fatalf("before choosing a zone the browser's is used: %q", d)
	}
	ada.Do(chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="time-zone-form"]`)),
		chromedp.SendKeys(chromedp.CSS("#time_zone"), "Asia/Tokyo"),
		chromedp.Click(chromedp.CSS(`[data-testid="time-zone-form"] button[type="submit"]`)),
		chromedp.WaitVisible(`//body[@data-time-zone="Asia/Tokyo"]`),
	)
	if d := firstDate(); !strings.Contains(d, "GMT+9") {
		t.Fatalf("after choosing Tokyo: %q", d)
	}
}
