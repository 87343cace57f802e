package anonymise

import (
	"regexp"
	"strconv"
	"strings"
)

// ID numbers are found two ways:
//
//   - a number announced by what it is ("passport", "PPSN", "Steuer-ID", "company no.", "booking
//     ref"), anywhere later in the same sentence ("Her KRA PIN is on the agreement she signed
//     (A012345678Z)");
//   - a number whose shape or check digits prove what it is, with no context: UK National
//     Insurance and NHS numbers, US Social Security numbers, Indian PAN and Aadhaar, Irish PPSN,
//     Dutch BSN, Brazilian CPF, Canadian SIN, Australian TFN and Medicare, German tax IDs,
//     French NIR, Spanish DNI and NIE, Singapore NRIC/FIN, Malaysian MyKad, Kenyan KRA PINs,
//     Ghana Cards, bank cards (Luhn) and IBANs (mod 97).

// idKeywordRE are the words that announce an identifier. Acronyms are matched as written, words
// in any case.
// The words are matched on the ASCII-lowered copy of the text (same offsets), which is much
// cheaper than a case-insensitive expression.
var idKeywordRE = regexp.MustCompile(`\bno\.|\bnr\.|\b(?:passport|payroll|licen[cs]e|badge|reference|ref|warrant|serial|identity|identification|national insurance|social security|visa|permit|steuer-id|steuernummer|steueridentifikationsnummer|sozialversicherungsnummer|personalausweis|aadhaa?r|mykad|medicare|medicaid|pincode|number|num)\b`)

// idAcronymRE are identifiers' acronyms, matched as written.
var idAcronymRE = regexp.MustCompile(`\b(?:ID|IDs|PIN|TIN|SSN|SIN|EIN|ITIN|PAN|PPSN|PPS|BSN|TFN|ABN|ACN|CRN|NHI|NHS|NINO|NI|UTR|NIF|NIE|DNI|CPF|RG|CURP|RFC|NIR|INSEE|IC|NRIC|FIN|KRA|GMC|NMC|GPhC|GDC|HCPC|AHPRA|NPI|DEA|BRP|IBAN|VAT|MRN|CHI|IHI|DL)\b`)

// isIDKeyword says whether s is exactly an identifier's keyword or acronym.
func isIDKeyword(s string) bool {
	if loc := idAcronymRE.FindStringIndex(s); loc != nil && loc[0] == 0 && loc[1] == len(s) {
		return true
	}
	l := strings.ToLower(s)
	loc := idKeywordRE.FindStringIndex(l)
	return loc != nil && loc[0] == 0 && loc[1] == len(l)
}

// idCandidateRE is an identifier's shape: digits, possibly with a few letters before or after
// and separators between groups ("7654321KA", "SBR-004417/N", "27 194 630 581", "s2145678").
var idCandidateRE = regexp.MustCompile(`\b(?:([A-Za-z]{1,5})[-/ ]?)?\d+(?:[ ./-]\d+)*(?:[-/]?[A-Za-z]{1,3})?\b`)

// detectIDsInContext finds identifiers announced by their name.
func detectIDsInContext(sc *scan) []Finding {
	text := sc.text
	var out []Finding
	windows := withDigits(text, aroundDigits(text, 120, 30), 4)
	keywords := append(matchesIn(idKeywordRE, sc.lower, windows, IDNumber, 0, 0), matchesIn(idAcronymRE, text, windows, IDNumber, 0, 0)...)
	for _, kw := range keywords {
		// The rest of the sentence, up to 140 bytes: a full stop followed by a space and a
		// capital, or a line break, ends it ("ref." and "no." do not).
		end := min(len(text), kw.End+140)
		window := text[kw.End:end]
		if k := sentenceEndIn(window); k >= 0 {
			window = window[:k]
		}
		for _, m := range idCandidateRE.FindAllStringSubmatchIndex(window, -1) {
			start, stop := kw.End+m[0], kw.End+m[1]
			// A prefix that names the number is not part of it: "(TFN 123 456 782)".
			if m[2] >= 0 {
				prefix := window[m[2]:m[3]]
				if isIDKeyword(prefix) || !strings.ContainsAny(window[m[3]:m[3]+1], "-/") && window[m[3]] == ' ' && strings.ToUpper(prefix) != prefix {
					start = kw.End + m[3]
					for start < stop && (text[start] == ' ' || text[start] == '-' || text[start] == '/') {
						start++
					}
				}
			}
			id := strings.TrimRight(text[start:stop], " ./-")
			stop = start + len(id)
			// A trailing lone "I" or "A" is the next sentence's first word.
			for strings.HasSuffix(id, " I") || strings.HasSuffix(id, " A") {
				id, stop = id[:len(id)-2], stop-2
			}
			if !idShaped(id) {
				continue
			}
			out = append(out, Finding{Kind: IDNumber, Start: start, End: stop, Confidence: 0.88})
			break
		}
	}
	return out
}

