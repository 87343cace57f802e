package anonymise

import (
	"regexp"
	"strings"
)

// Dates that pin something down: a day with its month ("2 December 2022", "12 maart", "14/2",
// "3/14/24"), a weekday with a day ("Tuesday 4th", "Wed 12th"), or "the 15th" as a date. Bare
// weekdays, months and years are not identifying and stay. Numbers that look like dates but may
// be something else (14/2 could be a ratio) need a word that introduces a date: "by 14/2",
// "booked for 19/06", "provisionally 17.03".

// months: a full name, or an abbreviation with its optional full stop; then the names of the
// months in Dutch, German, French, Spanish, Portuguese and Italian, which follow a day number.
const months = `(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?)`

const foreignMonths = `(?i:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|januar|jänner|februar|märz|mai|oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|january|february|march|june|july|august|october)`

const dayNumber = `(?:0?[1-9]|[12]\d|3[01])`

const weekdays = `(?i:Mon|Tue|Tues|Wed|Weds|Thu|Thur|Thurs|Fri|Sat|Sun)(?i:day|sday|nesday|rsday|urday)?\.?`

var (
	dayMonthRE     = regexp.MustCompile(`\b` + dayNumber + `(?:st|nd|rd|th)?(?: of)? ` + months + `(?:,? \d{4}\b)?`)
	monthDayRE     = regexp.MustCompile(`\b` + months + ` ` + dayNumber + `(?:st|nd|rd|th)?\b(?:,? \d{4}\b)?`)
	foreignDayRE   = regexp.MustCompile(`\b` + dayNumber + `\.? (?:(?i:de) )?` + foreignMonths + `\b(?:,? (?:(?i:de) )?\d{4}\b)?`)
	weekdayDayRE   = regexp.MustCompile(`\b` + weekdays + `,? (?:the )?` + dayNumber + `(?:st|nd|rd|th)\b`)
	theOrdinalRE   = regexp.MustCompile(`\bthe (` + dayNumber + `(?:st|nd|rd|th))\b`)
	numericRE      = regexp.MustCompile(`\b` + dayNumber + `[/.-](?:0?[1-9]|1[0-2])[/.-](?:\d{4}|\d{2})\b|\b(?:0?[1-9]|1[0-2])/` + dayNumber + `/(?:\d{4}|\d{2})\b|\b\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b`)
	dayMonthOnlyRE = regexp.MustCompile(`\b(\d{1,2})([/.])(\d{1,2})(\.)?`)
)

var monthPrefixes = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// dateCues introduce a date written as day and month only.
var dateCues = wordSet("on", "by", "before", "after", "until", "till", "til", "from", "since", "for",
	"is", "was", "due", "dated", "next", "session", "sessions", "of", "around",
	"week", "deadline", "starting", "start", "starts", "ends", "end", "booked", "moved", "review",
	"meeting", "appointment", "interview", "hearing", "date", "dob", "born", "birthday", "back",
	"expiry", "expires", "between", "viva", "tuesday", "monday", "wednesday", "thursday", "friday",
	"saturday", "sunday", "mon", "tue", "tues", "wed", "weds", "thu", "thurs", "fri", "sat", "sun")

// ordinalNouns after "the 3rd" make it a rank, not a date: "the 3rd time", "the 21st century".
var ordinalNouns = wordSet("century", "centuries", "time", "times", "floor", "place", "person",
	"people", "year", "years", "attempt", "session", "sessions", "round", "draft", "edition",
	"anniversary", "percentile", "grade", "week", "weeks", "day", "month", "months", "birthday",
	"child", "baby", "son", "daughter", "generation", "largest", "biggest", "best", "worst", "most",
	"in", "of", "one", "row", "step", "stage", "level", "item", "point", "question", "chapter",
	"amendment", "cohort", "wave", "meeting", "visit", "call", "one", "team", "rank", "position")

