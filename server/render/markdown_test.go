package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server/render"
)

// TestMarkdownExportEscapesEveryField: a Markdown export read by a viewer that renders raw HTML
// finds no markup in any field: no element, no script, no image, no javascript link, also when
// the text came as full-width characters that NFKC makes ASCII. The messages' own Markdown
// (emphasis, web links) still works.
func TestMarkdownExportEscapesEveryField(t *testing.T) {
	attack := `<img src=x onerror=alert(1)>`
	wide := "＜script＞alert(1)＜/script＞"
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	fn := "formative <b>"
	ex := casestudy.CaseExport{
		Community: "Peer " + attack,
		Case: casestudy.ExportedCase{ID: 1, Title: "Title " + wide, Kind: casestudy.KindCoaching, Author: "Ann " + attack,
			Tags: []string{"tag" + attack}, Context: "Context <script>alert(2)</script> and ![x](https://evil.example/p.png)",
			Question: "Q [click](javascript:alert(3)) or [ok](https://example.org)?", PublishedAt: &now},
		Summary: &casestudy.Summary{Themes: []string{"theme" + attack}, LearningPoints: "- point " + wide, Actions: "<iframe src=x>"},
		Records: []casestudy.SessionRecord{{TemplateName: "Balint " + attack, StartedAt: now, EndedAt: now,
			Supervisor: casestudy.Person{Name: "Sup " + wide}, Presenter: casestudy.Person{Name: "Pre " + attack},
			Phases:         []casestudy.PhaseRecord{{Name: "Phase " + attack, StartedAt: now, EndedAt: now}},
			LearningPoints: []casestudy.LearningPoint{{Body: "lp " + attack, Function: &fn}}}},
		Threads: []casestudy.ExportThread{{
			ExportMessage: casestudy.ExportMessage{Author: "Bo " + wide, Body: "**Agreed** <svg onload=alert(4)>", Phase: "Q " + attack, CreatedAt: now},
			Replies:       []casestudy.ExportMessage{{Author: "Cy", Body: "see <a href=javascript:alert(5)>this</a>", CreatedAt: now}},
		}},
	}
	md := render.CaseMarkdown(ex)
	var html bytes.Buffer
	viewer := goldmark.New(goldmark.WithRendererOptions(gmhtml.WithUnsafe())) // passes raw HTML through
	if err := viewer.Convert(md, &html); err != nil {
		t.Fatal(err)
	}
	out := strings.ToLower(html.String())
	for _, bad := range []string{"<img", "<script", "<iframe", "<svg", "<b>", "href=\"javascript", "src=\"https://evil"} {
		if strings.Contains(out, bad) {
			t.Errorf("the rendered export holds %q:\n%s\n\nMarkdown:\n%s", bad, html.String(), md)
		}
	}
	for _, good := range []string{"<strong>agreed</strong>", `href="https://example.org"`, "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(out, good) {
			t.Errorf("the rendered export lacks %q:\n%s", good, html.String())
		}
	}
}
