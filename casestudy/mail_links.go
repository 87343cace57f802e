package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/internal/postgres"
)

// Links sent by mail: a password reset asked for by the person, invitations bound to an
// address, and the verification of an address.

// Lifetimes of mailed links.
const (
	MailedResetLifetime = time.Hour
	// ResetMailInterval: one reset mail per account in this time, whatever is asked.
	ResetMailInterval       = 2 * time.Minute
	VerificationLifetime    = 48 * time.Hour
	MaxInvitationsPerSubmit = 50
)

// RequestReset mails a reset link to the account with this address, if there is one and mail
// is on. The caller answers the same whatever happens, so that nobody learns which addresses
// have accounts; an account gets at most one such mail every ResetMailInterval.
func (s Accounts) RequestReset(ctx context.Context, email string) error {
	address, err := normaliseEmail(email)
	if err != nil {
		return err
	}
	if !s.MailEnabled() {
		return Errorf(ECONFLICT, "This server sends no e-mail: ask a facilitator of your community for a reset link.")
	}
	token, sealed, err := s.sealedToken()
	if err != nil {
		return err
	}
	now := s.Now()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var userID int64
		err := sqlx.GetContext(ctx, tx, &userID, `SELECT id FROM users WHERE lower(email) = lower($1) AND erased_at IS NULL FOR UPDATE`, address)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var recent bool
		if err := sqlx.GetContext(ctx, tx, &recent, `SELECT EXISTS (SELECT 1 FROM password_resets
			WHERE user_id = $1 AND created_by IS NULL AND created_at > $2)`, userID, now.Add(-ResetMailInterval)); err != nil {
			return err
		}
		if recent {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			tokenHash(token), userID, now, now.Add(MailedResetLifetime)); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &userID, Action: "password.reset_mailed", TargetType: "user", TargetID: &userID}); err != nil {
			return err
		}
		return s.enqueueMail(ctx, tx, MailJob{Kind: MailPasswordReset, UserID: userID, SealedToken: sealed})
	})
}

// sendVerification queues a link that proves the account's address.
func (c *core) sendVerification(ctx context.Context, tx *sqlx.Tx, userID int64, email string) error {
	return c.sendVerificationTo(ctx, tx, userID, email)
}

// sendVerificationTo queues a link that proves email for the account: its own address, or the
// one it is changing to (the mail then goes there).
func (c *core) sendVerificationTo(ctx context.Context, tx *sqlx.Tx, userID int64, email string) error {
	if !c.MailEnabled() {
		return nil
	}
	token, sealed, err := c.sealedToken()
	if err != nil {
		return err
	}
	now := c.Now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_verifications WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		tokenHash(token), userID, email, now, now.Add(VerificationLifetime)); err != nil {
		return err
	}
	return c.enqueueMail(ctx, tx, MailJob{Kind: MailVerifyEmail, UserID: userID, Address: email, SealedToken: sealed})
}

// ResendVerification mails a new verification link to the account's address.
func (s Accounts) ResendVerification(ctx context.Context, userID int64) error {
	if !s.MailEnabled() {
		return Errorf(ECONFLICT, "This server sends no e-mail.")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var u struct {
			Email    string     `db:"email"`
			Verified *time.Time `db:"email_verified_at"`
		}
		if err := sqlx.GetContext(ctx, tx, &u, `SELECT email, email_verified_at FROM users WHERE id = $1 FOR UPDATE`, userID); err != nil {
			return err
		}
		if u.Verified != nil {
			return Errorf(ECONFLICT, "Your address is verified already.")
		}
		var recent bool
		if err := sqlx.GetContext(ctx, tx, &recent, `SELECT EXISTS (SELECT 1 FROM email_verifications WHERE user_id = $1 AND created_at > $2)`,
			userID, s.Now().Add(-ResetMailInterval)); err != nil {
			return err
		}
		if recent {
			return Errorf(ERATELIMITED, "A link was sent a moment ago: look for it, or try again in a few minutes.")
		}
		return s.sendVerification(ctx, tx, userID, u.Email)
	})
}

// VerifyEmail marks an address verified by the link mailed to it, once, if the account still
// has that address.
func (s Accounts) VerifyEmail(ctx context.Context, token string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var v struct {
			UserID    int64      `db:"user_id"`
			Email     string     `db:"email"`
			ExpiresAt time.Time  `db:"expires_at"`
			UsedAt    *time.Time `db:"used_at"`
		}
		err := sqlx.GetContext(ctx, tx, &v, `SELECT user_id, email, expires_at, used_at FROM email_verifications WHERE token_hash = $1 FOR UPDATE`, tokenHash(token))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (v.UsedAt != nil || !s.Now().Before(v.ExpiresAt))) {
			return Errorf(ENOTFOUND, "This verification link does not work any more: ask for a new one on your account page.")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE email_verifications SET used_at = $2 WHERE token_hash = $1`, tokenHash(token), s.Now()); err != nil {
			return err
		}
		var current string
		if err := sqlx.GetContext(ctx, tx, &current, `SELECT email FROM users WHERE id = $1 AND erased_at IS NULL FOR UPDATE`, v.UserID); err != nil {
			return err
		}
		if strings.EqualFold(current, v.Email) {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = $2 WHERE id = $1`, v.UserID, s.Now()); err != nil {
				return err
			}
			return appendAudit(ctx, tx, AuditEntry{ActorID: &v.UserID, Action: "account.email_verified", TargetType: "user", TargetID: &v.UserID})
		}
		// A change of address, proven: the account takes it, and the old address is told.
		var taken bool
		if err := sqlx.GetContext(ctx, tx, &taken, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1) AND id <> $2)`, v.Email, v.UserID); err != nil {
			return err
		}
		if taken {
			return Errorf(ECONFLICT, "Another account has taken this address since: choose another on your account page.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = $2, email_verified_at = $3 WHERE id = $1`, v.UserID, v.Email, s.Now()); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, AuditEntry{ActorID: &v.UserID, Action: "account.email_changed", TargetType: "user", TargetID: &v.UserID}); err != nil {
			return err
		}
		return s.enqueueMail(ctx, tx, MailJob{Kind: MailEmailChanged, UserID: v.UserID, Address: current})
	})
}

