package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A facilitator makes a reset link for a member who forgot their password; the member sets a
// new one on the link's page, once, and is signed out everywhere.
func TestPasswordResetLinkAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	f := newRoomFixture(t, s)
	members := fmt.Sprintf("/api/v1/communities/%d/members", f.cid)

	f.member.mustStatus(f.member.call("POST", fmt.Sprintf("%s/%d/reset-link", members, f.author.id), nil), 403)
	outsider := s.newClient(t).signUp("olu")
	outsider.mustStatus(outsider.call("POST", fmt.Sprintf("%s/%d/reset-link", members, f.member.id), nil), 404)

	var link struct{ URL string }
	f.author.mustStatus(f.author.call("POST", fmt.Sprintf("%s/%d/reset-link", members, f.member.id), nil), 201).decode(t, &link)
	i := strings.Index(link.URL, "/reset/")
	if i < 0 {
		t.Fatalf("link %q", link.URL)
	}
	path, token := link.URL[i:], link.URL[i+len("/reset/"):]

	anyone := s.newClient(t)
	page := anyone.raw("GET", path, "", nil, http.Header{"Accept": {"text/html"}})
	if page.status != 200 || page.header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(string(page.body), `data-testid="reset-form"`) {
		t.Fatalf("reset page: %d, Referrer-Policy %q", page.status, page.header.Get("Referrer-Policy"))
	}
	const newPassword = "another long and unusual passphrase"
	if e := anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset/confirm", map[string]string{"token": token, "password": "short"}), 422).err(t); e.Error.Field != "password" {
		t.Fatalf("short password: %+v", e)
	}
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset/confirm", map[string]string{"token": token, "password": newPassword}), 200)
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset/confirm", map[string]string{"token": token, "password": newPassword}), 404)
	anyone.mustStatus(anyone.call("POST", "/api/v1/auth/reset/confirm", map[string]string{"token": token, "secret": "x"}), 400)

	f.member.mustStatus(f.member.call("GET", "/api/v1/me", nil), 401) // signed out everywhere
	again := s.newClient(t)
	again.mustStatus(again.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ben@example.org", "password": newPassword}), 200)
}

func TestTimeZoneAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	ada := s.newClient(t).signUp("ada")
	if e := ada.mustStatus(ada.call("PATCH", "/api/v1/me", map[string]string{"time_zone": "Nowhere/Special"}), 422).err(t); e.Error.Field != "time_zone" {
		t.Fatalf("bad zone: %+v", e)
	}
	ada.mustStatus(ada.call("PATCH", "/api/v1/me", map[string]any{}), 422)
	ada.mustStatus(ada.call("PATCH", "/api/v1/me", map[string]string{"time_zone": "America/New_York"}), 200)
	var me struct {
		User struct {
			TimeZone string `json:"time_zone"`
		}
	}
	ada.mustStatus(ada.call("GET", "/api/v1/me", nil), 200).decode(t, &me)
	if me.User.TimeZone != "America/New_York" {
		t.Fatalf("time zone %q", me.User.TimeZone)
	}
	page := ada.raw("GET", "/account", "", nil, http.Header{"Accept": {"text/html"}})
	if !strings.Contains(string(page.body), `data-time-zone="America/New_York"`) {
		t.Fatal("the page does not tell its script the reader's zone")
	}
	s.newClient(t).mustStatus(s.newClient(t).call("PATCH", "/api/v1/me", map[string]string{"time_zone": ""}), 401)
}
