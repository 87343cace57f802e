package anonymise

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// span is a byte range of the text.
type span struct{ start, end int }

// Most detectors need something rare to be present (a digit, an "@", "dot"): running their
// regular expressions only on windows around those triggers, instead of over the whole case,
// is what keeps a 2,000-word case within a few milliseconds.

// aroundDigits returns windows reaching `before` bytes before and `after` bytes after every run
// of digits.
func aroundDigits(text string, before, after int) []span {
	var spans []span
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			j := i
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			spans = append(spans, span{i - before, j + after})
			i = j
		}
	}
	return widen(text, spans)
}

// aroundStrings returns windows around every occurrence of the triggers, compared in lower case.
func aroundStrings(lower, text string, triggers []string, before, after int) []span {
	var spans []span
	for _, t := range triggers {
		for from := 0; ; {
			i := strings.Index(lower[from:], t)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i - before, from + i + len(t) + after})
			from += i + len(t)
		}
	}
	return widen(text, spans)
}

// aroundCased is aroundStrings with the triggers compared as written.
func aroundCased(text string, triggers []string, before, after int) []span {
	return aroundStrings(text, text, triggers, before, after)
}

// widen clamps the windows to the text, stretches each to whitespace (so word boundaries at a
// window's edge are real ones) and merges those that touch.
func widen(text string, spans []span) []span {
	if len(spans) == 0 {
		return nil
	}
	sortSpans(spans)
	var out []span
	for _, s := range spans {
		s.start = max(s.start, 0)
		s.end = min(s.end, len(text))
		for s.start > 0 && !isSpaceBefore(text, s.start) {
			s.start--
		}
		for s.end < len(text) && !isSpaceAt(text, s.end) {
			s.end++
		}
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

func isSpaceBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsSpace(r)
}

func isSpaceAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsSpace(r)
}

func sortSpans(spans []span) {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
}

// scan is one text prepared for the detectors: its lower-case copy and the windows around
// digits, computed once.
type scan struct {
	text, lower string
	digits      []span // 40 bytes before and 60 after digit runs: room for context words
	nearDigits  []span // a few bytes before and 30 after: room for the number itself

	postcodes     []Finding // found once, read by postcodes and addresses
	postcodesDone bool
}

func newScan(text string) *scan {
	return &scan{text: text, lower: asciiLower(text), digits: aroundDigits(text, 40, 60), nearDigits: aroundDigits(text, 6, 30)}
}

// asciiLower lowers ASCII letters only, so byte offsets stay those of the text.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// matchesIn runs re on each window, giving offsets in the whole text.
func matchesIn(re *regexp.Regexp, text string, spans []span, kind Kind, confidence float64, group int) []Finding {
	var out []Finding
	for _, s := range spans {
		for _, f := range matches(re, text[s.start:s.end], kind, confidence, group) {
			f.Start += s.start
			f.End += s.start
			out = append(out, f)
		}
	}
	return out
}
