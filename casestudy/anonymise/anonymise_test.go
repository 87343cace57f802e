package anonymise_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

func TestDetectsStructuredIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		kind       anonymise.Kind
	}{
		{"write to anna.berg+work@gmail.com today", "anna.berg+work@gmail.com", anonymise.Email},
		{"it's anna dot berg at gmail dot com", "anna dot berg at gmail dot com", anonymise.Email},
		{"try carlos(at)tapas(dot)es", "carlos(at)tapas(dot)es", anonymise.Email},
		{"call 07700 900461 now", "07700 900461", anonymise.Phone},
		{"call (503) 555-0147", "(503) 555-0147", anonymise.Phone},
		{"on +49 (0)170 555 8812.", "+49 (0)170 555 8812", anonymise.Phone},
		{"desk 020 7946 0321 ext. 214", "020 7946 0321 ext. 214", anonymise.Phone},
		{"it's oh seven seven double oh nine double oh four six one", "oh seven seven double oh nine double oh four six one", anonymise.Phone},
		{"profile: https://www.linkedin.com/in/someone-7b21a9.", "https://www.linkedin.com/in/someone-7b21a9", anonymise.URL},
		{"see www.example.co.uk, then", "www.example.co.uk", anonymise.URL},
		{"Instagram (@tunde.makes.things) and", "@tunde.makes.things", anonymise.SocialHandle},
		{"NI number AB 12 34 56 C here", "AB 12 34 56 C", anonymise.IDNumber},
		{"card 4111 1111 1111 1111 expired", "4111 1111 1111 1111", anonymise.IDNumber},
		{"NHS 943 476 5919 on file", "943 476 5919", anonymise.IDNumber},
		{"pay GB82 WEST 1234 5698 7654 32 soon", "GB82 WEST 1234 5698 7654 32", anonymise.IDNumber},
		{"passport (number G4827715) and", "G4827715", anonymise.IDNumber},
		{"lives at EH6 8QR.", "EH6 8QR", anonymise.Postcode},
		{"Portland, OR 97214. She", "97214", anonymise.Postcode},
		{"at 42b Thornbury Rd, Bristol", "42b Thornbury Rd", anonymise.Address},
		{"born on 2 December 2022 and", "2 December 2022", anonymise.Date},
		{"on 1st February.", "1st February", anonymise.Date},
		{"warning issued on 17/01/2024.", "17/01/2024", anonymise.Date},
		{"a 41-year-old GP", "41-year-old", anonymise.Age},
		{"Jade (aged 24) has", "aged 24", anonymise.Age},
	} {
		res := anonymise.Anonymise(tc.text)
		found := false
		for _, f := range res.Findings {
			if f.Text == tc.want && f.Kind == tc.kind {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: want %s %q, got %+v", tc.text, tc.kind, tc.want, res.Findings)
		}
	}
}

func TestLeavesOrdinaryTextAlone(t *testing.T) {
	wantNone(t, "", []string{
		"We met 3 times in 2023 and again on Tuesday in March.",
		"Budget £12,500 for 2023/24; 90 minutes at 10.30; a team of 12.",
		"She uses the GROW model; HR and the CEO joined on Teams for a 1:1.",
		"I will mark this as hope rather than certainty.",
		"Invalid checksums stay: 4111 1111 1111 1112 and 943 476 5918.",
		"The ratio was 3:1 and page 12 of 20 says so.",
	})
}

func TestNormalisesBeforeDetecting(t *testing.T) {
	res := anonymise.Anonymise("mail\u200b: jo\u200b@exam\u200dple.org, ｊｏ＠ｅｘａｍｐｌｅ．ｏｒｇ")
	if strings.Contains(res.Normalised, "\u200b") || strings.Contains(res.Redacted, "@") {
		t.Fatalf("normalised %q, redacted %q", res.Normalised, res.Redacted)
	}
	if n := strings.Count(res.Redacted, "[email]"); n != 2 {
		t.Fatalf("redacted %q: want two [email]", res.Redacted)
	}
}

func TestOffsetsAndPropagation(t *testing.T) {
	text := "Émile's passport is G4827715 — yes, G4827715 — and his mail é@ex.com."
	res := anonymise.Anonymise(text)
	var ids int
	for _, f := range res.Findings {
		if res.Normalised[f.Start:f.End] != f.Text {
			t.Errorf("byte offsets %d:%d do not give %q", f.Start, f.End, f.Text)
		}
		if got := string([]rune(res.Normalised)[f.RuneStart:f.RuneEnd]); got != f.Text {
			t.Errorf("rune offsets %d:%d give %q, want %q", f.RuneStart, f.RuneEnd, got, f.Text)
		}
		if f.Kind == anonymise.IDNumber {
			ids++
		}
	}
	if ids != 2 || strings.Contains(res.Redacted, "G4827715") {
		t.Fatalf("the second occurrence must be replaced too: %q", res.Redacted)
	}
}

