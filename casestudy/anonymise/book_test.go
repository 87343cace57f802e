package anonymise_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

var testKey = bytes.Repeat([]byte{7}, 32)

// remember runs a text through a session with book and stores every finding as accepted, the
// way a case is saved with all findings accepted.
func remember(t *testing.T, book *anonymise.Book, text string, extras, kept []string) anonymise.Result {
	t.Helper()
	s := anonymise.NewSessionWithBook(book)
	res := s.Anonymise(text)
	var accepted []anonymise.Finding
	for _, f := range res.Findings {
		if !contains(kept, f.Text) {
			accepted = append(accepted, f)
		}
	}
	for _, r := range s.Remember(accepted, extras, kept) {
		book.Add(r)
	}
	return res
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestBookKeepsLabelsAcrossTexts(t *testing.T) {
	book := anonymise.NewBook(testKey)
	res := remember(t, book, "Mark Devlin works with Sarah at Acme Ltd in Leeds.", []string{"the blue house"}, []string{"Leeds"})
	if !strings.Contains(res.Redacted, "Client A") || !strings.Contains(res.Redacted, "Person B") {
		t.Fatalf("case: %q", res.Redacted)
	}
	// A message names them without anything the detector would catch alone.
	msg := anonymise.NewSessionWithBook(book).Anonymise("I'll mark it as done. Mark called me yesterday and SARAH was copied in. Leeds again, the blue house too.")
	for _, want := range []string{"Client A called me yesterday", "Person B was copied in", "[redacted] too"} {
		if !strings.Contains(msg.Redacted, want) {
			t.Errorf("message redacted %q, want %q", msg.Redacted, want)
		}
	}
	if !strings.Contains(msg.Redacted, "Leeds again") {
		t.Errorf("a kept place was replaced: %q", msg.Redacted)
	}
	if !strings.Contains(msg.Redacted, "I'll mark it as done") {
		t.Errorf("lower-case ordinary word replaced by the book: %q", msg.Redacted)
	}
	for _, f := range msg.Findings {
		if f.Text == "Leeds" && !f.Kept {
			t.Errorf("Leeds not marked kept: %+v", f)
		}
	}
	// A new person gets the next label, not "Client A" again.
	next := anonymise.NewSessionWithBook(book).Anonymise("Then Priyanka Raghunathan joined Mark.")
	if !strings.Contains(next.Redacted, "Person C joined Client A") {
		t.Errorf("new person: %q", next.Redacted)
	}
}

func TestBookDigestsAreKeyedAndCaseFolded(t *testing.T) {
	a, b := anonymise.NewBook(testKey), anonymise.NewBook(bytes.Repeat([]byte{8}, 32))
	if a.Digest("Mark  Devlin") != a.Digest("mark devlin") || a.Digest("ＭＡＲＫ") != a.Digest("mark") {
		t.Error("digests differ for one name written differently")
	}
	if a.Digest("mark") == b.Digest("mark") {
		t.Error("two keys give one digest")
	}
	if a.Digest("mark") == a.Digest("marc") {
		t.Error("two names give one digest")
	}
	recs := anonymise.NewSessionWithBook(a).Remember(nil, []string{"Mark"}, nil)
	if len(recs) != 1 || bytes.Contains(recs[0].Digest[:], []byte("mark")) || recs[0].Label != anonymise.ExtraLabel {
		t.Errorf("records %+v", recs)
	}
}
