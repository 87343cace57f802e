// Command lexgen builds the anonymiser's lexicon table from its word lists:
//
//	go run ./casestudy/anonymise/internal/lextable/lexgen -dir casestudy/anonymise/gazetteer
//
// (`make gazetteers` and `go generate ./casestudy/anonymise` run it). The table is committed;
// a test fails when it no longer matches the lists.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/casecircle/casecircle/casestudy/anonymise/internal/lextable"
)

func main() {
	dir := flag.String("dir", "gazetteer", "the directory of the word lists; lexicon.bin is written there")
	flag.Parse()
	data, err := lextable.BuildFrom(os.DirFS(*dir))
	if err == nil {
		err = os.WriteFile(filepath.Join(*dir, "lexicon.bin"), data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lexgen:", err)
		os.Exit(1)
	}
	fmt.Printf("lexgen: %s/lexicon.bin, %d bytes\n", *dir, len(data))
}
