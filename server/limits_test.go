package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/server"
)

// One account cannot create communities, invitations or searches without end: each has a
// per-user bucket, and beyond it the answer is 429 with Retry-After.
func TestPerUserLimitsOnCreatesAndSearch(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	c := s.newClient(t).signUp("ola")
	limited := func(what string, do func(i int) response) {
		t.Helper()
		for i := range 200 {
			r := do(i)
			if r.status == 429 {
				if r.err(t).Error.Code != "rate_limited" || r.header.Get("Retry-After") == "" {
					t.Fatalf("%s: 429 without its error or Retry-After: %s %v", what, r.body, r.header)
				}
				t.Logf("%s: limited after %d", what, i)
				return
			}
			if r.status >= 300 {
				t.Fatalf("%s %d: %d %s", what, i, r.status, r.body)
			}
		}
		t.Fatalf("%s: 200 in a row were all accepted", what)
	}
	limited("communities", func(i int) response {
		return c.call("POST", "/api/v1/communities", map[string]string{"name": fmt.Sprint("Group ", i)})
	})
	s.clock.Advance(time.Hour)
	cid := c.createCommunity("Mine")
	limited("invitations", func(int) response {
		return c.call("POST", fmt.Sprintf("/api/v1/communities/%d/invitations", cid), map[string]any{"role": "member", "max_uses": 1, "expires_in_hours": 1})
	})
	limited("templates", func(int) response {
		return c.call("POST", fmt.Sprintf("/api/v1/communities/%d/templates", cid), map[string]any{"copy_of": "default"})
	})
	limited("search", func(int) response {
		return c.call("GET", "/api/v1/search?q="+url.QueryEscape("contracting"), nil)
	})
	// Another person is not held back by the first one's use.
	other := s.newClient(t).signUp("pia")
	other.mustStatus(other.call("POST", "/api/v1/communities", map[string]string{"name": "Theirs"}), 201)
}

// Wrong current passwords count per account, as failed sign-ins do: the sixth guess in the
// window is refused before any hashing, for the password change and the account deletion alike.
func TestPasswordChecksAreThrottledPerAccount(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	c := s.newClient(t).signUp("quin")
	for i := range 5 {
		r := c.call("POST", "/api/v1/auth/password", map[string]string{"current_password": fmt.Sprint("wrong guess ", i), "new_password": "a different long passphrase"})
		if r.status != 422 {
			t.Fatalf("guess %d: %d %s", i, r.status, r.body)
		}
	}
	for _, r := range []response{
		c.call("POST", "/api/v1/auth/password", map[string]string{"current_password": testPassword, "new_password": "a different long passphrase"}),
		c.call("DELETE", "/api/v1/me", map[string]string{"password": testPassword}),
	} {
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Fatalf("after 5 wrong guesses: %d %s %v", r.status, r.body, r.header)
		}
	}
}

// Invitation links start with the configured public URL, whatever Host the request named;
// without one they are paths. A removed member cannot come back with a link made before the
// removal. An explicit 0 hours is refused, not taken as the default.
func TestInvitationLinksAndRemovals(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.PublicURL = "https://supervision.example.org/" })
	fac := s.newClient(t).signUp("rae")
	cid := fac.createCommunity("Circle")
	r := fac.raw("POST", fmt.Sprintf("/api/v1/communities/%d/invitations", cid), "application/json",
		[]byte(`{"role":"member","max_uses":10,"note":"Sam, joining in March"}`), http.Header{"Host": {"evil.example"}, "X-Forwarded-Host": {"evil.example"}})
	var out struct {
		Invitation struct{ Note string }
		Token, URL string
	}
	fac.mustStatus(r, 201).decode(t, &out)
	if out.URL != "https://supervision.example.org/join/"+out.Token || out.Invitation.Note != "Sam, joining in March" {
		t.Fatalf("link %q note %q", out.URL, out.Invitation.Note)
	}
	if r := fac.call("POST", fmt.Sprintf("/api/v1/communities/%d/invitations", cid), map[string]any{"role": "member", "expires_in_hours": 0}); r.status != 422 || r.err(t).Error.Field != "expires_in_hours" {
		t.Fatalf("0 hours: %d %s", r.status, r.body)
	}

	sam := s.newClient(t).signUp("sam")
	sam.join(out.Token)
	fac.mustStatus(fac.call("DELETE", fmt.Sprintf("/api/v1/communities/%d/members/%d", cid, sam.id), nil), 204)
	if r := sam.call("POST", "/api/v1/invitations/"+out.Token+"/accept", nil); r.status != 403 || !strings.Contains(r.err(t).Error.Message, "new invitation") {
		t.Fatalf("rejoining with the old link: %d %s", r.status, r.body)
	}
	s.clock.Advance(time.Second)
	_, fresh := fac.invite(cid, "member")
	sam.join(fresh)
}

