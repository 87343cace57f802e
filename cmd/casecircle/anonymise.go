package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// maxAnonymiseInput bounds what the command reads: far more than any case, far less than memory.
const maxAnonymiseInput = 16 << 20

// anonymiseCommand reads text on stdin and writes it redacted, or with --json the findings too.
// It needs no database and writes nothing else anywhere.
func anonymiseCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("casecircle anonymise", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, `write {"redacted": "...", "findings": [...]} instead of the redacted text`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: casecircle anonymise [--json] < case.txt\n\nReplace identifying details in the text on standard input.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, maxAnonymiseInput+1))
	if err != nil {
		return err
	}
	if len(raw) > maxAnonymiseInput {
		return errors.New("input larger than 16 MiB")
	}
	res := anonymise.Anonymise(string(raw))
	if !*asJSON {
		_, err := io.WriteString(stdout, res.Redacted)
		return err
	}
	type finding struct {
		Kind        anonymise.Kind `json:"kind"`
		Start       int            `json:"start"`
		End         int            `json:"end"`
		Text        string         `json:"text"`
		Replacement string         `json:"replacement"`
		Confidence  float64        `json:"confidence"`
	}
	out := struct {
		Redacted string    `json:"redacted"`
		Findings []finding `json:"findings"`
	}{Redacted: res.Redacted, Findings: []finding{}}
	for _, f := range res.Findings {
		out.Findings = append(out.Findings, finding{f.Kind, f.Start, f.End, f.Text, f.Replacement, f.Confidence})
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
