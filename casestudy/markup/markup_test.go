package markup_test

import (
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy/markup"
)

func TestRender(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "<p>plain text</p>"},
		{"**bold** and _em_ and `code`", "<p><strong>bold</strong> and <em>em</em> and <code>code</code></p>"},
		{"line one\nline two", "<p>line one<br>\nline two</p>"},
		{"- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
		{"> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"},
		{"[site](https://example.org/x)", `<p><a href="https://example.org/x" rel="nofollow noopener" target="_blank">site</a></p>`},
	}
	for _, c := range cases {
		if got := markup.Render(c.in); got != c.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestRenderIsSafe: nothing a member writes becomes markup that runs or loads anything.
func TestRenderIsSafe(t *testing.T) {
	attacks := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`[click](javascript:alert(1))`,
		`[click](JaVaScRiPt:alert(1))`,
		`[click](data:text/html;base64,PHNjcmlwdD4=)`,
		`![pic](https://tracker.example/p.png)`,
		`<a href="https://example.org" onclick="x()">x</a>`,
		"<iframe src=https://example.org></iframe>",
		`[x](vbscript:msgbox)`,
		"<style>body{display:none}</style>",
	}
	for _, a := range attacks {
		got := strings.ToLower(markup.Render(a))
		for _, bad := range []string{"<script", "onerror", "javascript:", "vbscript:", "data:", "<img", "onclick", "<iframe", "<style"} {
			if strings.Contains(got, bad) {
				t.Errorf("Render(%q) = %q contains %q", a, got, bad)
			}
		}
	}
}
