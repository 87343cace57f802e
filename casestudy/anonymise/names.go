package anonymise

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names of people, organisations and places are found from evidence, not from a list of the
// names themselves (no list holds every client's name):
//
//   - a capitalised word that is not a common English word and not on the vocabulary of harmless
//     proper nouns is a name, whatever culture it comes from ("Raghunathan", "Oyelaran");
//   - a capitalised common word is a name where capitals mean something: mid-sentence and on a
//     given-name list ("Grace", "Will"), after a title ("Mr Pilkington"), next to another name
//     ("Hope Mensah"), before a legal form ("Marsh Lane Motors Ltd");
//   - a lower-case word in hurried notes is a name when a given-name list holds it and English
//     does not ("gemma"), or when context says so ("w/ tom", "kas said", a list of names);
//   - the gazetteers and the surrounding words decide which kind of name it is.
//
// Every part of a person's name stands for the same person ("Priya Raghunathan", then "Priya"),
// and a name once found is found again wherever it recurs, in every field of the case.

// token is one word of the text.
type token struct {
	start, end int    // the word, without a possessive ending
	next       int    // where the word's possessive ending ("'s", "’s") ends, or end
	text       string // text[start:end]
	lowerText  string // lower case
	upper      bool   // starts with an upper-case letter
	allCaps    bool   // two or more letters, all upper case
	lower      bool   // starts with a lower-case letter
	sentence   bool   // first word of a sentence, line or list item
	common     bool   // a common English word (each part, when hyphenated)
	vocab      bool   // a capitalised word that identifies nobody
}

// entity is a name found in the text.
type entity struct {
	kind  Kind
	key   string // what every part and copy of this name is labelled by
	conf  float64
	first int // token index
	last  int // token index, inclusive
	start int // byte offsets of the name (without a trailing possessive)
	end   int
}

// nameAlias is a known spelling of a named entity: the name itself and its parts.
type nameAlias struct {
	kind Kind
	key  string
}

func tokenize(text string, lx *lexicon) []token {
	var toks []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			i += size
			continue
		}
		start := i
		j := i + size
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if unicode.IsLetter(r2) || unicode.Is(unicode.Mn, r2) {
				j += s2
				continue
			}
			// An inner hyphen or apostrophe joins letters: "Asante-Boadu", "O'Neill", "didn't".
			if (r2 == '-' || r2 == '\'' || r2 == '’') && j+s2 < len(text) {
				r3, _ := utf8.DecodeRuneInString(text[j+s2:])
				if unicode.IsLetter(r3) {
					j += s2
					continue
				}
			}
			break
		}
		end, next := j, j
		word := text[start:end]
		// A possessive is not part of the name: "Priya's" is "Priya" + "'s".
		for _, p := range []string{"'s", "’s", "'S"} {
			if strings.HasSuffix(word, p) && len(word) > len(p) {
				end -= len(p)
				word = text[start:end]
				break
			}
		}
		if end == next && next < len(text) && (text[next] == '\'' || strings.HasPrefix(text[next:], "’")) && strings.HasSuffix(word, "s") {
			if text[next] == '\'' {
				next++
			} else {
				next += len("’")
			}
		}
		t := token{start: start, end: end, next: next, text: word}
		t.lowerText = strings.ToLower(word)
		first, _ := utf8.DecodeRuneInString(word)
		t.upper = unicode.IsUpper(first)
		t.lower = unicode.IsLower(first)
		t.allCaps = t.upper && utf8.RuneCountInString(word) >= 2 && strings.ToUpper(word) == word
		t.common = isCommon(t.lowerText, lx)
		if t.upper { // only capitals need these; most words are lower case
			t.sentence = sentenceStart(text, start)
			t.vocab = lx.vocab.has(word) || lx.vocab.has(t.lowerText)
		}
		toks = append(toks, t)
		i = j
	}
	return toks
}