// detectDates finds specific dates.
func detectDates(sc *scan) []Finding {
	text := sc.text
	// A written date needs a month's name; a numeric one fits within a few bytes of its digits.
	// Narrow windows keep these expressions off most of the text.
	monthSpans := aroundCased(text, monthPrefixes, 24, 24)
	out := matchesIn(dayMonthRE, text, monthSpans, Date, 0.85, 0)
	out = append(out, matchesIn(monthDayRE, text, monthSpans, Date, 0.8, 0)...)
	near := aroundDigits(text, 24, 30)
	out = append(out, matchesIn(foreignDayRE, text, near, Date, 0.85, 0)...)
	out = append(out, matchesIn(weekdayDayRE, text, near, Date, 0.85, 0)...)
	out = append(out, matchesIn(numericRE, text, aroundDigits(text, 2, 12), Date, 0.85, 0)...)
	for _, m := range submatchesIn(theOrdinalRE, text, near) {
		if ordinalIsDate(text, m[1]) {
			out = append(out, Finding{Kind: Date, Start: m[0], End: m[1], Confidence: 0.75})
		}
	}
	prevEnd := -1
	for _, m := range submatchesIn(dayMonthOnlyRE, text, aroundDigits(text, 2, 8)) {
		if f, ok := dayMonthOnly(text, m, prevEnd); ok {
			out = append(out, f)
			prevEnd = f.End
		}
	}
	return out
}

// ordinalIsDate says whether "the 15th" ending at i is a date: it ends its phrase, or a
// function word follows, not a noun ("the 3rd time").
func ordinalIsDate(text string, i int) bool {
	rest := strings.TrimLeft(text[i:], " ")
	if rest == "" || strings.ContainsAny(rest[:1], ".,;:)!?\n") {
		return true
	}
	word := strings.ToLower(strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' || r == '.' })[0])
	return !ordinalNouns.has(word) && (functionWords.has(word) || phraseEnders.has(word) || dateFollowers.has(word))
}

// dateFollowers may follow a date: "the 12th, after Onam", "on the 3rd as a discussion item".
var dateFollowers = wordSet("as", "when", "if", "unless", "so", "because", "which", "—", "-", "please",
	"hopefully", "probably", "latest", "at", "for", "instead", "pending")

// dayMonthOnly judges a day and month without a year ("14/2", "28/08", "6/30", "17.03",
// "14.11."): a valid day and month, in either order for slashes, and a cue word before it.
func dayMonthOnly(text string, m []int, prevDateEnd int) (Finding, bool) {
	a, sep, b := text[m[2]:m[3]], text[m[4]:m[5]], text[m[6]:m[7]]
	end := m[7]
	// Part of something longer: a full date, a version, a fraction of a larger number.
	if end < len(text) && (text[end] >= '0' && text[end] <= '9' || text[end] == '/' || text[end] == '%') {
		return Finding{}, false
	}
	if m[8] < 0 && end < len(text) && text[end] == '.' && end+1 < len(text) && text[end+1] >= '0' && text[end+1] <= '9' {
		return Finding{}, false
	}
	if m[0] > 0 && (text[m[0]-1] == '/' || text[m[0]-1] == '.' || text[m[0]-1] == '£' || text[m[0]-1] == '$') {
		return Finding{}, false
	}
	day, month := atoiSmall(a), atoiSmall(b)
	valid := day >= 1 && day <= 31 && month >= 1 && month <= 12
	if sep == "/" && !valid { // US month/day: "6/30"
		valid = day >= 1 && day <= 12 && month >= 1 && month <= 31
	}
	if !valid || sep == "." && len(b) != 2 {
		return Finding{}, false
	}
	// The word before it must introduce a date.
	before := strings.TrimRight(text[:m[0]], " ")
	k := strings.LastIndexAny(before, " \n(")
	word := strings.ToLower(strings.Trim(before[k+1:], ":,"))
	// "14.11. and 15.11.": a second date joined to a first.
	joined := (word == "and" || word == "to" || word == "or" || word == "-" || word == "&") && prevDateEnd >= 0 &&
		strings.TrimSpace(text[min(prevDateEnd, m[0]):m[0]]) == word
	if !dateCues.has(word) && !joined && !strings.HasSuffix(word, "ly") && !strings.HasSuffix(before, ":") && !strings.HasSuffix(before, "(") {
		return Finding{}, false
	}
	if m[8] >= 0 && sep == "." {
		end = m[9] // "14.11.": the German date's own full stop
	}
	return Finding{Kind: Date, Start: m[0], End: end, Confidence: 0.75}, true
}

func atoiSmall(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
