// Package anonymise finds personal identifiers in free text about clients and replaces them
// before anything is stored. It is pure Go: no I/O, no network, no model.
//
// Detection assists the author; it can never be perfect, so authors review every finding. The
// same entity gets the same replacement everywhere in one case (all fields share a Session).
package anonymise

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Kind is what a finding identifies.
type Kind string

// The kinds of identifier.
const (
	Person       Kind = "person"
	Organisation Kind = "organisation"
	Location     Kind = "location"
	Address      Kind = "address"
	Postcode     Kind = "postcode"
	Email        Kind = "email"
	Phone        Kind = "phone"
	URL          Kind = "url"
	SocialHandle Kind = "social_handle"
	Date         Kind = "date"
	Age          Kind = "age_detail"
	IDNumber     Kind = "id_number"
)

// placeholders are the replacements of the kinds whose every instance reads the same.
var placeholders = map[Kind]string{
	Address: "[address]", Postcode: "[postcode]", Email: "[email]", Phone: "[phone]", URL: "[URL]",
	SocialHandle: "[handle]", Date: "[date]", Age: "[age]", IDNumber: "[ID]",
}

// Finding is one identifier found in the normalised text.
type Finding struct {
	Kind        Kind    `json:"kind"`
	Start       int     `json:"start"` // byte offsets into the normalised text
	End         int     `json:"end"`
	RuneStart   int     `json:"rune_start"` // the same in characters
	RuneEnd     int     `json:"rune_end"`
	Text        string  `json:"text"` // shown to the author only; never stored
	Replacement string  `json:"replacement"`
	Confidence  float64 `json:"confidence"`
	// Kept: the case's book says the author decided this text identifies nobody. It stays as
	// written unless the author changes their mind.
	Kept bool `json:"kept,omitempty"`

	entity string // for names: the key shared by every spelling of one entity
	local  bool   // not propagated to other copies of its text
}

// Local says the finding names nothing beyond its own spot (a state code after a town, an
// ordinary word used as a name once): its other copies are judged each by their own context.
func (f Finding) Local() bool { return f.local }

// Result is the outcome for one text.
type Result struct {
	Normalised string    // the text the offsets refer to: what would be stored, before redaction
	Redacted   string    // Normalised with every finding replaced
	Findings   []Finding // in text order, not overlapping
}

// Session anonymises the fields of one case, keeping replacements consistent across them. It
// holds the identifiers in memory only, and only for as long as the caller keeps it.
type Session struct {
	labels    map[string]string          // entity key → replacement, for named entities
	known     map[string]nameAlias       // every spelling (lower case) of a name found so far → its entity
	spellings map[string]map[string]bool // entity key → its spellings, lower case
	counts    map[Kind]int
	book      *Book             // the case's memory from earlier texts, or nil
	digests   map[string]Digest // keys digested in this session, for the book
}

// lookupName finds a name (lower case) found earlier in the case: in this session, or in the
// case's book.
func (s *Session) lookupName(lower string) (nameAlias, bool) {
	if a, ok := s.known[lower]; ok {
		return a, true
	}
	if e, ok := s.lookup(lower); ok && !e.Kept && (e.Kind == Person || e.Kind == Organisation || e.Kind == Location) {
		return nameAlias{kind: e.Kind, key: "book\x00" + e.Label}, true
	}
	return nameAlias{}, false
}

// NewSession starts the anonymisation of one case.
func NewSession() *Session { return NewSessionWithBook(nil) }

// NewSessionWithBook starts the anonymisation of more text of a case whose book remembers what
// earlier texts named: the same people keep their labels, new ones get the next labels, and
// kept texts are marked so. The book is read, not changed; Remember says what to add to it.
func NewSessionWithBook(b *Book) *Session {
	s := &Session{labels: map[string]string{}, known: map[string]nameAlias{}, spellings: map[string]map[string]bool{},
		counts: map[Kind]int{}, book: b, digests: map[string]Digest{}}
	if b != nil {
		for k, n := range b.counts {
			s.counts[k] = n
		}
	}
	return s
}

// Anonymise finds and replaces identifiers in one text with a fresh Session.
func Anonymise(text string) Result { return NewSession().Anonymise(text) }

