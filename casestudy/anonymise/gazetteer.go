package anonymise

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"strings"
	"sync"
)

// The gazetteers are generated from registry packages by gazetteer/build (see
// docs/anonymisation.md for sources and licences) and shipped inside the binary.
//
//go:embed gazetteer/*.txt.gz gazetteer/vocabulary.txt gazetteer/regions.txt gazetteer/stopnames.txt gazetteer/words-extra.txt
var gazetteerFiles embed.FS

// lexicon is everything the name detector looks words up in. It is read once, on first use, and
// never changes afterwards.
type lexicon struct {
	words     set // common English words, lower case: proper nouns are absent
	given     set // given names of many cultures, lower case
	surnames  set // family names and other name parts, lower case
	places    set // towns, cities and regions, lower case, multi-word ones with single spaces
	vocab     set // capitalised words that identify nobody, as written (a lower-case entry covers its capitalised form)
	stopnames set // lower-case words that look like given names in notes but are not
}

type set map[string]struct{}

func (s set) has(k string) bool { _, ok := s[k]; return ok }

var loadLexicon = sync.OnceValue(func() *lexicon {
	lx := &lexicon{
		words:     readList("gazetteer/words.txt.gz"),
		given:     readList("gazetteer/given-names.txt.gz"),
		surnames:  readList("gazetteer/surnames.txt.gz"),
		places:    readList("gazetteer/places.txt.gz"),
		vocab:     readList("gazetteer/vocabulary.txt"),
		stopnames: readList("gazetteer/stopnames.txt"),
	}
	for k := range readList("gazetteer/words-extra.txt") {
		lx.words[k] = struct{}{}
	}
	for k := range readList("gazetteer/regions.txt") {
		lx.places[strings.ToLower(k)] = struct{}{}
	}
	return lx
})

// readList reads one entry per line, skipping blank lines and # comments.
func readList(name string) set {
	data, err := gazetteerFiles.ReadFile(name)
	if err != nil {
		panic("anonymise: missing embedded " + name) // a build defect, caught by every test
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			panic("anonymise: corrupt embedded " + name)
		}
		if data, err = io.ReadAll(zr); err != nil {
			panic("anonymise: corrupt embedded " + name)
		}
	}
	text := string(data)
	out := make(set, strings.Count(text, "\n")+1)
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		out[line] = struct{}{}
	}
	return out
}
