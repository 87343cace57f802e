package anonymise

import (
	"regexp"
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
//     ("Hope Mensah"), before a legal form ("Marsh Lane Motors Ltd"), or at a sentence's start
//     when what follows is what people do ("Mark phoned", "Dawn and I", "Faith, I tried");
//   - a lower-case word in hurried notes is a name when a given-name list holds it and English
//     does not ("gemma"), or when context says so ("w/ tom", "kas said", a list of names);
//   - theorists, concepts and loanwords (gazetteer/concepts.txt, loanwords.txt) are never names;
//   - the gazetteers and the surrounding words decide which kind of name it is.
//
// Every part of a person's name stands for the same person ("Priya Raghunathan", then "Priya"),
// and a name once found is found again wherever it recurs, in every field of the case, also in
// lower case when the context says it is the name ("sunny translates").

// entity is a name found in the text.
type entity struct {
	kind  Kind
	key   string // what every part and copy of this name is labelled by
	conf  float64
	first int // token index
	last  int // token index, inclusive
	start int // byte offsets of the name (without a trailing possessive)
	end   int
	alias int  // index+1 of the entity this one is another name of ("Emeka" of "Chukwuemeka Okafor"), or 0
	local bool // names nothing beyond this spot (a state code): never propagated
}

// nameAlias is a known spelling of a named entity: the name itself and its parts.
type nameAlias struct {
	kind Kind
	key  string
}

// lookupName answers whether a spelling (lower case) names an entity already known in this case.
type lookupName func(lower string) (nameAlias, bool)

// nameScan is the state of one run of the name detector over one text.
type nameScan struct {
	text    string
	toks    []token
	lx      *lexicon
	known   lookupName
	ents    []entity
	claimed []bool
	// lowerStyle: hurried notes written in lower case ("i think", "w/ tom"), where a name is
	// written in lower case too.
	lowerStyle bool
}

func (ns *nameScan) add(e entity) int {
	for k := e.first; k <= e.last; k++ {
		ns.claimed[k] = true
	}
	ns.ents = append(ns.ents, e)
	return len(ns.ents) - 1
}

func (ns *nameScan) free(first, last int) bool {
	for k := first; k <= last; k++ {
		if ns.claimed[k] || ns.toks[k].protected || ns.toks[k].code {
			return false
		}
	}
	return true
}

// detectNames finds people, organisations and places in one text.
func detectNames(sc *scan, known lookupName) ([]Finding, map[string]nameAlias, []token) {
	lx := loadLexicon()
	ns := &nameScan{text: sc.text, lx: lx, known: known}
	ns.toks = tokenize(sc.text, lx)
	ns.claimed = make([]bool, len(ns.toks))
	lowerI := 0
	for _, t := range ns.toks {
		if t.text == "i" || t.text == "i'm" || t.text == "i've" || t.text == "i'd" || t.text == "i'll" {
			lowerI++
		}
	}
	ns.lowerStyle = lowerI >= 2
	lx.phrases.protect(ns.text, ns.toks)
	ns.unprotectNameStarts()
	ns.protectLabels()
	for i := range ns.toks {
		if ns.toks[i].code {
			ns.toks[i].protected = true
		}
	}
	ns.protectConceptAuthors()
	ns.markForeign()

	ns.findQuotedNicknames()
	ns.findInitials()
	ns.findCapitalisedRuns()
	ns.findCaselessNames()
	ns.findNamedThings()
	ns.findSingleWords()
	ns.findSpeakers()
	ns.extendLowerNames()
	ns.findListed()
	ages := ns.findAges()
	aliases := ns.resolveAliases()

	out := make([]Finding, 0, len(ns.ents)+len(ages))
	out = append(out, ages...)
	for _, e := range ns.ents {
		f := Finding{Kind: e.kind, Start: e.start, End: e.end, Confidence: e.conf, entity: e.key, local: e.local}
		// An ordinary word found as a name once ("Grace", "Will") is not every copy of that word:
		// only the name rules, which read the context, find its other copies.
		t := ns.toks[e.first]
		f.local = f.local || e.first == e.last && ordinaryWord(t)
		out = append(out, f)
	}
	return out, aliases, ns.toks
}

// protectLabels protects the anonymiser's own labels and the pseudonyms authors write: "Client
// A", "Person B", "Coach T", "S2", "[Organisation 1]". They are already anonymous.
func (ns *nameScan) protectLabels() {
	toks, text := ns.toks, ns.text
	for i := 0; i+1 < len(toks); i++ {
		if !labelNouns.has(toks[i].text) || text[toks[i].next:toks[i+1].start] != " " {
			continue
		}
		n := toks[i+1]
		if utf8.RuneCountInString(n.text) <= 2 && n.allCaps || utf8.RuneCountInString(n.text) == 1 && n.upper {
			toks[i].protected, toks[i+1].protected = true, true
		}
	}
	for i, t := range toks {
		if (t.text == "Organisation" || t.text == "Place") && t.start > 0 && text[t.start-1] == '[' {
			toks[i].protected = true
		}
	}
}

// unprotectNameStarts gives back a single protected word that begins a longer capitalised name:
// "Ubuntu Youth Futures" is an organisation, though "Ubuntu" alone is a concept.
func (ns *nameScan) unprotectNameStarts() {
	toks := ns.toks
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if !t.protected || !t.upper || i > 0 && toks[i-1].protected && ns.text[toks[i-1].next:t.start] == " " {
			continue
		}
		if toks[i+1].protected || ns.text[t.next:toks[i+1].start] != " " || !toks[i+1].upper || toks[i+1].vocab {
			continue
		}
		end := i + 1
		for end+1 < len(toks) && toks[end+1].upper && !toks[end+1].protected && ns.text[toks[end].next:toks[end+1].start] == " " {
			end++
		}
		if end > i+1 || orgSuffixes.has(toks[end].text) || legalForms.has(toks[end].text) {
			toks[i].protected = false
		}
	}
}

