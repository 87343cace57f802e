package casestudy

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// Everything written into casecircle — a case, a message, a learning point, a summary — passes
// one path: the anonymiser runs over the raw text with the case's label book, the writer's
// decisions are applied (accept: replace; dismiss: keep; extra: also replace), and only the
// result is stored, with what the book should remember. Nothing undecided is stored.

// textField is one free text of something written, named as the writer's form names it.
type textField struct {
	name, text string
}

// decided is a set of texts after the writer's decisions: what to store, and what the case's
// book should remember.
type decided struct {
	texts   map[string]string
	tags    []string
	records []anonymise.BookRecord
	// replaced are the texts replaced now (accepted findings and extras), kept in memory only to
	// find earlier versions that still hold them.
	replaced []string
}

// previewTexts runs the anonymiser over the fields in order, then the tags, with one session, so
// that labels agree across them.
func previewTexts(book *anonymise.Book, fields []textField, tags []string) (map[string]anonymise.Result, []string) {
	return anonymiseTexts(anonymise.NewSessionWithBook(book), fields, tags)
}

// anonymiseTexts runs one session over the fields, then the tags (joined), in that order.
func anonymiseTexts(s *anonymise.Session, fields []textField, tags []string) (map[string]anonymise.Result, []string) {
	results := map[string]anonymise.Result{}
	order := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		results[f.name] = s.Anonymise(f.text)
		order = append(order, f.name)
	}
	if tags != nil {
		results["tags"] = s.Anonymise(strings.Join(tags, tagSeparator))
		order = append(order, "tags")
	}
	return results, order
}

const tagSeparator = ", "

// decideTexts applies the writer's decisions to a fresh run of the anonymiser over the texts.
// Every finding must be accepted or dismissed, unless the book says it was kept before.
func decideTexts(book *anonymise.Book, fields []textField, tags []string, d Decisions) (decided, error) {
	if err := d.validate(); err != nil {
		return decided{}, err
	}
	accepted := setOf(d.Accept)
	dismissed := setOf(d.Dismiss)
	s := anonymise.NewSessionWithBook(book)
	results, order := anonymiseTexts(s, fields, tags)
	var open []FieldFinding
	var acceptedFindings []anonymise.Finding
	var kept, replaced []string
	for _, name := range order {
		for _, f := range results[name].Findings {
			switch {
			case accepted[f.Text]:
				acceptedFindings = append(acceptedFindings, f)
				replaced = append(replaced, f.Text)
			case dismissed[f.Text]:
				kept = append(kept, f.Text)
			case f.Kept:
			default:
				open = append(open, FieldFinding{Field: name, Finding: f})
			}
		}
	}
	if len(open) > 0 {
		return decided{}, &Error{Code: EVALIDATION, Field: "decisions",
			Message: fmt.Sprintf("%d possible identifiers are neither accepted nor dismissed.", len(open)),
			Details: OpenFindingsError{Findings: open}}
	}
	for _, extra := range d.Extra {
		found := false
		for _, name := range order {
			if strings.Contains(results[name].Normalised, anonymise.Normalise(extra)) {
				found = true
			}
		}
		if !found {
			return decided{}, FieldErrorf("decisions.extra", "A text marked for replacement is not in the text any more; mark it again.")
		}
		replaced = append(replaced, extra)
	}
	out := decided{texts: map[string]string{}, replaced: replaced}
	for _, f := range fields {
		out.texts[f.name] = redactDecided(results[f.name], accepted, d.Extra)
	}
	// A tag that names someone is dropped rather than stored as a placeholder.
	if tags != nil {
		out.tags = []string{}
		for i, tag := range tags {
			if !tagIdentifies(i, tags, results["tags"], accepted, d.Extra) {
				out.tags = append(out.tags, tag)
			}
		}
	}
	out.records = s.Remember(acceptedFindings, d.Extra, kept)
	return out, nil
}

// redactDecided replaces the accepted findings and every occurrence of the extra texts.
func redactDecided(r anonymise.Result, accepted map[string]bool, extras []string) string {
	text := r.Normalised
	var cuts []anonymise.Finding
	taken := make([]bool, len(text))
	take := func(f anonymise.Finding) {
		cuts = append(cuts, f)
		for i := f.Start; i < f.End; i++ {
			taken[i] = true
		}
	}
	for _, f := range r.Findings {
		if accepted[f.Text] {
			take(f)
		}
	}
	for _, extra := range extras {
		extra = anonymise.Normalise(extra)
		for from := 0; extra != ""; {
			i := strings.Index(text[from:], extra)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(extra)
			if !slices.Contains(taken[start:end], true) {
				take(anonymise.Finding{Start: start, End: end, Replacement: anonymise.ExtraLabel})
			}
			from = end
		}
	}
	slices.SortFunc(cuts, func(a, b anonymise.Finding) int { return a.Start - b.Start })
	return strings.TrimSpace(anonymise.Redact(text, cuts))
}

// tagIdentifies says whether the i-th tag holds an accepted finding or an extra text. The tags
// were anonymised joined, so each tag is a known span of that text: every finding inside the
// span counts, not only the first occurrence of the tag's letters elsewhere ("joanna" holds
// "ann" too).
func tagIdentifies(i int, tags []string, r anonymise.Result, accepted map[string]bool, extras []string) bool {
	start := 0
	for _, t := range tags[:i] {
		start += len(t) + len(tagSeparator)
	}
	end := start + len(tags[i])
	for _, f := range r.Findings {
		if accepted[f.Text] && f.Start < end && f.End > start {
			return true
		}
	}
	for _, e := range extras {
		if containsWholeWord(tags[i], strings.ToLower(anonymise.Normalise(e))) {
			return true
		}
	}
	return false
}

// containsWholeWord reports whether w occurs in s not glued to letters or digits.
func containsWholeWord(s, w string) bool {
	if w == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		from = start + 1
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[anonymise.Normalise(s)] = true
	}
	return m
}
