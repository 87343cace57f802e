package render_test

import (
	"testing"

	"github.com/casecircle/casecircle/server/render"
)

// Snippets read as text, not Markdown source: "**keen**" is shown as "keen".
func TestSnippetsDropMarkdownMarks(t *testing.T) {
	for in, want := range map[string]string{
		"I felt **\x01keen\x02** to help":           "I felt <mark>keen</mark> to help",
		"_really_ stuck, see [the model](http://x)": "really stuck, see the model",
		"> quoted line\n- a list item":              "quoted line\na list item",
		"keep snake_case and 3*4 as they are":       "keep snake_case and 3*4 as they are",
		"`code` and ~~struck~~ <b>":                 "code and struck &lt;b&gt;",
	} {
		if got := render.Snippet(in); got != want {
			t.Errorf("Snippet(%q) = %q, want %q", in, got, want)
		}
	}
}