// Normalise applies Unicode NFKC and removes zero-width and other invisible format characters,
// which could otherwise hide an identifier from detection ("Pri\u200bya").
func Normalise(text string) string {
	text = norm.NFKC.String(text)
	if !strings.ContainsFunc(text, isInvisible) {
		return text
	}
	return strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, text)
}

func isInvisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) // format characters: zero-width spaces and joiners, BOM, bidi marks
}

// Anonymise finds identifiers in text (after Normalise) and replaces them.
func (s *Session) Anonymise(text string) Result {
	text = Normalise(text)
	sc := newScan(text)
	var cands []Finding
	for _, d := range detectors {
		cands = append(cands, d(sc)...)
	}
	names, aliases, toks := detectNames(sc, s.lookupName)
	cands = append(cands, names...)
	cands = append(cands, s.bookFindings(text, toks)...)
	findings := propagate(text, resolveOverlaps(len(text), cands))
	for name, a := range aliases {
		s.known[name] = a
		if s.spellings[a.key] == nil {
			s.spellings[a.key] = map[string]bool{}
		}
		s.spellings[a.key][name] = true
	}
	for i := range findings {
		f := &findings[i]
		f.Text = text[f.Start:f.End]
		key := f.entity
		if key == "" {
			key = string(f.Kind) + "\x00" + strings.ToLower(f.Text)
		}
		f.Replacement = s.replacement(f.Kind, key)
		if e, ok := s.lookup(f.Text); ok && e.Kept {
			f.Kept = true
		}
	}
	return Result{Normalised: text, Redacted: Redact(text, withoutKept(findings)), Findings: withRuneOffsets(text, findings)}
}

// withoutKept leaves out the findings the author kept before.
func withoutKept(findings []Finding) []Finding {
	out := findings[:0:0]
	for _, f := range findings {
		if !f.Kept {
			out = append(out, f)
		}
	}
	return out
}

// replacement is the placeholder for a kind, or a consistent label for a named entity. The
// first person of a case is its client.
func (s *Session) replacement(kind Kind, key string) string {
	if label, ok := strings.CutPrefix(key, "book\x00"); ok {
		return label // remembered from an earlier text of the case
	}
	if p, ok := placeholders[kind]; ok {
		return p
	}
	if kind == Extra {
		return ExtraLabel
	}
	if label, ok := s.labels[key]; ok {
		return label
	}
	s.counts[kind]++
	n := s.counts[kind]
	var label string
	switch kind {
	case Person:
		label = "Person " + letters(n)
		if n == 1 {
			label = "Client A"
		}
	case Organisation:
		label = "[Organisation " + strconv.Itoa(n) + "]"
	default:
		label = "[Place " + strconv.Itoa(n) + "]"
	}
	s.labels[key] = label
	return label
}

