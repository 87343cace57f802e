package casestudy

import (
	"context"
	"slices"

	"github.com/jmoiron/sqlx"
)

// What each person hears about, and how. Every kind of event has a default per channel; a
// person's choices are rows of notification_preferences, for every community (0) or one.

// NotificationKind describes a kind of event and the channels it can use.
type NotificationKind struct {
	Kind     string          `json:"kind"`
	Label    string          `json:"label"`
	Defaults map[string]bool `json:"defaults"` // channel → on by default; a channel absent is not offered
}

// NotificationKinds lists every kind, in the order the preferences page shows them.
var NotificationKinds = []NotificationKind{
	{NotifyMention, "Someone mentions you in a discussion", map[string]bool{ChannelInApp: true, ChannelEmail: true, ChannelPush: true}},
	{NotifyReply, "Someone replies to your message", map[string]bool{ChannelInApp: true, ChannelEmail: false, ChannelPush: false}},
	{NotifyCaseDiscussed, "Your case is being discussed", map[string]bool{ChannelInApp: true, ChannelEmail: false}},
	{NotifySessionStarting, "A session of your community starts", map[string]bool{ChannelInApp: true, ChannelPush: true}},
	{NotifyInvitationAccepted, "Someone joins with your invitation", map[string]bool{ChannelInApp: true}},
	{NotifySessionChanges, "Sessions scheduled, changed or cancelled", map[string]bool{ChannelEmail: true}},
	{NotifySessionReminders, "Reminders 24 hours and 1 hour before a session", map[string]bool{ChannelEmail: true}},
}

// Digest frequencies.
const (
	DigestOff    = "off"
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
)

// Preference is one choice: a kind on a channel, everywhere (CommunityID 0) or in one community.
type Preference struct {
	Kind        string `db:"kind" json:"kind"`
	Channel     string `db:"channel" json:"channel"`
	CommunityID int64  `db:"community_id" json:"community_id"`
	Enabled     bool   `db:"enabled" json:"enabled"`
}

// Preferences are a person's choices: the digest, and the kinds by channel.
type Preferences struct {
	Digest  string       `json:"digest"`
	Choices []Preference `json:"choices"` // only those that differ from the defaults are stored
}

// MaxPreferences bounds the choices set at once.
const MaxPreferences = 500

func kindOffers(kind, channel string) bool {
	for _, k := range NotificationKinds {
		if k.Kind == kind {
			_, ok := k.Defaults[channel]
			return ok
		}
	}
	return false
}

// NotificationPreferences returns the person's digest and choices.
func (s Accounts) NotificationPreferences(ctx context.Context, userID int64) (Preferences, error) {
	p := Preferences{Choices: []Preference{}}
	if err := sqlx.GetContext(ctx, s.db, &p.Digest, `SELECT digest FROM users WHERE id = $1`, userID); err != nil {
		return p, err
	}
	err := sqlx.SelectContext(ctx, s.db, &p.Choices, `SELECT kind, channel, community_id, enabled FROM notification_preferences
		WHERE user_id = $1 ORDER BY community_id, kind, channel`, userID)
	return p, err
}

// SetNotificationPreferences replaces the person's digest and choices (choices equal to the
// default are not kept). A community choice must be for a community they belong to.
func (s Accounts) SetNotificationPreferences(ctx context.Context, userID int64, p Preferences) (Preferences, error) {
	if p.Digest != DigestOff && p.Digest != DigestDaily && p.Digest != DigestWeekly {
		return p, FieldErrorf("digest", "Choose off, daily or weekly.")
	}
	if len(p.Choices) > MaxPreferences {
		return p, FieldErrorf("choices", "At most %d choices.", MaxPreferences)
	}
	for _, c := range p.Choices {
		if !kindOffers(c.Kind, c.Channel) {
			return p, FieldErrorf("choices", "There is no %q notification by %q.", c.Kind, c.Channel)
		}
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var communities []int64
		if err := sqlx.SelectContext(ctx, tx, &communities, `SELECT community_id FROM memberships WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET digest = $2 WHERE id = $1`, userID, p.Digest); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notification_preferences WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, c := range p.Choices {
			if c.CommunityID != 0 && !slices.Contains(communities, c.CommunityID) {
				return FieldErrorf("choices", "You are not a member of community %d.", c.CommunityID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notification_preferences (user_id, kind, channel, community_id, enabled)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, kind, channel, community_id) DO UPDATE SET enabled = $5`,
				userID, c.Kind, c.Channel, c.CommunityID, c.Enabled); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	return s.NotificationPreferences(ctx, userID)
}

// wants reports whether the person wants a kind on a channel in a community: their community
// choice, else their general one, else the default.
func wants(ctx context.Context, q sqlx.QueryerContext, userID, communityID int64, kind, channel string) (bool, error) {
	var enabled []bool
	if err := sqlx.SelectContext(ctx, q, &enabled, `SELECT enabled FROM notification_preferences
		WHERE user_id = $1 AND kind = $2 AND channel = $3 AND community_id IN (0, $4) ORDER BY community_id DESC LIMIT 1`,
		userID, kind, channel, communityID); err != nil {
		return false, err
	}
	if len(enabled) == 1 {
		return enabled[0], nil
	}
	for _, k := range NotificationKinds {
		if k.Kind == kind {
			return k.Defaults[channel], nil
		}
	}
	return false, nil
}
