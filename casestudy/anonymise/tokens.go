package anonymise

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/casecircle/casecircle/casestudy/anonymise/internal/lextable"
)

// token is one word of the text.
type token struct {
	start, end int    // the word, without a possessive ending
	next       int    // where the word's possessive ending ("'s", "’s") ends, or end
	text       string // text[start:end]
	lowerText  string // lower case
	class      lextable.Class
	upper      bool // starts with an upper-case letter
	allCaps    bool // two or more letters, all upper case
	lower      bool // starts with a lower-case letter
	caseless   bool // a script without letter case (Han, Hangul, Arabic, Hebrew, Thai, Devanagari, …)
	sentence   bool // first word of a sentence, line, list item or quotation
	common     bool // a common English word (each part, when hyphenated)
	core       bool // among the most frequent English words ("said", "will", "my")
	vocab      bool // a capitalised word that identifies nobody
	protected  bool // part of a theorist's name, a concept or a loanword: never a name
	foreign    bool // part of a phrase in another language ("Tha mi sgìth", "Dienst nach Vorschrift")
	possessive bool // followed by "'s"
	code       bool // part of an address, a file name or a code: "miro" of "miro.com", "W" of "W-9"
}

func (t token) given() bool   { return t.class&lextable.Given != 0 }
func (t token) surname() bool { return t.class&lextable.Surname != 0 }
func (t token) place() bool   { return t.class&lextable.Place != 0 }

// givenName says whether the word is a given name that could be meant as one here: a given-name
// list holds it and it is not one of the most frequent English words ("My", "Said", "Will"),
// unless it is capitalised in the middle of a sentence, where only a name is capitalised.
func (t token) givenName() bool {
	if !t.given() || t.protected {
		return false
	}
	return !t.core || t.upper && !t.sentence
}

// scanWord returns where the word starting at i ends: letters and combining marks, joined by an
// inner hyphen or apostrophe ("Asante-Boadu", "O'Neill", "didn't").
func scanWord(text string, i int) int {
	_, size := utf8.DecodeRuneInString(text[i:])
	j := i + size
	for j < len(text) {
		r2, s2 := utf8.DecodeRuneInString(text[j:])
		if unicode.IsLetter(r2) || unicode.Is(unicode.Mn, r2) || unicode.Is(unicode.Mc, r2) {
			j += s2
			continue
		}
		if (r2 == '-' || r2 == '\'' || r2 == '’') && j+s2 < len(text) {
			r3, _ := utf8.DecodeRuneInString(text[j+s2:])
			if unicode.IsLetter(r3) {
				j += s2
				continue
			}
		}
		break
	}
	return j
}

func tokenize(text string, lx *lexicon) []token {
	toks := make([]token, 0, len(text)/6)
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			i += size
			continue
		}
		start := i
		j := scanWord(text, i)
		end, next := j, j
		word := text[start:end]
		possessive := false
		// A possessive is not part of the name: "Priya's" is "Priya" + "'s".
		for _, p := range []string{"'s", "’s", "'S"} {
			if strings.HasSuffix(word, p) && len(word) > len(p) {
				end -= len(p)
				word = text[start:end]
				possessive = true
				break
			}
		}
		if end == next && next < len(text) && (text[next] == '\'' || strings.HasPrefix(text[next:], "’")) && strings.HasSuffix(word, "s") {
			possessive = true
			if text[next] == '\'' {
				next++
			} else {
				next += len("’")
			}
		}
		t := token{start: start, end: end, next: next, text: word, possessive: possessive, code: codeAround(text, start, j)}
		t.lowerText = strings.ToLower(word)
		first, _ := utf8.DecodeRuneInString(word)
		t.upper = unicode.IsUpper(first) || unicode.IsTitle(first)
		t.lower = unicode.IsLower(first)
		t.caseless = !t.upper && !t.lower
		t.allCaps = t.upper && utf8.RuneCountInString(word) >= 2 && strings.ToUpper(word) == word
		t.class = lx.class(t.lowerText)
		t.common = isCommon(t.lowerText, t.class, lx)
		t.core = t.class&lextable.Core != 0
		if t.upper || t.caseless {
			t.sentence = sentenceStart(text, start)
			t.vocab = lx.vocab.has(word) || lx.vocab.has(t.lowerText) || vocabCompound(word, lx) || derivedAdjective(word) ||
				germanNoun(t.lowerText, t.class)
		}
		toks = append(toks, t)
		i = j
	}
	return toks
}

