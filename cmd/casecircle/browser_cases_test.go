package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/browsertest"
)

// The four identifying details the case is written with; none may be shown to the group or
// reach the database.
var (
	clientName = "Tobias Wexler"
	employer   = "Halvorsen Maritime Ltd"
	clientMail = "t.wexler@halvorsen-maritime.com"
	clientTel  = "07700 900123"
)

func TestCaseComposerInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")

	// Accounts and the community come from the service: the community flow has its own test.
	_, _, group := twoMemberCommunity(t, closedAtEnd(t, casestudy.NewService(m.DB())))

	signIn := func(b *browsertest.Browser, email string) { signInAs(b, base, email) }

	author := browsertest.New(t)
	signIn(author, "ada@example.org")
	author.Do(
		chromedp.Navigate(fmt.Sprintf("%s/communities/%d", base, group.ID)),
		chromedp.Click(`//main//a[.="Write a case"]`),
		chromedp.WaitVisible(`//h1[.="Write a case"]`),
		chromedp.SendKeys(chromedp.CSS("#case-title"), "A site manager who wants to walk away"),
		chromedp.SetValue(chromedp.CSS("#case-kind"), "coaching"),
		chromedp.SendKeys(chromedp.CSS("#case-context"), "My client "+clientName+" runs the night shift at "+employer+"."),
		chromedp.SendKeys(chromedp.CSS("#case-issue"), "He wants to resign. He sent his notes from "+clientMail+" and asked me to call "+clientTel+" after nine."),
		chromedp.SendKeys(chromedp.CSS("#case-reflection"), "I felt pulled to rescue him."),
		chromedp.SendKeys(chromedp.CSS("#case-question"), "How do I stay curious when I want to fix it?"),
		chromedp.SendKeys(chromedp.CSS("#case-tags"), "Career change, Rescuing"),
		chromedp.Click(`//button[.="Check anonymisation"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-review] mark.finding`)),
	)
	highlighted := browsertest.Get(author, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('mark.finding[data-state="open"] > span:first-child')].map(e => e.textContent)`))
	for _, want := range []string{clientName, employer, clientMail, clientTel} {
		if !containsString(highlighted, want) {
			t.Errorf("%q is not highlighted; highlighted: %q", want, highlighted)
		}
	}
	author.Screenshot("case-composer-findings")

	author.Do(
		chromedp.Click(`//button[.="Replace all undecided"]`),
		chromedp.WaitVisible(`//span[@data-open-count][.="Every detail is decided."]`),
	)
	stored := browsertest.Get(author, chromedp.Text(chromedp.CSS(`[data-testid="redacted-preview"]`)))
	if !strings.Contains(stored, "Client A") || strings.Contains(stored, clientName) {
		t.Errorf("preview of what will be stored: %q", stored)
	}
	// Publishing without the attestation is refused, with the reason next to the checkbox.
	author.Do(
		chromedp.Click(`//button[.="Publish"]`),
		chromedp.WaitVisible(`//p[@data-error-for="attest"][contains(., "Confirm")]`),
		chromedp.Click(chromedp.CSS(`[data-attest]`)),
		chromedp.Click(`//button[.="Publish"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case-title"]`)),
	)
	// Read in one step: the live room below the case renders as the page settles.
	if status := browsertest.Get(author, chromedp.Evaluate[string](`document.querySelector('[data-testid="case-status"]').textContent`)); status != "published" {
		t.Fatalf("status after publishing %q", status)
	}

	reader := browsertest.New(t)
	signIn(reader, "bo@example.org")
	reader.Do(
		chromedp.Navigate(fmt.Sprintf("%s/communities/%d/cases", base, group.ID)),
		chromedp.Click(`//ul[@data-testid="case-list"]//a[contains(., "A site manager")]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="case"]`)),
		// The room below the case is live: wait until it has settled before reading the page.
		chromedp.WaitVisible(`//ul[@data-testid="presence"]/li[.="Bo (you)"]`),
	)
	page := browsertest.Get(reader, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
	reader.Screenshot("case-as-read-by-the-group")
	for _, placeholder := range []string{"Client A", "[Organisation 1]", "[email]", "[phone]"} {
		if !strings.Contains(page, placeholder) {
			t.Errorf("the group does not see %q in:\n%s", placeholder, page)
		}
	}
	for _, secret := range []string{clientName, "Tobias", "Wexler", employer, "Halvorsen", clientMail, clientTel} {
		if strings.Contains(page, secret) {
			t.Errorf("the group sees %q", secret)
		}
	}

	var dump string
	if err := m.DB().Get(&dump, `SELECT string_agg(row_to_json(c)::text, ' ') FROM cases c`); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Tobias", "Wexler", "Halvorsen", clientMail, clientTel, "07700"} {
		if strings.Contains(dump, secret) {
			t.Errorf("the database holds %q", secret)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// demoPassword is the password of the accounts twoMemberCommunity creates.
const demoPassword = "a long and unusual passphrase"

// twoMemberCommunity registers Ada (facilitator of "Northern coaches") and Bo (a member of it)
// through the service: the sign-up and invitation flows have their own tests.
func twoMemberCommunity(t *testing.T, svc *casestudy.Service) (ada, bo casestudy.User, group casestudy.Community) {
	t.Helper()
	ctx := context.Background()
	ada, _, err := svc.Register(ctx, casestudy.SignUp{Email: "ada@example.org", DisplayName: "Ada", Password: demoPassword})
	if err != nil {
		t.Fatal(err)
	}
	bo, _, err = svc.Register(ctx, casestudy.SignUp{Email: "bo@example.org", DisplayName: "Bo", Password: demoPassword})
	if err != nil {
		t.Fatal(err)
	}
	group, err = svc.CreateCommunity(ctx, ada.ID, casestudy.NewCommunity{Name: "Northern coaches"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.CreateInvitation(ctx, ada.ID, group.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AcceptInvitation(ctx, bo.ID, token); err != nil {
		t.Fatal(err)
	}
	return ada, bo, group
}

// signInAs signs b in on the server at base with one of twoMemberCommunity's accounts.
// addMember registers Cy and makes her a member of the group, invited by its facilitator.
func addMember(t *testing.T, svc *casestudy.Service, facilitator casestudy.User, group casestudy.Community) casestudy.User {
	t.Helper()
	ctx := context.Background()
	cy, _, err := svc.Register(ctx, casestudy.SignUp{Email: "cy@example.org", DisplayName: "Cy", Password: demoPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.CreateInvitation(ctx, facilitator.ID, group.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AcceptInvitation(ctx, cy.ID, token); err != nil {
		t.Fatal(err)
	}
	return cy
}

func signInAs(b *browsertest.Browser, base, email string) {
	b.Do(chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword),
		chromedp.Click(chromedp.CSS(`form[data-api="/api/v1/auth/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)))
}

// openRoom signs a new browser in and opens a case page, waiting until its room is live.
func openRoom(t *testing.T, base, email, name, caseURL string) *browsertest.Browser {
	t.Helper()
	b := browsertest.New(t)
	signInAs(b, base, email)
	b.Do(chromedp.Navigate(caseURL),
		chromedp.WaitVisible(fmt.Sprintf(`//ul[@data-testid="presence"]/li[.="%s (you)"]`, name)))
	return b
}

// closedAtEnd closes a service when the test ends, so that its writer goroutine ends too.
func closedAtEnd(t testing.TB, s *casestudy.Service) *casestudy.Service {
	t.Helper()
	t.Cleanup(s.Close)
	return s
}
