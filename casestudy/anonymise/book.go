package anonymise

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Book is one case's memory of its identifiers, so that a person keeps one label wherever the
// case travels (its fields and later edits, its room's messages, its sessions' learning points,
// its summary) and the author is not asked twice about a text they kept. It never holds an
// identifier in readable form: each text is kept as a keyed digest (HMAC-SHA-256 of the
// normalised, lower-cased text, under a server key that lives outside the database), mapped to
// its label. Whoever holds only the stored digests cannot read or test a name; whoever also holds
// the key can test guesses, one at a time.
type Book struct {
	key     []byte
	mac     hash.Hash
	entries map[Digest]BookEntry
	// firstWords: the digest of each entry's first word → the most words of an entry starting so.
	// A text is looked up whole only when its first word starts an entry: most words cost one
	// (cached) digest, not one per run of words.
	firstWords map[Digest]int
	counts     map[Kind]int // the highest number of each kind's labels, so new ones follow on
	scratch    []byte
}

// Digest is a keyed digest of a normalised text.
type Digest [sha256.Size]byte

// BookEntry is what the book says about one text.
type BookEntry struct {
	Kind  Kind   // of the identifier; "" for a kept text
	Label string // the replacement everywhere in the case; "" for a kept text
	Kept  bool   // the author decided this text identifies nobody
	Words int    // words in the text: how far lookups reach
}

// BookRecord is one entry to store: its digest, the digest of its first word, and what it says.
type BookRecord struct {
	Digest Digest
	First  Digest
	BookEntry
}

// Extra is the kind of a text the author marked as identifying.
const Extra Kind = "extra"

// ExtraLabel replaces a text the author marked as identifying.
const ExtraLabel = "[redacted]"

// maxBookWords bounds the length, in words, of what the book remembers and is asked about.
const maxBookWords = 8

// NewBook returns an empty book whose digests are keyed with key (at least 32 bytes).
func NewBook(key []byte) *Book {
	return &Book{key: key, entries: map[Digest]BookEntry{}, firstWords: map[Digest]int{}, counts: map[Kind]int{}}
}

// Digest is the keyed digest of text: normalised (NFKC, no invisible characters), lower-cased,
// spaces collapsed. "Mark", "MARK" and "mark" have one digest. A Book is not safe for concurrent
// use: each request reads its own.
func (b *Book) Digest(text string) Digest { return b.digestKey(bookKey(text)) }

// digestKey digests a text already in book form (normalised, lower case, single spaces).
func (b *Book) digestKey(key string) Digest {
	var d Digest
	if b.mac == nil {
		b.mac = hmac.New(sha256.New, b.key) // made on first use: most room messages need none
	}
	b.mac.Reset()
	b.scratch = append(b.scratch[:0], key...)
	b.mac.Write(b.scratch)
	b.mac.Sum(d[:0])
	return d
}

func bookKey(text string) string {
	return strings.Join(strings.Fields(strings.ToLower(Normalise(text))), " ")
}

// Clone returns a book with the same entries for another request: the entries are shared (Add is
// only called while a book is read from storage, never on a clone), the keyed hash state is not.
func (b *Book) Clone() *Book {
	c := *b
	c.mac = nil
	c.scratch = nil
	return &c
}

// Add records an entry read back from storage.
func (b *Book) Add(r BookRecord) {
	b.entries[r.Digest] = r.BookEntry
	b.firstWords[r.First] = min(max(b.firstWords[r.First], r.Words), maxBookWords)
	if n := labelNumber(r.Kind, r.Label); n > b.counts[r.Kind] {
		b.counts[r.Kind] = n
	}
}

// Len is the number of entries.
func (b *Book) Len() int { return len(b.entries) }

// lookup returns what the book says about a text of the normalised document (lower-cased here).
func (s *Session) lookup(text string) (BookEntry, bool) {
	b := s.book
	if b == nil || len(b.entries) == 0 {
		return BookEntry{}, false
	}
	key := text
	if strings.ContainsFunc(key, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsSpace(r) && r != ' ' }) || strings.Contains(key, "  ") {
		key = strings.Join(strings.Fields(strings.ToLower(key)), " ")
	}
	first := key
	if i := strings.IndexByte(key, ' '); i >= 0 {
		first = key[:i]
	}
	if b.firstWords[s.digestOf(first)] == 0 {
		return BookEntry{}, false
	}
	e, ok := b.entries[s.digestOf(key)]
	return e, ok
}

