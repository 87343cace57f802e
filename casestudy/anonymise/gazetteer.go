package anonymise

import (
	"embed"
	"strings"
	"sync"

	"github.com/casecircle/casecircle/casestudy/anonymise/internal/lextable"
)

// The large word lists (English words, given names, family names, places) are compiled ahead of
// time into one hash table (gazetteer/lexicon.bin, see internal/lextable) that is read in place:
// loading it costs nothing. The small hand-written lists are read on first use. Sources and
// licences: docs/anonymisation.md and NOTICE.
//
//go:generate go run ./internal/lextable/lexgen -dir gazetteer
//go:embed gazetteer/vocabulary.txt gazetteer/stopnames.txt gazetteer/words-extra.txt gazetteer/concepts.txt gazetteer/loanwords.txt
var gazetteerFiles embed.FS

// lexiconBin is the compiled table, embedded as a string so that it is read in place, never
// copied (embed.FS.ReadFile would copy its 5 MB).
//
//go:embed gazetteer/lexicon.bin
var lexiconBin string

// lexicon is everything the name detector looks words up in. It is read once, on first use, and
// never changes afterwards.
type lexicon struct {
	table     *lextable.Table
	extra     set // words of coaching notes the English lists lack, lower case
	vocab     set // capitalised words that identify nobody, as written (a lower-case entry covers its capitalised form)
	stopnames set // lower-case words that look like given names in notes but are not
	phrases   phraseSet
}

type set map[string]struct{}

func (s set) has(k string) bool { _, ok := s[k]; return ok }

// class returns the lists that hold a lower-case word.
func (lx *lexicon) class(lower string) lextable.Class {
	c := lx.table.Lookup(lower)
	if lx.extra.has(lower) {
		c |= lextable.Word
	}
	return c
}

func (lx *lexicon) isWord(lower string) bool  { return lx.class(lower)&lextable.Word != 0 }
func (lx *lexicon) isPlace(lower string) bool { return lx.table.Lookup(lower)&lextable.Place != 0 }
func (lx *lexicon) isMajorPlace(lower string) bool {
	return lx.table.Lookup(lower)&lextable.MajorPlace != 0
}

var loadLexicon = sync.OnceValue(func() *lexicon {
	table, err := lextable.Open(lexiconBin)
	if err != nil {
		panic("anonymise: " + err.Error())
	}
	lx := &lexicon{
		table:     table,
		extra:     readList("gazetteer/words-extra.txt"),
		vocab:     readList("gazetteer/vocabulary.txt"),
		stopnames: readList("gazetteer/stopnames.txt"),
	}
	lx.phrases = newPhraseSet(readLines("gazetteer/concepts.txt"), readLines("gazetteer/loanwords.txt"))
	return lx
})

// readList reads one entry per line, skipping blank lines and # comments.
func readList(name string) set {
	lines := readLines(name)
	out := make(set, len(lines))
	for _, line := range lines {
		out[line] = struct{}{}
	}
	return out
}

func readLines(name string) []string {
	data, err := gazetteerFiles.ReadFile(name)
	if err != nil {
		panic("anonymise: missing embedded " + name)
	}
	var out []string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, line)
	}
	return out
}
