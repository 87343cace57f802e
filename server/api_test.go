package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/pgtest"
	"github.com/casecircle/casecircle/realtime"
	"github.com/casecircle/casecircle/server"
)

type apiClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apiClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *apiClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type apiServer struct {
	*httptest.Server
	clock *apiClock
	srv   *server.Server
	db    *pgtest.DB
	node  string
}

var nodeCounter atomic.Int64

// relay forwards domain events to the server built after the service.
type relay struct{ target casestudy.Events }

func (r *relay) SignInsRevoked(u int64)                    { r.target.SignInsRevoked(u) }
func (r *relay) MembershipEnded(u, c int64)                { r.target.MembershipEnded(u, c) }
func (r *relay) RoomEventCommitted(ev casestudy.RoomEvent) { r.target.RoomEventCommitted(ev) }
func (r *relay) NotificationsChanged(ids []int64)          { r.target.NotificationsChanged(ids) }

func newAPIServer(t *testing.T, mutate func(*server.Config)) *apiServer {
	t.Helper()
	return newAPIServerOn(t, pgtest.NewDB(t), mutate)
}

// newAPIServerOn starts a server process on db: several on one database are several nodes.
func newAPIServerOn(t *testing.T, db *pgtest.DB, mutate func(*server.Config)) *apiServer {
	t.Helper()
	return newAPIServerWith(t, db, nil, mutate)
}

// newAPIServerWith builds the service with more options (mail, push) besides the events and
// the node.
func newAPIServerWith(t *testing.T, db *pgtest.DB, options []casestudy.ServiceOption, mutate func(*server.Config)) *apiServer {
	t.Helper()
	clock := &apiClock{t: time.Now()}
	events := &relay{}
	node := fmt.Sprintf("node-%d", nodeCounter.Add(1))
	options = append([]casestudy.ServiceOption{casestudy.WithEvents(events), casestudy.WithNodeID(node)}, options...)
	cfg := server.Config{
		DB: db.DB, Service: closedAtEnd(t, casestudy.NewService(db.DB, options...)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.Now,
		DatabaseURL: db.URL, NodeID: node,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events.target = srv.Events()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close) // first: close the WebSockets, which ts.Close does not wait for
	return &apiServer{Server: ts, clock: clock, srv: srv, db: db, node: node}
}

// client is one person's HTTP client with its own cookie jar.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	id   int64
}

func (s *apiServer) newClient(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r response) err(t *testing.T) errorJSON {
	var e errorJSON
	r.decode(t, &e)
	return e
}

func (c *client) raw(method, path, contentType string, body []byte, header http.Header) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) call(method, path string, body any) response {
	c.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	return c.raw(method, path, "application/json", raw, nil)
}

func (c *client) mustStatus(r response, want int) response {
	c.t.Helper()
	if r.status != want {
		c.t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
}

const testPassword = "a long and unusual passphrase"

func (c *client) signUp(name string) *client {
	c.t.Helper()
	r := c.mustStatus(c.call("POST", "/api/v1/auth/signup", map[string]string{"email": name + "@example.org", "display_name": name, "password": testPassword}), 201)
	var u struct{ User casestudy.User }
	r.decode(c.t, &u)
	c.id = u.User.ID
	return c
}

func (c *client) createCommunity(name string) int64 {
	c.t.Helper()
	r := c.mustStatus(c.call("POST", "/api/v1/communities", map[string]string{"name": name}), 201)
	var out struct{ Community casestudy.Community }
	r.decode(c.t, &out)
	return out.Community.ID
}

func (c *client) invite(cid int64, role string) (int64, string) {
	c.t.Helper()
	r := c.mustStatus(c.call("POST", fmt.Sprintf("/api/v1/communities/%d/invitations", cid), map[string]any{"role": role, "max_uses": 5, "expires_in_hours": 24}), 201)
	var out struct {
		Invitation casestudy.Invitation
		Token, URL string
	}
	r.decode(c.t, &out)
	if !strings.HasSuffix(out.URL, "/join/"+out.Token) {
		c.t.Fatalf("invitation url %q", out.URL)
	}
	return out.Invitation.ID, out.Token
}

func (c *client) join(token string) {
	c.t.Helper()
	c.mustStatus(c.call("POST", "/api/v1/invitations/"+token+"/accept", nil), 200)
}

func sessionCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	var last *http.Cookie // a browser applies Set-Cookie headers in order: the last one wins
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if strings.HasSuffix(ck.Name, "casecircle_session") {
			last = ck
		}
	}
	if last == nil {
		t.Fatalf("no session cookie in %v", r.header)
	}
	return last
}