// digestOf digests a key, remembering words: a 2,000-word text repeats most of its words.
func (s *Session) digestOf(key string) Digest {
	if d, ok := s.digests[key]; ok {
		return d
	}
	d := s.book.digestKey(key)
	if len(s.digests) < 1<<14 {
		s.digests[strings.Clone(key)] = d
	}
	return d
}

// labelNumber reads the number of a label of a named kind: "Client A" and "Person A" are 1,
// "Person AB" 28, "[Organisation 3]" 3.
func labelNumber(kind Kind, label string) int {
	switch kind {
	case Person:
		letters := label[strings.LastIndexByte(label, ' ')+1:]
		n := 0
		for _, c := range letters {
			if c < 'A' || c > 'Z' {
				return 0
			}
			n = n*26 + int(c-'A'+1)
		}
		return n
	case Organisation, Location:
		digits := strings.TrimSuffix(label[strings.LastIndexByte(label, ' ')+1:], "]")
		n, _ := strconv.Atoi(digits)
		return n
	}
	return 0
}

// bookFindings finds the texts the book remembers as identifiers: any run of up to the book's
// longest entry in words, where the detector did not already find them ("Mark called me
// yesterday", once "Mark Devlin" is in the case). A run must start at a word that could begin a
// name or a remembered phrase; ordinary English words in lower case do not ("mark" in "mark it").
func (s *Session) bookFindings(text string, toks []token) []Finding {
	b := s.book
	if b == nil || len(b.entries) == 0 {
		return nil
	}
	var out []Finding
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		longest := b.firstWords[s.digestOf(t.lowerText)]
		if longest == 0 {
			continue // no entry starts with this word
		}
		shortest := 1
		if t.lower && t.core {
			shortest = 2 // "the blue house" may be remembered; "the" alone is never a name
		}
		for n := min(longest, len(toks)-i); n >= shortest; n-- {
			last := toks[i+n-1]
			span := text[t.start:last.end]
			if strings.ContainsAny(span, "\n.!?;") {
				continue
			}
			e, ok := s.lookup(span)
			if !ok || e.Kept {
				continue
			}
			if n == 1 && t.lower && t.common && e.Kind == Person {
				continue // a remembered name that is also an ordinary word, in lower case
			}
			out = append(out, Finding{Kind: e.Kind, Start: t.start, End: last.end, Confidence: 0.97, entity: "book\x00" + e.Label})
			i += n - 1
			break
		}
	}
	return out
}

// Remember returns the entries to store for one decided text: every spelling of each accepted
// name (the name and its parts: "Mark Devlin", "Mark", "Devlin"), each accepted identifier of
// another kind, each text marked as identifying, and each kept text. Entries the book holds
// already are left out; a kept text that the book holds as an identifier stays an identifier.
func (s *Session) Remember(accepted []Finding, extras, kept []string) []BookRecord {
	if s.book == nil {
		return nil
	}
	b := s.book
	var out []BookRecord
	seen := map[Digest]bool{}
	add := func(text string, e BookEntry) {
		key := bookKey(text)
		if key == "" {
			return
		}
		words := strings.Fields(key)
		e.Words = min(len(words), maxBookWords)
		d := b.digestKey(key)
		if seen[d] {
			return
		}
		seen[d] = true
		if old, ok := b.entries[d]; ok && (!old.Kept || e.Kept) {
			return
		}
		out = append(out, BookRecord{Digest: d, First: b.digestKey(words[0]), BookEntry: e})
	}
	for _, f := range accepted {
		e := BookEntry{Kind: f.Kind, Label: f.Replacement}
		add(f.Text, e)
		if f.entity != "" {
			for spelling := range s.spellings[f.entity] {
				add(spelling, e)
			}
		}
	}
	for _, x := range extras {
		if utf8.RuneCountInString(strings.TrimSpace(x)) >= 2 {
			add(x, BookEntry{Kind: Extra, Label: ExtraLabel})
		}
	}
	for _, k := range kept {
		add(k, BookEntry{Kept: true})
	}
	return out
}
