package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Role is what a member may do in one community.
type Role string

// The roles, per community (see docs: domain).
const (
	RoleMember      Role = "member"      // posts cases, takes part
	RoleSupervisor  Role = "supervisor"  // also facilitates live sessions
	RoleFacilitator Role = "facilitator" // also runs the community: invitations, roles, archive
)

// Valid says whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleMember || r == RoleSupervisor || r == RoleFacilitator
}

// Field limits for communities.
const (
	MaxCommunityNameLength        = 100
	MaxCommunityDescriptionLength = 2000
)

// Community is a supervision group, as seen by one of its members.
type Community struct {
	ID          int64     `db:"id" json:"id"`
	Name        string    `db:"name" json:"name"`
	Description string    `db:"description" json:"description"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	MyRole      Role      `db:"my_role" json:"my_role"`
	MemberCount int       `db:"member_count" json:"member_count"`
}

// Member is one person's membership of a community.
type Member struct {
	UserID      int64     `db:"user_id" json:"user_id"`
	DisplayName string    `db:"display_name" json:"display_name"`
	Role        Role      `db:"role" json:"role"`
	JoinedAt    time.Time `db:"joined_at" json:"joined_at"`
}

// NewCommunity is what a user gives to create a community.
type NewCommunity struct {
	Name        string
	Description string
}

func (in NewCommunity) validate() (NewCommunity, error) {
	var err error
	if in.Name, err = validateLine("name", in.Name, MaxCommunityNameLength, "Give the community a name."); err != nil {
		return in, err
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxCommunityDescriptionLength {
		return in, FieldErrorf("description", "Use at most %d characters.", MaxCommunityDescriptionLength)
	}
	return in, nil
}

// CreateCommunity creates a community with its creator as first facilitator.
func (s Communities) CreateCommunity(ctx context.Context, actorID int64, in NewCommunity) (Community, error) {
	in, err := in.validate()
	if err != nil {
		return Community{}, err
	}
	var c Community
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := sqlx.GetContext(ctx, tx, &c, `
			INSERT INTO communities (name, description, created_by, created_at) VALUES ($1, $2, $3, $4)
			RETURNING id, name, description, created_at`, in.Name, in.Description, actorID, s.Now())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO memberships (community_id, user_id, role, joined_at) VALUES ($1, $2, 'facilitator', $3)`,
			c.ID, actorID, s.Now()); err != nil {
			return err
		}
		c.MyRole, c.MemberCount = RoleFacilitator, 1
		return appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &c.ID, Action: "community.created",
			TargetType: "community", TargetID: &c.ID})
	})
	return c, err
}

// UpdateCommunity renames a community and rewrites its description. Facilitators only.
func (s Communities) UpdateCommunity(ctx context.Context, actorID, communityID int64, in NewCommunity) (Community, error) {
	in, err := in.validate()
	if err != nil {
		return Community{}, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
			return err
		}
		var before string
		if err := sqlx.GetContext(ctx, tx, &before, `SELECT name FROM communities WHERE id = $1 FOR UPDATE`, communityID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE communities SET name = $2, description = $3 WHERE id = $1`, communityID, in.Name, in.Description); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "community.renamed",
			TargetType: "community", TargetID: &communityID, Detail: detailJSON(map[string]string{"from": before, "to": in.Name})})
	})
	if err != nil {
		return Community{}, err
	}
	return s.GetCommunity(ctx, actorID, communityID)
}

// DeleteCommunity deletes a community and everything in it, for good: its cases, rooms and
// messages, session records, archive, formats, invitations and memberships. Facilitators only,
// naming the community to confirm. Every member's live connections close. The audit log keeps
// its entries (it is append-only), which hold no case or message text.
func (s Communities) DeleteCommunity(ctx context.Context, actorID, communityID int64, confirmName string) error {
	var members []int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
			return err
		}
		var name string
		if err := sqlx.GetContext(ctx, tx, &name, `SELECT name FROM communities WHERE id = $1 FOR UPDATE`, communityID); err != nil {
			return err
		}
		if strings.TrimSpace(confirmName) != name {
			return FieldErrorf("confirm_name", "Type the community's name exactly to confirm.")
		}
		if err := sqlx.SelectContext(ctx, tx, &members, `SELECT user_id FROM memberships WHERE community_id = $1`, communityID); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "community.deleted",
			TargetType: "community", TargetID: &communityID, Detail: detailJSON(map[string]any{"members": len(members)})}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM communities WHERE id = $1`, communityID)
		return err
	})
	if err == nil {
		for _, id := range members {
			s.events.MembershipEnded(id, communityID)
		}
	}
	return err
}

// ListCommunities returns the communities the user belongs to, by name.
func (s Communities) ListCommunities(ctx context.Context, userID int64) ([]Community, error) {
	list := []Community{}
	err := sqlx.SelectContext(ctx, s.db, &list, `
		SELECT c.id, c.name, c.description, c.created_at, m.role AS my_role,
		       (SELECT count(*) FROM memberships x WHERE x.community_id = c.id) AS member_count
		FROM memberships m JOIN communities c ON c.id = m.community_id
		WHERE m.user_id = $1
		ORDER BY lower(c.name), c.id`, userID)
	return list, err
}

// Membership returns the user's role in the community, or ENOTFOUND when they are not a member:
// a non-member cannot tell a community they may not see from one that does not exist.
func (s Communities) Membership(ctx context.Context, userID, communityID int64) (Role, error) {
	return membershipRole(ctx, s.db, userID, communityID, false)
}