// protectConceptAuthors protects a name followed by "'s" and a concept ("Karpman's triangle",
// "Kolb's cycle"): an author, not a client.
func (ns *nameScan) protectConceptAuthors() {
	toks := ns.toks
	for j, t := range toks {
		if !t.possessive || !t.upper || j+1 >= len(toks) {
			continue
		}
		n := toks[j+1]
		if !conceptNouns.has(n.lowerText) && !n.protected {
			continue
		}
		// A client's "model" is rare; "Priya's learning" is not. Only nouns that are concepts
		// alone, or a listed concept, make an author.
		if n.protected || conceptAlone.has(n.lowerText) {
			for k := j; k >= 0 && k > j-3 && toks[k].upper; k-- {
				toks[k].protected = true
				if k > 0 && ns.text[toks[k-1].next:toks[k].start] != " " {
					break
				}
			}
		}
	}
}

// conceptAlone are concept nouns that make the possessive before them an author's.
var conceptAlone = wordSet("model", "models", "cycle", "cycles", "triangle", "theory", "theories",
	"framework", "frameworks", "ladder", "matrix", "hierarchy", "pyramid", "window", "grid", "curve",
	"stages", "loop", "principle", "principles", "law", "taxonomy", "typology", "paradox", "effect",
	"continuum", "quadrant", "quadrants", "inventory", "questionnaire", "dimensions", "functions",
	"modes", "lenses", "disciplines", "dysfunctions", "equation", "formula")

// markForeign marks phrases in another language: capitalised words space-joined to lower-case
// words that are neither English nor name particles ("Tha mi sgìth", "Dienst nach Vorschrift",
// "Chalta hai"). Names are followed by English, not by such words; a lower-case name in notes
// ("kas said") has no capitalised word beside it and is not touched.
func (ns *nameScan) markForeign() {
	toks := ns.toks
	isForeignWord := func(t token) bool {
		if legalForms.has(t.text) || lowerOrgNouns.has(t.lowerText) {
			return false // "Kestrel Freight plc"
		}
		if t.lower && foreignStopwords.has(t.text) && !t.core && !nameConnectors.has(t.text) {
			return true
		}
		return t.lower && !t.common && !nameConnectors.has(t.text) && !ns.lx.stopnames.has(t.lowerText) &&
			utf8.RuneCountInString(t.text) >= 2 && !t.given()
	}
	// A word of grammar shared with English ("am", "die") continues a foreign phrase but does not
	// start one.
	continues := func(t token) bool { return t.lower && foreignStopwords.has(t.text) }
	capitalised := func(t token) bool {
		return t.upper && !t.vocab && (t.sentence || !t.given() && !t.surname())
	}
	// An article of another language before a capitalised noun: "die Assistentin", "der Vorstand".
	articleBefore := func(i int) bool {
		if i > 0 && ns.text[toks[i-1].next:toks[i].start] == " " && (toks[i-1].upper || nameConnectors.has(toks[i-1].text)) {
			return false // "van der Merwe", "Hans der Große": a particle of a name
		}
		return i+1 < len(toks) && toks[i].lower && foreignArticles.has(toks[i].text) && toks[i+1].upper && !toks[i+1].given() &&
			ns.text[toks[i].next:toks[i+1].start] == " "
	}
	for i := 0; i < len(toks); {
		if articleBefore(i) && !toks[i+1].sentence {
			toks[i].foreign, toks[i+1].foreign = true, true
			i += 2
			continue
		}
		if !isForeignWord(toks[i]) && !capitalised(toks[i]) {
			i++
			continue
		}
		// The longest run of such words, space-joined: the phrase.
		j := i
		loose := func(t token) bool { return t.upper && !t.vocab && !t.sentence } // beside "ein", "und", …
		for j+1 < len(toks) && ns.text[toks[j].next:toks[j+1].start] == " " &&
			(isForeignWord(toks[j+1]) || continues(toks[j+1]) || capitalised(toks[j+1]) && !toks[j+1].sentence ||
				loose(toks[j+1]) && foreignStopwords.has(toks[j].text)) {
			j++
		}
		foreign, caps, stops := 0, 0, 0
		for k := i; k <= j; k++ {
			switch {
			case isForeignWord(toks[k]):
				foreign++
				if foreignStopwords.has(toks[k].text) {
					stops++
				}
			case capitalised(toks[k]):
				caps++
			}
		}
		upper := 0
		for k := i; k <= j; k++ {
			if toks[k].upper {
				upper++
			}
		}
		if foreign > 0 && (caps > 0 || stops > 0 && upper > 0) {
			for k := i; k <= j; k++ {
				toks[k].foreign = true
			}
		}
		i = j + 1
	}
}

