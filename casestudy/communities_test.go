package casestudy_test

import (
	"context"
	"testing"
	"time"

	"github.com/casecircle/casecircle/casestudy"
)

func TestCommunitiesAndRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	fac, _ := f.mustRegister(t, "fay")
	mem, _ := f.mustRegister(t, "max")
	outsider, _ := f.mustRegister(t, "oz")

	_, err := f.svc.CreateCommunity(ctx, fac.ID, casestudy.NewCommunity{Name: "  "})
	wantCode(t, err, casestudy.EVALIDATION, "name")

	c, err := f.svc.CreateCommunity(ctx, fac.ID, casestudy.NewCommunity{Name: "Tuesday peer group", Description: "Coaches in the north"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MyRole != casestudy.RoleFacilitator {
		t.Fatalf("creator's role %q", c.MyRole)
	}
	inv, token, err := f.svc.CreateInvitation(ctx, fac.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 5})
	if err != nil || inv.Status != "active" {
		t.Fatalf("invitation %+v: %v", inv, err)
	}
	if _, err := f.svc.AcceptInvitation(ctx, mem.ID, token); err != nil {
		t.Fatal(err)
	}

	t.Run("non-members see nothing, members lack facilitator powers", func(t *testing.T) {
		_, err := f.svc.GetCommunity(ctx, outsider.ID, c.ID)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		_, err = f.svc.ListMembers(ctx, outsider.ID, c.ID)
		wantCode(t, err, casestudy.ENOTFOUND, "")
		wantCode(t, f.svc.ChangeRole(ctx, outsider.ID, c.ID, mem.ID, casestudy.RoleFacilitator), casestudy.ENOTFOUND, "")
		wantCode(t, f.svc.ChangeRole(ctx, mem.ID, c.ID, mem.ID, casestudy.RoleFacilitator), casestudy.EFORBIDDEN, "")
		_, _, err = f.svc.CreateInvitation(ctx, mem.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleMember})
		wantCode(t, err, casestudy.EFORBIDDEN, "")
		_, err = f.svc.ListAudit(ctx, mem.ID, c.ID, casestudy.AuditFilter{Limit: 10})
		wantCode(t, err, casestudy.EFORBIDDEN, "")
		wantCode(t, f.svc.RemoveMember(ctx, mem.ID, c.ID, fac.ID), casestudy.EFORBIDDEN, "")
	})

	t.Run("the last facilitator can neither be demoted nor leave", func(t *testing.T) {
		wantCode(t, f.svc.ChangeRole(ctx, fac.ID, c.ID, fac.ID, casestudy.RoleMember), casestudy.ECONFLICT, "")
		wantCode(t, f.svc.RemoveMember(ctx, fac.ID, c.ID, fac.ID), casestudy.ECONFLICT, "")
		if err := f.svc.ChangeRole(ctx, fac.ID, c.ID, mem.ID, casestudy.RoleFacilitator); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ChangeRole(ctx, mem.ID, c.ID, fac.ID, casestudy.RoleSupervisor); err != nil {
			t.Fatalf("with two facilitators one may be demoted: %v", err)
		}
		wantCode(t, f.svc.RemoveMember(ctx, mem.ID, c.ID, mem.ID), casestudy.ECONFLICT, "")
		wantCode(t, f.svc.ChangeRole(ctx, mem.ID, c.ID, fac.ID, "owner"), casestudy.EVALIDATION, "role")
	})

	t.Run("members can leave; facilitators can remove", func(t *testing.T) {
		if err := f.svc.RemoveMember(ctx, fac.ID, c.ID, fac.ID); err != nil { // fay is a supervisor now
			t.Fatal(err)
		}
		if _, err := f.svc.Membership(ctx, fac.ID, c.ID); casestudy.ErrorCode(err) != casestudy.ENOTFOUND {
			t.Fatalf("still a member after leaving: %v", err)
		}
		if _, err := f.svc.AcceptInvitation(ctx, outsider.ID, token); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RemoveMember(ctx, mem.ID, c.ID, outsider.ID); err != nil {
			t.Fatal(err)
		}
		if len(f.events.ended) != 2 {
			t.Fatalf("MembershipEnded events %v, want 2", f.events.ended)
		}
	})

	t.Run("audit entries for the community", func(t *testing.T) {
		entries, err := f.svc.ListAudit(ctx, mem.ID, c.ID, casestudy.AuditFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action] = true
		}
		for _, want := range []string{"community.created", "invitation.created", "invitation.used", "member.role_changed", "member.left", "member.removed"} {
			if !seen[want] {
				t.Errorf("no %s entry in %v", want, seen)
			}
		}
	})
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	fac, _ := f.mustRegister(t, "fay")
	c, err := f.svc.CreateCommunity(ctx, fac.ID, casestudy.NewCommunity{Name: "Group"})
	if err != nil {
		t.Fatal(err)
	}
	newcomer := func(name string) casestudy.User { u, _ := f.mustRegister(t, name); return u }

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			in    casestudy.NewInvitation
			field string
		}{
			{casestudy.NewInvitation{Role: "boss"}, "role"},
			{casestudy.NewInvitation{Role: casestudy.RoleMember, Lifetime: time.Minute}, "expires_in_hours"},
			{casestudy.NewInvitation{Role: casestudy.RoleMember, Lifetime: 31 * 24 * time.Hour}, "expires_in_hours"},
			{casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 1001}, "max_uses"},
		} {
			_, _, err := f.svc.CreateInvitation(ctx, fac.ID, c.ID, tc.in)
			wantCode(t, err, casestudy.EVALIDATION, tc.field)
		}
	})

	t.Run("max uses", func(t *testing.T) {
		_, token, _ := f.svc.CreateInvitation(ctx, fac.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleSupervisor, MaxUses: 1})
		a, b := newcomer("ann"), newcomer("ben")
		joined, err := f.svc.AcceptInvitation(ctx, a.ID, token)
		if err != nil || joined.MyRole != casestudy.RoleSupervisor {
			t.Fatalf("joined %+v: %v", joined, err)
		}
		if _, err := f.svc.AcceptInvitation(ctx, a.ID, token); err != nil {
			t.Fatalf("a member reopening the link: %v", err)
		}
		_, err = f.svc.AcceptInvitation(ctx, b.ID, token)
		wantCode(t, err, casestudy.ECONFLICT, "")
		p, _ := f.svc.PreviewInvitation(ctx, b.ID, token)
		if p.Status != "used_up" {
			t.Fatalf("preview status %q", p.Status)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		_, token, _ := f.svc.CreateInvitation(ctx, fac.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, Lifetime: 2 * time.Hour})
		f.clock.Advance(2 * time.Hour)
		_, err := f.svc.AcceptInvitation(ctx, newcomer("cat").ID, token)
		wantCode(t, err, casestudy.ECONFLICT, "")
	})

	t.Run("revocation", func(t *testing.T) {
		inv, token, _ := f.svc.CreateInvitation(ctx, fac.ID, c.ID, casestudy.NewInvitation{Role: casestudy.RoleMember, MaxUses: 10})
		if err := f.svc.RevokeInvitation(ctx, fac.ID, c.ID, inv.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.AcceptInvitation(ctx, newcomer("dan").ID, token)
		wantCode(t, err, casestudy.ECONFLICT, "")
		wantCode(t, f.svc.RevokeInvitation(ctx, fac.ID, c.ID, inv.ID+1000), casestudy.ENOTFOUND, "")
		list, _ := f.svc.ListInvitations(ctx, fac.ID, c.ID)
		for _, i := range list {
			if i.ID == inv.ID && i.Status != "revoked" {
				t.Fatalf("listed status %q", i.Status)
			}
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		_, err := f.svc.AcceptInvitation(ctx, fac.ID, "no-such-token")
		wantCode(t, err, casestudy.ENOTFOUND, "")
	})
}