// GetCommunity returns a community the user belongs to.
func (s Communities) GetCommunity(ctx context.Context, userID, communityID int64) (Community, error) {
	var c Community
	err := sqlx.GetContext(ctx, s.db, &c, `
		SELECT c.id, c.name, c.description, c.created_at, m.role AS my_role,
		       (SELECT count(*) FROM memberships x WHERE x.community_id = c.id) AS member_count
		FROM memberships m JOIN communities c ON c.id = m.community_id
		WHERE m.user_id = $1 AND c.id = $2`, userID, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFoundCommunity()
	}
	return c, err
}

// ListMembers returns the members of a community the actor belongs to, facilitators first.
func (s Communities) ListMembers(ctx context.Context, actorID, communityID int64) ([]Member, error) {
	if _, err := s.Membership(ctx, actorID, communityID); err != nil {
		return nil, err
	}
	list := []Member{}
	err := sqlx.SelectContext(ctx, s.db, &list, `
		SELECT m.user_id, u.display_name, m.role, m.joined_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.community_id = $1
		ORDER BY CASE m.role WHEN 'facilitator' THEN 0 WHEN 'supervisor' THEN 1 ELSE 2 END, lower(u.display_name), u.id`,
		communityID)
	return list, err
}

// ChangeRole gives a member another role. Facilitators only; the last facilitator keeps theirs.
func (s Communities) ChangeRole(ctx context.Context, actorID, communityID, userID int64, role Role) error {
	if !role.Valid() {
		return FieldErrorf("role", "Choose member, supervisor or facilitator.")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
			return err
		}
		current, err := lockFacilitatorsAndGetRole(ctx, tx, communityID, userID)
		if err != nil {
			return err
		}
		if current == role {
			return nil
		}
		if current == RoleFacilitator {
			if err := ensureAnotherFacilitator(ctx, tx, communityID, "The community needs at least one facilitator: make someone else facilitator first."); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = $3 WHERE community_id = $1 AND user_id = $2`, communityID, userID, role); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "member.role_changed",
			TargetType: "user", TargetID: &userID, Detail: detailJSON(map[string]Role{"from": current, "to": role})})
	})
}

// RemoveMember takes a user out of a community: a facilitator removing someone, or anyone leaving
// (actorID == userID). The last facilitator can do neither to themselves.
func (s Communities) RemoveMember(ctx context.Context, actorID, communityID, userID int64) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		action := "member.left"
		if actorID != userID {
			action = "member.removed"
			if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
				return err
			}
		}
		current, err := lockFacilitatorsAndGetRole(ctx, tx, communityID, userID)
		if err != nil {
			return err
		}
		if current == RoleFacilitator {
			if err := ensureAnotherFacilitator(ctx, tx, communityID, "The community needs at least one facilitator: make someone else facilitator before leaving."); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE community_id = $1 AND user_id = $2`, communityID, userID); err != nil {
			return err
		}
		if actorID != userID {
			// Remembered, so that an invitation made before now does not let them back in.
			if _, err := tx.ExecContext(ctx, `INSERT INTO community_removals (community_id, user_id, removed_at) VALUES ($1, $2, $3)
				ON CONFLICT (community_id, user_id) DO UPDATE SET removed_at = excluded.removed_at`, communityID, userID, s.Now()); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: action,
			TargetType: "user", TargetID: &userID, Detail: detailJSON(map[string]Role{"role": current})})
	})
	if err == nil {
		s.events.MembershipEnded(userID, communityID)
	}
	return err
}

func notFoundCommunity() error { return Errorf(ENOTFOUND, "No such community.") }

// membershipRole reads the user's role; forUpdate locks the membership row.
func membershipRole(ctx context.Context, q sqlx.QueryerContext, userID, communityID int64, forUpdate bool) (Role, error) {
	query := `SELECT role FROM memberships WHERE community_id = $1 AND user_id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var role Role
	err := sqlx.GetContext(ctx, q, &role, query, communityID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFoundCommunity()
	}
	return role, err
}

// requireRole is the authorization check of every community action: a non-member gets
// ENOTFOUND (no existence leak), a member without one of the roles EFORBIDDEN.
func requireRole(ctx context.Context, q sqlx.QueryerContext, userID, communityID int64, roles ...Role) (Role, error) {
	role, err := membershipRole(ctx, q, userID, communityID, false)
	if err != nil {
		return "", err
	}
	if len(roles) > 0 && !slices.Contains(roles, role) {
		return role, Errorf(EFORBIDDEN, "Only a %s of this community can do that.", roles[0])
	}
	return role, nil
}

// lockFacilitatorsAndGetRole locks the community's facilitator rows (so two concurrent
// demotions cannot both see "another facilitator") and returns the target's role.
func lockFacilitatorsAndGetRole(ctx context.Context, tx *sqlx.Tx, communityID, userID int64) (Role, error) {
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM communities WHERE id = $1 FOR UPDATE`, communityID); err != nil {
		return "", err
	}
	role, err := membershipRole(ctx, tx, userID, communityID, true)
	if ErrorCode(err) == ENOTFOUND {
		return "", Errorf(ENOTFOUND, "That person is not a member of this community.")
	}
	return role, err
}

func ensureAnotherFacilitator(ctx context.Context, tx *sqlx.Tx, communityID int64, message string) error {
	var n int
	if err := sqlx.GetContext(ctx, tx, &n, `SELECT count(*) FROM memberships WHERE community_id = $1 AND role = 'facilitator'`, communityID); err != nil {
		return err
	}
	if n <= 1 {
		return Errorf(ECONFLICT, "%s", message)
	}
	return nil
}
