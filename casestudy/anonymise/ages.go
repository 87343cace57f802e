package anonymise

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Ages stated exactly. Written out with their unit they need no context ("41-year-old", "aged
// 24", "turns 50", "in her mid-forties"). A bare number is an age by its place: after a person and
// "is", "'s" or "was" ("she is 29", "Summer's 31", "since she was 19"), between commas or in
// brackets after a person ("Tomasz Wiśniewski, 44,", "Mrs Florence Adair (91)", "her
// father-in-law (76)"), or "at 34" before what a person does. Such a number also says that what
// stands before it is a person ("Faith is 39 and says…").

const numberWords = `(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)`

var (
	ageRE    = regexp.MustCompile(`(?i)\b(?:\d{1,3}|` + numberWords + `)[- ](?:years?|yrs?|yo)[- ]old\b|\b(?:\d{1,3}|` + numberWords + `) ?(?:yrs?|years?) old\b|\b(?:aged|age|turns|turned|turning) (?:\d{1,3}|` + numberWords + `)\b|\b\d{1,3}-year-old\b|\b\d{1,3} ?yo\b`)
	decadeRE = regexp.MustCompile(`(?i)\b(?:(?:early|mid|late)[- ]?)?(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|20s|30s|40s|50s|60s|70s|80s|90s)\b`)
	// A number alone on a line of notes or as a whole sentence: "…Hospital, Ernakulam. 52.".
	loneAgeRE = regexp.MustCompile(`(?:^|[.\n]\s*)(1[6-9]|[2-9]\d)\.(?:\s|$)`)
)

func detectAges(sc *scan) []Finding {
	out := matchesIn(ageRE, sc.text, aroundStrings(sc.lower, sc.text, []string{" old", "-old", "age", "turn", " yo", "yo "}, 40, 25), Age, 0.85, 0)
	// "in her mid-forties": a decade of someone's life.
	for _, m := range submatchesIn(decadeRE, sc.text, aroundStrings(sc.lower, sc.text, []string{"teens", "ties", "0s"}, 30, 4)) {
		before := strings.ToLower(sc.text[max(0, m[0]-12):m[0]])
		if strings.HasSuffix(before, "her ") || strings.HasSuffix(before, "his ") || strings.HasSuffix(before, "their ") ||
			strings.HasSuffix(before, "my ") || strings.HasSuffix(before, "your ") || strings.HasSuffix(before, "our ") {
			out = append(out, Finding{Kind: Age, Start: m[0], End: m[1], Confidence: 0.8})
		}
	}
	for _, m := range submatchesIn(loneAgeRE, sc.text, aroundDigits(sc.text, 3, 3)) {
		out = append(out, Finding{Kind: Age, Start: m[2], End: m[3], Confidence: 0.6})
	}
	return out
}

// ageCopulas join a person to their age: "she is 29", "Summer's 31", "I'm 34".
var ageCopulas = wordSet("is", "was", "s", "m", "am", "are", "were", "turns", "turned", "be", "now")

// ageAdverbs may stand between the verb and the age: "he's only 27", "is nearly 60".
var ageAdverbs = wordSet("only", "just", "now", "nearly", "almost", "about", "around", "barely",
	"already", "still", "probably", "roughly", "approximately", "over", "under", "at", "least", "maybe")

// lifeEvents before "at N" make N an age: "moved here at 19", "married at 22".
var lifeEvents = wordSet("moved", "left", "married", "started", "joined", "emigrated", "retired", "came",
	"arrived", "began", "qualified", "graduated", "lost", "became", "widowed", "divorced", "migrated",
	"enlisted", "dropped", "pregnant", "diagnosed", "died", "orphaned", "promoted", "hired", "fired")

// agePronouns are subjects of an age.
var agePronouns = wordSet("she", "he", "they", "i", "who", "you", "we", "she'll", "he'll", "i'll")

// ageFollowers may follow an age; anything else ("45 minutes", "12 people") makes it a quantity.
var ageFollowers = wordSet("and", "but", "so", "now", "with", "when", "too", "yet", "or", "in", "on",
	"at", "as", "then", "though", "although", "because", "which", "who", "she", "he", "they", "i",
	"next", "this", "going", "soon", "already", "last", "this", "she's", "he's", "recently", "married",
	"single", "divorced", "separated", "widowed", "retired", "living", "lives", "works", "working",
	"has", "had", "is", "was", "said", "says", "the", "a", "an", "grew", "moved", "runs", "ran",
	"joined", "left", "came", "went", "from", "of", "is", "like", "if", "since", "until")

// findAges finds bare numbers that are ages by their context, after the names are known.
func (ns *nameScan) findAges() []Finding {
	text, toks := ns.text, ns.toks
	personAt := make([]bool, len(toks))
	for _, e := range ns.ents {
		if e.kind == Person {
			for k := e.first; k <= e.last; k++ {
				personAt[k] = true
			}
		}
	}
	var out []Finding
	for _, m := range ns.numberSpans() {
		start, end := m[0], m[1]
		if !plausibleAge(text, start, end) {
			continue
		}
		k := sort.Search(len(toks), func(i int) bool { return toks[i].end > start }) - 1 // the word before
		if k < 0 {
			continue
		}
		subject, ok := ns.ageSubject(k, start, end, personAt)
		if !ok {
			continue
		}
		out = append(out, Finding{Kind: Age, Start: start, End: end, Confidence: 0.8})
		// The subject of an age is a person: "Faith is 39 and says…".
		if subject >= 0 && !ns.claimed[subject] && !personAt[subject] && toks[subject].upper && !toks[subject].vocab &&
			!toks[subject].protected && (toks[subject].given() || !toks[subject].common) {
			t := toks[subject]
			ns.add(entity{kind: Person, conf: 0.7, first: subject, last: subject, start: t.start, end: t.end})
		}
	}
	return out
}

// personInBrackets says whether the brackets that close after token k hold a person or follow
// one: "ayesha (ayesha siddiqui-khan), 26,", "Park Ji-won (박지원), 43,".
func (ns *nameScan) personInBrackets(k int, personAt []bool) bool {
	for i := k; i >= 0 && i >= k-6; i-- {
		if personAt[i] {
			return true
		}
		if i > 0 && strings.Contains(ns.text[ns.toks[i-1].next:ns.toks[i].start], "(") {
			return i > 0 && personAt[i-1]
		}
	}
	return false
}

// numberSpans are the numbers of the text that could be ages: runs of up to three digits, and
// number words ("thirty-eight"), in text order.
func (ns *nameScan) numberSpans() [][2]int {
	text := ns.text
	var out [][2]int
	ti := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < '0' || c > '9' {
			continue
		}
		j := i
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		if j-i <= 3 && (i == 0 || !isASCIIWord(text[i-1])) && (j == len(text) || !isASCIIWord(text[j]) || text[j] >= 'a') {
			// Number words before this number come first.
			for ; ti < len(ns.toks) && ns.toks[ti].start < i; ti++ {
				if ageWords[ns.toks[ti].lowerText] {
					out = append(out, [2]int{ns.toks[ti].start, ns.toks[ti].end})
				}
			}
			out = append(out, [2]int{i, j})
		}
		i = j
	}
	for ; ti < len(ns.toks); ti++ {
		if ageWords[ns.toks[ti].lowerText] {
			out = append(out, [2]int{ns.toks[ti].start, ns.toks[ti].end})
		}
	}
	return out
}