// next= after sign-in leads only to a page of this origin: a tab or newline in it (which
// browsers strip, making "/\t/evil.example" into "//evil.example") is refused outright, and
// other ways of naming another host send a signed-in visitor home; the sign-in form's redirect
// is home too.
func TestSignInNextStaysOnThisOrigin(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	anon := s.newClient(t)
	r := anon.raw("GET", "/signin?next=//evil.example/phish", "", nil, http.Header{"Accept": {"text/html"}})
	if r.status != 200 || !strings.Contains(string(r.body), `data-success="redirect:/"`) || strings.Contains(string(r.body), "evil.example") {
		t.Fatalf("the sign-in form for next=//evil.example: %d\n%s", r.status, grepLines(string(r.body), "data-success"))
	}
	c := s.newClient(t).signUp("una")
	for _, next := range []string{"/%09/evil.example/phish", "/%0a/evil.example", "//evil.example", "/%2F/evil.example", "https://evil.example"} {
		r := c.raw("GET", "/signin?next="+next, "", nil, http.Header{"Accept": {"text/html"}})
		if loc := r.header.Get("Location"); strings.Contains(loc, "evil") || (r.status != 303 && r.status != 422) || (r.status == 303 && loc != "/") {
			t.Errorf("signed in, next=%s: %d Location %q", next, r.status, loc)
		}
	}
	if r := c.raw("GET", "/signin?next=/communities/3%3Fx", "", nil, nil); r.header.Get("Location") != "/communities/3?x" {
		t.Errorf("a local next was not kept: %q", r.header.Get("Location"))
	}
}

// Session commands are limited per user: a hundred "extend"s in a burst do not make a hundred
// events.
func TestSessionCommandsAreLimitedPerUser(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	path := fmt.Sprintf("%s/%d/session", f.base, f.room)
	f.author.mustStatus(f.author.call("POST", path, map[string]any{"template": "default", "presenter_id": f.member.id}), 201)
	accepted := 0
	for range 100 {
		r := f.author.call("POST", path+"/commands", map[string]any{"action": "extend", "minutes": 1})
		if r.status == 429 {
			break
		}
		f.author.mustStatus(r, 200)
		accepted++
	}
	if accepted >= 100 || accepted < 5 {
		t.Fatalf("%d extends in a burst were accepted", accepted)
	}
}

// Format pages name speaking policies and products in words, not identifiers.
func TestFormatPagesInWords(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	r := f.author.raw("GET", fmt.Sprintf("/communities/%d/templates/default", f.cid), "", nil, http.Header{"Accept": {"text/html"}})
	body := string(r.body)
	table := body[strings.Index(body, "<table"):strings.Index(body, "</table>")]
	if r.status != 200 || strings.Contains(table, "ask_answer") || strings.Contains(table, "learning_points") ||
		!strings.Contains(table, "Members ask, the presenter answers") {
		t.Fatalf("the format page reads:\n%s", table)
	}
}
