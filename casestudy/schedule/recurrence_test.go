package schedule_test

import (
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy/schedule"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A weekly 18:30 in London keeps 18:30 in London across both of Europe's changes, and so moves
// by an hour in New York and in UTC on the weeks when only one side has changed.
func TestWeeklyKeepsWallClockAcrossDaylightSaving(t *testing.T) {
	london, newYork := mustZone(t, "Europe/London"), mustZone(t, "America/New_York")
	start, err := schedule.ParseLocal("2026-03-03T18:30", "Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	rule, err := schedule.Recurrence{Frequency: schedule.Weekly, Count: 40}.RRule(start)
	if err != nil {
		t.Fatal(err)
	}
	if rule != "FREQ=WEEKLY;INTERVAL=1;COUNT=40;BYDAY=TU" {
		t.Errorf("RRULE %q", rule)
	}
	got, err := schedule.Series{Start: start, RRule: rule}.Between(start, start.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 40 {
		t.Fatalf("%d occurrences", len(got))
	}
	utcHours := map[string]int{}
	for i, o := range got {
		if o.N != i+1 {
			t.Fatalf("occurrence %d numbered %d", i, o.N)
		}
		if l := o.Start.In(london); l.Hour() != 18 || l.Minute() != 30 || l.Weekday() != time.Tuesday {
			t.Errorf("occurrence %d at %s in London", o.N, l)
		}
		utcHours[o.Start.In(london).Format("2006-01-02")] = o.Start.UTC().Hour()
	}
	// Before 29 March London is on GMT (18:30 UTC); from then on BST (17:30 UTC); from 25 October GMT again.
	for day, want := range map[string]int{"2026-03-24": 18, "2026-03-31": 17, "2026-10-20": 17, "2026-10-27": 18} {
		if utcHours[day] != want {
			t.Errorf("%s: %d:30 UTC, want %d:30", day, utcHours[day], want)
		}
	}
	// New York changes on 8 March and 1 November: in the weeks between the two changes the
	// London meeting is at 14:30 there, otherwise 13:30.
	nyHour := func(day string) int {
		for _, o := range got {
			if o.Start.In(london).Format("2006-01-02") == day {
				return o.Start.In(newYork).Hour()
			}
		}
		t.Fatalf("no occurrence on %s", day)
		return 0
	}
	for day, want := range map[string]int{"2026-03-03": 13, "2026-03-10": 14, "2026-03-31": 13, "2026-10-27": 14, "2026-11-03": 13} {
		if h := nyHour(day); h != want {
			t.Errorf("%s: %d:30 in New York, want %d:30", day, h, want)
		}
	}
}

// The US changes in March and November keep a New York meeting at its hour too.
func TestEveryTwoWeeksInNewYork(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	start, _ := schedule.ParseLocal("2026-02-26T09:00", "America/New_York")
	rule, err := schedule.Recurrence{Frequency: schedule.Weekly, Interval: 2, Until: "2026-12-31"}.RRule(start)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := schedule.Series{Start: start, RRule: rule}.Between(start, start.AddDate(2, 0, 0))
	if len(got) != 23 {
		t.Fatalf("%d occurrences until the end of 2026, want 23", len(got))
	}
	for _, o := range got {
		if l := o.Start.In(ny); l.Hour() != 9 || l.Weekday() != time.Thursday {
			t.Errorf("%s", l)
		}
	}
	if last := got[len(got)-1].Start.In(ny).Format(time.DateOnly); last != "2026-12-31" {
		t.Errorf("last on %s", last)
	}
}

func TestMonthly(t *testing.T) {
	start, _ := schedule.ParseLocal("2026-01-13T19:00", "Europe/Berlin") // the second Tuesday
	rule, _ := schedule.Recurrence{Frequency: schedule.MonthlyWeekday, Count: 6}.RRule(start)
	got, _ := schedule.Series{Start: start, RRule: rule}.Between(start, start.AddDate(1, 0, 0))
	want := []string{"2026-01-13", "2026-02-10", "2026-03-10", "2026-04-14", "2026-05-12", "2026-06-09"}
	for i, o := range got {
		if d := o.Start.Format(time.DateOnly); i >= len(want) || d != want[i] || o.Start.Hour() != 19 {
			t.Errorf("occurrence %d: %s", i+1, o.Start)
		}
	}
	last, _ := schedule.ParseLocal("2026-01-27T19:00", "Europe/Berlin") // the last Tuesday
	rule, _ = schedule.Recurrence{Frequency: schedule.MonthlyWeekday, Count: 3}.RRule(last)
	got, _ = schedule.Series{Start: last, RRule: rule}.Between(last, last.AddDate(1, 0, 0))
	if len(got) != 3 || got[1].Start.Format(time.DateOnly) != "2026-02-24" || got[2].Start.Format(time.DateOnly) != "2026-03-31" {
		t.Errorf("last Tuesdays: %v", got)
	}
	byDate, _ := schedule.Recurrence{Frequency: schedule.MonthlyDate, Interval: 2, Count: 3}.RRule(start)
	got, _ = schedule.Series{Start: start, RRule: byDate}.Between(start, start.AddDate(1, 0, 0))
	if len(got) != 3 || got[2].Start.Format(time.DateOnly) != "2026-05-13" {
		t.Errorf("every other month on the 13th: %v", got)
	}
	if back := schedule.RecurrenceOf(byDate, start.Location()); back.Frequency != schedule.MonthlyDate || back.Interval != 2 || back.Count != 3 {
		t.Errorf("read back %+v", back)
	}
}

func TestNthAndWindows(t *testing.T) {
	start, _ := schedule.ParseLocal("2026-05-05T10:00", "Europe/Paris")
	rule, _ := schedule.Recurrence{Frequency: schedule.Weekly}.RRule(start)
	s := schedule.Series{Start: start, RRule: rule}
	third, ok := s.Nth(3)
	if !ok || third.Format(time.DateOnly) != "2026-05-19" {
		t.Fatalf("third: %s %v", third, ok)
	}
	window, _ := s.Between(third, third.Add(time.Hour))
	if len(window) != 1 || window[0].N != 3 {
		t.Fatalf("window: %v", window)
	}
	once := schedule.Series{Start: start}
	if _, ok := once.Nth(2); ok {
		t.Error("a single meeting has a second")
	}
	if got, _ := once.Between(start.Add(-time.Hour), start.Add(time.Hour)); len(got) != 1 {
		t.Error("a single meeting is not in its window")
	}
}

func TestBadInput(t *testing.T) {
	start, _ := schedule.ParseLocal("2026-01-31T10:00", "Europe/London")
	for name, r := range map[string]schedule.Recurrence{
		"unknown":          {Frequency: "daily"},
		"both ends":        {Frequency: schedule.Weekly, Count: 3, Until: "2026-06-01"},
		"end before start": {Frequency: schedule.Weekly, Until: "2025-12-01"},
		"too long":         {Frequency: schedule.Weekly, Until: "2035-01-01"},
		"31st monthly":     {Frequency: schedule.MonthlyDate},
		"interval":         {Frequency: schedule.Weekly, Interval: 13},
		"count":            {Frequency: schedule.Weekly, Count: 201},
		"bad date":         {Frequency: schedule.Weekly, Until: "1 June"},
	} {
		if _, err := r.RRule(start); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, bad := range [][2]string{{"2026-03-29T01:30", "Europe/London"}, {"2026-03-08T02:30", "America/New_York"},
		{"tomorrow", "Europe/London"}, {"2026-01-01T10:00", "Mars/Olympus"}, {"2026-01-01T10:00", ""}} {
		if _, err := schedule.ParseLocal(bad[0], bad[1]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
