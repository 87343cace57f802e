package anonymise

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Names that the shape of the text gives away, whatever their words: nicknames in quotation marks
// beside a name, names written in scripts without capitals, the thing after "a startup called",
// and the speakers of a transcript.

// quoteSpan is a short quoted text: its content's offsets and the quotation marks' outer offsets.
type quoteSpan struct{ outerStart, start, end, outerEnd int }

// shortQuotes finds quoted texts of at most three words and 24 characters: the shape of a
// nickname ("Chi-Chi", "Bra Sips", "mr c").
func shortQuotes(text string) []quoteSpan {
	var out []quoteSpan
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		closer := rune(0)
		switch r {
		case '"':
			closer = '"'
		case '“':
			closer = '”'
		case '\'':
			if i == 0 || isSpaceBefore(text, i) || text[i-1] == '(' {
				closer = '\''
			}
		case '‘':
			closer = '’'
		}
		if closer == 0 {
			i += size
			continue
		}
		start := i + size
		end := strings.IndexRune(text[start:], closer)
		if end < 0 {
			return out
		}
		end += start
		content := text[start:end]
		if n := utf8.RuneCountInString(content); n > 0 && n <= 24 && len(strings.Fields(content)) <= 3 && !strings.ContainsAny(content, "\n.!?,") {
			out = append(out, quoteSpan{outerStart: i, start: start, end: end, outerEnd: end + utf8.RuneLen(closer)})
		}
		i = end + utf8.RuneLen(closer)
	}
	return out
}

// tokensIn returns the tokens inside [start, end), as first and last index, or -1.
func (ns *nameScan) tokensIn(start, end int) (int, int) {
	first := sort.Search(len(ns.toks), func(i int) bool { return ns.toks[i].start >= start })
	last := first - 1
	for k := first; k < len(ns.toks) && ns.toks[k].end <= end; k++ {
		last = k
	}
	if last < first {
		return -1, -1
	}
	return first, last
}

// findQuotedNicknames finds nicknames in quotation marks: between a given name and a family name
// (Sipho "Bra Sips" Dlamini, DeAndre "Gunny" Washington), in brackets right after a name
// (Jean-Baptiste Leclercq ("JB"), Mr Abdul Karim Chowdhury ("mr c" to the parents)), or after a
// verb of naming (she signs her emails "Chi-Chi"; she called him "CMG"). The nickname, the
// names around it and the person are one entity.
func (ns *nameScan) findQuotedNicknames() {
	text, toks := ns.text, ns.toks
	for _, q := range shortQuotes(text) {
		first, last := ns.tokensIn(q.start, q.end)
		if first < 0 || !ns.free(first, last) {
			continue
		}
		nick := entity{kind: Person, conf: 0.7, first: first, last: last, start: toks[first].start, end: toks[last].end}
		before, after := first-1, last+1
		switch {
		// Given "Nick" Family: the three are one person.
		case before >= 0 && after < len(toks) && toks[before].next <= q.outerStart && q.outerEnd <= toks[after].start &&
			text[toks[before].next:q.outerStart] == " " && text[q.outerEnd:toks[after].start] == " " &&
			ns.nameLike(before) && ns.nameLike(after):
			lead := before
			for lead > 0 && text[toks[lead-1].next:toks[lead].start] == " " && ns.nameLike(lead-1) {
				lead--
			}
			tail := after
			for tail+1 < len(toks) && text[toks[tail].next:toks[tail+1].start] == " " && ns.nameLike(tail+1) {
				tail++
			}
			if !ns.free(lead, before) || !ns.free(after, tail) {
				continue
			}
			main := ns.add(entity{kind: Person, conf: 0.75, first: lead, last: before, start: toks[lead].start, end: toks[before].end})
			nick.alias = main + 1
			ns.add(nick)
			ns.add(entity{kind: Person, conf: 0.75, first: after, last: tail, start: toks[after].start, end: toks[tail].end, alias: main + 1})
		// Name ("Nick") or Name ("nick" to the parents): the bracket opens right after a name.
		case strings.HasSuffix(text[:q.outerStart], " (") && before >= 0 && toks[before].next == q.outerStart-2 &&
			(toks[before].upper && !toks[before].vocab && !toks[before].protected):
			nick.conf = 0.75
			ns.add(nick) // resolveAliases makes it the person before it (nicknameOf)
		// "signs her emails "Chi-Chi"", "called him "CMG"", "goes by "Lu"".
		case namingVerbBefore(text, toks, first, q.outerStart) && (toks[first].upper || toks[first].caseless):
			ns.add(nick)
		}
	}
}

// nameLike says whether token k could be part of a person's name.
func (ns *nameScan) nameLike(k int) bool {
	t := ns.toks[k]
	return t.upper && !t.vocab && !t.protected && !titles.has(t.text) && (t.given() || t.surname() || !t.common)
}