func TestAccountsAPI(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	ada := s.newClient(t)

	t.Run("sign-up sets a safe session cookie", func(t *testing.T) {
		r := ada.mustStatus(ada.call("POST", "/api/v1/auth/signup", map[string]string{"email": "ada@example.org", "display_name": "Ada", "password": testPassword}), 201)
		ck := sessionCookie(t, r)
		if ck.Name != "casecircle_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
			t.Fatalf("cookie %+v", ck)
		}
		me := ada.mustStatus(ada.call("GET", "/api/v1/me", nil), 200)
		if me.header.Get("Cache-Control") != "no-store" {
			t.Errorf("authenticated response Cache-Control %q", me.header.Get("Cache-Control"))
		}
		if strings.Contains(string(me.body), "password") {
			t.Errorf("/me leaks password data: %s", me.body)
		}
	})

	t.Run("duplicate e-mail is 409 on the email field", func(t *testing.T) {
		r := s.newClient(t).call("POST", "/api/v1/auth/signup", map[string]string{"email": "ADA@example.org", "display_name": "A", "password": testPassword})
		if e := r.err(t); r.status != 409 || e.Error.Field != "email" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})

	t.Run("validation is 422 naming the field", func(t *testing.T) {
		r := s.newClient(t).call("POST", "/api/v1/auth/signup", map[string]string{"email": "x@example.org", "display_name": "X", "password": "short"})
		if e := r.err(t); r.status != 422 || e.Error.Code != "validation" || e.Error.Field != "password" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})

	t.Run("fixation: sign-in issues a new token", func(t *testing.T) {
		c := s.newClient(t)
		planted := &http.Cookie{Name: "casecircle_session", Value: "attacker-chosen-token", Path: "/"}
		req, _ := http.NewRequest("GET", s.URL, nil)
		c.http.Jar.SetCookies(req.URL, []*http.Cookie{planted})
		r := c.mustStatus(c.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ada@example.org", "password": testPassword}), 200)
		if v := sessionCookie(t, r).Value; v == planted.Value || len(v) < 43 {
			t.Fatalf("session token after sign-in %q", v)
		}
	})

	t.Run("signed out is 401; sign-out revokes the token", func(t *testing.T) {
		c := s.newClient(t)
		if r := c.call("GET", "/api/v1/me", nil); r.status != 401 || r.err(t).Error.Code != "unauthorized" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		r := c.mustStatus(c.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ada@example.org", "password": testPassword}), 200)
		token := sessionCookie(t, r).Value
		c.mustStatus(c.call("POST", "/api/v1/auth/signout", nil), 204)
		replay := s.newClient(t)
		req, _ := http.NewRequest("GET", s.URL, nil)
		replay.http.Jar.SetCookies(req.URL, []*http.Cookie{{Name: "casecircle_session", Value: token, Path: "/"}})
		replay.mustStatus(replay.call("GET", "/api/v1/me", nil), 401)
	})

	t.Run("strict JSON bodies", func(t *testing.T) {
		c := s.newClient(t)
		r := c.raw("POST", "/api/v1/auth/signin", "application/json", []byte(`{"email":"a@b.org","password":"x","admin":true}`), nil)
		if e := r.err(t); r.status != 400 || e.Error.Field != "admin" {
			t.Fatalf("unknown field: %d %s", r.status, r.body)
		}
		if r := c.raw("POST", "/api/v1/auth/signin", "application/json", []byte(`{"email":`), nil); r.status != 400 || r.err(t).Error.Code != "invalid" {
			t.Fatalf("malformed: %d %s", r.status, r.body)
		}
		if r := c.raw("POST", "/api/v1/auth/signin", "text/plain", []byte(`{}`), nil); r.status != 400 {
			t.Fatalf("wrong content type: %d %s", r.status, r.body)
		}
		if r := c.raw("POST", "/api/v1/auth/signin", "application/json", []byte(`{"email":5}`), nil); r.status != 422 || r.err(t).Error.Field != "email" {
			t.Fatalf("wrong type: %d %s", r.status, r.body)
		}
		big := []byte(`{"email":"` + strings.Repeat("a", 200*1024) + `"}`)
		if r := c.raw("POST", "/api/v1/auth/signup", "application/json", big, nil); r.status != 413 || r.err(t).Error.Code != "too_large" {
			t.Fatalf("oversized: %d %s", r.status, r.body)
		}
	})

	t.Run("password change", func(t *testing.T) {
		other := s.newClient(t)
		other.mustStatus(other.call("POST", "/api/v1/auth/signin", map[string]string{"email": "ada@example.org", "password": testPassword}), 200)
		r := ada.call("POST", "/api/v1/auth/password", map[string]string{"current_password": "nope nope nope", "new_password": "another fine passphrase"})
		if r.status != 422 || r.err(t).Error.Field != "current_password" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		ada.mustStatus(ada.call("POST", "/api/v1/auth/password", map[string]string{"current_password": testPassword, "new_password": "another fine passphrase"}), 204)
		ada.mustStatus(ada.call("GET", "/api/v1/me", nil), 200)
		other.mustStatus(other.call("GET", "/api/v1/me", nil), 401)
	})
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.SecureCookies = true })
	r := s.newClient(t).call("POST", "/api/v1/auth/signup", map[string]string{"email": "sec@example.org", "display_name": "S", "password": testPassword})
	ck := sessionCookie(t, r)
	if ck.Name != "__Host-casecircle_session" || !ck.Secure || !ck.HttpOnly || ck.Domain != "" || ck.Path != "/" {
		t.Fatalf("cookie %+v", ck)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	c := s.newClient(t)
	attempt := 0
	signin := func(header http.Header) response {
		attempt++ // a new e-mail each time, so the per-account throttle stays out of the way
		return c.raw("POST", "/api/v1/auth/signin", "application/json", []byte(fmt.Sprintf(`{"email":"nobody%d@example.org","password":"whatever it is"}`, attempt)), header)
	}
	for i := range 10 {
		// A spoofed X-Forwarded-For must not buy fresh allowances: no proxy is trusted.
		if r := signin(http.Header{"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i)}}); r.status == 429 {
			t.Fatalf("attempt %d limited too early", i+1)
		}
	}
	r := signin(nil)
	if r.status != 429 || r.err(t).Error.Code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt in a minute: %d %s %v", r.status, r.body, r.header)
	}
	s.clock.Advance(7 * time.Second)
	if r := signin(nil); r.status == 429 {
		t.Fatalf("no recovery after the wait: %s", r.body)
	}
	// Sign-up has its own bucket.
	if r := c.call("POST", "/api/v1/auth/signup", map[string]string{"email": "new@example.org", "display_name": "N", "password": testPassword}); r.status != 201 {
		t.Fatalf("sign-up limited by sign-in attempts: %d %s", r.status, r.body)
	}
}