// ageWords are the number words that could be an age: "ten" to "ninety-nine".
var ageWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"} {
		m[w] = true
	}
	for _, tens := range []string{"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"} {
		m[tens] = true
		for _, unit := range []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine"} {
			m[tens+"-"+unit] = true
		}
	}
	return m
}()

// plausibleAge says whether the number at text[start:end] could be an age: 1 to 110, standing
// alone (not "3.5", "10,000", "20%", "£50", "24/7", "9am", "#3").
func plausibleAge(text string, start, end int) bool {
	s := text[start:end]
	if s[0] >= '0' && s[0] <= '9' {
		n := atoiSmall(s)
		if n < 1 || n > 110 || len(s) > 1 && s[0] == '0' {
			return false
		}
	}
	if start > 0 && strings.ContainsRune("£$€#.,/:-+", rune(text[start-1])) {
		return false
	}
	if end < len(text) {
		switch c := text[end]; {
		case c == '%' || c == '/' || c == ':' || c == '-' && end+1 < len(text) && text[end+1] >= '0' && text[end+1] <= '9':
			return false
		case (c == '.' || c == ',') && end+1 < len(text) && text[end+1] >= '0' && text[end+1] <= '9':
			return false
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return false // "9am", "3rd", "4x"
		}
	}
	return true
}

