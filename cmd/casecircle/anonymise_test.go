package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestAnonymiseCommand(t *testing.T) {
	in := "Call 07700 900461 or write to anna dot berg at gmail dot com before 2 December 2022."
	var out, errOut bytes.Buffer
	if err := anonymiseCommand(nil, strings.NewReader(in), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if want := "Call [phone] or write to [email] before [date]."; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}

	out.Reset()
	if err := anonymiseCommand([]string{"--json"}, strings.NewReader(in), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Redacted string `json:"redacted"`
		Findings []struct {
			Kind, Text, Replacement string
			Start, End              int
			Confidence              float64
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(res.Findings) != 3 || res.Findings[0].Kind != "phone" || in[res.Findings[0].Start:res.Findings[0].End] != "07700 900461" ||
		res.Findings[1].Text != "anna dot berg at gmail dot com" || res.Findings[2].Replacement != "[date]" || res.Findings[0].Confidence <= 0 {
		t.Fatalf("findings %+v", res.Findings)
	}
}
