// Package schedule holds the rules of when a community meets, without SQL: a series' recurrence
// as an RFC 5545 RRULE (teambition/rrule-go), expanded in the organiser's time zone so that a
// meeting keeps its wall-clock time across daylight-saving changes, and numbered occurrences.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/casecircle/casecircle/casestudy/errs"
)

// Ways a series repeats.
const (
	Once           = ""                // one meeting
	Weekly         = "weekly"          // every Interval weeks on the start's weekday
	MonthlyWeekday = "monthly_weekday" // every Interval months on the start's nth weekday ("second Tuesday"; the last one when it is the month's last)
	MonthlyDate    = "monthly_date"    // every Interval months on the start's day of the month
)

// Limits of a series.
const (
	MaxInterval    = 12
	MaxCount       = 200
	MaxSeriesYears = 5
	// MaxOccurrences bounds one expansion, whatever the window.
	MaxOccurrences = 1000
)

// Recurrence is how a series repeats, as a person chooses it.
type Recurrence struct {
	Frequency string `json:"frequency"`          // Once, Weekly, MonthlyWeekday, MonthlyDate
	Interval  int    `json:"interval,omitempty"` // 0 or 1: every week or month
	Until     string `json:"until,omitempty"`    // last date (YYYY-MM-DD) in the series' zone
	Count     int    `json:"count,omitempty"`    // or the number of meetings
}

// RRule turns a recurrence starting at start (in the series' zone) into an RRULE value without
// DTSTART ("" for one meeting), or explains what is wrong with it.
func (r Recurrence) RRule(start time.Time) (string, error) {
	if r.Frequency == Once {
		if r.Interval > 1 || r.Until != "" || r.Count != 0 {
			return "", errs.FieldErrorf("repeat.frequency", "Choose how the sessions repeat, or leave out the interval, end date and count.")
		}
		return "", nil
	}
	opt := rrule.ROption{Interval: max(r.Interval, 1)}
	if r.Interval < 0 || r.Interval > MaxInterval {
		return "", errs.FieldErrorf("repeat.interval", "Repeat every 1 to %d weeks or months.", MaxInterval)
	}
	// rrule-go numbers weekdays from Monday, Go from Sunday.
	weekday := []rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}[start.Weekday()]
	switch r.Frequency {
	case Weekly:
		opt.Freq, opt.Byweekday = rrule.WEEKLY, []rrule.Weekday{weekday}
	case MonthlyWeekday:
		nth := (start.Day()-1)/7 + 1
		if start.AddDate(0, 0, 7).Month() != start.Month() {
			nth = -1 // the month's last: the fifth Tuesday exists only in some months
		}
		opt.Freq, opt.Byweekday = rrule.MONTHLY, []rrule.Weekday{weekday.Nth(nth)}
	case MonthlyDate:
		if start.Day() > 28 {
			return "", errs.FieldErrorf("start", "A monthly date must be the 28th or earlier, so that every month has it; or repeat on a weekday.")
		}
		opt.Freq, opt.Bymonthday = rrule.MONTHLY, []int{start.Day()}
	default:
		return "", errs.FieldErrorf("repeat.frequency", "Repeat weekly, monthly on a weekday, or monthly on a date.")
	}
	switch {
	case r.Count != 0 && r.Until != "":
		return "", errs.FieldErrorf("repeat.count", "End the series by a date or by a number of sessions, not both.")
	case r.Count < 0 || r.Count > MaxCount:
		return "", errs.FieldErrorf("repeat.count", "A series has 1 to %d sessions.", MaxCount)
	case r.Count > 0:
		opt.Count = r.Count
	case r.Until != "":
		day, err := time.ParseInLocation(time.DateOnly, r.Until, start.Location())
		if err != nil {
			return "", errs.FieldErrorf("repeat.until", "Give the last date as YYYY-MM-DD.")
		}
		if day.Before(dateOf(start)) {
			return "", errs.FieldErrorf("repeat.until", "The series cannot end before it starts.")
		}
		if day.After(start.AddDate(MaxSeriesYears, 0, 0)) {
			return "", errs.FieldErrorf("repeat.until", "A series lasts at most %d years.", MaxSeriesYears)
		}
		opt.Until = day.AddDate(0, 0, 1).Add(-time.Second).UTC() // the end of that day, in UTC as RFC 5545 asks
	}
	return opt.RRuleString(), nil
}