// findCapitalisedRuns judges every run of capitalised words: "Hope Mensah", "Mr R. Daly", "St
// Oswald's C of E Primary".
func (ns *nameScan) findCapitalisedRuns() {
	toks := ns.toks
	for i := 0; i < len(toks); {
		if !ns.startsRun(i) {
			i++
			continue
		}
		j := i
		for j+1 < len(toks) {
			if k := ns.continuesRun(j); k > j {
				j = k
				continue
			}
			break
		}
		if e, ok := ns.judgeRun(i, j); ok {
			ns.add(e)
		}
		i = j + 1
	}
}

// startsRun says whether a capitalised run can start at token i.
func (ns *nameScan) startsRun(i int) bool {
	t := ns.toks[i]
	return t.upper && t.text != "I" && !t.protected && !t.foreign && !ns.claimed[i]
}

// continuesRun returns the index of the token that continues the run ending at j, or j.
func (ns *nameScan) continuesRun(j int) int {
	toks, text := ns.toks, ns.text
	cur, nxt := toks[j], toks[j+1]
	if nxt.protected || nxt.foreign || ns.claimed[j+1] || cur.possessive && !orgSuffixes.has(nxt.text) {
		return j
	}
	gap := text[cur.next:nxt.start]
	switch {
	case gap == " " || gap == " & " || gap == " + ":
	case (gap == ". " || gap == "." || gap == " ") && (utf8.RuneCountInString(cur.text) == 1 || titles.has(cur.text)):
	default:
		return j
	}
	if nxt.upper && nxt.text != "I" || legalForms.has(nxt.text) && gap == " " {
		return j + 1 // "Kestrel Freight plc": a legal form in lower case ends the name
	}
	// "C of E", "van der Berg", "Mr ap Dafydd": a connector, then a capital again.
	k := j + 1
	for k < len(toks) && nameConnectors.has(toks[k].text) && k-j <= 2 {
		if k+1 < len(toks) && text[toks[k].end:toks[k+1].start] == " " && toks[k+1].upper {
			return k + 1
		}
		k++
	}
	return j
}

