package casestudy

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/casestudy/anonymise"
)

// CaseKind is the kind of work a case is about.
type CaseKind string

// The kinds of case.
const (
	KindCoaching     CaseKind = "coaching"
	KindMentoring    CaseKind = "mentoring"
	KindTeamCoaching CaseKind = "team_coaching"
	KindSupervision  CaseKind = "supervision"
	KindOther        CaseKind = "other"
)

// CaseKinds lists the kinds in the order the composer offers them.
var CaseKinds = []CaseKind{KindCoaching, KindMentoring, KindTeamCoaching, KindSupervision, KindOther}

// CaseStatus is where a case is in its life: draft → published → (withdrawn | archived).
type CaseStatus string

// The statuses of a case.
const (
	StatusDraft     CaseStatus = "draft"     // visible to its author only
	StatusPublished CaseStatus = "published" // visible to every member of the community
	StatusWithdrawn CaseStatus = "withdrawn" // taken back by its author: visible to the author only
	StatusArchived  CaseStatus = "archived"  // read-only, kept for learning
)

// Limits on a case's fields, in characters.
const (
	MaxCaseTitle      = 200
	MaxCaseContext    = 6000
	MaxCaseIssue      = 10000
	MaxCaseReflection = 10000
	MaxCaseQuestion   = 2000
	MaxCaseTags       = 10
	MaxCaseTagLength  = 32
	MaxDecisions      = 500 // texts per decision list
	MaxDecisionText   = 300
	MaxCasePage       = 100
)

// CaseInput is what the author writes: raw text, which is never stored as such.
type CaseInput struct {
	Title           string   `json:"title"`
	Kind            CaseKind `json:"kind"`
	Context         string   `json:"context"`
	PresentingIssue string   `json:"presenting_issue"`
	Reflection      string   `json:"reflection"`
	Question        string   `json:"question"`
	Tags            []string `json:"tags"`
}

// Decisions are the author's answers to the anonymiser's findings, by the finding's text:
// accepted findings are replaced, dismissed ones ("not identifying") stay, and extra texts the
// anonymiser missed are replaced too.
type Decisions struct {
	Accept  []string `json:"accept"`
	Dismiss []string `json:"dismiss"`
	Extra   []string `json:"extra"`
}

// caseField is one free-text field, in the order the anonymiser reads them (so labels run in
// reading order: the first person named is "Client A").
type caseField struct {
	name string
	max  int
	get  func(*CaseInput) *string
}

var caseFields = []caseField{
	{"title", MaxCaseTitle, func(c *CaseInput) *string { return &c.Title }},
	{"context", MaxCaseContext, func(c *CaseInput) *string { return &c.Context }},
	{"presenting_issue", MaxCaseIssue, func(c *CaseInput) *string { return &c.PresentingIssue }},
	{"reflection", MaxCaseReflection, func(c *CaseInput) *string { return &c.Reflection }},
	{"question", MaxCaseQuestion, func(c *CaseInput) *string { return &c.Question }},
}

// FieldFinding is a finding of the anonymiser in one field. Its text goes back to the author
// only; it is never stored or logged.
type FieldFinding struct {
	Field string `json:"field"`
	anonymise.Finding
}

// FieldPreview is the anonymiser's result for one field.
type FieldPreview struct {
	Text     string              `json:"text"` // the normalised text the offsets refer to
	Redacted string              `json:"redacted"`
	Findings []anonymise.Finding `json:"findings"`
}

// CasePreview is what the composer shows before saving: every field redacted, with findings.
type CasePreview struct {
	Fields map[string]FieldPreview `json:"fields"`
	// EarlierVersionsHolding: when editing a published case, the versions (the current one, and
	// earlier ones) that hold an identifier this edit replaces or removes; the composer offers to
	// redact them in the same save.
	EarlierVersionsHolding []int `json:"earlier_versions_holding,omitempty"`
}

