package server_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
)

// TestExportAPI: an archived case exports as Markdown, printable HTML and JSON, and the
// community as a ZIP; facilitators only; every export is audited.
func TestExportAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s) // ann is the facilitator, ben a member
	room := fmt.Sprintf("%s/%d", f.base, f.room)
	top := f.post(f.member, "m1", "What did the **sponsor** want?")
	f.member.mustStatus(f.member.call("POST", room+"/messages", map[string]any{"client_id": "m2", "body": "A reply in the thread", "parent_id": top.Message.ID}), 200)
	export := room + "/export"

	f.author.mustStatus(f.author.call("GET", export, nil), 409) // not archived yet
	f.author.mustStatus(f.author.call("POST", room+"/archive", map[string]any{
		"themes": []string{"sponsors"}, "learning_points": "Contract with everyone who pays.", "actions": "", "kept_sessions": []int64{}}), 200)

	md := f.author.mustStatus(f.author.call("GET", export+"?format=markdown", nil), 200)
	if ct := md.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") || !strings.Contains(md.header.Get("Content-Disposition"), `attachment; filename="case-`) {
		t.Fatalf("markdown headers %v", md.header)
	}
	for _, want := range []string{"Contract with everyone who pays.", "What did the **sponsor** want?", "> A reply in the thread", "**ben**"} {
		if !bytes.Contains(md.body, []byte(want)) {
			t.Errorf("markdown lacks %q:\n%s", want, md.body)
		}
	}

	page := f.author.mustStatus(f.author.call("GET", export+"?format=html", nil), 200)
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || page.header.Get("Content-Disposition") != "" {
		t.Errorf("printable page headers: %v", page.header)
	}
	for _, want := range []string{"@media print", "<strong>sponsor</strong>", "Contract with everyone who pays.", "A reply in the thread"} {
		if !bytes.Contains(page.body, []byte(want)) {
			t.Errorf("printable page lacks %q", want)
		}
	}
	f.author.mustStatus(f.author.call("GET", export+"?format=json", nil), 200)
	if e := f.author.mustStatus(f.author.call("GET", export+"?format=pdf", nil), 422).err(t); e.Error.Field != "format" {
		t.Errorf("bad format: %+v", e)
	}
	f.member.mustStatus(f.member.call("GET", export, nil), 403)
	outsider := s.newClient(t).signUp("oz")
	outsider.mustStatus(outsider.call("GET", export, nil), 404)

	// Numbered names, then the whole community as a ZIP.
	policy := fmt.Sprintf("/api/v1/communities/%d/policy", f.cid)
	f.member.mustStatus(f.member.call("PUT", policy, map[string]any{"export_names": "numbered", "leaver_content": "keep"}), 403)
	if e := f.author.mustStatus(f.author.call("PUT", policy, map[string]any{"export_names": "numbered", "leaver_content": "keep", "retain_messages_days": "soon"}), 422).err(t); e.Error.Field != "retain_messages_days" {
		t.Errorf("bad days: %+v", e)
	}
	f.author.mustStatus(f.author.call("PUT", policy, map[string]any{"export_names": "numbered", "leaver_content": "keep", "retain_messages_days": "", "retain_drafts_days": "120"}), 200)
	var got struct{ Policy casestudy.Policy }
	f.member.mustStatus(f.member.call("GET", policy, nil), 200).decode(t, &got)
	if got.Policy.ExportNames != "numbered" || got.Policy.RetainMessagesDays != nil || got.Policy.RetainDraftsDays == nil || *got.Policy.RetainDraftsDays != 120 {
		t.Fatalf("policy %+v", got.Policy)
	}
	publishCase(t, f.member, f.cid)
	z := f.author.mustStatus(f.author.call("GET", fmt.Sprintf("/api/v1/communities/%d/export", f.cid), nil), 200)
	zr, err := zip.NewReader(bytes.NewReader(z.body), int64(len(z.body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, file := range zr.File {
		names = append(names, file.Name)
		rc, _ := file.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(body), "ben") || strings.Contains(string(body), "ann") {
			t.Errorf("%s names people although the policy says numbered", file.Name)
		}
	}
	if len(names) != 3 || names[0] != "community.json" || !strings.HasPrefix(names[1], "cases/case-") {
		t.Fatalf("zip holds %v", names)
	}
	f.member.mustStatus(f.member.call("GET", fmt.Sprintf("/api/v1/communities/%d/export", f.cid), nil), 403)

	// Audit: three case exports and one community export, filtered by action and by actor.
	audit := fmt.Sprintf("/api/v1/communities/%d/audit", f.cid)
	var log struct{ Entries []casestudy.AuditEntry }
	f.author.mustStatus(f.author.call("GET", audit+"?action=case.exported", nil), 200).decode(t, &log)
	if len(log.Entries) != 3 {
		t.Errorf("%d case.exported entries, want 3", len(log.Entries))
	}
	f.author.mustStatus(f.author.call("GET", audit+"?action=community.", nil), 200).decode(t, &log)
	if len(log.Entries) != 2 { // community.created and community.exported
		t.Errorf("community.* entries: %+v", log.Entries)
	}
	f.author.mustStatus(f.author.call("GET", fmt.Sprintf("%s?actor=%d&action=policy.changed", audit, f.member.id), nil), 200).decode(t, &log)
	if len(log.Entries) != 0 {
		t.Errorf("the member changed no policy: %+v", log.Entries)
	}
	f.author.mustStatus(f.author.call("GET", audit+"?from=last-week", nil), 422)
	f.member.mustStatus(f.member.call("GET", audit, nil), 403)
}

// TestCaseViewsAudited: the first view of a case in each session is audited, later ones not.
func TestCaseViewsAudited(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	get := fmt.Sprintf("%s/%d", f.base, f.room)
	for range 3 {
		f.member.mustStatus(f.member.call("GET", get, nil), 200)
	}
	f.member.mustStatus(f.member.raw("GET", fmt.Sprintf("/communities/%d/cases/%d", f.cid, f.room), "", nil, nil), 200)
	// A new session views it afresh.
	f.member.mustStatus(f.member.call("POST", "/api/v1/auth/signout", nil), 204)
	f.member.mustStatus(f.member.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ben@example.org", "password": testPassword}), 200)
	f.member.mustStatus(f.member.call("GET", get, nil), 200)

	var log struct{ Entries []casestudy.AuditEntry }
	f.author.mustStatus(f.author.call("GET", fmt.Sprintf("/api/v1/communities/%d/audit?action=case.viewed&actor=%d", f.cid, f.member.id), nil), 200).decode(t, &log)
	if len(log.Entries) != 2 || *log.Entries[0].TargetID != f.room || string(log.Entries[0].Detail) != "{}" {
		t.Fatalf("case.viewed entries: %+v", log.Entries)
	}
}

// TestAccountDeletionAPI: download the data, then delete the account with the password.
func TestAccountDeletionAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	f.post(f.member, "m1", "My one message")
	ws := f.member.dialWS(s.URL)
	ws.subscribe(f.room, 0)

	data := f.member.mustStatus(f.member.call("GET", "/api/v1/me/data", nil), 200)
	var d casestudy.AccountData
	data.decode(t, &d)
	if d.Account.Email != "ben@example.org" || len(d.Messages) != 1 || !strings.Contains(data.header.Get("Content-Disposition"), "casecircle-my-data-") {
		t.Fatalf("data %+v %v", d, data.header)
	}
	if e := f.member.mustStatus(f.member.call("DELETE", "/api/v1/me", map[string]string{"password": "wrong wrong wrong"}), 422).err(t); e.Error.Field != "password" {
		t.Fatalf("wrong password: %+v", e)
	}
	f.member.mustStatus(f.member.call("DELETE", "/api/v1/me", map[string]string{}), 422)
	f.member.mustStatus(f.member.call("DELETE", "/api/v1/me", map[string]string{"password": testPassword}), 204)
	if code := ws.closeCode(2e9); code != 4001 {
		t.Errorf("the socket closed with %d, want 4001", code)
	}
	f.member.mustStatus(f.member.call("GET", "/api/v1/me", nil), 401)
	f.member.mustStatus(f.member.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ben@example.org", "password": testPassword}), 401)

	var snap struct{ Threads []casestudy.Thread }
	f.author.mustStatus(f.author.call("GET", f.base+fmt.Sprintf("/%d/messages", f.room), nil), 200).decode(t, &snap)
	if len(snap.Threads) != 1 || *snap.Threads[0].AuthorName != casestudy.FormerMember || snap.Threads[0].Body != "My one message" {
		t.Fatalf("threads after erasure: %+v", snap.Threads)
	}
}
