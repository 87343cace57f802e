package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// One parser per filter, shared by the API and the pages that show the same lists, so that a
// query string means the same on both and is refused with the same error.

// dateRange reads ?from=&to= as dates (YYYY-MM-DD); to is returned as the start of the next
// day, so that the range takes in the whole last day. Either may be absent (zero).
func dateRange(c echo.Context) (from, to time.Time, err error) {
	parse := func(name string) (time.Time, error) {
		v := c.QueryParam(name)
		if v == "" {
			return time.Time{}, nil
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return d, casestudy.FieldErrorf(name, "Use a date like 2026-11-24.")
		}
		return d, nil
	}
	if from, err = parse("from"); err != nil {
		return from, to, err
	}
	if to, err = parse("to"); err != nil || to.IsZero() {
		return from, to, err
	}
	return from, to.AddDate(0, 0, 1), nil
}

// archiveFilter reads ?kind=&tag=&template=&from=&to=&limit= (limit 1 to 200, defaultLimit
// when absent).
func archiveFilter(c echo.Context, defaultLimit int64) (casestudy.ArchiveFilter, error) {
	f := casestudy.ArchiveFilter{Kind: casestudy.CaseKind(c.QueryParam("kind")), Tag: c.QueryParam("tag"), Template: c.QueryParam("template")}
	var err error
	if f.From, f.To, err = dateRange(c); err != nil {
		return f, err
	}
	limit, err := int64Query(c, "limit", defaultLimit, 1)
	if err != nil || limit > 200 {
		return f, casestudy.FieldErrorf("limit", "Use a limit from 1 to 200.")
	}
	f.Limit = int(limit)
	return f, nil
}

// auditFilter reads the audit log's filter from the query string.
func auditFilter(c echo.Context) (casestudy.AuditFilter, error) {
	f := casestudy.AuditFilter{Action: c.QueryParam("action")}
	var err error
	if f.ActorID, err = int64Query(c, "actor", 0, 0); err != nil {
		return f, err
	}
	if f.Before, err = int64Query(c, "before", 0, 0); err != nil {
		return f, err
	}
	limit, err := int64Query(c, "limit", casestudy.MaxAuditPage, 1)
	if err != nil || limit > casestudy.MaxAuditPage {
		return f, casestudy.FieldErrorf("limit", "Use a limit from 1 to %d.", casestudy.MaxAuditPage)
	}
	f.Limit = int(limit)
	f.From, f.To, err = dateRange(c)
	return f, err
}

// searchQuery reads a search from query parameters: q, community, kind, tag, archived
// (true|false), from, to (YYYY-MM-DD), cursor, limit.
func searchQuery(c echo.Context) (casestudy.SearchQuery, error) {
	q := casestudy.SearchQuery{Text: c.QueryParam("q"), Kind: casestudy.CaseKind(c.QueryParam("kind")), Tag: c.QueryParam("tag"), Cursor: c.QueryParam("cursor")}
	var err error
	if q.CommunityID, err = int64Query(c, "community", 0, 1); err != nil {
		return q, err
	}
	if v := c.QueryParam("archived"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return q, casestudy.FieldErrorf("archived", "Use true or false.")
		}
		q.Archived = &b
	}
	if q.From, q.To, err = dateRange(c); err != nil {
		return q, err
	}
	limit, err := int64Query(c, "limit", 20, 1)
	if err != nil || limit > 50 {
		return q, casestudy.FieldErrorf("limit", "Use a limit from 1 to 50.")
	}
	q.Limit = int(limit)
	return q, nil
}

// caseFilterFrom reads ?kind=&tag=&author=&cursor=&limit= .
func caseFilterFrom(c echo.Context) (casestudy.CaseFilter, error) {
	f := casestudy.CaseFilter{Kind: casestudy.CaseKind(c.QueryParam("kind")), Tag: c.QueryParam("tag"), Cursor: c.QueryParam("cursor")}
	if a := c.QueryParam("author"); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return f, casestudy.FieldErrorf("author", "Not a valid author id.")
		}
		f.AuthorID = id
	}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > casestudy.MaxCasePage {
			return f, casestudy.FieldErrorf("limit", "Use a limit from 1 to %d.", casestudy.MaxCasePage)
		}
		f.Limit = n
	}
	return f, nil
}