// codeAround says whether the word text[start:end] is glued to an address or a code: a dot and
// a letter, "@", "/" or ":" right after it or before it ("miro.com", "jo@x", "/apply"), or a
// hyphen and a digit after it ("W-9", "U-14s").
func codeAround(text string, start, end int) bool {
	if end < len(text) {
		switch c := text[end]; {
		case c == '@' || c == '/' || c == '_' || c >= '0' && c <= '9':
			return true
		case (c == '.' || c == '-') && end+1 < len(text):
			n := text[end+1]
			if c == '-' && n >= '0' && n <= '9' {
				return true
			}
			if c == '.' && (n >= 'a' && n <= 'z' || n >= '0' && n <= '9') {
				return true
			}
		}
	}
	if start > 0 {
		switch text[start-1] {
		case '@', '/', '_', '#':
			return true
		case '.': // "miro.com", but not "J.P."
			if start > 1 && (text[start-2] >= 'a' && text[start-2] <= 'z' || text[start-2] >= '0' && text[start-2] <= '9') {
				return true
			}
		}
		if c := text[start-1]; c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// isCommon says whether a lower-case word is ordinary English, part by part when hyphenated
// ("self-funded") and without its contraction ("didn't").
func isCommon(w string, class lextable.Class, lx *lexicon) bool {
	if class&lextable.Word != 0 {
		return true
	}
	if k := strings.IndexAny(w, "'’"); k > 0 {
		return w[:k] == "i" || lx.isWord(w[:k]) || lx.isWord(strings.NewReplacer("’", "'").Replace(w))
	}
	if strings.Contains(w, "-") {
		for part := range strings.SplitSeq(w, "-") {
			if part != "" && !lx.isWord(part) {
				return false
			}
		}
		return true
	}
	return false
}

// vocabCompound says whether a hyphenated word is made of harmless parts, one of them a people,
// language or country: "Iranian-British", "Spanish-speaking", "Urdu-medium".
func vocabCompound(word string, lx *lexicon) bool {
	if !strings.Contains(word, "-") {
		return false
	}
	sawVocab := false
	for part := range strings.SplitSeq(word, "-") {
		switch {
		case lx.vocab.has(part):
			sawVocab = true
		case lx.isWord(strings.ToLower(part)):
		default:
			return false
		}
	}
	return sawVocab
}

// derivedAdjective says whether a hyphenated word is an adjective made from a name ("Kline-ish",
// "Kafka-esque", "Obama-style"): it describes, it does not name.
func derivedAdjective(word string) bool {
	for _, suffix := range []string{"-ish", "-esque", "-like", "-style", "-type", "-era", "-inspired", "-based", "-led"} {
		if strings.HasSuffix(strings.ToLower(word), suffix) && len(word) > len(suffix)+1 {
			return true
		}
	}
	return false
}

// germanNounEndings end German compound nouns ("Doktorvater", "Geschäftsleitung", "Feierabend"),
// which are capitalised like names; a long word with such an ending that no name list holds is
// a word.
var germanNounEndings = []string{"ung", "heit", "keit", "schaft", "tum", "nis", "vater", "mutter",
	"arzt", "ärztin", "leiter", "leiterin", "führer", "führerin", "stand", "gefühl", "abend", "arbeiter",
	"arbeiterin", "rat", "amt", "stelle", "zeit", "recht", "geist", "lust", "angst", "meister",
	"meisterin", "lehrer", "lehrerin", "beamter", "beamtin", "chef", "chefin", "kollege", "kollegin",
	"gespräch", "sitzung", "runde", "kultur", "gesellschaft", "verein", "betrieb", "kasse", "urlaub",
	"stunde", "woche", "tisch", "weise", "wesen", "geld", "schule", "dienst", "schein",
	"istin", "entin", "erin", "orin", "ärztin"} // feminine roles: "Assistentin", "Managerin", "Professorin"

func germanNoun(lower string, class lextable.Class) bool {
	if utf8.RuneCountInString(lower) < 9 || class&(lextable.Given|lextable.Surname|lextable.Place) != 0 {
		return false
	}
	for _, e := range germanNounEndings {
		if strings.HasSuffix(lower, e) {
			return true
		}
	}
	return false
}

// sentenceStart says whether the word at i begins a sentence, a line, a list item, a quotation
// or a clause after a colon or a spaced dash, where a capital says nothing about the word.
func sentenceStart(text string, i int) bool {
	j := i
	quoted := false
	for j > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:j])
		switch {
		case r == '\n':
			return true
		case strings.ContainsRune("\"“”‘«»„'", r):
			// An opening quotation mark starts what someone said (…he said, "Will you…"); a
			// closing one is passed over.
			prev, _ := utf8.DecodeLastRuneInString(text[:j-size])
			opening := strings.ContainsRune("“‘«„", r) ||
				(r == '"' || r == '\'') && (j-size == 0 || unicode.IsSpace(prev) || strings.ContainsRune("([{—–-", prev))
			quoted = quoted || opening
			j -= size
			continue
		case unicode.IsSpace(r) || strings.ContainsRune("’([*•·", r):
			j -= size
			continue
		case strings.ContainsRune(".!?:;]", r):
			return !initialBefore(text, j-size)
		case r == '-' || r == '–' || r == '—':
			// A spaced dash or a bullet starts a clause; a hyphen inside a word does not.
			return j-size == 0 || isSpaceBefore(text, j-size) || text[j-size-1] == '\n'
		default:
			return quoted
		}
	}
	return true
}