// isCommon says whether a lower-case word is ordinary English, part by part when hyphenated
// ("self-funded") and without its contraction ("didn't").
func isCommon(w string, lx *lexicon) bool {
	if lx.words.has(w) {
		return true
	}
	if k := strings.IndexAny(w, "'’"); k > 0 {
		return w[:k] == "i" || lx.words.has(w[:k]) || lx.words.has(strings.NewReplacer("’", "'").Replace(w))
	}
	if strings.Contains(w, "-") {
		for part := range strings.SplitSeq(w, "-") {
			if part != "" && !lx.words.has(part) {
				return false
			}
		}
		return true
	}
	return false
}

// sentenceStart says whether the word at i begins a sentence, a line, a list item or a clause
// after a colon or a spaced dash, where a capital says nothing about the word.
func sentenceStart(text string, i int) bool {
	j := i
	for j > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:j])
		switch {
		case r == '\n':
			return true
		case unicode.IsSpace(r) || strings.ContainsRune("\"'‘’“”([*•·", r):
			j -= size
			continue
		case strings.ContainsRune(".!?:;", r):
			return !initialBefore(text, j-size)
		case r == '-' || r == '–' || r == '—':
			// A spaced dash or a bullet starts a clause; a hyphen inside a word does not.
			return j-size == 0 || isSpaceBefore(text, j-size) || text[j-size-1] == '\n'
		default:
			return false
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

// detectNames finds people, organisations and places in one text.
func detectNames(sc *scan, known map[string]nameAlias) ([]Finding, map[string]nameAlias) {
	lx := loadLexicon()
	text := sc.text
	toks := tokenize(text, lx)
	var ents []entity
	claimed := make([]bool, len(toks))
	add := func(e entity) {
		for k := e.first; k <= e.last; k++ {
			claimed[k] = true
		}
		ents = append(ents, e)
	}

	// Capitalised runs: "Hope Mensah", "Mr R. Daly", "St Oswald's C of E Primary".
	for i := 0; i < len(toks); {
		if !startsRun(toks, i) {
			i++
			continue
		}
		j := i
		for j+1 < len(toks) {
			if k := continuesRun(text, toks, j); k > j {
				j = k
				continue
			}
			break
		}
		if e, ok := judgeRun(text, toks, i, j, lx, known); ok {
			add(e)
		}
		i = j + 1
	}

	// Lower-case names in notes, initials, and names known from elsewhere in the case.
	for i := range toks {
		if claimed[i] {
			continue
		}
		if e, ok := judgeWord(text, toks, i, lx, known); ok {
			add(e)
		}
	}
	// A word listed with names is a name too: "sarah (head), dan p, mo, kirsty, aled", "Swindon
	// and Bath".
	for changed := true; changed; {
		changed = false
		for _, e := range ents {
			if e.kind == Location {
				for _, k := range neighbours(toks, e) {
					if k >= 0 && k < len(toks) && !claimed[k] && toks[k].upper && !toks[k].vocab && !toks[k].sentence &&
						lx.places.has(toks[k].lowerText) && listedWith(text, toks, e, k) {
						t := toks[k]
						add(entity{kind: Location, conf: 0.6, first: k, last: k, start: t.start, end: t.end})
						changed = true
					}
				}
				continue
			}
			if e.kind != Person {
				continue
			}
			for _, k := range neighbours(toks, e) {
				if k < 0 || k >= len(toks) || claimed[k] || !listedWith(text, toks, e, k) {
					continue
				}
				t := toks[k]
				// Listed with people, a capitalised given name is one even if it is also a word
				// ("Present: Hunter, Dawn, Ifeoma").
				if t.common && !(t.upper && lx.given.has(t.lowerText)) || lx.stopnames.has(t.lowerText) || t.vocab || utf8.RuneCountInString(t.text) < 2 {
					continue
				}
				add(entity{kind: Person, conf: 0.6, first: k, last: k, start: t.start, end: t.end})
				changed = true
			}
		}
	}

	// Every part of a name is the same entity; record the aliases for this text and the rest of
	// the case, then find the parts where they stand alone.
	aliases := map[string]nameAlias{}
	slices.SortFunc(ents, func(a, b entity) int { return a.start - b.start })
	for i := range ents {
		e := &ents[i]
		name := text[e.start:e.end]
		if i > 0 && nicknameOf(text, ents[i-1], *e) {
			// "Chukwuemeka Okafor (Emeka)": the nickname is the same person.
			e.key, e.kind = ents[i-1].key, Person
		} else if a, ok := known[name]; ok {
			e.key, e.kind = a.key, a.kind
		} else if a, ok := aliases[name]; ok {
			e.key, e.kind = a.key, a.kind
		} else {
			e.key = string(e.kind) + "\x00" + strings.ToLower(name)
		}
		aliases[name] = nameAlias{kind: e.kind, key: e.key}
		for _, part := range nameParts(toks, *e, lx) {
			if _, ok := aliases[part]; !ok {
				if _, ok := known[part]; !ok {
					aliases[part] = nameAlias{kind: e.kind, key: e.key}
				}
			}
		}
	}
	for i, t := range toks {
		if claimed[i] {
			continue
		}
		a, ok := aliases[t.text]
		if !ok {
			a, ok = known[t.text]
		}
		if !ok || (t.lower && a.kind != Person) {
			continue
		}
		claimed[i] = true
		ents = append(ents, entity{kind: a.kind, key: a.key, conf: 0.7, first: i, last: i, start: t.start, end: t.end})
	}

	out := make([]Finding, 0, len(ents))
	for _, e := range ents {
		out = append(out, Finding{Kind: e.kind, Start: e.start, End: e.end, Confidence: e.conf, entity: e.key})
	}
	return out, aliases
}

// isProper says whether a word can only be a name: capitalised, not ordinary English, not
// harmless, not a title or a company's legal form.
func isProper(t token) bool {
	return t.upper && !t.common && !t.vocab && !titles.has(t.text) && !legalForms.has(t.text) &&
		!orgSuffixes.has(t.text) && utf8.RuneCountInString(t.text) > 1
}

// nicknameIntros introduce another name for the person just named.
var nicknameIntros = []string{" (", ", who goes by ", " who goes by ", ", known as ", " known as ",
	" aka ", ", aka "}

// nicknameOf says whether e is a nickname given right after the person prev: "Chukwuemeka Okafor
// (Emeka)", "Katarzyna, who goes by Kasia".
func nicknameOf(text string, prev, e entity) bool {
	if prev.kind != Person || e.kind != Person || e.first != e.last {
		return false
	}
	gap := text[prev.end:e.start]
	for _, intro := range nicknameIntros {
		if strings.EqualFold(gap, intro) {
			return intro != " (" || strings.HasPrefix(text[e.end:], ")")
		}
	}
	return false
}

// startsRun says whether a capitalised run can start at token i.
func startsRun(toks []token, i int) bool {
	t := toks[i]
	return t.upper && t.text != "I"
}

// continuesRun returns the index of the token that continues the run ending at j, or j.
func continuesRun(text string, toks []token, j int) int {
	cur, nxt := toks[j], toks[j+1]
	gap := text[cur.next:nxt.start]
	switch {
	case gap == " " || gap == " & " || gap == " + ":
	case (gap == ". " || gap == "." || gap == " ") && (utf8.RuneCountInString(cur.text) == 1 || titles.has(cur.text)):
	default:
		return j
	}
	if nxt.upper && nxt.text != "I" {
		return j + 1
	}
	// "C of E", "van der Berg": a connector, then a capital again.
	if nameConnectors.has(nxt.text) && j+2 < len(toks) && text[nxt.end:toks[j+2].start] == " " && toks[j+2].upper {
		return j + 2
	}
	return j
}

// judgeRun decides whether the capitalised run toks[i..j] is a name, and which kind.
func judgeRun(text string, toks []token, i, j int, lx *lexicon, known map[string]nameAlias) (entity, bool) {
	// Leading words capitalised only because they begin the sentence, or harmless ones, are not
	// part of the name ("Today Lan told me", "Thursday Priya"), unless a given name leads a name
	// ("Hope Mensah", "June Okonjo").
	for i < j {
		t := toks[i]
		if titles.has(t.text) || lx.given.has(t.lowerText) && !t.allCaps && isProper(toks[i+1]) {
			break
		}
		if t.vocab || t.common && t.sentence && !lx.given.has(t.lowerText) {
			i++
			continue
		}
		break
	}
	// A run does not end in a harmless word ("Brightwater Board" is "Brightwater").
	for j > i && toks[j].vocab && !lx.given.has(toks[i].lowerText) {
		j--
	}
	first, last := toks[i], toks[j]
	span := text[first.start:last.end]
	if a, ok := known[span]; ok {
		return entity{kind: a.kind, key: a.key, conf: 0.8, first: i, last: j, start: first.start, end: last.end}, true
	}

	n := j - i + 1
	hasTitle := titles.has(first.text) && n > 1
	proper := 0 // words that can only be names
	for k := i; k <= j; k++ {
		if isProper(toks[k]) {
			proper++
		}
	}
	// A name of two given or family names, however ordinary each word is: "Ruth Egan", "Will Ashcroft".
	if n >= 2 && proper == 0 && !first.sentence && lx.given.has(first.lowerText) && (lx.surnames.has(last.lowerText) || lx.given.has(last.lowerText)) && !first.vocab {
		proper = 1
	}
	if n >= 2 && proper == 0 && first.sentence && lx.given.has(first.lowerText) && !first.vocab && !last.common {
		proper = 1
	}
	before := wordBefore(text, toks, i)
	verb := wordAfter(text, toks, j)
	// "Portland, OR": a US state's postal code after a town.
	if n == 1 && usStates.has(first.text) && i > 0 && strings.HasSuffix(text[:first.start], ", ") && toks[i-1].upper {
		return entity{kind: Location, conf: 0.75, first: i, last: j, start: first.start, end: last.end}, true
	}
	isLegal := legalForms.has(last.text) && n >= 2
	orgNamed := orgSuffixes.has(last.text) && n >= 2 && !first.sentence
	singleGiven := n == 1 && !first.sentence && !first.vocab && first.upper && !first.allCaps && lx.given.has(first.lowerText)
	singlePlace := n == 1 && !first.sentence && !first.vocab && lx.places.has(first.lowerText) &&
		(placePrepositions.has(before) || placeNouns.has(verb))
	spokenName := n == 1 && first.sentence && !first.vocab && lx.given.has(first.lowerText) && (verb == "said" || verb == "says" || verb == "told")

	// "commutes to Canary Wharf": ordinary words naming a place.
	placeNamed := n >= 2 && !first.sentence && placePrepositions.has(before) && before != "of" &&
		(lx.places.has(strings.ToLower(span)) || placeTypes.has(last.text))
	// "a small bakery, Crust & Crumb,": a name in apposition to what it names.
	apposition := !first.sentence && !first.vocab && i >= 1 && strings.TrimSpace(text[toks[i-1].next:first.start]) == "," &&
		orgNouns.has(toks[i-1].lowerText)
	switch {
	case hasTitle:
	case proper > 0:
	case placeNamed:
		return entity{kind: Location, conf: 0.65, first: i, last: j, start: first.start, end: last.end}, true
	case apposition && n >= 2:
		return entity{kind: Organisation, conf: 0.65, first: i, last: j, start: first.start, end: last.end}, true
	case isLegal, orgNamed:
	case singleGiven, singlePlace:
	case spokenName: // "Grace said": an ordinary word that is also a name, speaking
	default:
		return entity{}, false
	}
	// An all-capitals word alone is an acronym unless context makes it a person ("JT feels").
	if n == 1 && first.allCaps && !(utf8.RuneCountInString(first.text) <= 3 && (speechVerbs.has(verb) || personCues.has(before))) {
		return entity{}, false
	}
	kind := classify(text, toks, i, j, lx, before, hasTitle)
	conf := 0.7
	if hasTitle || isLegal {
		conf = 0.85
	}
	end := last.end
	return entity{kind: kind, conf: conf, first: i, last: j, start: first.start, end: end}, true
}

// classify decides whether the name toks[i..j] is a person, an organisation or a place.
func classify(text string, toks []token, i, j int, lx *lexicon, before string, hasTitle bool) Kind {
	first, last := toks[i], toks[j]
	phrase := strings.ToLower(text[first.start:last.end])
	switch {
	case hasTitle:
		return Person
	case legalForms.has(last.text) || orgSuffixes.has(last.text) && j > i:
		return Organisation
	}
	for k := i; k <= j; k++ {
		if legalForms.has(toks[k].text) {
			return Organisation
		}
	}
	isGiven := lx.given.has(first.lowerText)
	isPlace := lx.places.has(phrase)
	prep := placePrepositions.has(before)
	switch {
	case isPlace && (prep || !isGiven):
		return Location
	case prep && !isGiven && before != "of" && before != "to":
		return Location
	case isGiven && j > i:
		return Person
	case isGiven && !isPlace:
		return Person
	case orgCues.has(before) && before != "with":
		return Organisation
	case lx.surnames.has(last.lowerText):
		return Person
	case isPlace:
		return Location
	case j-i >= 2:
		return Organisation
	}
	return Person
}

// judgeWord decides whether a word outside any capitalised run is a name: a lower-case name in
// notes, an initial, or a name known from elsewhere in the case.
func judgeWord(text string, toks []token, i int, lx *lexicon, known map[string]nameAlias) (entity, bool) {
	t := toks[i]
	if a, ok := known[t.text]; ok && (t.upper || a.kind == Person) {
		return entity{kind: a.kind, key: a.key, conf: 0.75, first: i, last: i, start: t.start, end: t.end}, true
	}
	before := strings.ToLower(wordBefore(text, toks, i))
	after := wordAfter(text, toks, i)
	runes := utf8.RuneCountInString(t.text)

	// An initial standing for a person: "J. (her husband…)".
	if runes == 1 && t.upper && t.text != "I" && t.text != "A" && strings.HasPrefix(text[t.end:], ". ") {
		rest := strings.TrimLeft(text[t.end+1:], " ")
		if r, _ := utf8.DecodeRuneInString(rest); r == '(' || unicode.IsLower(r) {
			return entity{kind: Person, conf: 0.6, first: i, last: i, start: t.start, end: t.end + 1}, true
		}
	}
	if !t.lower || runes < 2 || lx.stopnames.has(t.lowerText) {
		return entity{}, false
	}
	// A lower-case organisation: "team coaching @ greenleaf nursery".
	if !t.common && i+1 < len(toks) && lowerOrgNouns.has(toks[i+1].text) && text[t.end:toks[i+1].start] == " " && (orgCues.has(before) || before == "") {
		n := toks[i+1]
		return entity{kind: Organisation, conf: 0.6, first: i, last: i + 1, start: t.start, end: n.end}, true
	}
	if determiners.has(before) { // "my supervisee said": a noun, not a name
		return entity{}, false
	}
	// A name in lower case needs context unless it could be nothing else.
	relation := personCues.has(before) && before != "and" && before != "with"
	cued := relation || strongVerbs.has(after)
	if t.common && !cued { // an ordinary word with nothing saying otherwise
		return entity{}, false
	}
	given := lx.given.has(t.lowerText)
	// "joburg office": a lower-case place labelling a site.
	if !t.common && !given && runes >= 3 && placeNouns.has(after) {
		return entity{kind: Location, conf: 0.6, first: i, last: i, start: t.start, end: t.end}, true
	}
	// "product mgr @ quantlane": a lower-case word at an organisation.
	if before == "@" && !t.common && !given && runes >= 3 {
		return entity{kind: Organisation, conf: 0.6, first: i, last: i, start: t.start, end: t.end}, true
	}
	switch {
	case given && !t.common && runes >= 3:
	case given && cued:
	case !t.common && (strongVerbs.has(after) || relation) && runes >= 3:
	default:
		return entity{}, false
	}
	e := entity{kind: Person, conf: 0.6, first: i, last: i, start: t.start, end: t.end}
	// "dan p", "tomasz k.": a lower-case name and the initial of the surname.
	if i+1 < len(toks) && utf8.RuneCountInString(toks[i+1].text) == 1 && text[t.end:toks[i+1].start] == " " && toks[i+1].lower {
		n := toks[i+1]
		e.last, e.end = i+1, n.end
		if n.end < len(text) && text[n.end] == '.' {
			e.end++
		}
	}
	return e, true
}

// neighbours are the tokens that could be listed next to e, across an "and".
func neighbours(toks []token, e entity) []int {
	before, after := e.first-1, e.last+1
	if before >= 0 && toks[before].text == "and" {
		before--
	}
	if after < len(toks) && toks[after].text == "and" {
		after++
	}
	return []int{before, after}
}

// listedWith says whether token k is in a list with the entity e: separated from it by a comma,
// "and", "+" or "/" only.
func listedWith(text string, toks []token, e entity, k int) bool {
	var gap string
	if k < e.first {
		gap = text[toks[k].next:e.start]
	} else {
		gap = text[e.end:toks[k].start]
	}
	gap = strings.TrimSpace(gap)
	if i := strings.Index(gap, "("); i >= 0 { // "sarah (head), dan p"
		if j := strings.LastIndex(gap, ")"); j > i && k > e.last {
			gap = strings.TrimSpace(gap[j+1:])
		}
	}
	switch gap {
	case ",", "+", "/", "&", "and", ", and":
		return toks[k].lower || toks[k].upper
	}
	return false
}

// nameParts are the spellings of an entity's parts that also stand for it alone: each word of
// a person's name, and an organisation's name without its legal form or trade.
func nameParts(toks []token, e entity, lx *lexicon) []string {
	var parts []string
	switch e.kind {
	case Person:
		for k := e.first; k <= e.last; k++ {
			t := toks[k]
			if titles.has(t.text) || utf8.RuneCountInString(t.text) < 2 || nameConnectors.has(t.text) {
				continue
			}
			// An ordinary word stands for the person alone only as the leading given name of a
			// longer name: "Hope" of "Hope Mensah", never "So" of "So Priya".
			if (t.common || t.vocab) && !(k == e.first && e.last > e.first && lx.given.has(t.lowerText) && utf8.RuneCountInString(t.text) >= 3) {
				continue
			}
			parts = append(parts, t.text)
		}
	case Organisation:
		last := e.last
		for last > e.first && (legalForms.has(toks[last].text) || orgSuffixes.has(toks[last].text)) {
			last--
		}
		if last < e.last && !toks[e.first].common && !toks[e.first].vocab {
			parts = append(parts, toks[e.first].text)
		}
	}
	return parts
}

// wordBefore is the word right before token i in the same sentence, or "@" for an at-sign.
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

// wordAfter is the word right after token j in the same clause.
func wordAfter(text string, toks []token, j int) string {
	if j+1 >= len(toks) {
		return ""
	}
	if strings.TrimSpace(text[toks[j].next:toks[j+1].start]) != "" {
		return ""
	}
	return toks[j+1].lowerText
}