// judgeRun decides whether the capitalised run toks[i..j] is a name, and which kind.
func (ns *nameScan) judgeRun(i, j int) (entity, bool) {
	toks, text, lx := ns.toks, ns.text, ns.lx
	fullFirst, fullLast := i, j
	// Leading words capitalised only because they begin the sentence, or harmless ones, are not
	// part of the name ("Today Lan told me", "Thursday Priya", "My VP"), unless a given name
	// leads a name ("Hope Mensah", "June Okonjo").
	for i < j {
		t := toks[i]
		if titles.has(t.text) || t.given() && !t.allCaps && !neverNames.has(t.lowerText) && isProper(toks[i+1]) {
			break
		}
		if t.vocab || t.common && t.sentence && !t.givenName() || functionWords.has(t.lowerText) && t.sentence {
			i++
			continue
		}
		break
	}
	for i < j && nameConnectors.has(toks[i].text) {
		i++ // "ED of Puentes Community Alliance": the role goes, then its "of"
	}
	// A run does not end in a harmless word ("Brightwater Board" is "Brightwater").
	for j > i && toks[j].vocab && !toks[i].given() && !orgSuffixes.has(toks[j].text) {
		j--
	}
	first, last := toks[i], toks[j]
	span := text[first.start:last.end]
	if a, ok := ns.known(strings.ToLower(span)); ok && (!first.sentence || !first.core || ns.personContextAfter(j) || j > i) {
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
	before := wordBefore(text, toks, i)
	verb := wordAfter(text, toks, j)
	personAfter := ns.personContextAfter(j)
	// "Steve Karpman's later work", beside "Karpman's triangle": a theorist's family name, with a
	// short first name, where the sentence cites.
	if n == 2 && last.vocab && first.given() && !last.surname() && ns.sentenceCites(i) {
		return entity{}, false
	}
	// A name of two given or family names, however ordinary each word is: "Ruth Egan", "Will
	// Ashcroft"; at a sentence's start only with a person's context ("Joy Tan, her manager,").
	if n >= 2 && proper == 0 && !first.vocab && first.given() && (last.surname() || last.given()) &&
		(!first.sentence || !first.core && !last.common || personAfter) {
		proper = 1
	}
	// "Portland, OR 97214": a US state's postal code after a town, before a ZIP code or the end
	// of the sentence; never propagated, so "ID" elsewhere stays.
	if n == 1 && usStates.has(first.text) && i > 0 && strings.HasSuffix(text[:first.start], ", ") && toks[i-1].upper && stateCodeEnds(text, first.end) {
		return entity{kind: Location, conf: 0.75, first: i, last: j, start: first.start, end: last.end, local: true}, true
	}
	// "…, Ernakulam 682011": the town of an address line, before its postcode.
	if n <= 2 && !first.sentence && i > 0 && strings.HasSuffix(text[:first.start], ", ") && townBeforePostcodeRE.MatchString(text[last.end:]) {
		return entity{kind: Location, conf: 0.7, first: i, last: j, start: first.start, end: last.end}, true
	}
	isLegal := legalForms.has(last.text) && n >= 2
	orgNamed := orgSuffixes.has(last.text) && n >= 2 && (!first.sentence || proper > 0 || !first.common)
	singleGiven := n == 1 && !first.sentence && !first.vocab && first.upper && !first.allCaps && first.givenName() &&
		!(first.common && (before == "in" || before == "into" || before == "on" || ns.listedWithNonNames(i)))
	singlePlace := n == 1 && !first.sentence && !first.vocab && first.place() && (!first.core || lx.isMajorPlace(first.lowerText)) &&
		(placePrepositions.has(before) || placeNouns.has(verb) || !first.core && lx.isMajorPlace(first.lowerText))
	// "Mark phoned", "Faith, I tried your…", "Dawn and I", "Guy from Northfield Rovers asked":
	// an ordinary word that is also a name, doing what people do.
	spokenName := n == 1 && first.sentence && !first.vocab && first.given() && !functionWords.has(first.lowerText) && !titles.has(first.text) && personAfter

	// "commutes to Canary Wharf", "on the Ocean Estate": ordinary words naming a place.
	prep := before
	if before == "the" && i >= 2 {
		prep = wordBefore(text, toks, i-1)
	}
	placeNamed := n >= 2 && !first.sentence && placePrepositions.has(prep) && prep != "of" &&
		(lx.isPlace(strings.ToLower(span)) || placeTypes.has(last.text))
	// "a small bakery, Crust & Crumb,": a name in apposition to what it names.
	apposition := !first.sentence && !first.vocab && i >= 1 && strings.TrimSpace(text[toks[i-1].next:first.start]) == "," &&
		orgNouns.has(toks[i-1].lowerText)
	// "at the Great Western", "in a café at the Bullring": a building or institution.
	atThe := ns.atTheName(fullFirst, fullLast)
	// "studied at Wits", "joined Flintlock": where someone studies or works.
	prev2 := ""
	if i >= 2 {
		prev2 = wordBefore(text, toks, i-1)
	}
	employer := !first.sentence && !first.vocab && (joinVerbs.has(before) || (before == "at" || before == "for") && workVerbs.has(prev2))
	// "the Refugee Doctors Pathway charity": capitalised words before a kind of organisation.
	namedOrg := n >= 2 && !first.sentence && i+1 <= len(toks) && j+1 < len(toks) && gapAfter(text, toks, j) == " " &&
		orgKinds.has(toks[j+1].lowerText) && toks[j+1].lower
	// "Shelter Scotland", "Age UK": ordinary words and a nation, a charity's way of naming itself.
	national := !toks[fullFirst].sentence && !toks[fullFirst].vocab && nations.has(toks[fullLast].text) && fullLast > fullFirst
	switch {
	case hasTitle:
	case proper > 0:
	case placeNamed:
		return entity{kind: Location, conf: 0.65, first: i, last: j, start: first.start, end: last.end}, true
	case apposition && n >= 2:
		return entity{kind: Organisation, conf: 0.65, first: i, last: j, start: first.start, end: last.end}, true
	case atThe:
		f, l := toks[fullFirst], toks[fullLast]
		kind := Organisation
		if placeTypes.has(l.text) || lx.isPlace(strings.ToLower(text[f.start:l.end])) {
			kind = Location
		}
		return entity{kind: kind, conf: 0.6, first: fullFirst, last: fullLast, start: f.start, end: l.end}, true
	case isLegal, orgNamed:
	case employer, namedOrg:
		return entity{kind: Organisation, conf: 0.65, first: i, last: j, start: first.start, end: last.end}, true
	case national:
		return entity{kind: Organisation, conf: 0.65, first: fullFirst, last: fullLast, start: toks[fullFirst].start, end: toks[fullLast].end}, true
	case singleGiven, singlePlace:
	case spokenName:
	default:
		return entity{}, false
	}
	// An all-capitals word alone is an acronym unless context makes it a person ("JT feels").
	if n == 1 && first.allCaps && !(utf8.RuneCountInString(first.text) <= 3 && !first.vocab && !determiners.has(before) &&
		(strongVerbs.has(verb) || personCues.has(before) && before != "and")) {
		return entity{}, false
	}
	kind := classify(text, toks, i, j, lx, before, hasTitle)
	conf := 0.7
	if hasTitle || isLegal {
		conf = 0.85
	}
	return entity{kind: kind, conf: conf, first: i, last: j, start: first.start, end: last.end}, true
}

// sentenceCites says whether the sentence of token i has a theorist or concept in it.
func (ns *nameScan) sentenceCites(i int) bool {
	from, to := sentenceBounds(ns.text, ns.toks, i, i)
	for k := from; k <= to; k++ {
		if ns.toks[k].protected && ns.toks[k].upper {
			return true
		}
	}
	return false
}

// listedWithNonNames says whether the capitalised word at i is listed with capitalised ordinary
// words that are not names: "drew Parent, Adult and Child on the flipchart".
func (ns *nameScan) listedWithNonNames(i int) bool {
	e := entity{first: i, last: i, start: ns.toks[i].start, end: ns.toks[i].end}
	for _, k := range neighbours(ns.toks, e) {
		if k < 0 || k >= len(ns.toks) || !listedWith(ns.text, ns.toks, e, k) {
			continue
		}
		if t := ns.toks[k]; t.upper && t.common && !t.given() && !t.place() {
			return true
		}
	}
	return false
}

// townBeforePostcodeRE is what follows a town at the end of an address: its postcode.
var townBeforePostcodeRE = regexp.MustCompile(`^,? (?:\d{3} ?\d{3}|\d{4,5}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b`)

// stateCodeEnds says whether a US state code ending at i is followed by a ZIP code or ends its
// clause, as in an address.
func stateCodeEnds(text string, i int) bool {
	if i < len(text) && (text[i] == '-' || text[i] != ' ' && isASCIIWord(text[i])) {
		return false // "Steuer-ID", "IDs"
	}
	rest := strings.TrimLeft(text[i:], " ")
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsUpper(r) // "Portland, OR 97214", "Portland, OR and…", not "Boise, ID Card"
}

// atTheName says whether the run toks[i..j] is a building, venue or institution named after
// "at the", "from the", "to the": "at the Mater", "at the Bullring", "his wife is at the Great
// Western for dialysis". The run must end its phrase (a function word or punctuation follows),
// so "at the Board meeting" or "in the Rescuer role" stay.
func (ns *nameScan) atTheName(i, j int) bool {
	toks, text := ns.toks, ns.text
	if i < 2 || toks[i].sentence || toks[i-1].lowerText != "the" || text[toks[i-1].next:toks[i].start] != " " {
		return false
	}
	if !atThePrepositions.has(wordBefore(text, toks, i-1)) {
		return false
	}
	harmless := true
	for k := i; k <= j; k++ {
		t := toks[k]
		if t.protected || t.allCaps || utf8.RuneCountInString(t.text) < 2 {
			return false
		}
		if !t.vocab && !functionWords.has(t.lowerText) {
			harmless = false
		}
	}
	if harmless {
		return false
	}
	gap := gapAfter(text, toks, j)
	if strings.TrimSpace(gap) != "" || j+1 >= len(toks) {
		return true // punctuation or the end follows
	}
	next := toks[j+1]
	return next.lower && (functionWords.has(next.lowerText) || phraseEnders.has(next.lowerText))
}

// personContextAfter says whether what follows token j is what a person does: a verb of speech
// or action ("Mark phoned", "Jack finally told"), a vocative ("Faith, I tried your…"), "and I",
// "from <somewhere>" ("Guy from Northfield Rovers asked"), or an apposition naming a role
// ("Joy Tan, her senior manager,").
func (ns *nameScan) personContextAfter(j int) bool {
	toks, text := ns.toks, ns.text
	if j+1 >= len(toks) {
		return false
	}
	gap := text[toks[j].next:toks[j+1].start]
	next := toks[j+1]
	switch strings.TrimSpace(gap) {
	case "":
		if actionVerbs.has(next.lowerText) {
			return true
		}
		// One adverb between: "Jack finally told", "Sam also said".
		if (strings.HasSuffix(next.lowerText, "ly") || adverbs.has(next.lowerText)) && j+2 < len(toks) &&
			strings.TrimSpace(text[next.next:toks[j+2].start]) == "" && actionVerbs.has(toks[j+2].lowerText) {
			return true
		}
		if next.lowerText == "and" && j+2 < len(toks) && (toks[j+2].text == "I" || toks[j+2].lowerText == "me") {
			return true
		}
		if next.lowerText == "from" && j+2 < len(toks) && toks[j+2].upper && !toks[j+2].vocab {
			return true
		}
	case ",":
		if !next.lower && (next.text == "I" || next.text == "I'm" || next.text == "I've" || next.text == "I'd") {
			return true
		}
		if vocativeFollowers.has(next.lowerText) {
			return true
		}
		// ", her senior manager," ", my client,"
		if determiners.has(next.lowerText) && next.lowerText != "a" && next.lowerText != "the" {
			for k := j + 2; k < len(toks) && k <= j+4; k++ {
				if personCues.has(toks[k].lowerText) || roleNouns.has(toks[k].lowerText) {
					return true
				}
				if strings.TrimSpace(text[toks[k-1].next:toks[k].start]) != "" {
					break
				}
			}
		}
	}
	return false
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
	isGiven := first.given()
	isPlace := lx.isPlace(phrase)
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
	case last.surname():
		return Person
	case isPlace:
		return Location
	case j-i >= 2:
		return Organisation
	}
	return Person
}

