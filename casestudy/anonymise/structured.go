package anonymise

import (
	"regexp"
	"strings"
)

// detector finds candidates of one or more kinds; overlaps are resolved afterwards.
type detector func(sc *scan) []Finding

// detectors run in no particular order: confidence decides between overlapping candidates.
var detectors = []detector{
	detectEmails, detectObfuscatedEmails, detectURLs, detectHandles, detectPlatformHandles, detectPhones,
	detectSpelledPhones, detectIDsInContext, detectChecksummedIDs, detectNationalInsurance,
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

// platformHandleRE is a handle named by its platform, with or without "@": "WeChat (ID:
// zhanghao_sea88)", "add her on LINE (ID: sirinya.coach)", "on Insta as jo.makes.things".
var platformHandleRE = regexp.MustCompile(`\b(?:WeChat|Weixin|LINE|Line|Telegram|KakaoTalk|Kakao|Signal|Skype|Discord|Snapchat|Snap|Instagram|Insta|IG|TikTok|Twitter|Threads|Bluesky|Mastodon|Viber|Zalo|QQ|GitHub|Github|Reddit|Facebook|FB|Twitch|YouTube|Youtube|Substack|Medium|LinkedIn|Linkedin)\b[ :(]{0,3}(?:(?i:ID|handle|username|user name|user|name|account|is|as|at|on|@)[ :=]{0,3}){0,2}(@?[A-Za-z0-9][A-Za-z0-9_.-]{1,30}[A-Za-z0-9_])`)

// detectPlatformHandles finds handles announced by their platform. The handle must look like one:
// a digit, an underscore, a dot or an "@" in it, so "on Telegram at midnight" stays.
func detectPlatformHandles(sc *scan) []Finding {
	var out []Finding
	for _, m := range submatchesIn(platformHandleRE, sc.text, widen(sc.text, platformSpans(sc.text))) {
		h := sc.text[m[2]:m[3]]
		if !strings.ContainsAny(h, "0123456789_.@") {
			continue
		}
		out = append(out, Finding{Kind: SocialHandle, Start: m[2], End: m[3], Confidence: 0.92})
	}
	return out
}

// platformSpans are windows after each platform's name.
func platformSpans(text string) []span {
	var spans []span
	for _, p := range []string{"WeChat", "Weixin", "LINE", "Line", "Telegram", "Kakao", "Signal", "Skype", "Discord", "Snap", "Insta", "IG", "TikTok",
		"Twitter", "Threads", "Bluesky", "Mastodon", "Viber", "Zalo", "QQ", "Git", "Reddit", "Facebook", "FB", "Twitch", "You", "Substack", "Medium", "Linked"} {
		for from := 0; ; {
			i := strings.Index(text[from:], p)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i, from + i + len(p) + 50})
			from += i + len(p)
		}
	}
	return spans
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
