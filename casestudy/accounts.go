package casestudy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Sign-in lifetimes: an idle sign-in ends after IdleTimeout, any sign-in after MaxSignInAge.
// ("Session" in casecircle means a supervision session; a sign-in is the cookie's.)
const (
	IdleTimeout  = 30 * time.Minute
	MaxSignInAge = 12 * time.Hour
	// touchEvery throttles last-seen writes: activity refreshes the idle timer at most this often.
	touchEvery = time.Minute
)

// Field limits for accounts.
const (
	MaxEmailLength       = 254
	MaxDisplayNameLength = 80
)

// User is an account. Email is shown only to the user and to facilitators of their communities.
type User struct {
	ID          int64     `db:"id" json:"id"`
	Email       string    `db:"email" json:"email"`
	DisplayName string    `db:"display_name" json:"display_name"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	// TimeZone is the IANA zone pages show times in ("": the browser's own).
	TimeZone string `db:"time_zone" json:"time_zone"`
}

// SignUp is what a person gives to create an account.
type SignUp struct {
	Email       string
	DisplayName string
	Password    string
}

func normaliseEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", FieldErrorf("email", "Enter your e-mail address.")
	}
	if len(email) > MaxEmailLength {
		return "", FieldErrorf("email", "An e-mail address has at most %d characters.", MaxEmailLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return "", FieldErrorf("email", "Enter an e-mail address like name@example.org.")
	}
	return email, nil
}

func validateDisplayName(name string) (string, error) {
	return validateLine("display_name", name, MaxDisplayNameLength, "Enter the name others in your groups will see.")
}

// validateLine trims a one-line text field and checks it is present, short enough and free of
// control characters.
func validateLine(field, value string, max int, emptyMessage string) (string, error) {
	value = strings.TrimSpace(value)
	n := utf8.RuneCountInString(value)
	switch {
	case n == 0:
		return "", FieldErrorf(field, "%s", emptyMessage)
	case n > max:
		return "", FieldErrorf(field, "Use at most %d characters.", max)
	case strings.ContainsFunc(value, isControl):
		return "", FieldErrorf(field, "Use letters, digits, spaces and punctuation only.")
	}
	return value, nil
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// Register creates an account and signs it in, returning the session token for the cookie.
func (s Accounts) Register(ctx context.Context, in SignUp) (User, string, error) {
	email, err := normaliseEmail(in.Email)
	if err != nil {
		return User{}, "", err
	}
	name, err := validateDisplayName(in.DisplayName)
	if err != nil {
		return User{}, "", err
	}
	if err := ValidatePassword("password", in.Password); err != nil {
		return User{}, "", err
	}
	hash, err := hashPassword(ctx, in.Password)
	if err != nil {
		return User{}, "", err
	}
	var u User
	var token string
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if u, err = insertUser(ctx, tx, email, name, hash, s.Now()); err != nil {
			return err
		}
		if token, err = createSignIn(ctx, tx, u.ID, s.Now()); err != nil {
			return err
		}
		if err := s.sendVerification(ctx, tx, u.ID, u.Email); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "account.created", TargetType: "user", TargetID: &u.ID})
	})
	return u, token, err
}

// SignIn checks an e-mail and password and opens a new session, returning its token. Unknown
// e-mail and wrong password give the same error after the same work. Repeated failures for one
// address are throttled whether or not it has an account.
func (s Accounts) SignIn(ctx context.Context, email, password string) (User, string, error) {
	email = strings.TrimSpace(email)
	key := emailKey(email)
	now := s.Now()
	if err := s.reservePasswordAttempt(ctx, key, "Too many failed sign-ins for this e-mail address; try again later."); err != nil {
		return User{}, "", err
	}

	u, hash, err := userByEmail(ctx, s.db, email)
	found := err == nil
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return User{}, "", err
	}
	if !found {
		hash = dummyHash()
	}
	ok, err := verifyPassword(ctx, password, hash)
	if err != nil {
		return User{}, "", err
	}
	if !found || !ok {
		// The attempt was counted before the check; only the audit entry is left to write.
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			e := AuditEntry{Action: "signin.failed"}
			if found {
				e.TargetType, e.TargetID = "user", &u.ID
			}
			return appendAudit(ctx, tx, e)
		})
		if err != nil {
			return User{}, "", err
		}
		return User{}, "", Errorf(EUNAUTHORIZED, "That e-mail address and password do not match an account.")
	}
	var token string
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if token, err = createSignIn(ctx, tx, u.ID, now); err != nil {
			return err
		}
		if err := clearSigninFailures(ctx, tx, key); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "signin.succeeded", TargetType: "user", TargetID: &u.ID})
	})
	return u, token, err
}

// Authenticate returns the user of a live session token, refreshing its idle timer. Expired or
// revoked tokens give EUNAUTHORIZED.
func (s Accounts) Authenticate(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, Errorf(EUNAUTHORIZED, "Please sign in.")
	}
	hash := tokenHash(token)
	sess, u, err := sessionByHash(ctx, s.db, hash)
	if ErrorCode(err) == ENOTFOUND {
		return User{}, Errorf(EUNAUTHORIZED, "Your session has ended; please sign in again.")
	}
	if err != nil {
		return User{}, err
	}
	now := s.Now()
	if !now.Before(sess.LastSeenAt.Add(IdleTimeout)) || !now.Before(sess.ExpiresAt) {
		if err := deleteSignIn(ctx, s.db, hash); err != nil {
			return User{}, err
		}
		return User{}, Errorf(EUNAUTHORIZED, "Your session has ended; please sign in again.")
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := touchSignIn(ctx, s.db, hash, now); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// SignOut ends the session of token.
func (s Accounts) SignOut(ctx context.Context, token string) error {
	u, err := s.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := deleteSignIn(ctx, tx, tokenHash(token)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "signout", TargetType: "user", TargetID: &u.ID})
	})
	if err == nil {
		s.events.SignInsRevoked(u.ID)
	}
	return err
}

// confirmPassword returns the user of a live session whose password, asked again before a
// weighty change, is right; a wrong one is an error on field.
func (s Accounts) confirmPassword(ctx context.Context, token, password, field, wrong string) (User, error) {
	u, err := s.Authenticate(ctx, token)
	if err != nil {
		return User{}, err
	}
	// Counted per account like sign-in, so a stolen session cannot be used to guess the password.
	key := confirmKey(u.ID)
	if err := s.reservePasswordAttempt(ctx, key, "Too many wrong passwords for this account; try again later."); err != nil {
		return User{}, err
	}
	_, hash, err := userByEmail(ctx, s.db, u.Email)
	if err != nil {
		return User{}, err
	}
	if ok, err := verifyPassword(ctx, password, hash); err != nil {
		return User{}, err
	} else if !ok {
		if err := appendAudit(ctx, s.db, AuditEntry{ActorID: &u.ID, Action: "password.confirm_failed", TargetType: "user", TargetID: &u.ID}); err != nil {
			return User{}, err
		}
		return User{}, FieldErrorf(field, "%s", wrong)
	}
	if err := clearSigninFailures(ctx, s.db, key); err != nil {
		return User{}, err
	}
	return u, nil
}

// ChangePassword replaces the password of the session's user and ends all their other sessions.
func (s Accounts) ChangePassword(ctx context.Context, token, current, next string) error {
	u, err := s.confirmPassword(ctx, token, current, "current_password", "Your current password is not right.")
	if err != nil {
		return err
	}
	if err := ValidatePassword("new_password", next); err != nil {
		return err
	}
	if next == current {
		return FieldErrorf("new_password", "Choose a password different from the current one.")
	}
	newHash, err := hashPassword(ctx, next)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := updatePassword(ctx, tx, u.ID, newHash, s.Now()); err != nil {
			return err
		}
		if err := deleteOtherSignIns(ctx, tx, u.ID, tokenHash(token)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "password.changed", TargetType: "user", TargetID: &u.ID})
	})
	if err == nil {
		s.events.SignInsRevoked(u.ID)
	}
	return err
}

// newToken returns 32 random bytes, URL-safe encoded: the secret part of cookies and links.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is what is stored of a token: a leaked table yields no usable token.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ValidSignIns returns which of the given sign-in tokens are still valid, and records activity
// on them: a tab with a live connection open is in use. Tokens of ended sign-ins are left out.
// It is for the realtime hub, which closes the sockets of sign-ins that ended by timing out.
func (s Accounts) ValidSignIns(ctx context.Context, tokens []string) (map[string]bool, error) {
	if len(tokens) == 0 {
		return map[string]bool{}, nil
	}
	byHash := make(map[string]string, len(tokens))
	hashes := make([][]byte, len(tokens))
	for i, t := range tokens {
		hashes[i] = tokenHash(t)
		byHash[string(hashes[i])] = t
	}
	now := s.Now()
	var live [][]byte
	err := sqlx.SelectContext(ctx, s.db, &live, `
		UPDATE sessions SET last_seen_at = greatest(last_seen_at, $2)
		WHERE token_hash = ANY($1) AND expires_at > $2 AND last_seen_at > $3
		RETURNING token_hash`, pq.Array(hashes), now, now.Add(-IdleTimeout))
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(live))
	for _, h := range live {
		out[byHash[string(h)]] = true
	}
	return out, nil
}
