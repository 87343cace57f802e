package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/browsertest"
)

// TestTemplateEditorInBrowser: a facilitator copies a built-in format, sees a validation error
// next to the field, fixes it, drops a phase and saves.
func TestTemplateEditorInBrowser(t *testing.T) {
	m := bootWithTestDB(t)
	base := strings.TrimSuffix(m.URL(), "/")
	_, _, group := twoMemberCommunity(t, closedAtEnd(t, casestudy.NewService(m.DB())))
	b := browsertest.New(t)
	signInAs(b, base, "ada@example.org")
	b.Do(chromedp.Navigate(fmt.Sprintf("%s/communities/%d", base, group.ID)),
		chromedp.Click(chromedp.CSS(`[data-testid="formats-link"]`)),
		chromedp.Click(`//li[.//strong[.="Balint group"]]//button[.="Copy to adapt"]`),
		chromedp.WaitVisible(`//h1[.="Balint group (copy)"]`),
		chromedp.WaitVisible(`//li[contains(@class,"phase")][6]`))

	b.Do(chromedp.SetValue(`//li[contains(@class,"phase")][1]//input[@type="number"]`, "0"),
		chromedp.Click(`//form[@data-testid="template-editor"]//button[.="Save format"]`),
		chromedp.WaitVisible(`//p[@data-error-for="phases[0].minutes"][contains(., "1 to 120 minutes")]`))
	b.Do(chromedp.SetValue(`//li[contains(@class,"phase")][1]//input[@type="number"]`, "4"),
		chromedp.SetValue(`//div[@data-editor-fields]/div[1]//input`, "Balint, short"),
		chromedp.Click(`//li[contains(@class,"phase")][6]//button[.="Remove"]`),
		chromedp.Click(`//form[@data-testid="template-editor"]//button[.="Save format"]`),
		chromedp.WaitVisible(`//h1[.="Balint, short"]`))
	rows := browsertest.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="template-phases"] tbody tr').length`))
	first := browsertest.Get(b, chromedp.Evaluate[string](`document.querySelector('[data-testid="template-phases"] tbody tr td:nth-child(2)').textContent`))
	if rows != 5 || first != "4" {
		t.Fatalf("saved format has %d phases, the first of %q minutes", rows, first)
	}
}
