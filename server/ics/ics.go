// Package ics writes casecircle's meetings as iCalendar (RFC 5545) with arran4/golang-ical: the
// calendar feed (METHOD:PUBLISH) and the invitations, changes and cancellations attached to
// mail (METHOD:REQUEST / CANCEL, RFC 5546).
//
// Every meeting is its own VEVENT in UTC, expanded by the server in the organiser's zone: its UID
// names the series and the meeting's number, so it never changes; SEQUENCE grows with every
// change of the series or of the meeting, so calendar apps update the event rather than add a
// second one; and no VTIMEZONE is needed for the times to be right in any reader's zone.
// Meetings carry titles, names of people and links, never case text.
package ics

import (
	"fmt"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/casecircle/casecircle/casestudy"
)

// Methods (RFC 5546).
const (
	Publish = "PUBLISH"
	Request = "REQUEST"
	Cancel  = "CANCEL"
)

// Calendar describes what is written around the meetings.
type Calendar struct {
	Method    string
	Name      string    // X-WR-CALNAME of a feed
	Host      string    // the server's host name, for UIDs
	Organizer string    // the From address of mail, for REQUEST and CANCEL
	BaseURL   string    // where the meetings' pages are
	Now       time.Time // DTSTAMP
}

// UID is a meeting's stable identifier.
func UID(o casestudy.Occurrence, host string) string {
	return fmt.Sprintf("casecircle-schedule-%d-%d@%s", o.ScheduleID, o.N, host)
}

// Write serialises meetings; with Cancel every meeting is written as cancelled.
func (c Calendar) Write(meetings []casestudy.Occurrence) []byte {
	cal := ical.NewCalendarFor("casecircle")
	cal.SetMethod(ical.Method(c.Method))
	if c.Name != "" {
		cal.SetXWRCalName(c.Name)
		cal.SetRefreshInterval("PT1H")
		cal.SetXPublishedTTL("PT1H")
	}
	for _, o := range meetings {
		ev := cal.AddEvent(UID(o, c.Host))
		ev.SetDtStampTime(c.Now.UTC())
		ev.SetSequence(o.Sequence)
		ev.SetStartAt(o.Start.UTC())
		ev.SetEndAt(o.End.UTC())
		ev.SetSummary(fmt.Sprintf("%s (%s)", o.Title, o.CommunityName))
		url := fmt.Sprintf("%s/communities/%d/calendar#meeting-%d-%d", c.BaseURL, o.CommunityID, o.ScheduleID, o.N)
		ev.SetURL(url)
		desc := o.TemplateName
		if o.SupervisorName != "" {
			desc += " with " + o.SupervisorName
		}
		ev.SetDescription(desc + ".\n" + url)
		if c.Organizer != "" && c.Method != Publish {
			ev.SetOrganizer("mailto:" + c.Organizer)
		}
		if o.Cancelled || c.Method == Cancel {
			ev.SetStatus(ical.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ical.ObjectStatusConfirmed)
		}
	}
	return []byte(cal.Serialize())
}
