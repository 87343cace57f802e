package anonymise_test

import (
	"os"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy/anonymise"
	"github.com/casecircle/casecircle/casestudy/anonymise/internal/lextable"
)

// found reports whether want was found as a finding of the kind, whole.
func found(res anonymise.Result, want string, kind anonymise.Kind) bool {
	for _, f := range res.Findings {
		if f.Text == want && (kind == "" || f.Kind == kind) {
			return true
		}
	}
	return false
}

// wanted is a text and the finding it must yield, whole.
type wanted struct{ text, want string }

// wantFound fails for each text that does not yield its wanted finding of the kind ("" for any).
func wantFound(t *testing.T, kind anonymise.Kind, cases []wanted) {
	t.Helper()
	for _, tc := range cases {
		if res := anonymise.Anonymise(tc.text); !found(res, tc.want, kind) {
			t.Errorf("%q: want %s %q, got %+v", tc.text, kind, tc.want, res.Findings)
		}
	}
}

// wantNone fails for each text that yields a finding of the kind ("" for any).
func wantNone(t *testing.T, kind anonymise.Kind, texts []string) {
	t.Helper()
	for _, text := range texts {
		for _, f := range anonymise.Anonymise(text).Findings {
			if kind == "" || f.Kind == kind {
				t.Errorf("%q: unexpected %s %q", text, f.Kind, f.Text)
			}
		}
	}
}

// TestNationalIDs: check digits or a keyword find identifiers of many countries; numbers that
// fail their check and have no keyword stay.
func TestNationalIDs(t *testing.T) {
	wantFound(t, anonymise.IDNumber, []wanted{
		{"his SSN, 219-09-9999, and", "219-09-9999"},                         // US, keyword and shape
		{"a form showed 078-05-1120 by mistake", "078-05-1120"},              // US, shape alone
		{"her PAN (ABKPV4721M) on the form", "ABKPV4721M"},                   // India PAN
		{"sheet showed 4991 1866 5246 today", "4991 1866 5246"},              // India Aadhaar (Verhoeff)
		{"the form said 1234567TW in pen", "1234567TW"},                      // Ireland PPSN (mod 23)
		{"intake form (111222333) lists it", "111222333"},                    // Netherlands BSN (eleven test)
		{"the sheet had 046 454 286 on it", "046 454 286"},                   // Canada SIN (Luhn)
		{"the invoice (TFN 123 456 782). Told", "123 456 782"},               // Australia TFN, keyword kept out
		{"card by mistake (2123 45670 1). Deleted", "2123 45670 1"},          // Australia Medicare
		{"old form: 529.982.247-25 from Brazil", "529.982.247-25"},           // Brazil CPF
		{"the honorarium: 65 929 970 489. Thanks", "65 929 970 489"},         // Germany Steuer-ID
		{"sécu 1 85 05 78 006 084 91 noted", "1 85 05 78 006 084 91"},        // France NIR (mod 97)
		{"referral (X1234567L). Next", "X1234567L"},                          // Spain NIE
		{"her DNI 12345678Z is", "12345678Z"},                                // Spain DNI
		{"NRIC S1234567D on file", "S1234567D"},                              // Singapore
		{"MyKad for the vendor (760412-10-5234); told", "760412-10-5234"},    // Malaysia
		{"agreement she signed (A012345678Z); asked", "A012345678Z"},         // Kenya KRA PIN
		{"consent form (GHA-712345678-9); asked", "GHA-712345678-9"},         // Ghana Card
		{"a formal complaint (ref. EC/2024/0871). Florence", "EC/2024/0871"}, // reference with slashes
		{"Her employee ID is on the benefits letter she shared: SBR-004417/N.", "SBR-004417/N"},
		{"Her warrant number was in a signature she forwarded (WM 4471). Mobile", "WM 4471"},
		{"her student number (s2145678) was on the form", "s2145678"},
		{"company no. 09876543 on the invoice", "09876543"},
	})
	wantNone(t, "", []string{
		"we met 12 times between 2019 and 2023; the budget was 10,000 and the score 123456789",
		"the project code is 1234567TA and version 2.3.4",
		"unit test averages went up from 38 to 61 this term",
		"she ran 111 222 334 metres in total",
	})
}

func TestPostcodesByCountry(t *testing.T) {
	wantFound(t, anonymise.Postcode, []wanted{
		{"Invoice to 22 Ballymun Road, Dublin 9, D09 X2R4.", "D09 X2R4"},                    // Eircode
		{"Mailing address 5 Northtown Way, Toronto, ON M2N 7A1. Next", "M2N 7A1"},           // Canada
		{"Invoice address: Am Gewerbepark 7, 83026 Rosenheim. Contact", "83026"},            // Germany
		{"Office: Rue du Bailli 41, 1050 Ixelles. Mobile", "1050"},                          // Belgium
		{"3rd Floor, Vasudha Towers, Hosur Road, Koramangala, Bengaluru 560095.", "560095"}, // India
		{"Invoice to 14 Lansdowne Road, Claremont, 7708.", "7708"},                          // South Africa
		{"School postcode for mail: 2146.", "2146"},                                         // by its word
		{"Digital address for the courier: GA-183-8164.", "GA-183-8164"},                    // Ghana
		{"Chicago, IL 60608, with", "60608"},                                                // US
	})
	wantNone(t, anonymise.Postcode, []string{"In 2019 Berlin hosted it.", "We had 4500 Euros left.", "Chapter 12045 words long"})
}

