package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Invitation limits.
const (
	MinInvitationLifetime     = time.Hour
	MaxInvitationLifetime     = 30 * 24 * time.Hour
	DefaultInvitationLifetime = 7 * 24 * time.Hour
	MaxInvitationUses         = 1000
)

// Invitation is a link that lets people join a community with a role. Its token is shown once,
// when it is created; only its hash is stored.
type Invitation struct {
	ID          int64      `db:"id" json:"id"`
	CommunityID int64      `db:"community_id" json:"community_id"`
	Role        Role       `db:"role" json:"role"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	ExpiresAt   time.Time  `db:"expires_at" json:"expires_at"`
	MaxUses     int        `db:"max_uses" json:"max_uses"`
	Uses        int        `db:"uses" json:"uses"`
	RevokedAt   *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
	Note        string     `db:"note" json:"note"` // whom it was for: facilitators only
	Status      string     `db:"-" json:"status"`  // active, expired, used_up, revoked
}

func (inv *Invitation) setStatus(now time.Time) {
	switch {
	case inv.RevokedAt != nil:
		inv.Status = "revoked"
	case !now.Before(inv.ExpiresAt):
		inv.Status = "expired"
	case inv.Uses >= inv.MaxUses:
		inv.Status = "used_up"
	default:
		inv.Status = "active"
	}
}

// NewInvitation is what a facilitator chooses for an invitation.
type NewInvitation struct {
	Role     Role
	Lifetime time.Duration // 0: DefaultInvitationLifetime
	MaxUses  int           // 0: 1
	Note     string        // whom it is for, for facilitators' eyes; optional
}

// MaxInvitationNoteLength bounds an invitation's note.
const MaxInvitationNoteLength = 200

// InvitationPreview is what the holder of a link sees before joining.
type InvitationPreview struct {
	CommunityName string `json:"community_name"`
	Role          Role   `json:"role"`
	Status        string `json:"status"`
	AlreadyMember bool   `json:"already_member"`
	CommunityID   int64  `json:"community_id,omitempty"` // only for members
}

const invitationColumns = `id, community_id, role, created_at, expires_at, max_uses, uses, revoked_at, note`

// CreateInvitation makes an invitation link; the returned token goes in the link and is never
// shown again. Facilitators only.
func (s Invitations) CreateInvitation(ctx context.Context, actorID, communityID int64, in NewInvitation) (Invitation, string, error) {
	if in.Lifetime == 0 {
		in.Lifetime = DefaultInvitationLifetime
	}
	if in.MaxUses == 0 {
		in.MaxUses = 1
	}
	if _, err := requireRole(ctx, s.db, actorID, communityID, RoleFacilitator); err != nil {
		return Invitation{}, "", err
	}
	switch {
	case !in.Role.Valid():
		return Invitation{}, "", FieldErrorf("role", "Choose member, supervisor or facilitator.")
	case in.Lifetime < MinInvitationLifetime || in.Lifetime > MaxInvitationLifetime:
		return Invitation{}, "", FieldErrorf("expires_in_hours", "An invitation lasts from 1 hour to 30 days.")
	case in.MaxUses < 1 || in.MaxUses > MaxInvitationUses:
		return Invitation{}, "", FieldErrorf("max_uses", "An invitation can be used from 1 to %d times.", MaxInvitationUses)
	}
	if in.Note = strings.TrimSpace(in.Note); in.Note != "" {
		note, err := validateLine("note", in.Note, MaxInvitationNoteLength, "")
		if err != nil {
			return Invitation{}, "", err
		}
		in.Note = note
	}
	token, err := newToken()
	if err != nil {
		return Invitation{}, "", err
	}
	now := s.Now()
	var inv Invitation
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := sqlx.GetContext(ctx, tx, &inv, `
			INSERT INTO invitations (community_id, token_hash, role, created_by, created_at, expires_at, max_uses, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+invitationColumns,
			communityID, tokenHash(token), in.Role, actorID, now, now.Add(in.Lifetime), in.MaxUses, in.Note)
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "invitation.created",
			TargetType: "invitation", TargetID: &inv.ID,
			Detail: detailJSON(map[string]any{"role": in.Role, "max_uses": in.MaxUses, "expires_at": inv.ExpiresAt})})
	})
	inv.setStatus(now)
	return inv, token, err
}

// ListInvitations returns a community's invitations, newest first. Facilitators only.
func (s Invitations) ListInvitations(ctx context.Context, actorID, communityID int64) ([]Invitation, error) {
	if _, err := requireRole(ctx, s.db, actorID, communityID, RoleFacilitator); err != nil {
		return nil, err
	}
	list := []Invitation{}
	if err := sqlx.SelectContext(ctx, s.db, &list, `SELECT `+invitationColumns+` FROM invitations WHERE community_id = $1 ORDER BY id DESC LIMIT 200`, communityID); err != nil {
		return nil, err
	}
	now := s.Now()
	for i := range list {
		list[i].setStatus(now)
	}
	return list, nil
}

