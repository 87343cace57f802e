package casestudy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
	"github.com/casecircle/casecircle/internal/pgtest"
)

// clock is a settable time source for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder collects domain events.
type recorder struct {
	mu      sync.Mutex
	revoked []int64
	ended   [][2]int64
	room    []casestudy.RoomEvent
	bell    []int64
}

func (r *recorder) NotificationsChanged(ids []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bell = append(r.bell, ids...)
}

func (r *recorder) RoomEventCommitted(ev casestudy.RoomEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.room = append(r.room, ev)
}

func (r *recorder) SignInsRevoked(uid int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked = append(r.revoked, uid)
}

func (r *recorder) MembershipEnded(uid, cid int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, [2]int64{uid, cid})
}

type fixture struct {
	svc    *casestudy.Service
	db     *pgtest.DB
	clock  *clock
	events *recorder
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := pgtest.NewDB(t)
	f := &fixture{db: db, clock: newClock(), events: &recorder{}}
	f.svc = closedAtEnd(t, casestudy.NewService(db.DB, casestudy.WithClock(f.clock.Now), casestudy.WithEvents(f.events)))
	return f
}

const goodPassword = "a long and unusual passphrase"

// mustRegister creates an account named after who and returns it with its session token.
func (f *fixture) mustRegister(t testing.TB, who string) (casestudy.User, string) {
	t.Helper()
	u, token, err := f.svc.Register(context.Background(), casestudy.SignUp{Email: who + "@example.org", DisplayName: strings.ToUpper(who[:1]) + who[1:], Password: goodPassword})
	if err != nil {
		t.Fatalf("register %s: %v", who, err)
	}
	return u, token
}

func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	if got := casestudy.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if field != "" {
		if e, _ := err.(*casestudy.Error); e == nil || e.Field != field {
			t.Fatalf("error %v: want field %q", err, field)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	t.Parallel()
	for name, pw := range map[string]string{
		"too short": "short pass", "too long": strings.Repeat("x", 255) + "yz", "common": "Password1234", "one character repeated": "aaaaaaaaaaaaaaa",
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, casestudy.ValidatePassword("password", pw), casestudy.EVALIDATION, "password")
		})
	}
	if err := casestudy.ValidatePassword("password", strings.Repeat("éa", 128)); err != nil {
		t.Fatalf("256 characters must be allowed: %v", err)
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.mustRegister(t, "ada")
	_, _, err := f.svc.Register(ctx, casestudy.SignUp{Email: "ADA@Example.org", DisplayName: "Other", Password: goodPassword})
	wantCode(t, err, casestudy.ECONFLICT, "email")

	for _, tc := range []struct {
		in    casestudy.SignUp
		field string
	}{
		{casestudy.SignUp{Email: "not-an-email", DisplayName: "A", Password: goodPassword}, "email"},
		{casestudy.SignUp{Email: "x@example.org", DisplayName: "  ", Password: goodPassword}, "display_name"},
		{casestudy.SignUp{Email: "x@example.org", DisplayName: strings.Repeat("n", 81), Password: goodPassword}, "display_name"},
		{casestudy.SignUp{Email: "x@example.org", DisplayName: "X", Password: "short"}, "password"},
	} {
		_, _, err := f.svc.Register(ctx, tc.in)
		wantCode(t, err, casestudy.EVALIDATION, tc.field)
	}
}

func TestSignInAndSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ada, signupToken := f.mustRegister(t, "ada")

	t.Run("a new token at every sign-in", func(t *testing.T) {
		_, t1, err := f.svc.SignIn(ctx, "ada@example.org", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		_, t2, err := f.svc.SignIn(ctx, "Ada@Example.org", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if t1 == t2 || t1 == signupToken || len(t1) < 43 {
			t.Fatalf("tokens must be new and 32 random bytes: %q %q", t1, t2)
		}
	})

	t.Run("unknown e-mail and wrong password look the same", func(t *testing.T) {
		_, _, errUnknown := f.svc.SignIn(ctx, "nobody@example.org", goodPassword)
		_, _, errWrong := f.svc.SignIn(ctx, "ada@example.org", "not the password at all")
		wantCode(t, errUnknown, casestudy.EUNAUTHORIZED, "")
		if errUnknown.Error() != errWrong.Error() {
			t.Fatalf("%v vs %v", errUnknown, errWrong)
		}
	})

	t.Run("idle timeout, refreshed by activity", func(t *testing.T) {
		_, token, _ := f.svc.SignIn(ctx, "ada@example.org", goodPassword)
		for range 3 { // 3 × 20 min of activity outlives the 30-minute idle timeout
			f.clock.Advance(20 * time.Minute)
			if _, err := f.svc.Authenticate(ctx, token); err != nil {
				t.Fatalf("active session rejected: %v", err)
			}
		}
		f.clock.Advance(31 * time.Minute)
		_, err := f.svc.Authenticate(ctx, token)
		wantCode(t, err, casestudy.EUNAUTHORIZED, "")
	})

	t.Run("absolute lifetime", func(t *testing.T) {
		_, token, _ := f.svc.SignIn(ctx, "ada@example.org", goodPassword)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			f.clock.Advance(20 * time.Minute)
			if _, err := f.svc.Authenticate(ctx, token); err != nil {
				t.Fatalf("rejected after %v: %v", elapsed, err)
			}
		}
		f.clock.Advance(20 * time.Minute)
		_, err := f.svc.Authenticate(ctx, token)
		wantCode(t, err, casestudy.EUNAUTHORIZED, "")
	})

	t.Run("sign-out revokes", func(t *testing.T) {
		_, token, _ := f.svc.SignIn(ctx, "ada@example.org", goodPassword)
		if err := f.svc.SignOut(ctx, token); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Authenticate(ctx, token)
		wantCode(t, err, casestudy.EUNAUTHORIZED, "")
		if len(f.events.revoked) == 0 || f.events.revoked[len(f.events.revoked)-1] != ada.ID {
			t.Fatalf("no SignInsRevoked event: %v", f.events.revoked)
		}
	})

	t.Run("password change keeps only the current session", func(t *testing.T) {
		_, current, _ := f.svc.SignIn(ctx, "ada@example.org", goodPassword)
		_, other, _ := f.svc.SignIn(ctx, "ada@example.org", goodPassword)
		wantCode(t, f.svc.ChangePassword(ctx, current, "wrong current password", "a brand new passphrase"), casestudy.EVALIDATION, "current_password")
		wantCode(t, f.svc.ChangePassword(ctx, current, goodPassword, "short"), casestudy.EVALIDATION, "new_password")
		if err := f.svc.ChangePassword(ctx, current, goodPassword, "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, current); err != nil {
			t.Fatalf("current session ended: %v", err)
		}
		_, err := f.svc.Authenticate(ctx, other)
		wantCode(t, err, casestudy.EUNAUTHORIZED, "")
		if _, _, err := f.svc.SignIn(ctx, "ada@example.org", "a brand new passphrase"); err != nil {
			t.Fatalf("new password refused: %v", err)
		}
	})
}

func TestSignInThrottling(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.mustRegister(t, "bea")
	for _, email := range []string{"bea@example.org", "ghost@example.org"} { // known and unknown alike
		for i := range 5 {
			_, _, err := f.svc.SignIn(ctx, email, "wrong password number "+string(rune('a'+i)))
			wantCode(t, err, casestudy.EUNAUTHORIZED, "")
			f.clock.Advance(time.Minute)
		}
		_, _, err := f.svc.SignIn(ctx, email, goodPassword)
		wantCode(t, err, casestudy.ERATELIMITED, "")
		if e := err.(*casestudy.Error); e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute {
			t.Fatalf("RetryAfter %v", e.RetryAfter)
		}
	}
	f.clock.Advance(15 * time.Minute)
	if _, _, err := f.svc.SignIn(ctx, "bea@example.org", goodPassword); err != nil {
		t.Fatalf("after the window the right password must work: %v", err)
	}
}

func TestAuditLogIsAppendOnlyAndHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, token := f.mustRegister(t, "cy")
	if _, _, err := f.svc.SignIn(ctx, "cy@example.org", "wrong password here"); err == nil {
		t.Fatal("wrong password accepted")
	}
	var rows []string
	if err := f.db.Select(&rows, `SELECT action || ' ' || detail::text FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(rows, "\n")
	for _, want := range []string{"account.created", "signin.failed"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit lacks %s:\n%s", want, joined)
		}
	}
	for _, secret := range []string{goodPassword, "wrong password here", token} {
		if strings.Contains(joined, secret) {
			t.Errorf("audit holds a secret %q", secret)
		}
	}
	for _, stmt := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := f.db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refusal", stmt, err)
		}
	}
}

// closedAtEnd closes a service when the test ends, so that its writer goroutine ends too.
func closedAtEnd(t testing.TB, s *casestudy.Service) *casestudy.Service {
	t.Helper()
	t.Cleanup(s.Close)
	return s
}