// findInitials finds a person written as initials with full stops: "J.P. (Jean-Pierre …)",
// "A.K. said".
func (ns *nameScan) findInitials() {
	toks, text := ns.toks, ns.text
	for i := 0; i < len(toks); i++ {
		j := i
		for j < len(toks) && utf8.RuneCountInString(toks[j].text) == 1 && toks[j].upper && toks[j].end < len(text) && text[toks[j].end] == '.' &&
			(j == i || toks[j].start == toks[j-1].end+1) {
			j++
		}
		if j-i < 2 || !ns.free(i, j-1) {
			continue
		}
		end := toks[j-1].end + 1
		rest := strings.TrimLeft(text[end:], " ")
		if strings.HasPrefix(rest, "(") || strings.HasPrefix(rest, ", who") || ns.personContextAfter(j-1) {
			ns.add(entity{kind: Person, conf: 0.65, first: i, last: j - 1, start: toks[i].start, end: end})
		}
		i = j - 1
	}
}

// findSingleWords judges the words outside any run: lower-case names in notes, initials, names
// known from elsewhere in the case, lower-case places and organisations.
func (ns *nameScan) findSingleWords() {
	for i := range ns.toks {
		if ns.claimed[i] || ns.toks[i].protected {
			continue
		}
		if e, ok := ns.judgeWord(i); ok {
			ns.add(e)
		}
	}
}