// RevokeInvitation stops an invitation from being used again. Facilitators only.
func (s Invitations) RevokeInvitation(ctx context.Context, actorID, communityID, invitationID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = $3 WHERE id = $1 AND community_id = $2 AND revoked_at IS NULL`,
			invitationID, communityID, s.Now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists bool
			if err := sqlx.GetContext(ctx, tx, &exists, `SELECT EXISTS (SELECT 1 FROM invitations WHERE id = $1 AND community_id = $2)`, invitationID, communityID); err != nil {
				return err
			}
			if !exists {
				return Errorf(ENOTFOUND, "No such invitation.")
			}
			return nil // revoked already: nothing to do
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "invitation.revoked",
			TargetType: "invitation", TargetID: &invitationID})
	})
}

type invitationRow struct {
	Invitation
	CommunityName string  `db:"community_name"`
	Email         *string `db:"email"` // sent to this address, and for its account only
}

func invitationByToken(ctx context.Context, q sqlx.QueryerContext, token string, forUpdate bool) (invitationRow, error) {
	query := `SELECT i.id, i.community_id, i.role, i.created_at, i.expires_at, i.max_uses, i.uses, i.revoked_at, i.email, c.name AS community_name
		FROM invitations i JOIN communities c ON c.id = i.community_id WHERE i.token_hash = $1`
	if forUpdate {
		query += ` FOR UPDATE OF i`
	}
	var row invitationRow
	err := sqlx.GetContext(ctx, q, &row, query, tokenHash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return row, Errorf(ENOTFOUND, "This invitation link is not valid. Ask your facilitator for a new one.")
	}
	return row, err
}

// PreviewInvitation tells the holder of a link which community it is for and whether it works.
func (s Invitations) PreviewInvitation(ctx context.Context, userID int64, token string) (InvitationPreview, error) {
	row, err := invitationByToken(ctx, s.db, token, false)
	if err != nil {
		return InvitationPreview{}, err
	}
	row.setStatus(s.Now())
	p := InvitationPreview{CommunityName: row.CommunityName, Role: row.Role, Status: row.Status}
	if _, err := Communities(s).Membership(ctx, userID, row.CommunityID); err == nil {
		p.AlreadyMember, p.CommunityID = true, row.CommunityID
	}
	return p, nil
}

// AcceptInvitation makes the user a member with the invitation's role. Someone who is a member
// already keeps their role and uses up nothing.
func (s Invitations) AcceptInvitation(ctx context.Context, userID int64, token string) (Community, error) {
	var communityID int64
	var notify []int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		row, err := invitationByToken(ctx, tx, token, true)
		if err != nil {
			return err
		}
		communityID = row.CommunityID
		if _, err := membershipRole(ctx, tx, userID, row.CommunityID, false); err == nil {
			return nil
		}
		row.setStatus(s.Now())
		if row.Email != nil {
			var mine bool
			if err := sqlx.GetContext(ctx, tx, &mine, `SELECT lower(email) = lower($2) FROM users WHERE id = $1`, userID, *row.Email); err != nil {
				return err
			}
			if !mine {
				return Errorf(EFORBIDDEN, "This invitation was sent to another e-mail address: sign in with the account for that address, or sign up with it.")
			}
			// The link came to that mailbox: the address is proven.
			if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = coalesce(email_verified_at, $2) WHERE id = $1`, userID, s.Now()); err != nil {
				return err
			}
		}
		switch row.Status {
		case "revoked":
			return Errorf(ECONFLICT, "This invitation was withdrawn. Ask your facilitator for a new one.")
		case "expired":
			return Errorf(ECONFLICT, "This invitation has expired. Ask your facilitator for a new one.")
		case "used_up":
			return Errorf(ECONFLICT, "This invitation has been used as often as it allows. Ask your facilitator for a new one.")
		}
		var removedAfter bool
		if err := sqlx.GetContext(ctx, tx, &removedAfter, `SELECT EXISTS (SELECT 1 FROM community_removals
			WHERE community_id = $1 AND user_id = $2 AND removed_at >= $3)`, row.CommunityID, userID, row.CreatedAt); err != nil {
			return err
		}
		if removedAfter {
			return Errorf(EFORBIDDEN, "You were removed from this community after this invitation was made. Ask a facilitator for a new invitation.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET uses = uses + 1 WHERE id = $1`, row.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (community_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)`,
			row.CommunityID, userID, row.Role, s.Now()); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: &row.CommunityID, Action: "invitation.used",
			TargetType: "invitation", TargetID: &row.ID, Detail: detailJSON(map[string]Role{"role": row.Role})}); err != nil {
			return err
		}
		// The facilitator who made the invitation hears that it was used.
		var inviter *int64
		if err := sqlx.GetContext(ctx, tx, &inviter, `SELECT i.created_by FROM invitations i
			JOIN memberships m ON m.community_id = i.community_id AND m.user_id = i.created_by WHERE i.id = $1`, row.ID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if inviter != nil {
			ok, err := addNotification(ctx, tx, *inviter, row.CommunityID, NotifyInvitationAccepted, &userID, nil, s.Now())
			if err != nil {
				return err
			}
			if ok {
				notify = append(notify, *inviter)
			}
		}
		return nil
	})
	if err != nil {
		return Community{}, err
	}
	s.events.NotificationsChanged(notify)
	return Communities(s).GetCommunity(ctx, userID, communityID)
}
