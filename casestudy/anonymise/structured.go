package anonymise

import (
	"regexp"
	"strings"
)

// detector finds candidates of one or more kinds; overlaps are resolved afterwards.
type detector func(sc *scan) []Finding

// detectors run in no particular order: confidence decides between overlapping candidates.
var detectors = []detector{
	detectEmails, detectObfuscatedEmails, detectURLs, detectHandles, detectPhones, detectSpelledPhones,
	detectIDsInContext, detectChecksummedIDs, detectNationalInsurance,
	detectPostcodes, detectAddresses, detectDates, detectAges,
}

// tlds are the top-level domains accepted where text only looks like a domain: enough for
// real addresses, few enough that "e.g" or "Node.js" never qualify.
const tlds = `(?:com|org|net|edu|gov|mil|int|io|co|uk|us|de|fr|es|it|nl|be|ie|ch|at|se|no|dk|fi|pl|pt|au|nz|ca|in|za|ng|ke|gh|ae|sg|hk|jp|cn|kr|br|mx|ar|info|biz|me|app|dev|health|coach|ai|eu|ly|tv|online|site|studio|page|blog|design|art)`

func matches(re *regexp.Regexp, text string, kind Kind, confidence float64, group int) []Finding {
	var out []Finding
	for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2*group], m[2*group+1]
		if start < 0 {
			continue
		}
		out = append(out, Finding{Kind: kind, Start: start, End: end, Confidence: confidence})
	}
	return out
}

var emailRE = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+ ?@ ?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.` + tlds + `\b`)

func detectEmails(sc *scan) []Finding {
	return matchesIn(emailRE, sc.text, aroundStrings(sc.lower, sc.text, []string{"@"}, 80, 80), Email, 0.99, 0)
}

// Spelled-out addresses: "anna dot berg at gmail dot com", "r.kapoor [at] fastmail [dot] co [dot] uk".
var obfuscatedEmailRE = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+(?:\s*(?:\(dot\)|\[dot\]|\sdot\s)\s*[a-z0-9_%+-]+)*` +
	`\s*(?:\(at\)|\[at\]|\sat\s)\s*[a-z0-9-]+(?:\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*[a-z0-9-]+)*\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*` + tlds + `\b`)

func detectObfuscatedEmails(sc *scan) []Finding {
	return matchesIn(obfuscatedEmailRE, sc.text, aroundStrings(sc.lower, sc.text, []string{"dot"}, 100, 60), Email, 0.95, 0)
}