func (ns *nameScan) judgeWord(i int) (entity, bool) {
	toks, text := ns.toks, ns.text
	t := toks[i]
	before := strings.ToLower(wordBefore(text, toks, i))
	after := wordAfter(text, toks, i)
	runes := utf8.RuneCountInString(t.text)

	if a, ok := ns.known(t.lowerText); ok && ns.knownHere(i) {
		return entity{kind: a.kind, key: a.key, conf: 0.75, first: i, last: i, start: t.start, end: t.end}, true
	}
	// "ex-PwC", "(ex-Apollo)": a former employer.
	if strings.HasPrefix(t.text, "ex-") && runes > 4 {
		r, _ := utf8.DecodeRuneInString(t.text[3:])
		if unicode.IsUpper(r) && !ns.lx.vocab.has(t.text[3:]) {
			return entity{kind: Organisation, conf: 0.65, first: i, last: i, start: t.start + 3, end: t.end}, true
		}
	}
	// An initial standing for a person: "J. (her husband…)".
	if runes == 1 && t.upper && t.text != "I" && t.text != "A" && strings.HasPrefix(text[t.end:], ". ") {
		rest := strings.TrimLeft(text[t.end+1:], " ")
		if r, _ := utf8.DecodeRuneInString(rest); r == '(' || unicode.IsLower(r) {
			return entity{kind: Person, conf: 0.6, first: i, last: i, start: t.start, end: t.end + 1}, true
		}
	}
	// An acronym naming an organisation: "eight years with UNHCR", "two UNA reps", "(KNUST)".
	if t.allCaps && !t.vocab && runes >= 3 && runes <= 6 {
		if orgCues.has(before) || memberNouns.has(after) || ns.bracketedAfterOrgNoun(i) {
			return entity{kind: Organisation, conf: 0.6, first: i, last: i, start: t.start, end: t.end}, true
		}
	}
	if !t.lower || runes < 2 || ns.lx.stopnames.has(t.lowerText) || t.foreign {
		return entity{}, false
	}
	// A lower-case organisation: "team coaching @ greenleaf nursery".
	if !t.common && i+1 < len(toks) && lowerOrgNouns.has(toks[i+1].text) && text[t.end:toks[i+1].start] == " " && (orgCues.has(before) || before == "") {
		n := toks[i+1]
		return entity{kind: Organisation, conf: 0.6, first: i, last: i + 1, start: t.start, end: n.end}, true
	}
	// A lower-case place after a place preposition: "gigging round leeds and sheffield".
	if !t.common && t.place() && runes >= 3 && placePrepositions.has(before) && before != "of" && !t.given() {
		return entity{kind: Location, conf: 0.6, first: i, last: i, start: t.start, end: t.end}, true
	}
	if determiners.has(before) { // "my supervisee said": a noun, not a name
		return entity{}, false
	}
	// A name in lower case needs context unless it could be nothing else.
	relation := personCues.has(before) && before != "and" && before != "with"
	appositive := ns.roleApposition(i)
	cued := relation || strongVerbs.has(after) || appositive
	if t.common && (!cued || t.core) { // an ordinary word with nothing saying otherwise
		return entity{}, false
	}
	given := t.given()
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
	case !t.common && (strongVerbs.has(after) || relation || appositive) && runes >= 3:
	default:
		return entity{}, false
	}
	e := entity{kind: Person, conf: 0.6, first: i, last: i, start: t.start, end: t.end}
	// "dan p", "tomasz k.": a lower-case name and the initial of the surname.
	if i+1 < len(toks) && utf8.RuneCountInString(toks[i+1].text) == 1 && text[t.end:toks[i+1].start] == " " && toks[i+1].lower &&
		toks[i+1].text != "a" && toks[i+1].text != "i" && !strings.HasPrefix(gapAfter(text, toks, i+1), " ") {
		n := toks[i+1]
		e.last, e.end = i+1, n.end
		if n.end < len(text) && text[n.end] == '.' {
			e.end++
		}
	}
	return e, true
}

// knownHere says whether a word that spells a name known in this case stands for that name
// here. Capitals decide where they mean something; an ordinary English word needs what people
// do after it ("sunny translates for…"), and never "Mark this" or "Will you".
func (ns *nameScan) knownHere(i int) bool {
	t := ns.toks[i]
	switch {
	case t.upper && !t.sentence:
		return true
	case !t.common:
		return t.upper || t.lower
	case t.upper && t.sentence:
		// An imperative or a question ("Mark this", "Will you", "Hope this helps") is not a name.
		return i+1 >= len(ns.toks) || !objectWords.has(ns.toks[i+1].lowerText) || strings.TrimSpace(gapAfter(ns.text, ns.toks, i)) != ""
	default: // a lower-case ordinary word
		before := wordBefore(ns.text, ns.toks, i)
		if determiners.has(before) {
			return false // "a guy called Guy", "this autumn"
		}
		if (before == "is" || before == "was") && i >= 2 && personCues.has(wordBefore(ns.text, ns.toks, i-1)) {
			return true // "client is river (River Okoro-James)"
		}
		if t.possessive && i+1 < len(ns.toks) && (roleNouns.has(ns.toks[i+1].lowerText) || personCues.has(ns.toks[i+1].lowerText)) {
			return true // "river's dad"
		}
		if ns.lowerStyle && !t.core {
			return true // "loyalty to jack": in lower-case notes, the name as it is written
		}
		return ns.personContextAfter(i) || ns.roleApposition(i) || lowerVerbAfter(ns, i) ||
			strings.HasPrefix(strings.TrimLeft(gapAfter(ns.text, ns.toks, i), " "), "(") ||
			personCues.has(before) && before != "and"
	}
}