// Case is a case study as stored: anonymised text only.
type Case struct {
	ID              int64      `db:"id" json:"id"`
	CommunityID     int64      `db:"community_id" json:"community_id"`
	AuthorID        int64      `db:"author_id" json:"author_id"`
	AuthorName      string     `db:"author_name" json:"author_name"`
	Status          CaseStatus `db:"status" json:"status"`
	Title           string     `db:"title" json:"title"`
	Kind            CaseKind   `db:"kind" json:"kind"`
	Context         string     `db:"context" json:"context"`
	PresentingIssue string     `db:"presenting_issue" json:"presenting_issue"`
	Reflection      string     `db:"reflection" json:"reflection"`
	Question        string     `db:"question" json:"question"`
	Tags            tagList    `db:"tags" json:"tags"`
	Version         int        `db:"version" json:"version"`
	CreatedAt       time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at" json:"updated_at"`
	SortAt          time.Time  `db:"sort_at" json:"-"`
	AttestedAt      *time.Time `db:"attested_at" json:"attested_at,omitempty"`
	PublishedAt     *time.Time `db:"published_at" json:"published_at,omitempty"`
	WithdrawnAt     *time.Time `db:"withdrawn_at" json:"withdrawn_at,omitempty"`
}

// CaseRevision is an earlier version of an edited case.
type CaseRevision struct {
	Version      int       `db:"version" json:"version"`
	EditedByName *string   `db:"edited_by_name" json:"edited_by_name"`
	EditedAt     time.Time `db:"edited_at" json:"edited_at"`
	Title        string    `db:"title" json:"title"`
	Kind         CaseKind  `db:"kind" json:"kind"`
	Context      string    `db:"context" json:"context"`
	Issue        string    `db:"presenting_issue" json:"presenting_issue"`
	Reflection   string    `db:"reflection" json:"reflection"`
	Question     string    `db:"question" json:"question"`
	Tags         tagList   `db:"tags" json:"tags"`
	// A redacted version keeps only its number, dates and who redacted it.
	RedactedAt     *time.Time `db:"redacted_at" json:"redacted_at,omitempty"`
	RedactedByName *string    `db:"redacted_by_name" json:"redacted_by_name,omitempty"`
}

// CaseFilter selects cases in a community's list.
type CaseFilter struct {
	Kind     CaseKind
	Tag      string
	AuthorID int64
	Cursor   string // from CasePage.NextCursor; empty for the first page
	Limit    int
}

