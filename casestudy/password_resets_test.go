package casestudy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

// A facilitator's reset link lets a member who forgot their password choose a new one, once;
// it ends every sign-in of the account and is in the audit log; nobody else can make one.
func TestPasswordResetLinks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cid, author, other, outsider := caseCommunity(t, f)
	fac := f.facilitatorOf(t, cid)
	const newPassword = "another long and unusual passphrase"

	_, _, err := f.svc.CreateResetLink(ctx, other.ID, cid, author.ID)
	wantCode(t, err, casestudy.EFORBIDDEN, "")
	_, _, err = f.svc.CreateResetLink(ctx, outsider.ID, cid, author.ID)
	wantCode(t, err, casestudy.ENOTFOUND, "")
	_, _, err = f.svc.CreateResetLink(ctx, fac.ID, cid, outsider.ID)
	wantCode(t, err, casestudy.ENOTFOUND, "")
	_, _, err = f.svc.CreateResetLink(ctx, fac.ID, cid, fac.ID)
	wantCode(t, err, casestudy.ECONFLICT, "")

	_, signIn, err := f.svc.SignIn(ctx, author.Email, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	first, expires, err := f.svc.CreateResetLink(ctx, fac.ID, cid, author.ID)
	if err != nil || expires.Sub(f.svc.Now()) != casestudy.ResetLinkLifetime {
		t.Fatalf("link expires %v (%v)", expires, err)
	}
	link, _, err := f.svc.CreateResetLink(ctx, fac.ID, cid, author.ID) // replaces the first
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.ConfirmReset(ctx, first, newPassword), casestudy.ENOTFOUND, "")
	wantCode(t, f.svc.ConfirmReset(ctx, link, "short"), casestudy.EVALIDATION, "password")
	if err := f.svc.ConfirmReset(ctx, link, newPassword); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.ConfirmReset(ctx, link, newPassword+"!"), casestudy.ENOTFOUND, "") // once only
	if _, err := f.svc.Authenticate(ctx, signIn); casestudy.ErrorCode(err) != casestudy.EUNAUTHORIZED {
		t.Fatalf("the old sign-in still works: %v", err)
	}
	if f.events.revoked[len(f.events.revoked)-1] != author.ID {
		t.Fatalf("no SignInsRevoked event: %v", f.events.revoked)
	}
	if _, _, err := f.svc.SignIn(ctx, author.Email, newPassword); err != nil {
		t.Fatalf("the new password does not sign in: %v", err)
	}
	if _, _, err := f.svc.SignIn(ctx, author.Email, goodPassword); err == nil {
		t.Fatal("the old password still signs in")
	}

	// A day later a link does not work.
	late, _, err := f.svc.CreateResetLink(ctx, fac.ID, cid, author.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(casestudy.ResetLinkLifetime + time.Second)
	wantCode(t, f.svc.ConfirmReset(ctx, late, newPassword), casestudy.ENOTFOUND, "")
	wantCode(t, f.svc.ConfirmReset(ctx, "not-a-token", newPassword), casestudy.ENOTFOUND, "")

	entries, err := f.svc.ListAudit(ctx, fac.ID, cid, casestudy.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.Action]++
	}
	if seen["password.reset_link"] != 3 || seen["password.reset"] != 1 {
		t.Fatalf("audit log %v", seen)
	}
}

// A person's time zone is an IANA name the server knows; it comes with their sign-in.
func TestTimeZoneSetting(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ada, token := f.mustRegister(t, "ada")
	for _, bad := range []string{"Mars/Olympus", "Local", "asia/tokyo", "Europe/London/Extra", strings.Repeat("A", 70)} {
		_, err := f.svc.SetTimeZone(ctx, ada.ID, bad)
		wantCode(t, err, casestudy.EVALIDATION, "time_zone")
	}
	u, err := f.svc.SetTimeZone(ctx, ada.ID, " Asia/Tokyo ")
	if err != nil || u.TimeZone != "Asia/Tokyo" {
		t.Fatalf("set: %+v, %v", u, err)
	}
	if me, err := f.svc.Authenticate(ctx, token); err != nil || me.TimeZone != "Asia/Tokyo" {
		t.Fatalf("signed in as %+v, %v", me, err)
	}
	if u, err := f.svc.SetTimeZone(ctx, ada.ID, ""); err != nil || u.TimeZone != "" {
		t.Fatalf("cleared: %+v, %v", u, err)
	}
}
