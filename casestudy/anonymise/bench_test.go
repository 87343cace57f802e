package anonymise_test

import (
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// twoThousandWords builds a realistic 2,000-word case from the labelled corpus.
func twoThousandWords(b *testing.B) string {
	var words []string
	for len(words) < 2000 {
		for _, c := range loadCorpus(b) {
			words = append(words, strings.Fields(c.Text)...)
		}
	}
	return strings.Join(words[:2000], " ")
}

// BenchmarkAnonymise2000Words: target under 5 ms per 2,000-word case on the 2-core machine.
func BenchmarkAnonymise2000Words(b *testing.B) {
	text := twoThousandWords(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		anonymise.Anonymise(text)
	}
}