// CasePage is one page of a case list, newest first.
type CasePage struct {
	Cases      []Case `json:"cases"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// SaveAction says what saving a case does besides storing it.
type SaveAction string

// The save actions.
const (
	SaveDraft   SaveAction = "save"    // keep (or, for a published case, update) as it is
	SavePublish SaveAction = "publish" // publish a draft (needs the attestation)
)

// SaveCase is a request to store a case: the raw text, the author's decisions on findings, the
// action, and the attestation needed to publish.
type SaveCase struct {
	Input     CaseInput
	Decisions Decisions
	Action    SaveAction
	Attest    bool
	// RedactEarlier: redact every earlier version that still holds a text replaced in this save.
	RedactEarlier bool
}

// AttestationText is what an author confirms when publishing.
const AttestationText = "This case is anonymised, and sharing it in supervision is within the confidentiality agreed with my client."

// validate checks the fields' lengths and characters, normalises the tags, and for publishing
// requires what a published case must have.
func (in CaseInput) validate(publishing bool) (CaseInput, error) {
	for _, f := range caseFields {
		p := f.get(&in)
		*p = strings.TrimSpace(anonymise.Normalise(*p))
		if n := utf8.RuneCountInString(*p); n > f.max {
			return in, FieldErrorf(f.name, "Use at most %d characters (this has %d).", f.max, n)
		}
		if strings.ContainsFunc(*p, isControlButNewline) {
			return in, FieldErrorf(f.name, "Use letters, digits, spaces, punctuation and line breaks only.")
		}
	}
	if strings.ContainsRune(in.Title, '\n') {
		return in, FieldErrorf("title", "Keep the title on one line.")
	}
	if in.Title == "" {
		return in, FieldErrorf("title", "Give the case a title.")
	}
	if in.Kind == "" {
		in.Kind = KindCoaching
	}
	if !slices.Contains(CaseKinds, in.Kind) {
		return in, FieldErrorf("kind", "Choose one of: coaching, mentoring, team_coaching, supervision, other.")
	}
	if publishing && in.Question == "" {
		return in, FieldErrorf("question", "Say what you would like from the group: the question is required.")
	}
	tags, err := normaliseTags(in.Tags)
	if err != nil {
		return in, err
	}
	in.Tags = tags
	return in, nil
}

func isControlButNewline(r rune) bool {
	return r != '\n' && r != '\t' && unicode.IsControl(r)
}

// normaliseTags lower-cases, trims and de-duplicates tags: "Imposter Syndrome " and
// "imposter-syndrome" are the same tag.
func normaliseTags(in []string) ([]string, error) {
	out := []string{}
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(anonymise.Normalise(t)))
		t = strings.Join(strings.FieldsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || r == '_' }), "-")
		t = strings.Trim(t, "-")
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > MaxCaseTagLength {
			return nil, FieldErrorf("tags", "Keep each tag to %d characters.", MaxCaseTagLength)
		}
		if strings.ContainsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' }) {
			return nil, FieldErrorf("tags", "Use letters, digits and hyphens in tags.")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxCaseTags {
		return nil, FieldErrorf("tags", "Use at most %d tags.", MaxCaseTags)
	}
	return out, nil
}

func (d Decisions) validate() error {
	for name, list := range map[string][]string{"accept": d.Accept, "dismiss": d.Dismiss, "extra": d.Extra} {
		if len(list) > MaxDecisions {
			return FieldErrorf("decisions."+name, "Too many decisions (at most %d).", MaxDecisions)
		}
		for _, t := range list {
			if t == "" || utf8.RuneCountInString(t) > MaxDecisionText {
				return FieldErrorf("decisions."+name, "Each text must have 1 to %d characters.", MaxDecisionText)
			}
			if strings.ContainsFunc(t, isControlButNewline) {
				return FieldErrorf("decisions."+name, "Use letters, digits, spaces, punctuation and line breaks only.")
			}
		}
	}
	return nil
}

// AnonymiseCase shows the author what would be replaced, without storing anything. For a case
// being edited (caseID not 0, the author's own), the case's label book is read: people keep their
// labels and texts kept before are marked so.
func (s Cases) AnonymiseCase(ctx context.Context, userID, communityID, caseID int64, in CaseInput) (CasePreview, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return CasePreview{}, err
	}
	in, err := in.validate(false)
	if err != nil {
		return CasePreview{}, err
	}
	var c Case
	if caseID != 0 {
		if c, err = visibleCase(ctx, s.db, userID, communityID, caseID); err != nil {
			return CasePreview{}, err
		}
		if c.AuthorID != userID {
			return CasePreview{}, notFoundCase()
		}
	}
	book := s.newBook()
	if caseID != 0 {
		if book, err = s.loadBook(ctx, s.db, caseID); err != nil {
			return CasePreview{}, err
		}
	}
	results, _ := previewTexts(book, in.fields(), in.Tags)
	out := casePreview(results)
	if c.Status == StatusPublished {
		var replaced []string
		for _, r := range results {
			for _, f := range r.Findings {
				if !f.Kept {
					replaced = append(replaced, f.Text)
				}
			}
		}
		revs, err := listRevisions(ctx, s.db, caseID)
		if err != nil {
			return CasePreview{}, err
		}
		out.EarlierVersionsHolding = redactableVersions(book, append([]CaseRevision{currentAsRevision(c)}, revs...), in.fields(), replaced)
	}
	return out, nil
}

func casePreview(results map[string]anonymise.Result) CasePreview {
	out := CasePreview{Fields: map[string]FieldPreview{}}
	for name, r := range results {
		findings := r.Findings
		if findings == nil {
			findings = []anonymise.Finding{}
		}
		out.Fields[name] = FieldPreview{Text: r.Normalised, Redacted: r.Redacted, Findings: findings}
	}
	return out
}

// OpenFindingsError is the 422 of a save with findings the author has neither accepted nor
// dismissed; it lists them so the composer can show them.
type OpenFindingsError struct {
	Findings []FieldFinding
}

// fields are the case's free texts in the anonymiser's reading order.
func (in CaseInput) fields() []textField {
	out := make([]textField, 0, len(caseFields))
	for _, f := range caseFields {
		out = append(out, textField{name: f.name, text: *f.get(&in)})
	}
	return out
}

// withDecided returns the case with the decided texts and tags.
func (in CaseInput) withDecided(d decided) CaseInput {
	out := in
	for _, f := range caseFields {
		*f.get(&out) = d.texts[f.name]
	}
	out.Tags = d.tags
	if strings.TrimSpace(out.Title) == "" {
		out.Title = "Untitled case"
	}
	return out
}

// CreateCase stores a new case, as a draft or published at once.
func (s Cases) CreateCase(ctx context.Context, userID, communityID int64, req SaveCase) (Case, error) {
	publishing := req.Action == SavePublish
	if req.Action != SaveDraft && !publishing {
		return Case{}, FieldErrorf("action", "Use \"save\" or \"publish\".")
	}
	in, err := req.Input.validate(publishing)
	if err != nil {
		return Case{}, err
	}
	if publishing && !req.Attest {
		return Case{}, FieldErrorf("attest", "Confirm the case is anonymised and that sharing it is within your client agreement.")
	}
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return Case{}, err
	}
	dec, err := decideTexts(s.newBook(), in.fields(), in.Tags, req.Decisions)
	if err != nil {
		return Case{}, err
	}
	stored := in.withDecided(dec)
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		if id, err = insertCase(ctx, tx, communityID, userID, stored, publishing, now); err != nil {
			return err
		}
		if err := saveBook(ctx, tx, id, dec.records, now); err != nil {
			return err
		}
		if publishing {
			return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.published", TargetType: "case", TargetID: &id})
		}
		return nil
	})
	s.books.forget(id) // after the commit: a book read before it must not stay cached
	if err != nil {
		return Case{}, err
	}
	return s.GetCase(ctx, userID, communityID, id)
}

// UpdateCase re-anonymises and stores the author's new text. Editing a published case keeps
// the previous version in its history; publishing a draft needs the attestation.
func (s Cases) UpdateCase(ctx context.Context, userID, communityID, caseID int64, req SaveCase) (Case, error) {
	if req.Action != SaveDraft && req.Action != SavePublish {
		return Case{}, FieldErrorf("action", "Use \"save\" or \"publish\".")
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		current, err := authorsCaseForUpdate(ctx, tx, userID, communityID, caseID, "edit")
		if err != nil {
			return err
		}
		switch current.Status {
		case StatusArchived:
			return Errorf(ECONFLICT, "This case is archived and can no longer be edited.")
		case StatusWithdrawn:
			return Errorf(ECONFLICT, "This case was withdrawn; start a new case instead.")
		}
		publishing := req.Action == SavePublish && current.Status == StatusDraft
		in, err := req.Input.validate(publishing || current.Status == StatusPublished)
		if err != nil {
			return err
		}
		if publishing && !req.Attest {
			return FieldErrorf("attest", "Confirm the case is anonymised and that sharing it is within your client agreement.")
		}
		dec, err := s.decideInTx(ctx, tx, caseID, in.fields(), in.Tags, req.Decisions)
		if err != nil {
			return err
		}
		stored := in.withDecided(dec)
		now := s.now()
		if current.Status == StatusPublished {
			if err := insertRevision(ctx, tx, current, userID, now); err != nil {
				return err
			}
		}
		if err := updateCase(ctx, tx, caseID, stored, publishing, now); err != nil {
			return err
		}
		if req.RedactEarlier {
			// What the author replaced or removed now may still stand in earlier versions.
			book, err := s.loadBook(ctx, tx, caseID)
			if err != nil {
				return err
			}
			revs, err := listRevisions(ctx, tx, caseID)
			if err != nil {
				return err
			}
			for _, v := range redactableVersions(book, revs, in.fields(), dec.replaced) {
				if err := redactCaseRevision(ctx, tx, userID, communityID, caseID, v, now); err != nil {
					return err
				}
			}
		}
		switch {
		case publishing:
			return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.published", TargetType: "case", TargetID: &caseID})
		case current.Status == StatusPublished:
			return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.edited", TargetType: "case", TargetID: &caseID,
				Detail: detailJSON(map[string]int{"version": current.Version + 1})})
		}
		return nil
	})
	s.books.forget(caseID) // after the commit: a book read before it must not stay cached
	if err != nil {
		return Case{}, err
	}
	return s.GetCase(ctx, userID, communityID, caseID)
}

// WithdrawCase takes a published case back, for good: only its author sees its text afterwards;
// its room, discussion and session records are closed to everyone, facilitators included (the
// author has withdrawn consent to share it), and stay stored until the community's retention
// policy or the author's account deletion removes them. A live session running on it ends
// first, its record kept. The audit log keeps that it was withdrawn, and by whom.
func (s Cases) WithdrawCase(ctx context.Context, userID, communityID, caseID int64) (Case, error) {
	var ended RoomEvent
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		current, err := authorsCaseForUpdate(ctx, tx, userID, communityID, caseID, "withdraw")
		if err != nil {
			return err
		}
		if current.Status != StatusPublished {
			return Errorf(ECONFLICT, "Only a published case can be withdrawn.")
		}
		// A live session on it ends now, its record kept: nobody could end it afterwards.
		switch view, err := liveSessionForUpdate(ctx, tx, caseID); {
		case err == nil:
			if ended, err = endSession(ctx, tx, s.node, view, userID, communityID, "withdrawn", s.now().UTC()); err != nil {
				return err
			}
		case ErrorCode(err) != ENOTFOUND:
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'withdrawn', withdrawn_at = $2, updated_at = $2 WHERE id = $1`, caseID, s.now()); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &communityID, Action: "case.withdrawn", TargetType: "case", TargetID: &caseID})
	})
	if err != nil {
		return Case{}, err
	}
	if ended.Seq != 0 {
		s.events.RoomEventCommitted(ended)
	}
	return s.GetCase(ctx, userID, communityID, caseID)
}