// ageSubject decides whether the number at text[start:end], after token k, is someone's age, and
// returns the index of the token that names whose (or -1 for a pronoun).
func (ns *nameScan) ageSubject(k, start, end int, personAt []bool) (int, bool) {
	text, toks := ns.text, ns.toks
	gap := text[toks[k].next:start]
	after := strings.TrimLeft(text[end:], " ")
	nextWord := ""
	if after != "" && !strings.ContainsAny(after[:1], ",.);\n") {
		w := after
		if k := strings.IndexAny(w, " ,.);\n"); k >= 0 {
			w = w[:k]
		}
		nextWord = strings.ToLower(w)
	}
	endsPhrase := nextWord == "" || ageFollowers.has(nextWord)
	isPerson := func(i int) bool {
		t := toks[i]
		if base, _, ok := strings.Cut(t.lowerText, "-"); ok && (roleNouns.has(base) || personCues.has(base)) {
			return true // "father-in-law (76)", "step-son"
		}
		return personAt[i] || roleNouns.has(t.lowerText) || personCues.has(t.lowerText) && t.lowerText != "and" && t.lowerText != "with" ||
			t.upper && !t.vocab && !t.protected && !t.sentence && (t.given() || !t.common) || t.upper && t.sentence && t.given() && !t.core
	}
	trimmed := strings.Trim(strings.TrimSpace(gap), "\"“”'")
	trimmed = strings.ReplaceAll(strings.ReplaceAll(trimmed, "\"", ""), "”", "")
	switch {
	// "Tomasz, 44, …", "(Ahmed Al-Rashidi, 38)", "her daughter Sofiia, 14, and".
	case (strings.HasPrefix(after, ",") || strings.HasPrefix(after, ")") || strings.HasPrefix(after, ";") || strings.HasPrefix(after, ".") || after == "") &&
		(trimmed == "," && (isPerson(k) || toks[k].lower && personAt[k]) || trimmed == ")," && ns.personInBrackets(k, personAt)):
		return k, true
	// "Mrs Florence Adair (91)", "her father-in-law (76)".
	case trimmed == "(" && strings.HasPrefix(after, ")") && isPerson(k):
		return k, true
	case trimmed != "" && !(trimmed == "'s" || trimmed == "’s" || trimmed == "'m" || trimmed == "’m"):
		return -1, false
	}
	if !endsPhrase {
		return -1, false
	}
	// "… at 34 is the youngest", "at 23 she told me", "moved here at 19".
	atAge := text[start] < '0' || text[start] > '9' || atoiSmall(text[start:end]) >= 13 // not a clock time
	if atAge && toks[k].lowerText == "at" && (nextWord == "she" || nextWord == "he" || nextWord == "they" || nextWord == "is" || nextWord == "was" || nextWord == "i") {
		return -1, true
	}
	if atAge && toks[k].lowerText == "at" && nextWord == "" {
		for v := k - 1; v >= 0 && v >= k-3; v-- {
			if lifeEvents.has(toks[v].lowerText) {
				return -1, true
			}
		}
	}
	// The verb: "is", "'s" (a possessive token), "was", with an adverb between.
	v := k
	if ageAdverbs.has(toks[v].lowerText) && v > 0 {
		v--
	}
	subject := -1
	switch t := toks[v]; {
	case t.possessive && (trimmed == "" || trimmed == "'s" || trimmed == "’s") || strings.HasSuffix(t.lowerText, "'m") || strings.HasSuffix(t.lowerText, "’m"):
		subject = v // "She's 45", "Summer's 31", "I'm 34"
	case ageCopulas.has(t.lowerText) && v > 0:
		subject = v - 1
		if toks[subject].lowerText == "will" || toks[subject].lowerText == "to" { // "will be 40"
			if subject == 0 {
				return -1, false
			}
			subject--
		}
	default:
		return -1, false
	}
	s := toks[subject]
	lower := strings.TrimSuffix(strings.TrimSuffix(s.lowerText, "'m"), "’m")
	switch {
	case agePronouns.has(lower):
		return -1, true
	case isPerson(subject):
		return subject, true
	case s.upper && s.sentence && !s.vocab && !s.protected && (s.given() || !s.common) && utf8.RuneCountInString(s.text) > 1:
		return subject, true
	}
	return -1, false
}