// withDigits keeps the windows that hold at least n digits.
func withDigits(text string, spans []span, n int) []span {
	out := spans[:0:0]
	for _, s := range spans {
		if countDigits(text[s.start:s.end]) >= n {
			out = append(out, s)
		}
	}
	return out
}

// sentenceEndIn returns where the first sentence of s ends, or -1.
func sentenceEndIn(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			return i
		case '.', '!', '?', ';':
			if i+2 < len(s) && s[i+1] == ' ' && s[i+2] >= 'A' && s[i+2] <= 'Z' {
				// "ref. EC/2024/0871" continues; "(…). Mobile:" ends.
				if i >= 3 && strings.EqualFold(s[i-3:i], "ref") || i >= 2 && strings.EqualFold(s[i-2:i], "no") {
					continue
				}
				return i
			}
		}
	}
	return -1
}

// idShaped says whether a candidate looks like an identifier rather than a quantity, a year, a
// time or a date: at least four digits, and letters or digit groups as identifiers have them.
func idShaped(id string) bool {
	digits, letters := 0, 0
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
			letters++
		}
	}
	if digits < 4 || letters > 6 {
		return false
	}
	if letters == 0 && digits == 4 && (strings.HasPrefix(id, "19") || strings.HasPrefix(id, "20")) {
		return false // a year
	}
	if dateLikeRE.MatchString(id) || timeLikeRE.MatchString(id) {
		return false
	}
	return !moneyLikeRE.MatchString(id)
}

var (
	dateLikeRE  = regexp.MustCompile(`^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$`)
	timeLikeRE  = regexp.MustCompile(`^\d{1,2}[.:]\d{2}$`)
	moneyLikeRE = regexp.MustCompile(`^\d{1,3}(?:,\d{3})+$`)
)

// checkedID is a pattern whose matches are identifiers when valid says so.
type checkedID struct {
	re    *regexp.Regexp
	valid func(m string) bool
	conf  float64
}

var checkedIDs = []checkedID{
	// Bank cards: 13–19 digits passing Luhn.
	{regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`), func(m string) bool { return luhnValid(digitsOf(m)) }, 0.95},
	// NHS numbers: ten digits, modulus 11.
	{regexp.MustCompile(`\b\d{3}[ -]?\d{3}[ -]?\d{4}\b`), func(m string) bool { return nhsValid(digitsOf(m)) }, 0.8},
	// IBAN: mod 97.
	{regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`), func(m string) bool { return ibanValid(strings.ReplaceAll(m, " ", "")) }, 0.95},
	// US Social Security numbers, with their hyphens (never 000, 666 or 9xx; no zero groups).
	{regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), ssnValid, 0.93},
	// Indian PAN: five letters (the fourth says what holds it), four digits, a letter.
	{regexp.MustCompile(`\b[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]\b`), func(string) bool { return true }, 0.9},
	// Aadhaar: twelve digits, the first 2–9, Verhoeff check digit.
	{regexp.MustCompile(`\b[2-9]\d{3} ?\d{4} ?\d{4}\b`), func(m string) bool { return verhoeffValid(digitsOf(m)) }, 0.9},
	// Irish PPSN: seven digits and a check letter (mod 23), maybe a second letter.
	{regexp.MustCompile(`\b\d{7}[A-W][A-IW]?\b`), ppsnValid, 0.9},
	// Dutch BSN, Canadian SIN, Australian TFN: nine digits, each with its own check.
	{regexp.MustCompile(`\b\d{3}[ .-]?\d{3}[ .-]?\d{3}\b`), func(m string) bool {
		d := digitsOf(m)
		return bsnValid(d) || luhnNine(d) || tfnValid(d)
	}, 0.93}, // above a phone number's 0.9: "046 454 286" passes a check a phone would not
	// Brazilian CPF: 000.000.000-00 with two check digits.
	{regexp.MustCompile(`\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b`), func(m string) bool { return cpfValid(digitsOf(m)) }, 0.9},
	// Australian Medicare: ten digits, weighted check.
	{regexp.MustCompile(`\b[2-6]\d{3} ?\d{5} ?\d\b`), func(m string) bool { return medicareValid(digitsOf(m)) }, 0.85},
	// German tax ID (Steuer-ID): eleven digits, ISO 7064 MOD 11,10.
	{regexp.MustCompile(`\b\d{2} ?\d{3} ?\d{3} ?\d{3}\b`), func(m string) bool { return steuerIDValid(digitsOf(m)) }, 0.85},
	// French NIR: sex, year, month, place, order and a mod-97 key.
	{regexp.MustCompile(`\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b`), nirValid, 0.9},
	// Spanish DNI and NIE: digits and a check letter (mod 23).
	{regexp.MustCompile(`\b[XYZ]?-?\d{7,8}-?[A-Z]\b`), dniValid, 0.9},
	// Singapore NRIC/FIN, Malaysian MyKad, Kenyan KRA PIN, Ghana Card: their shapes alone.
	{regexp.MustCompile(`\b[STFGM]\d{7}[A-Z]\b`), func(string) bool { return true }, 0.85},
	{regexp.MustCompile(`\b\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-\d{2}-\d{4}\b`), func(string) bool { return true }, 0.9},
	{regexp.MustCompile(`\b[AP]\d{9}[A-Z]\b`), func(string) bool { return true }, 0.85},
	{regexp.MustCompile(`\bGHA-\d{9}-\d\b`), func(string) bool { return true }, 0.95},
	// A reference made of letters, digits and slashes: "EC/2024/0871", "P/19877/24", "BB-2291/24".
	{regexp.MustCompile(`\b[A-Z]{1,4}[/-]\d{2,}(?:[/-]\d{2,})*(?:/[A-Z])?\b`), func(m string) bool { return countDigits(m) >= 4 }, 0.8},
}

