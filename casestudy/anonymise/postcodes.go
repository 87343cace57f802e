package anonymise

import (
	"regexp"
	"strings"
)

// Postcodes. Some countries' codes have a shape nothing else has (the UK's, Ireland's Eircodes,
// Canada's, Ghana's digital addresses) and are found anywhere. Most are plain numbers (India's
// six digits, Germany's, France's, Spain's, Italy's, Malaysia's five, Belgium's, Switzerland's,
// Australia's, South Africa's four): those count only where an address puts them, beside a
// town ("83026 Rosenheim", "Bengaluru 560095", "Claremont, 7708."), after a US state ("IL
// 60608"), or after the word for them ("postcode for mail: 2146").

var (
	ukPostcodeRE = regexp.MustCompile(`\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}\b`)
	eircodeRE    = regexp.MustCompile(`\b[ACDEFHKNPRTVWXY]\d[\dW] ?[0-9ACDEFHKNPRTVWXY]{4}\b`)
	canadaRE     = regexp.MustCompile(`\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b`)
	ghanaPostRE  = regexp.MustCompile(`\b[A-Z]{2}-\d{3,4}-\d{4}\b`)
	// A US ZIP code counts only after a state abbreviation, as in an address.
	zipRE = regexp.MustCompile(`\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]),?\s+(\d{5}(?:-\d{4})?)\b`)
	// A number before a town: "83026 Rosenheim", "1050 Ixelles", "59200 Kuala Lumpur".
	codeBeforeTownRE = regexp.MustCompile(`(?:^|[,\n]\s*|\s-\s)(\d{4,5}) (\p{Lu}[\p{L}'’-]+(?: \p{Lu}[\p{L}'’-]+)?)`)
	// A town and a number: "Bengaluru 560095", "Mumbai 400 022", "Claremont, 7708.".
	townBeforeCodeRE = regexp.MustCompile(`(\p{Lu}[\p{L}'’-]+(?: \p{Lu}[\p{L}'’-]+)?),? (\d{3} ?\d{3}|\d{4,5})\b`)
	// The word for a postcode, then the code: "postcode for mail: 2146", "PIN 560001".
	postcodeWordRE = regexp.MustCompile(`\b(?i:post ?code|postal code|zip(?: code)?|pin ?code|pincode|eircode|plz|cep|code postal|c\.p\.|digital address)\b[^.\n\d]{0,20}?\b([A-Z0-9]{1,4}[- ]?[A-Z0-9]{2,4}(?:-[0-9]{3,4})?)\b`)
)

func detectPostcodes(sc *scan) []Finding { return sc.postcodeFindings() }

// postcodeFindings finds the postcodes once per scan: addresses read them too.
func (sc *scan) postcodeFindings() []Finding {
	if sc.postcodesDone {
		return sc.postcodes
	}
	sc.postcodesDone = true
	sc.postcodes = findPostcodes(sc)
	return sc.postcodes
}