// InviteByEmail makes one single-use invitation per address, bound to it, and mails it. It
// returns the invitations made (the addresses that are members already are skipped).
func (s Invitations) InviteByEmail(ctx context.Context, actorID, communityID int64, role Role, addresses []string) ([]Invitation, error) {
	if !s.MailEnabled() {
		return nil, Errorf(ECONFLICT, "This server sends no e-mail: make an invitation link and hand it over instead.")
	}
	if len(addresses) == 0 {
		return nil, FieldErrorf("emails", "Enter at least one address.")
	}
	if len(addresses) > MaxInvitationsPerSubmit {
		return nil, FieldErrorf("emails", "Invite at most %d people at once.", MaxInvitationsPerSubmit)
	}
	if !role.Valid() {
		return nil, FieldErrorf("role", "Choose member, supervisor or facilitator.")
	}
	seen := map[string]bool{}
	var clean []string
	for _, a := range addresses {
		addr, err := normaliseEmail(a)
		if err != nil {
			return nil, FieldErrorf("emails", "%q is not an e-mail address.", strings.TrimSpace(a))
		}
		if !seen[strings.ToLower(addr)] {
			seen[strings.ToLower(addr)] = true
			clean = append(clean, addr)
		}
	}
	made := []Invitation{}
	now := s.Now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, actorID, communityID, RoleFacilitator); err != nil {
			return err
		}
		for _, addr := range clean {
			var member bool
			if err := sqlx.GetContext(ctx, tx, &member, `SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.community_id = $1 AND lower(u.email) = lower($2))`, communityID, addr); err != nil {
				return err
			}
			if member {
				continue
			}
			token, sealed, err := s.sealedToken()
			if err != nil {
				return err
			}
			var inv Invitation
			if err := sqlx.GetContext(ctx, tx, &inv, `
				INSERT INTO invitations (community_id, token_hash, role, created_by, created_at, expires_at, max_uses, note, email)
				VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING `+invitationColumns,
				communityID, tokenHash(token), role, actorID, now, now.Add(DefaultInvitationLifetime), addr); err != nil {
				return err
			}
			inv.setStatus(now)
			made = append(made, inv)
			if err := appendAudit(ctx, tx, AuditEntry{ActorID: &actorID, CommunityID: &communityID, Action: "invitation.mailed",
				TargetType: "invitation", TargetID: &inv.ID, Detail: detailJSON(map[string]Role{"role": role})}); err != nil {
				return err
			}
			if err := s.enqueueMail(ctx, tx, MailJob{Kind: MailInvitation, Address: addr, CommunityID: communityID,
				SealedToken: sealed, ActorID: actorID}); err != nil {
				return err
			}
		}
		return nil
	})
	return made, err
}

// EmailVerified reports whether the account's address is verified.
func (s Accounts) EmailVerified(ctx context.Context, userID int64) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, s.db, &ok, `SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1`, userID)
	return ok, err
}

// ChangeEmail changes the account's address, after its password. With mail on, the change waits
// until the new address is proven: a link goes to it, and the address changes when it is
// followed (VerifyEmail), after which the old address is told. With mail off it changes at once,
// unverified. It reports whether the change waits for the link.
func (s Accounts) ChangeEmail(ctx context.Context, token, password, email string) (pending bool, err error) {
	address, err := normaliseEmail(email)
	if err != nil {
		return false, err
	}
	u, err := s.confirmPassword(ctx, token, password, "password", "Your password is not right.")
	if err != nil {
		return false, err
	}
	if strings.EqualFold(address, u.Email) {
		return false, FieldErrorf("email", "That is your address already.")
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var taken bool
		if err := sqlx.GetContext(ctx, tx, &taken, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))`, address); err != nil {
			return err
		}
		if taken {
			return FieldErrorf("email", "Another account has this address.")
		}
		if s.MailEnabled() {
			pending = true
			return s.sendVerificationTo(ctx, tx, u.ID, address)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = $2, email_verified_at = NULL WHERE id = $1`, u.ID, address); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "account.email_changed", TargetType: "user", TargetID: &u.ID})
	})
	if err != nil && postgres.IsUniqueViolation(err, "users_email_key") {
		return false, FieldErrorf("email", "Another account has this address.")
	}
	return pending, err
}
