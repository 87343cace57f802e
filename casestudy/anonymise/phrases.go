package anonymise

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Theorists, concepts and loanwords (gazetteer/concepts.txt, loanwords.txt) are phrases that
// survive anonymisation: their words are protected from every name rule. Phrases are found by
// their first word, so the cost grows with the text, not with the number of phrases.

type phrase struct {
	text  string // normalised, as written in the list
	cited bool   // an ordinary-looking author's name: protected only where the sentence cites
}

type phraseSet struct {
	byFirst map[string][]phrase // the phrase's first word, lower case → phrases, longest first
}

func newPhraseSet(lists ...[]string) phraseSet {
	ps := phraseSet{byFirst: map[string][]phrase{}}
	for _, list := range lists {
		for _, line := range list {
			p := phrase{text: Normalise(line)}
			if strings.HasPrefix(p.text, "~") {
				p.cited, p.text = true, strings.TrimSpace(p.text[1:])
			}
			first := firstWord(p.text)
			if first == "" {
				continue
			}
			ps.byFirst[first] = append(ps.byFirst[first], p)
		}
	}
	for k, list := range ps.byFirst {
		// Longest first, so "Kolb's learning cycle" wins over "Kolb".
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && len(list[j].text) > len(list[j-1].text); j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
		ps.byFirst[k] = list
	}
	return ps
}

// firstWord is the lower-case first word of s, as tokenize would cut it.
func firstWord(s string) string {
	for i, r := range s {
		if unicode.IsLetter(r) {
			return strings.ToLower(s[i:scanWord(s, i)])
		}
		if !unicode.IsSpace(r) {
			return ""
		}
	}
	return ""
}

// protect marks the tokens covered by a phrase of the set.
func (ps phraseSet) protect(text string, toks []token) {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		key := strings.ToLower(text[t.start:scanWord(text, t.start)])
		for _, p := range ps.byFirst[key] {
			end := t.start + len(p.text)
			if end > len(text) || !strings.EqualFold(text[t.start:end], p.text) || !boundaryAt(text, end) {
				continue
			}
			last := i
			for last+1 < len(toks) && toks[last+1].start < end {
				last++
			}
			if p.cited && !citedAt(text, toks, i, last, ps) {
				continue
			}
			for k := i; k <= last; k++ {
				toks[k].protected = true
			}
			i = last
			break
		}
	}
}

// boundaryAt says whether a word ends at i: the text ends, or no letter or digit follows.
func boundaryAt(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// citationCues before a name say that the sentence cites an author: "read Kim Scott", "by Adam
// Grant", "according to …".
var citationCues = wordSet("read", "reading", "reread", "re-read", "rereading", "by", "author", "authors",
	"according", "cites", "cited", "citing", "quoting", "quoted", "quote", "book", "books", "wrote",
	"writes", "writer", "theory", "model", "framework", "work", "podcast", "talk", "ted", "article",
	"paper", "research", "researcher", "thinker", "thinkers", "listening", "recommend", "recommended")

// citedAt says whether the ordinary-looking name toks[i..j] is cited as an author here: a cue
// word shortly before it, a possessive followed by a concept, or another theorist or concept in
// the same sentence ("radical candor framing (Kim Scott)").
func citedAt(text string, toks []token, i, j int, ps phraseSet) bool {
	for k := i - 1; k >= 0 && k >= i-4; k-- {
		if citationCues.has(toks[k].lowerText) {
			return true
		}
		if strings.ContainsAny(text[toks[k].next:toks[k+1].start], ".!?\n") {
			break
		}
	}
	if toks[j].possessive && j+1 < len(toks) && (toks[j+1].upper || conceptNouns.has(toks[j+1].lowerText)) {
		return true
	}
	// Another phrase of the set in the same sentence.
	from, to := sentenceBounds(text, toks, i, j)
	for k := from; k <= to; k++ {
		if k >= i && k <= j {
			continue
		}
		key := strings.ToLower(text[toks[k].start:scanWord(text, toks[k].start)])
		for _, p := range ps.byFirst[key] {
			end := toks[k].start + len(p.text)
			if !p.cited && end <= len(text) && strings.EqualFold(text[toks[k].start:end], p.text) && boundaryAt(text, end) {
				return true
			}
		}
	}
	return false
}

// sentenceBounds returns the first and last token of the sentence holding toks[i..j], reading at
// most maxSentenceWords words either way: a text without full stops must not cost the square of
// its length.
func sentenceBounds(text string, toks []token, i, j int) (int, int) {
	from, to := i, j
	for from > 0 && i-from < maxSentenceWords && !strings.ContainsAny(text[toks[from-1].next:toks[from].start], ".!?\n") {
		from--
	}
	for to+1 < len(toks) && to-j < maxSentenceWords && !strings.ContainsAny(text[toks[to].next:toks[to+1].start], ".!?\n") {
		to++
	}
	return from, to
}

const maxSentenceWords = 60

// conceptNouns after a possessive make the name before it an author: "Karpman's triangle",
// "Egan's model", "Kolb's cycle". A client's name is followed by their things, not by these.
var conceptNouns = wordSet("model", "models", "cycle", "cycles", "triangle", "theory", "theories",
	"framework", "frameworks", "ladder", "matrix", "hierarchy", "pyramid", "window", "grid", "curve",
	"stages", "stage", "loop", "loops", "principle", "principles", "law", "laws", "approach", "method",
	"methods", "tool", "tools", "lens", "lenses", "modes", "mode", "types", "styles", "dimensions",
	"quadrant", "quadrants", "circle", "wheel", "map", "levels", "inventory", "scale", "paradox",
	"effect", "concept", "concepts", "idea", "ideas", "work", "book", "books", "writing", "writings",
	"research", "term", "phrase", "distinction", "notion", "diagram", "continuum", "spectrum",
	"compass", "checklist", "protocol", "process", "functions", "function", "roles", "states",
	"taxonomy", "typology", "instrument", "questionnaire", "test", "inquiry", "questions", "formula",
	"equation", "rule", "rules", "components", "disciplines", "dysfunctions", "habits", "needs",
	"shadow", "ego", "humble", "reflective", "learning", "transition", "change", "leadership",
	"team", "culture", "cultural", "seven-eyed", "drama", "radical", "thinking", "self", "inner",
	"skilled", "experiential", "situational", "adaptive", "servant", "systemic", "emotional",
	"positive", "narrative", "solution-focused", "socratic", "famous", "classic", "original")