// namingVerbBefore says whether a verb of naming comes shortly before the quotation: "signs her
// emails", "called him", "calls her", "goes by", "known as", "nicknamed".
func namingVerbBefore(text string, toks []token, first, quoteStart int) bool {
	for k := first - 1; k >= 0 && k >= first-4; k-- {
		if namingVerbs.has(toks[k].lowerText) {
			return true
		}
		if strings.ContainsAny(text[toks[k].next:min(toks[k+1].start, quoteStart)], ".!?\n") {
			return false
		}
	}
	return false
}

// findCaselessNames finds names written in a script without capitals inside English text: Han,
// Hangul, Arabic, Hebrew, Thai, Devanagari. In a case write-up such a word is nearly always a
// name; in brackets after a name it is that person's name in their own script ("Park Ji-won
// (박지원)").
func (ns *nameScan) findCaselessNames() {
	toks, text := ns.toks, ns.text
	latin := 0
	for _, t := range toks {
		if !t.caseless {
			latin++
		}
	}
	if latin < 3 { // a text in that script: nothing to tell names from words by
		return
	}
	for i := 0; i < len(toks); i++ {
		if !toks[i].caseless || ns.claimed[i] || toks[i].protected {
			continue
		}
		j := i
		for j+1 < len(toks) && toks[j+1].caseless && strings.TrimSpace(text[toks[j].next:toks[j+1].start]) == "" && j-i < 3 {
			j++
		}
		ns.add(entity{kind: Person, conf: 0.65, first: i, last: j, start: toks[i].start, end: toks[j].end})
		i = j
	}
}

// findNamedThings finds what follows "called" or "named": "a startup called Flintlock", "a band
// called The Velvet Anchors", "a client named Jo"; and "a Bulls man", a team's supporter.
func (ns *nameScan) findNamedThings() {
	toks, text := ns.toks, ns.text
	for i := 1; i < len(toks); i++ {
		v := toks[i-1].lowerText
		if (v != "called" && v != "named") || text[toks[i-1].next:toks[i].start] != " " || !toks[i].upper || toks[i].protected {
			continue
		}
		j := i
		for j+1 < len(toks) && text[toks[j].next:toks[j+1].start] == " " && toks[j+1].upper && !toks[j+1].protected && j-i < 4 {
			j++
		}
		if !ns.free(i, j) || toks[i].vocab && i == j {
			continue
		}
		kind := Person
		for k := i - 2; k >= 0 && k >= i-4; k-- {
			if orgNouns.has(toks[k].lowerText) || groupNouns.has(toks[k].lowerText) {
				kind = Organisation
			}
		}
		if kind == Person && !toks[i].given() && j > i {
			kind = Organisation
		}
		ns.add(entity{kind: kind, conf: 0.7, first: i, last: j, start: toks[i].start, end: toks[j].end})
		i = j
	}
	// "a Bulls man", "a Celtic fan": a team or club.
	for i := 1; i+1 < len(toks); i++ {
		t := toks[i]
		if !t.upper || t.sentence || t.vocab || t.protected || ns.claimed[i] || toks[i-1].lowerText != "a" || !supporterNouns.has(toks[i+1].lowerText) {
			continue
		}
		if text[toks[i-1].next:t.start] == " " && text[t.next:toks[i+1].start] == " " && !t.given() {
			ns.add(entity{kind: Organisation, conf: 0.6, first: i, last: i, start: t.start, end: t.end})
		}
	}
}

// atLineStart says whether only spaces stand between the line's start and i.
func atLineStart(text string, i int) bool {
	for i > 0 {
		switch text[i-1] {
		case '\n':
			return true
		case ' ', '\t', '\r':
			i--
		default:
			return false
		}
	}
	return true
}

// findSpeakers finds the speakers of a transcript: lines that begin with a name and a colon
// ("Mags: So, Dele, you wanted…", "Bill: Classic."), when at least two such lines make the text
// a dialogue. Roles ("Coach:", "Client:") and note headings ("Admin:") are not speakers.
func (ns *nameScan) findSpeakers() {
	toks, text := ns.toks, ns.text
	var speakers []int
	counts := map[string]int{}
	for i, t := range toks {
		if !t.upper || t.vocab || t.protected || speakerRoles.has(t.lowerText) || !strings.HasPrefix(text[t.next:], ":") {
			continue
		}
		if !atLineStart(text, t.start) {
			continue
		}
		speakers = append(speakers, i)
		counts[t.lowerText]++
	}
	if len(speakers) < 3 && !(len(speakers) == 2 && len(counts) == 2) {
		return
	}
	repeated := 0
	for _, n := range counts {
		if n >= 2 {
			repeated++
		}
	}
	if repeated == 0 && len(speakers) < 4 {
		return
	}
	for _, i := range speakers {
		t := toks[i]
		if ns.claimed[i] || t.common && !t.given() && counts[t.lowerText] < 2 || functionWords.has(t.lowerText) {
			continue
		}
		ns.add(entity{kind: Person, conf: 0.7, first: i, last: i, start: t.start, end: t.end})
	}
}