func findPostcodes(sc *scan) []Finding {
	text := sc.text
	out := matchesIn(ukPostcodeRE, text, sc.nearDigits, Postcode, 0.9, 0)
	out = append(out, matchesIn(eircodeRE, text, sc.nearDigits, Postcode, 0.85, 0)...)
	out = append(out, matchesIn(canadaRE, text, sc.nearDigits, Postcode, 0.85, 0)...)
	out = append(out, matchesIn(ghanaPostRE, text, sc.nearDigits, Postcode, 0.85, 0)...)
	out = append(out, matchesIn(zipRE, text, sc.nearDigits, Postcode, 0.9, 1)...)
	lx := loadLexicon()
	isTown := func(name string) bool {
		return lx.isPlace(strings.ToLower(name)) && !lx.vocab.has(name)
	}
	for _, m := range submatchesIn(codeBeforeTownRE, text, sc.digits) {
		code, town := text[m[2]:m[3]], text[m[4]:m[5]]
		if isTown(town) || isTown(strings.Fields(town)[0]) || afterAddress(text, m[2]) && m[2] >= 2 && text[m[2]-2:m[2]] == ", " {
			if len(code) == 4 && (strings.HasPrefix(code, "19") || strings.HasPrefix(code, "20")) && !afterAddress(text, m[2]) {
				continue // "2019 Berlin": a year
			}
			out = append(out, Finding{Kind: Postcode, Start: m[2], End: m[3], Confidence: 0.85})
		}
	}
	for _, m := range submatchesIn(townBeforeCodeRE, text, sc.digits) {
		town, code := text[m[2]:m[3]], text[m[4]:m[5]]
		// The town must end an address line: a comma before it, and nothing but punctuation or
		// the end of the line after the code.
		if m[2] < 2 || text[m[2]-2:m[2]] != ", " {
			continue
		}
		// An unknown town still ends an address when the code has six digits (India's PIN) or a
		// street comes before it.
		if !isTown(town) && len(strings.ReplaceAll(code, " ", "")) != 6 && !streetBeforeRE.MatchString(text[max(0, m[2]-60):m[2]]) {
			continue
		}
		rest := strings.TrimLeft(text[m[5]:], " ")
		if rest != "" && !strings.ContainsAny(rest[:1], ".,;)\n") {
			continue
		}
		if len(strings.ReplaceAll(code, " ", "")) == 4 && (strings.HasPrefix(code, "19") || strings.HasPrefix(code, "20")) {
			continue
		}
		out = append(out, Finding{Kind: Postcode, Start: m[4], End: m[5], Confidence: 0.85})
	}
	for _, m := range submatchesIn(postcodeWordRE, text, aroundStrings(sc.lower, text, []string{"code", "zip", "pin", "plz", "cep", "address"}, 5, 40)) {
		if countDigits(text[m[2]:m[3]]) >= 2 {
			out = append(out, Finding{Kind: Postcode, Start: m[2], End: m[3], Confidence: 0.85})
		}
	}
	return out
}

// streetBeforeRE finds a street's name ending just before a town: "Hospital Road, ".
var streetBeforeRE = regexp.MustCompile(`\p{Lu}[\p{L}'’-]* ` + streetTypes + `\.?, $`)

// afterAddress says whether a street address ends shortly before i ("Am Gewerbepark 7, 83026").
func afterAddress(text string, i int) bool {
	before := text[max(0, i-40):i]
	return strings.Contains(before, ",") && strings.ContainsAny(before, "0123456789")
}

const streetTypes = `(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Cl|Yard|Drive|Dr|Way|Court|Ct|Place|Pl|Crescent|Cres|Terrace|Terr|Gardens|Gdns|Grove|Gr|Hill|Row|Square|Sq|Mews|Walk|Parade|Boulevard|Blvd|Bend|Park|Rise|View|Green|Wharf|Quay|Circle|Highway|Hwy|Parkway|Pkwy|Trail|Drove|Gate|Wynd|Vennel|Straße|Strasse|Str|Weg|Platz|Gasse|Allee|Ring|Damm|Laan|Straat|Gracht|Plein|Rue|Avenue|Boulevard|Chemin|Calle|Avenida|Rua|Via|Viale|Piazza|Jalan|Marg|Nagar|Colony|Chawl|Layout)`

// A street address: "Flat 2, 19 Cobden Street", "4417 NE Quillan Street, Apt 3B", "Unit 4, Canal
// Yard".
var addressRE = regexp.MustCompile(`(?:\b(?:Flat|Unit|Apt|Apartment|Suite|Studio|Room|Level|Floor)\.? \w{1,4},? )?\b\d{1,5}[A-Za-z]?,? (?:[NSEW]{1,2} )?(?:\p{Lu}[\p{L}'’]+ ){0,3}\p{Lu}[\p{L}'’]+ ` + streetTypes + `\b\.?(?:,? (?:Apt|Apartment|Suite|Unit|Flat)\.? \w{1,4})?` +
	`|\b(?:Flat|Unit|Apt|Apartment|Suite|Studio|Room|Level|Floor)\.? \w{1,4}, (?:\p{Lu}[\p{L}'’]+ ){1,3}` + streetTypes + `\b`)