// authorsCaseForUpdate locks a case the user wrote. Someone else's published case is forbidden
// to them; someone else's draft or withdrawn case does not exist for them.
func authorsCaseForUpdate(ctx context.Context, tx *sqlx.Tx, userID, communityID, caseID int64, verb string) (Case, error) {
	if _, err := requireRole(ctx, tx, userID, communityID); err != nil {
		return Case{}, err
	}
	current, err := caseForUpdate(ctx, tx, communityID, caseID)
	if err != nil {
		return Case{}, err
	}
	if current.AuthorID != userID {
		if current.Status == StatusPublished {
			return Case{}, Errorf(EFORBIDDEN, "Only the author can %s a case.", verb)
		}
		return Case{}, notFoundCase()
	}
	return current, nil
}

// GetCase returns a case the user may see: a published one, or one of their own.
func (s Cases) GetCase(ctx context.Context, userID, communityID, caseID int64) (Case, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return Case{}, err
	}
	return visibleCase(ctx, s.db, userID, communityID, caseID)
}

// ListCaseRevisions returns the earlier versions of a case the user may see, newest first: to its
// author and the facilitators, and to other members when the community's policy allows it.
func (s Cases) ListCaseRevisions(ctx context.Context, userID, communityID, caseID int64) ([]CaseRevision, error) {
	c, err := s.GetCase(ctx, userID, communityID, caseID)
	if err != nil {
		return nil, err
	}
	if ok, err := mayReadHistory(ctx, s.db, userID, communityID, c); err != nil || !ok {
		if err == nil {
			err = Errorf(EFORBIDDEN, "In this community, earlier versions of a case are for its author and the facilitators.")
		}
		return nil, err
	}
	return listRevisions(ctx, s.db, caseID)
}