func TestSessionKeepsLabelsAcrossFields(t *testing.T) {
	s := anonymise.NewSession()
	a := s.Anonymise("Home: 11 Carrick Close, Warrenpoint, BT34 3QW.")
	b := s.Anonymise("She went back to Warrenpoint; later 4 Mill Road, Newry, BT34 1AA.")
	if !strings.Contains(a.Redacted, "[Place 1]") || !strings.Contains(b.Redacted, "[Place 2]") {
		t.Fatalf("labels: %q / %q", a.Redacted, b.Redacted)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		text      string
		gone      []string // must not survive
		kept      []string // must survive
		redaction string   // when set, the whole expected output
	}{
		{text: "Priya Raghunathan joined Brightwater Analytics Ltd. Priya's boss at Brightwater is kind.",
			redaction: "Client A joined [Organisation 1]. Client A's boss at [Organisation 1] is kind."},
		{text: "I hope we can meet. Hope Mensah said she will. Hope was clear.",
			gone: []string{"Hope Mensah", "Hope was"}, kept: []string{"I hope we", "she will"}},
		{text: "Her manager, Mr R. Daly, met Dr Keller and Frau Becker in Hamburg.",
			gone: []string{"Daly", "Keller", "Becker", "Hamburg"}, kept: []string{"Her manager"}},
		{text: "notes w/ tom - gemma + raj applied. tom says gemma goes quiet.",
			gone: []string{"tom", "gemma", "raj"}, kept: []string{"notes", "applied", "quiet"}},
		{text: "who was there: sarah (head), dan p, mo, kirsty, aled. helen off sick",
			gone: []string{"sarah", "dan p", "mo", "kirsty", "aled", "helen"}, kept: []string{"head", "off sick"}},
		{text: "Client: JT. JT feels sidelined; J. (her husband) thinks she should move on.",
			gone: []string{"JT", "J."}, kept: []string{"her husband"}},
		{text: "We met on Zoom on Monday in June; the Board, HR and the CEO use Teams and WhatsApp.",
			kept: []string{"Zoom", "Monday", "June", "Board", "HR", "CEO", "Teams", "WhatsApp"}},
		{text: "Chukwuemeka Okafor (Emeka) met Tom or Sam. Emeka said yes.",
			redaction: "Client A (Client A) met Person B or Person C. Client A said yes."},
		{text: "Swindon and Bath, her Slough site, Portland, OR and commutes to Canary Wharf.",
			gone: []string{"Swindon", "Bath", "Slough", "OR", "Canary Wharf"}},
	} {
		res := anonymise.Anonymise(tc.text)
		if tc.redaction != "" && res.Redacted != tc.redaction {
			t.Errorf("%q\n got %q\nwant %q", tc.text, res.Redacted, tc.redaction)
		}
		for _, g := range tc.gone {
			if containsWord(res.Redacted, g) {
				t.Errorf("%q survives in %q", g, res.Redacted)
			}
		}
		for _, k := range tc.kept {
			if !strings.Contains(res.Redacted, k) {
				t.Errorf("%q lost in %q", k, res.Redacted)
			}
		}
	}
}

func TestSessionLabelsTheSamePersonAcrossFields(t *testing.T) {
	s := anonymise.NewSession()
	a := s.Anonymise("My client Chukwuemeka Okafor works with Mrs Adebayo.")
	b := s.Anonymise("Chukwuemeka asked me. Okafor is his surname; Mrs Adebayo agreed.")
	if a.Redacted != "My client Client A works with Person B." {
		t.Fatalf("first field: %q", a.Redacted)
	}
	if b.Redacted != "Client A asked me. Client A is his surname; Person B agreed." {
		t.Fatalf("second field: %q", b.Redacted)
	}
}

func FuzzAnonymise(f *testing.F) {
	for _, seed := range []string{
		"Call 07700 900461 or mail anna dot berg at gmail dot com.",
		"NI QQ 12 34 56 C, card 4929 1832 0045 7716, IBAN GB82 WEST 1234 5698 7654 32.",
		"Flat 2, 19 Cobden Street, Leith, EH6 8QR; born 19/07/1979; a 41-year-old.",
		"@handle www.example.com/x (503) 555-0147 ext. 9",
		"\u200bＪｏ\u00ad@e\u200d.com",
		"Priya's boss, Mr R. Daly, w/ tom + gemma at St Oswald's C of E Primary, Portland, OR.",
		"sarah (head), dan p, mo, kirsty, aled. J. (her husband) and JT said so",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		res := anonymise.Anonymise(text)
		prevEnd := 0
		for _, fd := range res.Findings {
			if fd.Start < prevEnd || fd.End <= fd.Start || fd.End > len(res.Normalised) {
				t.Fatalf("bad offsets %d:%d after %d in %q", fd.Start, fd.End, prevEnd, res.Normalised)
			}
			prevEnd = fd.End
			if res.Normalised[fd.Start:fd.End] != fd.Text {
				t.Fatalf("offsets %d:%d do not give %q", fd.Start, fd.End, fd.Text)
			}
		}
		// Labels are ours ("Client A" holds an "A"): mask them, then no finding may survive,
		// except a finding the anonymiser keeps to its spot (a state code, an ordinary word),
		// an age or a single character, whose other copies are judged each by its own context
		// ("Ann, 9" is an age; the 9 of "000 9 0" is not), as propagate does.
		var masked strings.Builder
		last := 0
		for _, fd := range res.Findings {
			masked.WriteString(res.Normalised[last:fd.Start])
			masked.WriteString(strings.Repeat("#", len(fd.Replacement)))
			last = fd.End
		}
		masked.WriteString(res.Normalised[last:])
		for _, fd := range res.Findings {
			if containsWord(masked.String(), fd.Text) && !anonymise.IsOrdinaryWord(fd.Text) && !fd.Local() && fd.Kind != anonymise.Age &&
				utf8.RuneCountInString(fd.Text) > 1 {
				t.Fatalf("finding %q survives in %q", fd.Text, res.Redacted)
			}
		}
	})
}
