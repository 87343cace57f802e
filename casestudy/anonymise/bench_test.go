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

// bookFor is the label book a case's own text would leave: every finding accepted.
func bookFor(text string) *anonymise.Book {
	book := anonymise.NewBook(testKey)
	s := anonymise.NewSessionWithBook(book)
	for _, r := range s.Remember(s.Anonymise(text).Findings, nil, nil) {
		book.Add(r)
	}
	return book
}

// BenchmarkAnonymise2000WordsWithBook: the same case read with a full label book (every name,
// place and identifier of the text remembered), as when an author edits it.
func BenchmarkAnonymise2000WordsWithBook(b *testing.B) {
	text := twoThousandWords(b)
	book := bookFor(text)
	b.ReportMetric(float64(book.Len()), "book-entries")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		anonymise.NewSessionWithBook(book).Anonymise(text)
	}
}

// BenchmarkAnonymiseMessageWithBook: a 30-word room message read with that book, as a message
// is before it is stored.
func BenchmarkAnonymiseMessageWithBook(b *testing.B) {
	book := bookFor(twoThousandWords(b))
	msg := "Mark called me yesterday and Sarah was copied in; I think the sponsor wants a summary by Friday, and I am not sure the contract allows it at all."
	b.ReportAllocs()
	for b.Loop() {
		anonymise.NewSessionWithBook(book).Anonymise(msg)
	}
}