// ListCases returns the cases of a community the user may see, newest first, one page at a time.
func (s Cases) ListCases(ctx context.Context, userID, communityID int64, f CaseFilter) (CasePage, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return CasePage{}, err
	}
	if f.Kind != "" && !slices.Contains(CaseKinds, f.Kind) {
		return CasePage{}, FieldErrorf("kind", "Choose one of: coaching, mentoring, team_coaching, supervision, other.")
	}
	if f.Tag != "" {
		tags, err := normaliseTags([]string{f.Tag})
		if err != nil || len(tags) != 1 {
			return CasePage{}, FieldErrorf("tag", "Not a valid tag.")
		}
		f.Tag = tags[0]
	}
	if f.Limit <= 0 || f.Limit > MaxCasePage {
		f.Limit = 20
	}
	var after *caseCursor
	if f.Cursor != "" {
		c, err := parseCaseCursor(f.Cursor)
		if err != nil {
			return CasePage{}, err
		}
		after = &c
	}
	cases, err := listCases(ctx, s.db, userID, communityID, f, after)
	if err != nil {
		return CasePage{}, err
	}
	page := CasePage{Cases: cases}
	if len(cases) > f.Limit {
		page.Cases = cases[:f.Limit]
		last := page.Cases[f.Limit-1]
		page.NextCursor = caseCursor{At: last.SortAt, ID: last.ID}.String()
	}
	return page, nil
}

// caseCursor is the position after which the next page starts: the (sort_at, id) of the last
// case shown. It is opaque to clients.
type caseCursor struct {
	At time.Time
	ID int64
}

func (c caseCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

func parseCaseCursor(s string) (caseCursor, error) {
	bad := FieldErrorf("cursor", "This page cursor is not valid; start from the first page.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return caseCursor{}, bad
	}
	at, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return caseCursor{}, bad
	}
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	// Within years PostgreSQL and Go agree on: an extreme value is not ours either.
	if err1 != nil || err2 != nil || n <= 0 || micros < 0 || micros > 253402300799999999 /* 9999-12-31 */ {
		return caseCursor{}, bad
	}
	return caseCursor{At: time.UnixMicro(micros).UTC(), ID: n}, nil
}

func notFoundCase() error { return Errorf(ENOTFOUND, "No such case.") }