// Addresses written the continental way, the number after the street: "Weserstraße 88", "Rue du
// Bailli 41", "Am Gewerbepark 7". Only windows with such a street word are read.
var continentalAddressRE = regexp.MustCompile(`\b\p{Lu}[\p{L}]+(?:straße|strasse|str\.|weg|platz|gasse|allee|laan|straat|gracht) \d{1,4}[a-z]?\b` +
	`|\b(?:Rue|Avenue|Boulevard|Chemin|Calle|Avenida|Rua|Via|Viale|Piazza|Am|An der|Im) (?:(?:du|de|des|la|le|del|dos|da|di)\.? )?(?:\p{Lu}[\p{L}'’-]+ ){0,2}\p{Lu}[\p{L}'’-]+,? \d{1,4}[a-z]?\b`)

var continentalStreetWords = []string{"straße", "strasse", "str.", "weg ", "platz", "gasse", "allee", "laan", "straat", "gracht",
	"rue ", "avenue ", "boulevard ", "chemin ", "calle ", "avenida ", "rua ", "via ", "viale ", "piazza ", "am ", "an der ", "im "}

// The town that follows an address ("…, Leith, EH6 8QR") is a place too.
var townAfterAddressRE = regexp.MustCompile(`^, ((?:\p{Lu}[\p{L}'’]+)(?: \p{Lu}[\p{L}'’]+){0,2})\b`)

// addressBeforeCodeRE is the part of an address line before a town and its postcode, read
// backwards from the postcode: "Flat 4, 19 Headlands, Kettering NN15 7HP", "Nurses' Quarters,
// Hospital Road, Ernakulam 682011".
var addressBeforeCodeRE = regexp.MustCompile(`((?:(?:Flat|Unit|Apt|Apartment|Suite|Room|Level|Floor)\.? \w{1,4}, )?(?:\d{1,5}[A-Za-z]?,? (?:\p{Lu}[\p{L}'’-]+ ){0,3}\p{Lu}[\p{L}'’-]+|(?:\p{Lu}[\p{L}'’-]+ ){0,3}\p{Lu}[\p{L}'’-]+, (?:\p{Lu}[\p{L}'’-]+ ){1,3}` + streetTypes + `)), (?:\p{Lu}[\p{L}'’-]+ ){0,2}\p{Lu}[\p{L}'’-]+ ?,? ?$`)

func detectAddresses(sc *scan) []Finding {
	text := sc.text
	found := matchesIn(addressRE, text, sc.digits, Address, 0.9, 0)
	var continental []span
	for _, w := range sc.digits {
		lower := sc.lower[w.start:w.end]
		for _, sw := range continentalStreetWords {
			if strings.Contains(lower, sw) {
				continental = append(continental, w)
				break
			}
		}
	}
	found = append(found, matchesIn(continentalAddressRE, text, continental, Address, 0.9, 0)...)
	var towns []Finding
	for _, f := range found {
		if m := townAfterAddressRE.FindStringSubmatchIndex(text[f.End:]); m != nil {
			towns = append(towns, Finding{Kind: Location, Start: f.End + m[2], End: f.End + m[3], Confidence: 0.75})
		}
	}
	// Lines that end in a postcode: the street part before the town.
	for _, p := range sc.postcodeFindings() {
		from := max(0, p.Start-120)
		if m := addressBeforeCodeRE.FindStringSubmatchIndex(text[from:p.Start]); m != nil {
			found = append(found, Finding{Kind: Address, Start: from + m[2], End: from + m[3], Confidence: 0.8})
		}
	}
	return append(found, towns...)
}
