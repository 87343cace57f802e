package casestudy

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// SetTimeZone sets the IANA time zone the person's pages show times in ("" goes back to the
// browser's own) and returns the account as it now is.
func (s Accounts) SetTimeZone(ctx context.Context, userID int64, zone string) (User, error) {
	zone = strings.TrimSpace(zone)
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		// "Local" and "" name this server's zone, not a place; names are case-sensitive.
		if err != nil || zone == "Local" || loc.String() != zone || len(zone) > 64 {
			return User{}, FieldErrorf("time_zone", "Choose a time zone by its name, such as Europe/London or America/New_York.")
		}
	}
	var u User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		return sqlx.GetContext(ctx, tx, &u, `UPDATE users SET time_zone = nullif($2, '') WHERE id = $1 AND erased_at IS NULL
			RETURNING id, email, display_name, created_at, coalesce(time_zone, '') AS time_zone`, userID, zone)
	})
	return u, err
}
