// Package render turns the domain's records into documents for people: a case's export as
// Markdown, and search snippets as HTML. The domain (casestudy) says what is in them; how they
// look is decided here.
package render

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// CaseMarkdown renders a case's export as a Markdown document, every text from the case
// written as literal text or in the messages' Markdown subset, never as markup of its own.
func CaseMarkdown(e casestudy.CaseExport) []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	date := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2 January 2006")
	}
	c := e.Case
	line("# %s", mdLine(c.Title))
	line("")
	line("- Community: %s", mdLine(e.Community))
	line("- Kind: %s", mdLine(string(c.Kind)))
	line("- Presented by: %s", mdLine(c.Author))
	if len(c.Tags) > 0 {
		line("- Tags: %s", mdLine(strings.Join(c.Tags, ", ")))
	}
	if c.PublishedAt != nil {
		line("- Published: %s", date(c.PublishedAt))
	}
	if c.ArchivedAt != nil {
		line("- Archived: %s", date(c.ArchivedAt))
	}
	line("")
	line("*Anonymised case study: identifying details were replaced before anything was stored.*")
	for _, section := range []struct{ title, text string }{
		{"Context", c.Context}, {"Presenting issue", c.PresentingIssue}, {"Reflection", c.Reflection}, {"Question for the group", c.Question},
	} {
		if strings.TrimSpace(section.text) == "" {
			continue
		}
		line("")
		line("## %s", section.title)
		line("")
		line("%s", mdBody(strings.TrimSpace(section.text)))
	}
	if s := e.Summary; s != nil {
		line("")
		line("## Learning summary")
		if len(s.Themes) > 0 {
			line("")
			line("**Themes:** %s", mdLine(strings.Join(s.Themes, ", ")))
		}
		if strings.TrimSpace(s.LearningPoints) != "" {
			line("")
			line("### Learning points")
			line("")
			line("%s", mdBody(strings.TrimSpace(s.LearningPoints)))
		}
		if strings.TrimSpace(s.Actions) != "" {
			line("")
			line("### Actions")
			line("")
			line("%s", mdBody(strings.TrimSpace(s.Actions)))
		}
	}
	for _, r := range e.Records {
		line("")
		line("## Session: %s, %s", mdLine(r.TemplateName), r.StartedAt.UTC().Format("2 January 2006 15:04 MST"))
		line("")
		line("Supervisor: %s. Presenter: %s.", mdLine(r.Supervisor.Name), mdLine(r.Presenter.Name))
		line("")
		for _, p := range r.Phases {
			line("- %s: %d min, %d messages", mdLine(p.Name), int(p.EndedAt.Sub(p.StartedAt).Round(time.Minute)/time.Minute), p.Messages)
		}
		for _, group := range []struct {
			title  string
			points []casestudy.LearningPoint
		}{{"Learning points", r.LearningPoints}, {"Actions", r.Actions}} {
			if len(group.points) == 0 {
				continue
			}
			line("")
			line("### %s", group.title)
			line("")
			for _, p := range group.points {
				fn := ""
				if p.Function != nil {
					fn = " (" + mdLine(*p.Function) + ")"
				}
				line("- %s%s", mdLine(p.Body), fn)
			}
		}
	}
	line("")
	line("## Discussion")
	if len(e.Threads) == 0 {
		line("")
		line("No messages are kept.")
	}
	for _, t := range e.Threads {
		line("")
		writeMarkdownMessage(&b, t.ExportMessage, "### ")
		for _, r := range t.Replies {
			line("")
			writeMarkdownMessage(&b, r, "> ")
		}
	}
	return b.Bytes()
}

func writeMarkdownMessage(b *bytes.Buffer, m casestudy.ExportMessage, prefix string) {
	head := fmt.Sprintf("**%s**, %s", mdLine(m.Author), m.CreatedAt.UTC().Format("2 Jan 2006 15:04"))
	if m.Phase != "" {
		head += " · " + mdLine(m.Phase)
	}
	if m.Edited && !m.Deleted {
		head += " (edited)"
	}
	if prefix == "### " {
		fmt.Fprintf(b, "### %s\n\n", head)
		prefix = ""
	} else {
		fmt.Fprintf(b, "> %s\n>\n", head)
	}
	body := mdBody(strings.TrimSpace(m.Body))
	if m.Deleted {
		body = "*This message was deleted.*"
	}
	for _, l := range strings.Split(body, "\n") {
		fmt.Fprintf(b, "%s%s\n", prefix, l)
	}
}

// mdLine writes a one-line value (a title, a name, a tag) as literal text: on one line, so it
// cannot start a heading or a list of its own, with HTML and Markdown escaped, so that no
// viewer — even one that renders raw HTML — finds markup in it. It is normalised (NFKC) first,
// so that a full-width "＜script＞" cannot become a real tag after escaping.
func mdLine(s string) string {
	s = strings.Join(strings.Fields(anonymise.Normalise(s)), " ")
	return mdLiteral.Replace(s)
}

// mdLiteral escapes what HTML and Markdown read as markup in running text.
var mdLiteral = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`,
	"[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`, "#", `\#`, "!", `\!`)

// mdBody writes a text that may use the messages' Markdown subset (emphasis, lists, quotes,
// links to web and mail addresses): HTML is escaped, images are not images, and links to
// anything but http, https and mailto are not links.
func mdBody(s string) string {
	s = anonymise.Normalise(s)
	s = mdHTML.Replace(s)
	s = strings.ReplaceAll(s, "![", `!\[`)
	return unsafeLinkRE.ReplaceAllStringFunc(s, func(m string) string {
		scheme := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(m[2:], ":")))
		if scheme == "http" || scheme == "https" || scheme == "mailto" {
			return m
		}
		return `]\(` + m[2:]
	})
}

var (
	mdHTML       = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	unsafeLinkRE = regexp.MustCompile(`(?i)\]\(\s*[a-z][a-z0-9+.-]*:`)
)

// Markdown's marks, which a snippet shows as the words they mark: "**keen**" reads "keen".
var (
	mdLink      = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdLineStart = regexp.MustCompile(`(?m)^[ \t]{0,3}(?:#{1,6}|>+|[-*+]|\d+[.)])[ \t]+`)
	mdPairs     = strings.NewReplacer("**", "", "__", "", "~~", "", "`", "")
	mdEmphOpen  = regexp.MustCompile(`(^|[\s(\x01])[*_]+([^\s*_])`)
	mdEmphClose = regexp.MustCompile(`([^\s*_])[*_]+([\s.,;:!?)\x02]|$)`)
)

// plainSnippet drops Markdown's marks from a headline, keeping ts_headline's markers.
func plainSnippet(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdLineStart.ReplaceAllString(s, "")
	s = mdPairs.Replace(s)
	s = mdEmphOpen.ReplaceAllString(s, "$1$2")
	return mdEmphClose.ReplaceAllString(s, "$1$2")
}

// Snippet renders a search hit's snippet as HTML: its text escaped, without Markdown's marks,
// and each match in <mark>.
func Snippet(s string) string {
	s = html.EscapeString(plainSnippet(s))
	return strings.NewReplacer(casestudy.SnippetMarkStart, "<mark>", casestudy.SnippetMarkStop, "</mark>").Replace(s)
}