// detectChecksummedIDs finds numbers whose shape or check digits prove what they are.
func detectChecksummedIDs(sc *scan) []Finding {
	text := sc.text
	var out []Finding
	windows := withDigits(text, sc.nearDigits, 4) // every such identifier has four digits or more
	for _, c := range checkedIDs {
		for _, f := range matchesIn(c.re, text, windows, IDNumber, c.conf, 0) {
			if c.valid(text[f.Start:f.End]) {
				out = append(out, f)
			}
		}
	}
	return out
}

// UK National Insurance numbers: two letters (some never issued), six digits, A–D.
var niRE = regexp.MustCompile(`\b([A-Z])([A-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b`)

func detectNationalInsurance(sc *scan) []Finding {
	text := sc.text
	var out []Finding
	for _, m := range submatchesIn(niRE, text, sc.nearDigits) {
		first, second := text[m[2]:m[3]], text[m[4]:m[5]]
		prefix := first + second
		valid := !strings.Contains("DFIQUV", first) && !strings.Contains("DFIOQUV", second) &&
			!strings.Contains(" BG GB NK KN TN NT ZZ ", " "+prefix+" ")
		conf := 0.9
		if !valid {
			conf = 0.6 // a sample or mistyped number is still somebody's number in the making
		}
		out = append(out, Finding{Kind: IDNumber, Start: m[0], End: m[1], Confidence: conf})
	}
	return out
}

func digitsOf(s string) []int {
	var d []int
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d = append(d, int(r-'0'))
		}
	}
	return d
}

func luhnValid(d []int) bool {
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	return luhnSum(d)%10 == 0
}

