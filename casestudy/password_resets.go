package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// ResetLinkLifetime is how long a password reset link works.
const ResetLinkLifetime = 24 * time.Hour

// CreateResetLink lets a facilitator give a member of their community who forgot their password
// a link to choose a new one, handed over in person while casecircle sends no e-mail. The link
// works once, for ResetLinkLifetime; making another stops the member's earlier ones. Both the
// link and its use are in the audit log, since whoever holds the link can take the account.
func (s Accounts) CreateResetLink(ctx context.Context, facilitatorID, communityID, memberID int64) (token string, expires time.Time, err error) {
	if facilitatorID == memberID {
		return "", time.Time{}, Errorf(ECONFLICT, "Change your own password on your account page.")
	}
	if token, err = newToken(); err != nil {
		return "", time.Time{}, err
	}
	now := s.Now()
	expires = now.Add(ResetLinkLifetime)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := requireRole(ctx, tx, facilitatorID, communityID, RoleFacilitator); err != nil {
			return err
		}
		if _, err := requireRole(ctx, tx, memberID, communityID); err != nil {
			return Errorf(ENOTFOUND, "No such member.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = $1`, memberID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO password_resets (token_hash, user_id, community_id, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, tokenHash(token), memberID, communityID, facilitatorID, now, expires); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &facilitatorID, CommunityID: &communityID, Action: "password.reset_link",
			TargetType: "user", TargetID: &memberID})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// errResetLinkUnusable answers every link that does not work, whatever the reason, so that a
// link's state is not revealed.
var errResetLinkUnusable = &Error{Code: ENOTFOUND, Message: "This reset link does not work any more: ask for a new one."}

// ConfirmReset sets a new password with a reset link, once: the link is spent, every sign-in of
// the account ends, and the audit log of the community it came from records it.
func (s Accounts) ConfirmReset(ctx context.Context, token, password string) error {
	if err := ValidatePassword("password", password); err != nil {
		return err
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return err
	}
	now := s.Now()
	var userID int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var link struct {
			UserID      int64      `db:"user_id"`
			CommunityID *int64     `db:"community_id"`
			ExpiresAt   time.Time  `db:"expires_at"`
			UsedAt      *time.Time `db:"used_at"`
		}
		err := sqlx.GetContext(ctx, tx, &link, `SELECT user_id, community_id, expires_at, used_at FROM password_resets
			WHERE token_hash = $1 FOR UPDATE`, tokenHash(token))
		if err != nil || link.UsedAt != nil || !now.Before(link.ExpiresAt) {
			if err == nil || errors.Is(err, sql.ErrNoRows) {
				return errResetLinkUnusable
			}
			return err
		}
		userID = link.UserID
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $2 WHERE token_hash = $1`, tokenHash(token), now); err != nil {
			return err
		}
		if err := updatePassword(ctx, tx, userID, hash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &userID, CommunityID: link.CommunityID, Action: "password.reset",
			TargetType: "user", TargetID: &userID})
	})
	if err == nil {
		s.events.SignInsRevoked(userID)
	}
	return err
}