func TestAgesInContext(t *testing.T) {
	wantFound(t, anonymise.Age, []wanted{
		{"Afterwards she said she is 52 and tired.", "52"},
		{"Tomasz Wiśniewski, 44, 11 yrs on nights", "44"},
		{"a resident, Mrs Florence Adair (91), whose son", "91"},
		{"her father-in-law (76) has moved in", "76"},
		{"Raghav mentioned he's only 27 and feels old", "27"},
		{"Summer's 31 and the youngest ops manager.", "31"},
		{"since she was 19 and this place raised her", "19"},
		{"She is thirty-eight, a risk analyst", "thirty-eight"},
		{"and at 34 is the youngest member", "34"},
		{"Emre grew up in Izmir and moved here at 19.", "19"},
		{"She's in her mid-forties, married", "mid-forties"},
		{"Park Ji-won (박지원), 43, APAC director", "43"},
	})
	// The subject of an age is a person, even when the name is also a word.
	if res := anonymise.Anonymise("Faith is 39 and says she feels stuck."); !found(res, "Faith", anonymise.Person) {
		t.Errorf("Faith is 39: want Faith as a person, got %+v", res.Findings)
	}
	wantNone(t, anonymise.Age, []string{
		"The session is 45 minutes and the team is 12 people.",
		"Scores went from 3 to 7 out of 10; the meeting at 9 was short.",
		"Page 12 of the report, item 4.",
	})
}

func TestDatesWithoutYears(t *testing.T) {
	wantFound(t, anonymise.Date, []wanted{
		{"next session Tuesday 4th, 7.30am", "Tuesday 4th"},
		{"next: tues 6th.", "tues 6th"},
		{"a meeting with Folake before the 15th.", "the 15th"},
		{"she promised it by 14/2 and", "14/2"},
		{"her viva is provisionally 17.03 but", "17.03"},
		{"Two-day workshop on 14.11. and 15.11. at", "14.11."},
		{"The next three-way is on 12 maart.", "12 maart"},
		{"Next session 12 de mayo.", "12 de mayo"},
		{"in my review on 3/14/24 that", "3/14/24"},
		{"take it to the board retreat on 6/30.", "6/30"},
	})
	wantNone(t, anonymise.Date, []string{"It was the 3rd time this month.", "Scored 6/10 and 3/4 of the team agreed.", "A 24/7 service in the 21st century."})
}

func TestHandlesByPlatform(t *testing.T) {
	wantFound(t, anonymise.SocialHandle, []wanted{
		{"he prefers WeChat (ID: zhanghao_sea88) to Slack", "zhanghao_sea88"},
		{"add her on LINE (ID: sirinya.coach) because", "sirinya.coach"},
		{"my mentee's WeChat is lin_wei_1990 if anyone", "lin_wei_1990"},
	})
	if res := anonymise.Anonymise("DW messaged me on Telegram at midnight again."); found(res, "at", "") || found(res, "midnight", "") {
		t.Errorf("a plain word after a platform became a handle: %+v", res.Findings)
	}
}

// TestTheoristsAndForeignWordsStay: theorists, their concepts, loanwords and ordinary words that
// given-name lists hold survive; the same words as names do not.
func TestTheoristsAndForeignWordsStay(t *testing.T) {
	wantNone(t, "", []string{
		"We did a bit of radical candor framing (Kim Scott) and Karpman's Drama Triangle.",
		"Also Nancy Kline on not interrupting, and Schulz von Thun's square.",
		"I used Hawkins' Seven-Eyed Model and Gallwey's Self 1 and Self 2.",
		"Chalta hai is how she describes it. Eish, she said at the end. Tha mi sgìth.",
		"He feels like \"ein Gast am Familientisch\" and the Geschäftsleitung agrees.",
		"Mark my words, the sponsor will ask. Hope this lands. Will do!",
		"Grace, for myself, would be admitting it. Frank feedback is rare.",
		"My VP asked me on tuesday and thursday; my dad ran a small shop.",
		"Kline-ish, no interrupting. The Steuer-ID and the DoD ID were on the form.",
		"Client B told Coach T about it, and Person C agreed.",
	})
	wantFound(t, "", []wanted{
		{"Mark phoned last night wanting an update.", "Mark"},
		{"Faith, I tried your OSKAR suggestion.", "Faith"},
		{"Jack finally told his MD about it.", "Jack"},
		{"Dawn and I co-facilitated the day.", "Dawn"},
		{"Note: Guy from Northfield Rovers asked me.", "Guy"},
		{"She mentioned her partner Sage is back home.", "Sage"},
		{"Her mother writes her name as پریسا on cards.", "پریسا"},
		{"Sipho \"Bra Sips\" Dlamini was late.", "Bra Sips"},
		{"He works at Kestrel Freight plc. His manager", "Kestrel Freight plc"},
	})
}

// TestLexiconUpToDate: the committed lexicon table is what the committed word lists build.
// After editing a list: go generate ./casestudy/anonymise
func TestLexiconUpToDate(t *testing.T) {
	want, err := lextable.BuildFrom(os.DirFS("gazetteer"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("gazetteer/lexicon.bin")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("gazetteer/lexicon.bin is stale: run go generate ./casestudy/anonymise")
	}
	if !strings.Contains(string(got), "raghunathan") && !strings.Contains(string(got), "priya") {
		t.Fatal("the lexicon has no names")
	}
}