func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// RecurrenceOf reads back what Recurrence.RRule wrote, for editing forms.
func RecurrenceOf(rule string, loc *time.Location) Recurrence {
	if rule == "" {
		return Recurrence{}
	}
	opt, err := rrule.StrToROptionInLocation(rule, loc)
	if err != nil {
		return Recurrence{}
	}
	r := Recurrence{Interval: opt.Interval, Count: opt.Count}
	if r.Interval == 1 {
		r.Interval = 0
	}
	switch {
	case opt.Freq == rrule.WEEKLY:
		r.Frequency = Weekly
	case opt.Freq == rrule.MONTHLY && len(opt.Bymonthday) > 0:
		r.Frequency = MonthlyDate
	default:
		r.Frequency = MonthlyWeekday
	}
	if !opt.Until.IsZero() {
		r.Until = opt.Until.In(loc).Format(time.DateOnly)
	}
	return r
}

// Series is what expansion needs of a scheduled session.
type Series struct {
	Start time.Time // the first meeting, in the series' zone
	RRule string    // "" for one meeting
}

// Numbered is one occurrence of a series: its number (from 1) and its start as the rule gives it.
type Numbered struct {
	N     int
	Start time.Time
}

// Between lists the occurrences that start in [from, to), numbered from the series' start, at
// most MaxOccurrences of them.
func (s Series) Between(from, to time.Time) ([]Numbered, error) {
	if s.RRule == "" {
		if !s.Start.Before(from) && s.Start.Before(to) {
			return []Numbered{{N: 1, Start: s.Start}}, nil
		}
		return nil, nil
	}
	rule, err := s.rule()
	if err != nil {
		return nil, err
	}
	var out []Numbered
	next := rule.Iterator()
	for n := 1; n <= MaxCount*60 && len(out) < MaxOccurrences; n++ { // weekly for five years is 260
		t, ok := next()
		if !ok || !t.Before(to) {
			break
		}
		if !t.Before(from) {
			out = append(out, Numbered{N: n, Start: t})
		}
	}
	return out, nil
}

// Nth is the start of occurrence n, or false when the series has no such occurrence.
func (s Series) Nth(n int) (time.Time, bool) {
	if n < 1 {
		return time.Time{}, false
	}
	if s.RRule == "" {
		return s.Start, n == 1
	}
	rule, err := s.rule()
	if err != nil {
		return time.Time{}, false
	}
	next := rule.Iterator()
	for i := 1; i <= n; i++ {
		t, ok := next()
		if !ok {
			return time.Time{}, false
		}
		if i == n {
			return t, true
		}
	}
	return time.Time{}, false
}

func (s Series) rule() (*rrule.RRule, error) {
	opt, err := rrule.StrToROptionInLocation(strings.TrimPrefix(s.RRule, "RRULE:"), s.Start.Location())
	if err != nil {
		return nil, fmt.Errorf("schedule: stored RRULE %q: %w", s.RRule, err)
	}
	opt.Dtstart = s.Start
	return rrule.NewRRule(*opt)
}

// ParseLocal reads a wall-clock start ("2026-12-01T18:30") in a named zone. A time that does not
// exist there (skipped by a daylight-saving change) is refused rather than guessed.
func ParseLocal(value, zone string) (time.Time, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || zone == "Local" || loc.String() != zone {
		return time.Time{}, errs.FieldErrorf("time_zone", "Choose a time zone by its name, such as Europe/London.")
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", value, loc)
	if err != nil {
		return time.Time{}, errs.FieldErrorf("start", "Give the start as a date and time, YYYY-MM-DDTHH:MM.")
	}
	if t.Format("2006-01-02T15:04") != value {
		return time.Time{}, errs.FieldErrorf("start", "That time does not exist in %s (the clocks change then): choose another.", zone)
	}
	return t, nil
}