// initialBefore says whether the full stop at i closes an initial or a title ("R. Daly",
// "Dr. Keller"), which does not end the sentence.
func initialBefore(text string, i int) bool {
	if text[i] != '.' {
		return false
	}
	k := i
	for k > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:k])
		if !unicode.IsLetter(r) {
			break
		}
		k -= size
	}
	w := text[k:i]
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsUpper(r)
	}
	return titles.has(w)
}

// wordBefore is the word right before token i in the same clause (lower case), "@" for an
// at-sign, or "w/" for "w/".
func wordBefore(text string, toks []token, i int) string {
	if i == 0 {
		return ""
	}
	gap := text[toks[i-1].next:toks[i].start]
	switch strings.TrimSpace(gap) {
	case "":
		return toks[i-1].lowerText
	case "@":
		return "@"
	case "/":
		if toks[i-1].text == "w" {
			return "w/"
		}
	}
	return ""
}

// wordAfter is the word right after token j in the same clause, lower case.
func wordAfter(text string, toks []token, j int) string {
	if j+1 >= len(toks) {
		return ""
	}
	if strings.TrimSpace(text[toks[j].next:toks[j+1].start]) != "" {
		return ""
	}
	return toks[j+1].lowerText
}

// gapAfter is the text between token j and the next token (or the end).
func gapAfter(text string, toks []token, j int) string {
	if j+1 >= len(toks) {
		return text[toks[j].next:]
	}
	return text[toks[j].next:toks[j+1].start]
}

// gapBefore is the text between the previous token (or the start) and token i.
func gapBefore(text string, toks []token, i int) string {
	if i == 0 {
		return text[:toks[0].start]
	}
	return text[toks[i-1].next:toks[i].start]
}