// lowerVerbAfter says whether a lower-case word at the start of a sentence or note is followed by
// a verb in the third person ("- sunny translates for…", "hunter (agency…)"), as a name would be.
func lowerVerbAfter(ns *nameScan, i int) bool {
	toks := ns.toks
	if !sentenceStart(ns.text, toks[i].start) && !strings.HasSuffix(strings.TrimRight(gapBefore(ns.text, toks, i), " "), "(") {
		return false
	}
	gap := gapAfter(ns.text, toks, i)
	if strings.HasPrefix(strings.TrimLeft(gap, " "), "(") || strings.TrimSpace(gap) == "," {
		return true
	}
	if i+1 >= len(toks) || strings.TrimSpace(gap) != "" {
		return false
	}
	v := toks[i+1].lowerText
	return actionVerbs.has(v) || len(v) > 4 && strings.HasSuffix(v, "s") && !strings.HasSuffix(v, "ss") && toks[i+1].common
}

// roleApposition says whether token i stands between commas after a role: "the singer, jack,
// wants…", "my client, Ayesha, said".
func (ns *nameScan) roleApposition(i int) bool {
	toks, text := ns.toks, ns.text
	if i < 2 || strings.TrimSpace(text[toks[i-1].next:toks[i].start]) != "," {
		return false
	}
	if g := strings.TrimSpace(gapAfter(text, toks, i)); g != "," && g != ")" && g != ";" {
		return false
	}
	role := toks[i-1].lowerText
	return (roleNouns.has(role) || personCues.has(role)) && determiners.has(toks[i-2].lowerText)
}

// bracketedAfterOrgNoun says whether the acronym at i is in brackets right after a kind of
// organisation: "went to university (KNUST)".
func (ns *nameScan) bracketedAfterOrgNoun(i int) bool {
	if i == 0 || strings.TrimSpace(ns.text[ns.toks[i-1].next:ns.toks[i].start]) != "(" {
		return false
	}
	return orgNouns.has(ns.toks[i-1].lowerText)
}

// extendLowerNames adds a lower-case family name to the lower-case given name before it:
// "ayesha siddiqui-khan", "tomasz wiśniewski".
func (ns *nameScan) extendLowerNames() {
	toks, text := ns.toks, ns.text
	for i := range ns.ents {
		e := &ns.ents[i]
		k := e.last + 1
		if e.kind != Person || !toks[e.last].lower || k >= len(toks) || ns.claimed[k] || text[toks[e.last].next:toks[k].start] != " " {
			continue
		}
		if t := toks[k]; t.lower && !t.common && !t.foreign && !t.code && !ns.lx.stopnames.has(t.lowerText) && utf8.RuneCountInString(t.text) >= 3 {
			ns.claimed[k] = true
			e.last, e.end = k, t.end
		}
	}
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

// findListed adds words listed with found names: "sarah (head), dan p, mo, kirsty, aled",
// "Swindon and Bath", "round leeds and sheffield".
func (ns *nameScan) findListed() {
	toks, text := ns.toks, ns.text
	for changed := true; changed; {
		changed = false
		for _, e := range ns.ents {
			for _, k := range neighbours(toks, e) {
				if k < 0 || k >= len(toks) || ns.claimed[k] || toks[k].protected || !listedWith(text, toks, e, k) {
					continue
				}
				t := toks[k]
				if k > 0 && determiners.has(toks[k-1].lowerText) || k > 1 && toks[k-1].lower && determiners.has(toks[k-2].lowerText) {
					continue // "from the roadmap, and Arjun", "his old CO, Major…": a noun
				}
				switch e.kind {
				case Location:
					if t.vocab || t.sentence || !t.place() || t.upper && t.common && !ns.lx.isMajorPlace(t.lowerText) || t.lower && t.common {
						continue
					}
					ns.add(entity{kind: Location, conf: 0.6, first: k, last: k, start: t.start, end: t.end})
					changed = true
				case Person:
					// Listed with people, a capitalised given name is one even if it is also a
					// word ("Present: Hunter, Dawn, Ifeoma").
					if t.common && !(t.upper && t.given()) || ns.lx.stopnames.has(t.lowerText) || t.vocab ||
						t.foreign || utf8.RuneCountInString(t.text) < 2 || t.core && t.lower {
						continue
					}
					ns.add(entity{kind: Person, conf: 0.6, first: k, last: k, start: t.start, end: t.end})
					changed = true
				}
			}
		}
	}
}

// resolveAliases gives every entity its key, records every spelling of the names found (for this
// text and the rest of the case), and finds the parts where they stand alone.
func (ns *nameScan) resolveAliases() map[string]nameAlias {
	toks, text := ns.toks, ns.text
	aliases := map[string]nameAlias{}
	order := make([]int, len(ns.ents))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return ns.ents[a].start - ns.ents[b].start })
	for n, idx := range order {
		e := &ns.ents[idx]
		name := strings.ToLower(text[e.start:e.end])
		switch {
		case e.local:
			e.key = string(e.kind) + "\x00" + name
			continue // a state code names nothing elsewhere
		case e.alias > 0:
			a := ns.ents[e.alias-1]
			e.key, e.kind = a.key, a.kind
		case e.key != "":
		case n > 0 && nicknameOf(text, ns.ents[order[n-1]], *e):
			// "Chukwuemeka Okafor (Emeka)", "Park Ji-won (박지원)": the same person.
			prev := ns.ents[order[n-1]]
			e.key, e.kind = prev.key, Person
		default:
			base := stripHonorific(name) // "Haruka-san" is Haruka
			if a, ok := ns.known(name); ok {
				e.key, e.kind = a.key, a.kind
			} else if a, ok := aliases[name]; ok {
				e.key, e.kind = a.key, a.kind
			} else if a, ok := aliases[base]; ok && base != name {
				e.key, e.kind = a.key, a.kind
			} else if a, ok := ns.known(base); ok && base != name {
				e.key, e.kind = a.key, a.kind
			} else {
				e.key = string(e.kind) + "\x00" + name
			}
		}
		aliases[name] = nameAlias{kind: e.kind, key: e.key}
		for _, part := range nameParts(toks, *e) {
			if _, ok := aliases[part]; !ok {
				if _, ok := ns.known(part); !ok {
					aliases[part] = nameAlias{kind: e.kind, key: e.key}
				}
			}
		}
	}
	saved := ns.known
	local := func(lower string) (nameAlias, bool) {
		if a, ok := aliases[lower]; ok {
			return a, true
		}
		return saved(lower)
	}
	ns.known = local
	for i := range toks {
		if ns.claimed[i] || toks[i].protected {
			continue
		}
		a, ok := local(toks[i].lowerText)
		if !ok {
			a, ok = local(stripHonorific(toks[i].lowerText))
		}
		if !ok || (toks[i].lower && a.kind != Person) || !ns.knownHere(i) {
			continue
		}
		ns.add(entity{kind: a.kind, key: a.key, conf: 0.7, first: i, last: i, start: toks[i].start, end: toks[i].end})
	}
	ns.known = saved
	return aliases
}