var urlRE = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.` + tlds + `(?:/[^\s<>"'()\[\]]*)?\b`)

func detectURLs(sc *scan) []Finding {
	text := sc.text
	// Every address has a dot directly followed by a letter or digit ("x.com", "www.").
	var spans []span
	for i := 0; i+1 < len(text); i++ {
		if text[i] == '.' && isASCIIWord(text[i+1]) {
			spans = append(spans, span{i - 100, i + 120})
		}
	}
	out := matchesIn(urlRE, text, widen(text, spans), URL, 0.9, 0)
	for i := range out {
		// A sentence's full stop or comma is not part of the address.
		for out[i].End > out[i].Start && strings.ContainsRune(".,;:!?", rune(text[out[i].End-1])) {
			out[i].End--
		}
	}
	return out
}

var handleRE = regexp.MustCompile(`(?:^|[^\w@.])(@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)`)

func detectHandles(sc *scan) []Finding {
	return matchesIn(handleRE, sc.text, aroundStrings(sc.lower, sc.text, []string{"@"}, 2, 40), SocialHandle, 0.95, 1)
}

func isASCIIWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// A phone number starts with +, an opening bracket or a 0, or is North American 555-555-5555;
// its digits are counted before it counts.
var phoneRE = regexp.MustCompile(`(?i)(?:\+\d{1,3}[\s.-]?|\(0?\d{1,5}\)[\s.-]?|\b0)(?:\(0\)[\s.-]?)?\d{1,5}(?:[\s.-]?\d{2,6}){1,4}\b(?:\s*(?:ext\.?|x)\s*\d{1,5}\b)?|\b\d{3}[.-]\d{3}[.-]\d{4}\b`)

func detectPhones(sc *scan) []Finding {
	text := sc.text
	var out []Finding
	for _, f := range matchesIn(phoneRE, text, sc.digits, Phone, 0.9, 0) {
		main := text[f.Start:f.End]
		if i := strings.IndexAny(strings.ToLower(main), "ex"); i > 0 {
			main = main[:i]
		}
		if n := countDigits(main); n >= 9 && n <= 15 {
			out = append(out, f)
		}
	}
	return out
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// digitWords are the words of a number read out: "oh seven seven double oh nine …".
var digitWords = map[string]bool{"zero": true, "oh": true, "o": true, "one": true, "two": true, "three": true,
	"four": true, "five": true, "six": true, "seven": true, "eight": true, "nine": true}

// detectSpelledPhones finds runs of at least nine digits spoken as words, with "double" and
// "triple" counted. A word scan, not a regular expression: such runs are rare and words common.
func detectSpelledPhones(sc *scan) []Finding {
	lower := sc.lower
	var out []Finding
	runStart, runEnd, digits, repeat := -1, -1, 0, 1
	flush := func() {
		if digits >= 9 {
			out = append(out, Finding{Kind: Phone, Start: runStart, End: runEnd, Confidence: 0.85})
		}
		runStart, runEnd, digits, repeat = -1, -1, 0, 1
	}
	for i := 0; i < len(lower); {
		c := lower[i]
		if c < 'a' || c > 'z' {
			// Only spaces, commas and hyphens may separate the words of one number.
			if c != ' ' && c != ',' && c != '-' && c != '\n' {
				flush()
			}
			i++
			continue
		}
		j := i
		for j < len(lower) && lower[j] >= 'a' && lower[j] <= 'z' {
			j++
		}
		if j < len(lower) && lower[j] >= 0x80 { // a non-ASCII letter continues the word
			flush()
			for j < len(lower) && lower[j] != ' ' {
				j++
			}
			i = j
			continue
		}
		word := lower[i:j]
		switch {
		case word == "double" || word == "triple":
			if runStart < 0 {
				runStart = i
			}
			repeat = 2
			if word == "triple" {
				repeat = 3
			}
		case digitWords[word]:
			if runStart < 0 {
				runStart = i
			}
			digits += repeat
			repeat = 1
			runEnd = j
		default:
			flush()
		}
		i = j
	}
	flush()
	return out
}

// An identifier announced by its name: "passport (number G4827715)", "staff number, PWS-20417",
// "NHS number (485 777 3456)", "IBAN GB47 TSTB …", "card number, 4929 …".
var idContextRE = regexp.MustCompile(`(?i)\b(?:passport|employee|staff|payroll|student|member(?:ship)?|customer|client|account|licen[cs]e|badge|policy|reference|ref|NHS|NI|national insurance|insurance|IBAN|sort code|card|ID|tax|UTR|NINO|visa|driving licen[cs]e)\b`)
var idAfterContextRE = regexp.MustCompile(`^[\s(:#,.-]{0,3}(?:(?i:number|no\.?|num|code|is|was)\b[\s(:#,.-]{0,3}){0,2}([A-Z0-9][A-Z0-9-]{0,11}(?: [A-Z0-9][A-Z0-9-]{0,9})*)`)

func detectIDsInContext(sc *scan) []Finding {
	text := sc.text
	var out []Finding
	for _, m := range matchesIn(idContextRE, text, sc.digits, IDNumber, 0, 0) {
		m := []int{m.Start, m.End}
		window := text[m[1]:min(len(text), m[1]+60)]
		sub := idAfterContextRE.FindStringSubmatchIndex(window)
		if sub == nil {
			continue
		}
		start, end := m[1]+sub[2], m[1]+sub[3]
		id := text[start:end]
		// Drop a trailing lone "I" or "A": the next sentence's first word.
		for strings.HasSuffix(id, " I") || strings.HasSuffix(id, " A") {
			id = id[:len(id)-2]
			end -= 2
		}
		if countDigits(id) >= 4 {
			out = append(out, Finding{Kind: IDNumber, Start: start, End: end, Confidence: 0.92})
		}
	}
	return out
}

var (
	cardRE = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)
	nhsRE  = regexp.MustCompile(`\b\d{3}[ -]?\d{3}[ -]?\d{4}\b`)
	ibanRE = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`)
)

// detectChecksummedIDs finds numbers whose check digits prove what they are, context or not.
func detectChecksummedIDs(sc *scan) []Finding {
	text := sc.text
	var out []Finding
	for _, f := range matchesIn(cardRE, text, sc.nearDigits, IDNumber, 0.95, 0) {
		if luhnValid(digitsOf(text[f.Start:f.End])) {
			out = append(out, f)
		}
	}
	for _, f := range matchesIn(nhsRE, text, sc.nearDigits, IDNumber, 0.8, 0) {
		if nhsValid(digitsOf(text[f.Start:f.End])) {
			out = append(out, f)
		}
	}
	for _, f := range matchesIn(ibanRE, text, sc.nearDigits, IDNumber, 0.95, 0) {
		if ibanValid(strings.ReplaceAll(text[f.Start:f.End], " ", "")) {
			out = append(out, f)
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
	return sum%10 == 0
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

var (
	ukPostcodeRE = regexp.MustCompile(`\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}\b`)
	// A US ZIP code counts only after a state abbreviation, as in an address.
	zipRE = regexp.MustCompile(`\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]),?\s+(\d{5}(?:-\d{4})?)\b`)
)

func detectPostcodes(sc *scan) []Finding {
	return append(matchesIn(ukPostcodeRE, sc.text, sc.nearDigits, Postcode, 0.9, 0), matchesIn(zipRE, sc.text, sc.nearDigits, Postcode, 0.9, 1)...)
}

const streetTypes = `(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Cl|Yard|Drive|Dr|Way|Court|Ct|Place|Pl|Crescent|Cres|Terrace|Terr|Gardens|Gdns|Grove|Gr|Hill|Row|Square|Sq|Mews|Walk|Parade|Boulevard|Blvd|Bend|Park|Rise|View|Green|Wharf|Quay|Circle|Highway|Hwy|Parkway|Pkwy|Trail|Drove|Gate|Wynd|Vennel)`

// A street address: "Flat 2, 19 Cobden Street", "4417 NE Quillan Street, Apt 3B", "Unit 4, Canal Yard".
var addressRE = regexp.MustCompile(`(?:\b(?:Flat|Unit|Apt|Apartment|Suite|Studio)\.? \w{1,4},? )?\b\d{1,5}[A-Za-z]?,? (?:[NSEW]{1,2} )?(?:[A-Z][a-z']+ ){0,3}[A-Z][a-z']+ ` + streetTypes + `\b\.?(?:,? (?:Apt|Apartment|Suite|Unit|Flat)\.? \w{1,4})?|\b(?:Flat|Unit|Apt|Apartment|Suite|Studio)\.? \w{1,4}, (?:[A-Z][a-z']+ ){1,3}` + streetTypes + `\b`)

// The town that follows an address ("…, Leith, EH6 8QR") is a place too.
var townAfterAddressRE = regexp.MustCompile(`^, ((?:[A-Z][a-z']+)(?: [A-Z][a-z']+){0,2})\b`)

func detectAddresses(sc *scan) []Finding {
	text := sc.text
	found := matchesIn(addressRE, text, sc.digits, Address, 0.9, 0)
	var towns []Finding
	for _, f := range found {
		if m := townAfterAddressRE.FindStringSubmatchIndex(text[f.End:]); m != nil {
			towns = append(towns, Finding{Kind: Location, Start: f.End + m[2], End: f.End + m[3], Confidence: 0.75})
		}
	}
	return append(found, towns...)
}

// months: a full name, or an abbreviation with its optional full stop.
const months = `(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?)`

var (
	dayMonthRE = regexp.MustCompile(`\b(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?: of)? ` + months + `(?:,? \d{4}\b)?`)
	monthDayRE = regexp.MustCompile(`\b` + months + ` (?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\b(?:,? \d{4}\b)?`)
	numericRE  = regexp.MustCompile(`\b(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:\d{4}|\d{2})\b|\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/\d{4}\b|\b\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b`)
)

var monthPrefixes = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// detectDates finds specific dates: a day with its month. Bare weekdays, months and years are
// not identifying and stay.
func detectDates(sc *scan) []Finding {
	// A written date needs a capitalised month name; a numeric one fits within a few bytes of
	// its digits. Narrow windows keep these expressions off most of the text.
	months := aroundCased(sc.text, monthPrefixes, 24, 24)
	out := matchesIn(dayMonthRE, sc.text, months, Date, 0.85, 0)
	out = append(out, matchesIn(monthDayRE, sc.text, months, Date, 0.8, 0)...)
	return append(out, matchesIn(numericRE, sc.text, aroundDigits(sc.text, 2, 12), Date, 0.85, 0)...)
}

const numberWords = `(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)`

var ageRE = regexp.MustCompile(`(?i)\b(?:\d{1,3}|` + numberWords + `)[- ](?:years?|yrs?|yo)[- ]old\b|\b(?:\d{1,3}|` + numberWords + `) ?(?:yrs?|years?) old\b|\b(?:aged|age|turns|turned|turning) (?:\d{1,3}|` + numberWords + `)\b|\b\d{1,3}-year-old\b|\b\d{1,3} ?yo\b`)

func detectAges(sc *scan) []Finding {
	return matchesIn(ageRE, sc.text, aroundStrings(sc.lower, sc.text, []string{" old", "-old", "age", "turn", " yo", "yo "}, 40, 25), Age, 0.85, 0)
}

// submatchesIn is FindAllStringSubmatchIndex over windows, with offsets in the whole text.
func submatchesIn(re *regexp.Regexp, text string, spans []span) [][]int {
	var out [][]int
	for _, s := range spans {
		for _, m := range re.FindAllStringSubmatchIndex(text[s.start:s.end], -1) {
			for i := range m {
				if m[i] >= 0 {
					m[i] += s.start
				}
			}
			out = append(out, m)
		}
	}
	return out
}