// letters numbers people A, B, …, Z, AA, AB, ….
func letters(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('A' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

// resolveOverlaps keeps, among overlapping candidates, the most confident and then the longest.
// Claimed bytes are marked in one array, so the cost grows with the text, not with the square
// of the number of candidates.
func resolveOverlaps(textLen int, cands []Finding) []Finding {
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		return a.End-a.Start > b.End-b.Start
	})
	claimed := make([]bool, textLen)
	var kept []Finding
	for _, c := range cands {
		free := true
		for i := c.Start; i < c.End; i++ {
			if claimed[i] {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		for i := c.Start; i < c.End; i++ {
			claimed[i] = true
		}
		kept = append(kept, c)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}

// propagate also replaces every other whole-word occurrence of a found identifier: once "G4827715"
// is known to be a passport number, it is one wherever it appears. Occurrences are looked up
// through an index of where each word (or symbol) starts, not by rescanning the text per finding.
func propagate(text string, findings []Finding) []Finding {
	if len(findings) == 0 {
		return findings
	}
	starts := map[string][]int{}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isWord(r):
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isWord(r2) {
					break
				}
				j += s2
			}
			starts[text[i:j]] = append(starts[text[i:j]], i)
			i = j
		case unicode.IsSpace(r):
			i += size
		default:
			starts[text[i:i+size]] = append(starts[text[i:i+size]], i)
			i += size
		}
	}
	claimed := make([]bool, len(text))
	for _, f := range findings {
		for i := f.Start; i < f.End; i++ {
			claimed[i] = true
		}
	}
	type occurrence struct {
		Finding
		done bool
	}
	var occs []occurrence
	seen := map[string]bool{}
	var texts []string
	for _, f := range findings {
		t := text[f.Start:f.End]
		if seen[t] || len(t) < 2 || f.local {
			continue
		}
		seen[t] = true
		texts = append(texts, t)
		for _, start := range starts[leadingKey(t)] {
			end := start + len(t)
			if end <= len(text) && text[start:end] == t && !anyClaimed(claimed, start, end) {
				occs = append(occs, occurrence{Finding: Finding{Kind: f.Kind, Start: start, End: end, Confidence: f.Confidence * 0.99, entity: f.entity}})
			}
		}
	}
	kindOf := map[string]Finding{}
	for _, f := range findings {
		kindOf[text[f.Start:f.End]] = f
	}
	// Copies glued to a replaced span start or end inside a word, where the index has no entry:
	// look for them right beside every span.
	besides := func(start, end int) {
		for _, t := range texts {
			f := kindOf[t]
			if strings.HasPrefix(text[end:], t) {
				occs = append(occs, occurrence{Finding: Finding{Kind: f.Kind, Start: end, End: end + len(t), Confidence: f.Confidence * 0.99, entity: f.entity}})
			}
			if strings.HasSuffix(text[:start], t) {
				occs = append(occs, occurrence{Finding: Finding{Kind: f.Kind, Start: start - len(t), End: start, Confidence: f.Confidence * 0.99, entity: f.entity}})
			}
		}
	}
	for _, f := range findings {
		besides(f.Start, f.End)
	}
	sort.Slice(occs, func(i, j int) bool { return occs[i].Start < occs[j].Start })
	// A copy counts when it stands as a whole word. Accepting one can make its neighbour whole
	// ("@0@0": the second "@0" follows a placeholder, not a "0"), so sweep both ways until
	// nothing changes; each sweep settles every chain running in its direction.
	accept := func(o *occurrence) bool {
		if o.done {
			return false
		}
		if anyClaimed(claimed, o.Start, o.End) {
			o.done = true
			return false
		}
		if !wordBoundary(text, claimed, o.Start, o.End) {
			return false
		}
		o.done = true
		for i := o.Start; i < o.End; i++ {
			claimed[i] = true
		}
		findings = append(findings, o.Finding)
		besides(o.Start, o.End)
		return true
	}
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(occs); i++ { // accept may append to occs
			changed = accept(&occs[i]) || changed
		}
		for i := len(occs) - 1; i >= 0; i-- {
			changed = accept(&occs[i]) || changed
		}
	}
	sort.Slice(findings, func(i, j int) bool { return findings[i].Start < findings[j].Start })
	return findings
}

func anyClaimed(claimed []bool, start, end int) bool {
	for i := start; i < end; i++ {
		if claimed[i] {
			return true
		}
	}
	return false
}

// leadingKey is the index key of the start of t: its first word, or its first symbol.
func leadingKey(t string) string {
	r, size := utf8.DecodeRuneInString(t)
	if !isWord(r) {
		return t[:size]
	}
	end := size
	for end < len(t) {
		r2, s2 := utf8.DecodeRuneInString(t[end:])
		if !isWord(r2) {
			break
		}
		end += s2
	}
	return t[:end]
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordBoundary says whether text[start:end] is not glued to letters or digits on either side.
// A neighbour that is itself being replaced does not count: it will be a placeholder.
func wordBoundary(text string, claimed []bool, start, end int) bool {
	if start > 0 && !claimed[start-1] {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if isWord(r) {
			return false
		}
	}
	if end < len(text) && !claimed[end] {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if isWord(r) {
			return false
		}
	}
	return true
}

// Redact replaces each finding of text (in order, not overlapping) with its Replacement.
func Redact(text string, findings []Finding) string {
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, f := range findings {
		b.WriteString(text[last:f.Start])
		b.WriteString(f.Replacement)
		last = f.End
	}
	b.WriteString(text[last:])
	return b.String()
}

func withRuneOffsets(text string, findings []Finding) []Finding {
	runes, pos := 0, 0
	for i := range findings {
		f := &findings[i]
		runes += utf8.RuneCountInString(text[pos:f.Start])
		f.RuneStart = runes
		runes += utf8.RuneCountInString(text[f.Start:f.End])
		f.RuneEnd = runes
		pos = f.End
	}
	return findings
}