// honorificSuffixes follow a name as a mark of respect: "Haruka-san", "Priya-ji", "Min-jun-ssi".
var honorificSuffixes = []string{"-san", "-sama", "-chan", "-kun", "-sensei", "-senpai", "-ssi", "-nim",
	"-ji", "-sahib", "-saab", "-bhai", "-ben", "-didi", "-jaan"}

// stripHonorific removes an honorific suffix from a lower-case name.
func stripHonorific(name string) string {
	for _, suf := range honorificSuffixes {
		if strings.HasSuffix(name, suf) && len(name) > len(suf)+1 {
			return name[:len(name)-len(suf)]
		}
	}
	return name
}

func ordinaryWord(t token) bool { return t.common || t.vocab || t.core }

// IsOrdinaryWord says whether text is one word that English, or the vocabulary of harmless
// proper nouns, also uses ("Grace", "Will", "An"). Found as a name in one place, such a word is
// not replaced wherever else it stands: each copy is judged by its own context.
func IsOrdinaryWord(text string) bool {
	toks := tokenize(Normalise(text), loadLexicon())
	return len(toks) == 1 && toks[0].start == 0 && toks[0].end == len(Normalise(text)) && ordinaryWord(toks[0])
}

// isProper says whether a word can only be a name: capitalised, not ordinary English, not
// harmless, not a title or a company's legal form.
func isProper(t token) bool {
	return t.upper && !t.common && !t.vocab && !t.protected && !t.foreign && !titles.has(t.text) && !legalForms.has(t.text) &&
		!orgSuffixes.has(t.text) && utf8.RuneCountInString(t.text) > 1
}

// nicknameIntros introduce another name for the person just named.
var nicknameIntros = []string{" (", ", who goes by ", " who goes by ", ", known as ", " known as ",
	" aka ", ", aka "}

// nicknameOf says whether e is another name given right after the person prev: "Chukwuemeka
// Okafor (Emeka)", "Katarzyna, who goes by Kasia", "Park Ji-won (박지원)".
func nicknameOf(text string, prev, e entity) bool {
	if prev.kind != Person || prev.end > e.start {
		return false
	}
	gap := text[prev.end:e.start]
	for _, intro := range nicknameIntros {
		if strings.EqualFold(gap, intro) || strings.EqualFold(strings.TrimSuffix(gap, "\""), intro) {
			if intro == " (" {
				after := strings.TrimPrefix(text[e.end:], "\"")
				return strings.HasPrefix(after, ")") || strings.HasPrefix(after, ",")
			}
			return e.kind == Person
		}
	}
	return false
}

// nameParts are the spellings (lower case) of an entity's parts that also stand for it alone:
// each word of a person's name, and an organisation's name without its legal form or trade.
func nameParts(toks []token, e entity) []string {
	var parts []string
	switch e.kind {
	case Person:
		lead := e.first
		for lead < e.last && titles.has(toks[lead].text) {
			lead++
		}
		for k := e.first; k <= e.last; k++ {
			t := toks[k]
			if k == e.first && honorifics.has(t.text) && e.last > k {
				parts = append(parts, t.lowerText) // "Hajiya" alone is Hajiya Hadiza Musa
				continue
			}
			if titles.has(t.text) || utf8.RuneCountInString(t.text) < 2 || nameConnectors.has(t.text) || t.protected {
				continue
			}
			// An ordinary word stands for the person alone only as the leading given name of a
			// longer name: "Hope" of "Rev. Hope Adebowale-Smith", never "So" of "So Priya".
			if (t.common || t.vocab) && !(k == lead && e.last > lead && t.given() && utf8.RuneCountInString(t.text) >= 3) {
				continue
			}
			parts = append(parts, t.lowerText)
		}
	case Organisation:
		last := e.last
		for last > e.first && (legalForms.has(toks[last].text) || orgSuffixes.has(toks[last].text)) {
			last--
		}
		if last < e.last && !toks[e.first].common && !toks[e.first].vocab {
			parts = append(parts, toks[e.first].lowerText)
		}
	}
	return parts
}
