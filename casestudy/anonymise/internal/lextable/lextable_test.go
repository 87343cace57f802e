package lextable_test

import (
	"fmt"
	"testing"

	"github.com/casecircle/casecircle/casestudy/anonymise/internal/lextable"
)

func TestBuildAndLookup(t *testing.T) {
	lists := map[lextable.Class][]string{
		lextable.Word:  {"mark", "hope", "table"},
		lextable.Given: {"mark", "priya"},
		lextable.Place: {"kuala lumpur", "hope"},
	}
	for i := range 5000 { // enough words for many collisions
		lists[lextable.Word] = append(lists[lextable.Word], fmt.Sprintf("w%d", i))
	}
	data, err := lextable.Build(lists)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := lextable.Build(lists)
	if string(again) != string(data) {
		t.Fatal("two builds of the same lists differ")
	}
	tb, err := lextable.Open(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string]lextable.Class{
		"mark":         lextable.Word | lextable.Given,
		"hope":         lextable.Word | lextable.Place,
		"priya":        lextable.Given,
		"kuala lumpur": lextable.Place,
		"w4999":        lextable.Word,
		"table":        lextable.Word,
		"tabl":         0,
		"":             0,
		"Mark":         0, // tables are lower case; callers lower-case first
	} {
		if got := tb.Lookup(word); got != want {
			t.Errorf("Lookup(%q) = %b, want %b", word, got, want)
		}
	}
	if _, err := lextable.Open("not a table"); err == nil {
		t.Error("Open accepted garbage")
	}
	if _, err := lextable.Open(string(data[:20])); err == nil {
		t.Error("Open accepted a truncated table")
	}
}