func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	s := newAPIServer(t, func(c *server.Config) { c.TrustedProxies = []*net.IPNet{loopback} })
	c := s.newClient(t)
	for i := range 15 { // 15 different clients behind the proxy: none is limited
		r := c.raw("POST", "/api/v1/auth/signin", "application/json", []byte(fmt.Sprintf(`{"email":"nobody%d@example.org","password":"whatever it is"}`, i)),
			http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i)}})
		if r.status == 429 {
			t.Fatalf("client %d behind a trusted proxy was limited", i)
		}
	}
}

func TestCrossOriginRequestsRefused(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, func(c *server.Config) { c.AllowedOrigins = []string{"https://proxy.example"} })
	c := s.newClient(t)
	body := []byte(`{"email":"x@example.org","display_name":"X","password":"a long and unusual passphrase"}`)
	for name, h := range map[string]http.Header{
		"cross-site fetch metadata": {"Sec-Fetch-Site": {"cross-site"}},
		"foreign Origin":            {"Origin": {"https://evil.example"}},
	} {
		r := c.raw("POST", "/api/v1/auth/signup", "application/json", body, h)
		if r.status != 403 || r.err(t).Error.Code != "forbidden" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := c.raw("POST", "/api/v1/auth/signup", "application/json", body, http.Header{"Origin": {"https://proxy.example"}, "Sec-Fetch-Site": {"cross-site"}}); r.status != 201 {
		t.Errorf("allowed origin refused: %d %s", r.status, r.body)
	}
	if r := c.raw("GET", "/api/v1/me", "", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}}); r.status != 200 {
		t.Errorf("safe cross-site GET refused: %d", r.status)
	}
}

