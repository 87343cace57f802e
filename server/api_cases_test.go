package server_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/server"
)

var apiCase = map[string]any{
	"title":            "A CFO on trial",
	"kind":             "coaching",
	"context":          "Third session with Priya Raghunathan at Brightwater Analytics Ltd.",
	"presenting_issue": "Priya says she is on trial. Reach her at priya@brightwater.example.com or 07700 900461.",
	"reflection":       "I hope I was not rescuing her.",
	"question":         "What am I missing with Priya?",
	"tags":             []string{"Imposter syndrome"},
}

var apiCaseSecrets = []string{"Priya", "Raghunathan", "Brightwater", "priya@", "07700 900461"}

// acceptEverything previews the case and accepts every finding.
func acceptEverything(t *testing.T, c *client, cid int64, cs map[string]any) map[string]any {
	t.Helper()
	r := c.mustStatus(c.call("POST", fmt.Sprintf("/api/v1/communities/%d/cases/anonymise", cid), map[string]any{"case": cs}), 200)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("preview Cache-Control %q", r.header.Get("Cache-Control"))
	}
	var p casestudy.CasePreview
	r.decode(t, &p)
	accept := []string{}
	for _, f := range p.Fields {
		for _, fd := range f.Findings {
			accept = append(accept, fd.Text)
		}
	}
	return map[string]any{"accept": accept}
}

