package casestudy

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/casecircle/casecircle/internal/postgres"
)

type sessionRow struct {
	UserID     int64     `db:"user_id"`
	CreatedAt  time.Time `db:"session_created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
	ExpiresAt  time.Time `db:"expires_at"`
}

func insertUser(ctx context.Context, q sqlx.ExtContext, email, name, hash string, now time.Time) (User, error) {
	var u User
	err := sqlx.GetContext(ctx, q, &u, `
		INSERT INTO users (email, display_name, password_hash, password_changed_at, created_at)
		VALUES ($1, $2, $3, $4, $4)
		RETURNING id, email, display_name, created_at`, email, name, hash, now)
	if postgres.IsUniqueViolation(err, "users_email_key") {
		return User{}, &Error{Code: ECONFLICT, Message: "An account with this e-mail address exists already; sign in instead.", Field: "email"}
	}
	return u, err
}

func userByEmail(ctx context.Context, q sqlx.QueryerContext, email string) (User, string, error) {
	var row struct {
		User
		PasswordHash string `db:"password_hash"`
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT id, email, display_name, created_at, password_hash FROM users WHERE lower(email) = lower($1)`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", Errorf(ENOTFOUND, "No such account.")
	}
	return row.User, row.PasswordHash, err
}

func updatePassword(ctx context.Context, q sqlx.ExtContext, userID int64, hash string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, userID, hash, now)
	return err
}

func createSignIn(ctx context.Context, q sqlx.ExtContext, userID int64, now time.Time) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	_, err = q.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
		tokenHash(token), userID, now, now.Add(MaxSignInAge))
	return token, err
}

func sessionByHash(ctx context.Context, q sqlx.QueryerContext, hash []byte) (sessionRow, User, error) {
	var row struct {
		sessionRow
		User
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT s.user_id, s.created_at AS session_created_at, s.last_seen_at, s.expires_at,
		       u.id, u.email, u.display_name, coalesce(u.time_zone, '') AS time_zone
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return sessionRow{}, User{}, Errorf(ENOTFOUND, "No such session.")
	}
	return row.sessionRow, row.User, err
}

func touchSignIn(ctx context.Context, q sqlx.ExecerContext, hash []byte, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2`, hash, now)
	return err
}

func deleteSignIn(ctx context.Context, q sqlx.ExecerContext, hash []byte) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash)
	return err
}

func deleteOtherSignIns(ctx context.Context, q sqlx.ExecerContext, userID int64, keep []byte) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep)
	return err
}

func recentSigninFailures(ctx context.Context, q sqlx.QueryerContext, key []byte, since time.Time) (int, time.Time, error) {
	var row struct {
		N      int          `db:"n"`
		Oldest sql.NullTime `db:"oldest"`
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT count(*) AS n, min(failed_at) AS oldest FROM signin_failures WHERE email_key = $1 AND failed_at > $2`, key, since)
	return row.N, row.Oldest.Time, err
}

func clearSigninFailures(ctx context.Context, q sqlx.ExecerContext, key []byte) error {
	_, err := q.ExecContext(ctx, `DELETE FROM signin_failures WHERE email_key = $1`, key)
	return err
}