func TestCommunityAuthorization(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	facA := s.newClient(t).signUp("fac-a")
	memA := s.newClient(t).signUp("mem-a")
	facB := s.newClient(t).signUp("fac-b")
	a := facA.createCommunity("Community A")
	b := facB.createCommunity("Community B")
	_, tokenA := facA.invite(a, "member")
	memA.join(tokenA)
	invB, tokenB := facB.invite(b, "member")

	// Every community-B endpoint and method, as a member of A only: always 404, as for a
	// community that does not exist.
	endpoints := []struct{ method, path string }{
		{"GET", "/api/v1/communities/%d"},
		{"GET", "/api/v1/communities/%d/members"},
		{"PATCH", "/api/v1/communities/%d/members/" + fmt.Sprint(facB.id)},
		{"DELETE", "/api/v1/communities/%d/members/" + fmt.Sprint(facB.id)},
		{"GET", "/api/v1/communities/%d/invitations"},
		{"POST", "/api/v1/communities/%d/invitations"},
		{"DELETE", "/api/v1/communities/%d/invitations/" + fmt.Sprint(invB)},
		{"GET", "/api/v1/communities/%d/audit"},
	}
	bodies := map[string]any{"PATCH": map[string]string{"role": "member"}, "POST": map[string]any{"role": "member"}}
	for _, who := range []*client{facA, memA} {
		for _, ep := range endpoints {
			for _, cid := range []int64{b, 999999} {
				r := who.call(ep.method, fmt.Sprintf(ep.path, cid), bodies[ep.method])
				if r.status != 404 || r.err(t).Error.Code != "not_found" {
					t.Errorf("%s %s as a member of A: %d %s", ep.method, fmt.Sprintf(ep.path, cid), r.status, r.body)
				}
			}
		}
	}
	// Nothing changed in B.
	var members struct{ Members []casestudy.Member }
	facB.mustStatus(facB.call("GET", fmt.Sprintf("/api/v1/communities/%d/members", b), nil), 200).decode(t, &members)
	if len(members.Members) != 1 || members.Members[0].Role != "facilitator" {
		t.Fatalf("community B changed: %+v", members.Members)
	}

	// A member of A lacks facilitator powers: 403.
	for _, ep := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", fmt.Sprintf("/api/v1/communities/%d/members/%d", a, facA.id), map[string]string{"role": "member"}},
		{"DELETE", fmt.Sprintf("/api/v1/communities/%d/members/%d", a, facA.id), nil},
		{"GET", fmt.Sprintf("/api/v1/communities/%d/invitations", a), nil},
		{"POST", fmt.Sprintf("/api/v1/communities/%d/invitations", a), map[string]string{"role": "facilitator"}},
		{"GET", fmt.Sprintf("/api/v1/communities/%d/audit", a), nil},
	} {
		if r := memA.call(ep.method, ep.path, ep.body); r.status != 403 || r.err(t).Error.Code != "forbidden" {
			t.Errorf("%s %s as member: %d %s", ep.method, ep.path, r.status, r.body)
		}
	}

	t.Run("last facilitator", func(t *testing.T) {
		r := facA.call("PATCH", fmt.Sprintf("/api/v1/communities/%d/members/%d", a, facA.id), map[string]string{"role": "member"})
		if r.status != 409 {
			t.Fatalf("demoting the last facilitator: %d %s", r.status, r.body)
		}
		if r := facA.call("DELETE", fmt.Sprintf("/api/v1/communities/%d/members/%d", a, facA.id), nil); r.status != 409 {
			t.Fatalf("the last facilitator leaving: %d %s", r.status, r.body)
		}
	})

	t.Run("invitation links", func(t *testing.T) {
		outsider := s.newClient(t).signUp("outsider")
		var preview struct{ Invitation casestudy.InvitationPreview }
		outsider.mustStatus(outsider.call("GET", "/api/v1/invitations/"+tokenB, nil), 200).decode(t, &preview)
		if preview.Invitation.CommunityName != "Community B" || preview.Invitation.Status != "active" || preview.Invitation.CommunityID != 0 {
			t.Fatalf("preview %+v", preview.Invitation)
		}
		facB.mustStatus(facB.call("DELETE", fmt.Sprintf("/api/v1/communities/%d/invitations/%d", b, invB), nil), 204)
		if r := outsider.call("POST", "/api/v1/invitations/"+tokenB+"/accept", nil); r.status != 409 || !strings.Contains(r.err(t).Error.Message, "withdrawn") {
			t.Fatalf("revoked link: %d %s", r.status, r.body)
		}
		if r := outsider.call("POST", "/api/v1/invitations/garbage/accept", nil); r.status != 404 {
			t.Fatalf("unknown link: %d %s", r.status, r.body)
		}
	})

	t.Run("audit via the API", func(t *testing.T) {
		var out struct{ Entries []casestudy.AuditEntry }
		facA.mustStatus(facA.call("GET", fmt.Sprintf("/api/v1/communities/%d/audit", a), nil), 200).decode(t, &out)
		if len(out.Entries) < 3 || out.Entries[0].RequestID == "" {
			t.Fatalf("entries %+v", out.Entries)
		}
	})
}

func TestSignOutClosesTheUsersSockets(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, nil)
	ada := s.newClient(t).signUp("ada")
	registered := make(chan struct{}, 1)
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		remove, _ := s.srv.Conns().Add(conn, ada.id, "")
		defer remove()
		registered <- struct{}{}
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer ws.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ws.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	<-registered
	ada.mustStatus(ada.call("POST", "/api/v1/auth/signout", nil), 204)
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, realtime.CloseSignedOut) {
		t.Fatalf("socket after sign-out: %v, want close %d within a second", err, realtime.CloseSignedOut)
	}
}

// closedAtEnd closes a service when the test ends, so that its writer goroutine ends too.
func closedAtEnd(t testing.TB, s *casestudy.Service) *casestudy.Service {
	t.Helper()
	t.Cleanup(s.Close)
	return s
}
