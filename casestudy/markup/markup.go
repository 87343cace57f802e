// Package markup turns a message's text, written in a small Markdown subset, into HTML that is
// safe to put in a page: goldmark parses it (raw HTML is escaped, never passed through) and
// bluemonday keeps only the elements and link schemes of that subset.
package markup

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

var (
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.Strikethrough, extension.Linkify),
		// Single line breaks are kept: people write messages line by line, not in paragraphs.
		goldmark.WithRendererOptions(gmhtml.WithHardWraps()),
	)
	policy = sync.OnceValue(newPolicy)
)

// newPolicy allows text formatting, lists, quotes, code and links to http(s) and mailto only:
// no images (they would leak readers' addresses to other hosts), no tables, no raw HTML.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "hr",
		"h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,6}$`)).OnElements("ol")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true) // and with it rel="noopener"
	return p
}

// Render returns the safe HTML of a message's text.
func Render(text string) string {
	if isPlain(text) {
		return renderPlain(text)
	}
	return renderMarkdown(text)
}

// isPlain is true for text in which Markdown would find nothing to do: one paragraph of lines
// without markup characters, list or quote starts, indents, trailing spaces or links. Most
// messages are like that, and the parser costs ten times the escaping (TestPlainFastPath
// checks both give the same HTML).
func isPlain(text string) bool {
	if text == "" || strings.ContainsAny(text, "*_`[]!<>#~|\\&@=\t\r{}$^") || strings.Contains(text, "\n\n") ||
		strings.Contains(text, "://") || strings.Contains(strings.ToLower(text), "www.") {
		return false
	}
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || line[0] == ' ' || line[len(line)-1] == ' ' || strings.ContainsRune("-+0123456789", rune(line[0])) {
			return false
		}
	}
	return true
}

func renderPlain(text string) string {
	return "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>\n") + "</p>"
}

func renderMarkdown(text string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(text), &buf); err != nil {
		// goldmark only fails when its writer does; a bytes.Buffer does not.
		return bluemonday.StrictPolicy().Sanitize(text)
	}
	return string(bytes.TrimSpace(policy().SanitizeBytes(buf.Bytes())))
}