func luhnSum(d []int) int {
	sum := 0
	for i := range d {
		x := d[len(d)-1-i]
		if i%2 == 1 {
			if x *= 2; x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return sum
}

// luhnNine: a Canadian Social Insurance Number, nine digits passing Luhn (never starting 8; 0 is
// the sample numbers', which people copy onto forms too).
func luhnNine(d []int) bool {
	return len(d) == 9 && d[0] != 8 && luhnSum(d)%10 == 0
}

// nhsValid applies the NHS number's modulus-11 check digit.
func nhsValid(d []int) bool {
	if len(d) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += d[i] * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == d[9]
}

// ibanValid applies ISO 13616's mod-97 check.
func ibanValid(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	rearranged := s[4:] + s[:4]
	rem := 0
	for _, r := range rearranged {
		switch {
		case r >= '0' && r <= '9':
			rem = (rem*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			rem = (rem*100 + int(r-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// ssnValid: area not 000, 666 or 900–999; group not 00; serial not 0000.
func ssnValid(m string) bool {
	parts := strings.Split(m, "-")
	area, _ := strconv.Atoi(parts[0])
	return area != 0 && area != 666 && area < 900 && parts[1] != "00" && parts[2] != "0000"
}

// verhoeffValid applies the Verhoeff check digit (Aadhaar).
func verhoeffValid(d []int) bool {
	mul := [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	perm := [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
	if len(d) != 12 {
		return false
	}
	c := 0
	for i := range d {
		c = mul[c][perm[i%8][d[len(d)-1-i]]]
	}
	return c == 0
}

// ppsnValid applies the Irish PPSN's mod-23 check letter (weights 8…2, a second letter counts 9).
func ppsnValid(m string) bool {
	d := digitsOf(m[:7])
	sum := 0
	for i, x := range d {
		sum += x * (8 - i)
	}
	if len(m) == 9 && m[8] != 'W' {
		sum += int(m[8]-'A'+1) * 9
	}
	check := sum % 23
	want := byte('W')
	if check != 0 {
		want = byte('A' + check - 1)
	}
	return m[7] == want
}

// bsnValid applies the Dutch BSN's "eleven test".
func bsnValid(d []int) bool {
	if len(d) != 9 {
		return false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += d[i] * (9 - i)
	}
	sum -= d[8]
	return sum%11 == 0 && sum != 0
}

// tfnValid applies the Australian Tax File Number's weighted mod-11 check.
func tfnValid(d []int) bool {
	weights := []int{1, 4, 3, 7, 5, 8, 6, 9, 10}
	if len(d) != 9 {
		return false
	}
	sum := 0
	for i, x := range d {
		sum += x * weights[i]
	}
	return sum%11 == 0 && sum != 0
}

// cpfValid applies the Brazilian CPF's two check digits.
func cpfValid(d []int) bool {
	if len(d) != 11 {
		return false
	}
	same := true
	for _, x := range d {
		same = same && x == d[0]
	}
	if same {
		return false
	}
	check := func(n int) int {
		sum := 0
		for i := 0; i < n; i++ {
			sum += d[i] * (n + 1 - i)
		}
		r := sum * 10 % 11
		if r == 10 {
			r = 0
		}
		return r
	}
	return check(9) == d[9] && check(10) == d[10]
}

// medicareValid applies the Australian Medicare number's check digit (the ninth digit).
func medicareValid(d []int) bool {
	if len(d) != 10 {
		return false
	}
	weights := []int{1, 3, 7, 9, 1, 3, 7, 9}
	sum := 0
	for i, w := range weights {
		sum += d[i] * w
	}
	return sum%10 == d[8]
}

// steuerIDValid applies ISO 7064 MOD 11,10 to a German tax identification number, whose first
// digit is never 0.
func steuerIDValid(d []int) bool {
	if len(d) != 11 || d[0] == 0 {
		return false
	}
	product := 10
	for i := 0; i < 10; i++ {
		sum := (d[i] + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = sum * 2 % 11
	}
	check := 11 - product
	if check == 10 {
		check = 0
	}
	return check == d[10]
}

// nirValid applies the French NIR's key: 97 minus the number mod 97 (Corsica's 2A and 2B
// counted as 19 and 18).
func nirValid(m string) bool {
	s := strings.ReplaceAll(m, " ", "")
	s = strings.Replace(strings.Replace(s, "2A", "19", 1), "2B", "18", 1)
	if len(s) != 15 {
		return false
	}
	n, err := strconv.ParseUint(s[:13], 10, 64)
	key, err2 := strconv.Atoi(s[13:])
	return err == nil && err2 == nil && uint64(key) == 97-n%97
}

// dniValid applies the Spanish DNI and NIE check letter.
func dniValid(m string) bool {
	s := strings.ReplaceAll(m, "-", "")
	letter := s[len(s)-1]
	num := s[:len(s)-1]
	switch num[0] {
	case 'X':
		num = "0" + num[1:]
	case 'Y':
		num = "1" + num[1:]
	case 'Z':
		num = "2" + num[1:]
	}
	if len(num) != 8 {
		return false
	}
	n, err := strconv.Atoi(num)
	return err == nil && "TRWAGMYFPDXBNJZSQVHLCKE"[n%23] == letter
}
