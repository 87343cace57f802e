package lextable

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// The classes of the anonymiser's lists.
const (
	Word       Class = 1 << iota // common English (SCOWL sizes 10–60)
	Core                         // the most frequent English words (SCOWL size 10)
	Given                        // given names of many cultures
	Surname                      // family names and other name parts
	Place                        // towns, cities and regions; several words joined by single spaces
	MajorPlace                   // places of at least 50,000 people
)

// Sources are the list files of gazetteer/ that a table is built from, and their classes.
var Sources = []struct {
	File  string
	Class Class
}{
	{"words.txt.gz", Word},
	{"words-core.txt.gz", Core},
	{"given-names.txt.gz", Given},
	{"surnames.txt.gz", Surname},
	{"places.txt.gz", Place},
	{"places-major.txt.gz", MajorPlace},
	{"regions.txt", Place | MajorPlace},
}

// BuildFrom reads the Sources from dir and builds their table. Entries are lower-cased: the
// lists are case-insensitive.
func BuildFrom(dir fs.FS) ([]byte, error) {
	lists := map[Class][]string{}
	for _, src := range Sources {
		words, err := readList(dir, src.File)
		if err != nil {
			return nil, err
		}
		lists[src.Class] = append(lists[src.Class], words...)
	}
	return Build(lists)
}

// readList reads one entry per line, skipping blank lines and # comments.
func readList(dir fs.FS, name string) ([]string, error) {
	data, err := fs.ReadFile(dir, name)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	var out []string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, strings.ToLower(line))
	}
	return out, nil
}