func TestCasesAPI(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := newAPIServer(t, func(cfg *server.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	author := s.newClient(t).signUp("ann")
	other := s.newClient(t).signUp("bob")
	outsider := s.newClient(t).signUp("oz")
	cid := author.createCommunity("Peer group")
	_, token := author.invite(cid, "member")
	other.join(token)
	base := fmt.Sprintf("/api/v1/communities/%d/cases", cid)

	t.Run("preview returns findings for the author and 404 for outsiders", func(t *testing.T) {
		r := author.mustStatus(author.call("POST", base+"/anonymise", map[string]any{"case": apiCase}), 200)
		var p casestudy.CasePreview
		r.decode(t, &p)
		if got := p.Fields["context"].Redacted; got != "Third session with Client A at [Organisation 1]." {
			t.Fatalf("preview %q", got)
		}
		outsider.mustStatus(outsider.call("POST", base+"/anonymise", map[string]any{"case": apiCase}), 404)
	})

	var caseID int64
	t.Run("saving with undecided findings is a 422 that lists them", func(t *testing.T) {
		e := author.mustStatus(author.call("POST", base, map[string]any{"case": apiCase, "action": "save"}), 422).err(t)
		if e.Error.Code != "validation" || e.Error.Field != "decisions" {
			t.Fatalf("error %+v", e)
		}
		var full struct {
			Error struct {
				Details struct{ Findings []casestudy.FieldFinding }
			}
		}
		author.call("POST", base, map[string]any{"case": apiCase, "action": "save"}).decode(t, &full)
		kinds := map[string]bool{}
		for _, f := range full.Error.Details.Findings {
			kinds[string(f.Kind)] = true
		}
		for _, k := range []string{"person", "organisation", "email", "phone"} {
			if !kinds[k] {
				t.Errorf("no open %s finding in %+v", k, full.Error.Details.Findings)
			}
		}
		author.mustStatus(author.call("POST", base, map[string]any{"case": apiCase, "action": "save", "secret": 1}), 400)
		r := author.mustStatus(author.call("POST", base, map[string]any{"case": apiCase, "decisions": acceptEverything(t, author, cid, apiCase), "action": "save"}), 201)
		var out struct{ Case casestudy.Case }
		r.decode(t, &out)
		caseID = out.Case.ID
		other.mustStatus(other.call("GET", fmt.Sprintf("%s/%d", base, caseID), nil), 404)
	})

	t.Run("publish, then the group reads placeholders only", func(t *testing.T) {
		path := fmt.Sprintf("%s/%d", base, caseID)
		req := map[string]any{"case": apiCase, "decisions": acceptEverything(t, author, cid, apiCase), "action": "publish"}
		if e := author.mustStatus(author.call("PUT", path, req), 422).err(t); e.Error.Field != "attest" {
			t.Fatalf("publishing without attestation: %+v", e)
		}
		req["attest"] = true
		author.mustStatus(author.call("PUT", path, req), 200)
		r := other.mustStatus(other.call("GET", path, nil), 200)
		for _, secret := range apiCaseSecrets {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("the published case shows %q: %s", secret, r.body)
			}
		}
		list := other.mustStatus(other.call("GET", base+"?kind=coaching&tag=imposter-syndrome", nil), 200)
		var page casestudy.CasePage
		list.decode(t, &page)
		if len(page.Cases) != 1 || page.Cases[0].ID != caseID {
			t.Fatalf("list %s", list.body)
		}
		other.mustStatus(other.call("GET", base+"?limit=1000", nil), 422)
		other.mustStatus(other.call("PUT", path, req), 403)
		outsider.mustStatus(outsider.call("GET", path, nil), 404)
		outsider.mustStatus(outsider.call("GET", base, nil), 404)
		other.mustStatus(other.call("GET", base+"/x", nil), 404)
		other.mustStatus(other.call("POST", path+"/withdraw", nil), 403)
		author.mustStatus(author.call("POST", path+"/withdraw", nil), 200)
		other.mustStatus(other.call("GET", path, nil), 404)
	})

	t.Run("no case text reaches the logs", func(t *testing.T) {
		got := logs.String()
		if !strings.Contains(got, "/cases") {
			t.Fatalf("requests were not logged at all:\n%s", got)
		}
		for _, secret := range append(apiCaseSecrets, "rescuing", "on trial") {
			if strings.Contains(got, secret) {
				t.Errorf("the logs hold %q", secret)
			}
		}
	})
}

func TestCasePages(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	author := s.newClient(t).signUp("ann")
	outsider := s.newClient(t).signUp("oz")
	cid := author.createCommunity("Peer group")
	base := fmt.Sprintf("/api/v1/communities/%d/cases", cid)
	r := author.mustStatus(author.call("POST", base, map[string]any{"case": apiCase, "decisions": acceptEverything(t, author, cid, apiCase), "action": "publish", "attest": true}), 201)
	var out struct{ Case casestudy.Case }
	r.decode(t, &out)
	html := map[string][]string{"Accept": {"text/html"}}
	for _, path := range []string{"/cases", "/cases/new", fmt.Sprintf("/cases/%d", out.Case.ID), fmt.Sprintf("/cases/%d/edit", out.Case.ID)} {
		page := fmt.Sprintf("/communities/%d%s", cid, path)
		got := author.raw("GET", page, "", nil, html)
		if got.status != 200 {
			t.Errorf("%s: status %d", page, got.status)
		}
		for _, secret := range apiCaseSecrets {
			if strings.Contains(string(got.body), secret) {
				t.Errorf("%s shows %q", page, secret)
			}
		}
		if st := outsider.raw("GET", page, "", nil, html).status; st != 404 {
			t.Errorf("%s for a non-member: status %d, want 404", page, st)
		}
	}
	if st := author.raw("GET", fmt.Sprintf("/communities/%d/cases?limit=0", cid), "", nil, html).status; st != 422 {
		t.Errorf("a bad filter: status %d", st)
	}
}

func TestRoomHTTP(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	author := s.newClient(t).signUp("ann")
	outsider := s.newClient(t).signUp("oz")
	cid := author.createCommunity("Peer group")
	base := fmt.Sprintf("/api/v1/communities/%d/cases", cid)
	noNames := map[string]any{"title": "A case", "question": "What do you notice?"}
	r := author.mustStatus(author.call("POST", base, map[string]any{"case": noNames, "action": "publish", "attest": true}), 201)
	var out struct{ Case casestudy.Case }
	r.decode(t, &out)
	room := fmt.Sprintf("%s/%d", base, out.Case.ID)

	msg := map[string]any{"client_id": "m-1", "body": "I noticed I wanted to rescue."}
	var first struct{ Event casestudy.RoomEvent }
	author.mustStatus(author.call("POST", room+"/messages", msg), 200).decode(t, &first)
	var again struct{ Event casestudy.RoomEvent }
	author.mustStatus(author.call("POST", room+"/messages", msg), 200).decode(t, &again)
	if first.Event.Seq != 1 || again.Event.Seq != 1 {
		t.Fatalf("seqs %d and %d, want 1 and 1", first.Event.Seq, again.Event.Seq)
	}
	author.mustStatus(author.call("POST", room+"/messages", map[string]any{"client_id": "m-2", "body": "Priya Raghunathan agreed."}), 422)
	author.mustStatus(author.call("PUT", fmt.Sprintf("%s/messages/%d", room, first.Event.Message.ID), map[string]any{"body": "I wanted to rescue."}), 200)
	author.mustStatus(author.call("DELETE", fmt.Sprintf("%s/messages/%d", room, first.Event.Message.ID), nil), 200)
	var page struct {
		Events []casestudy.RoomEvent
		Head   int64
	}
	author.mustStatus(author.call("GET", room+"/events?after=0", nil), 200).decode(t, &page)
	if len(page.Events) != 3 || page.Head != 3 || page.Events[2].Type != casestudy.EventMessageDeleted {
		t.Fatalf("events %+v head %d", page.Events, page.Head)
	}
	author.mustStatus(author.call("GET", room+"/events?after=-1", nil), 422)
	outsider.mustStatus(outsider.call("GET", room+"/events", nil), 404)
	outsider.mustStatus(outsider.call("POST", room+"/messages", msg), 404)
}
