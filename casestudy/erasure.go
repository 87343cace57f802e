package casestudy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// FormerMember is how an erased account is named wherever the community keeps its words.
const FormerMember = "Former member"

// AccountData is everything casecircle holds about one person that they wrote or chose: what
// they can download before deleting their account.
type AccountData struct {
	ExportedAt     time.Time          `json:"exported_at"`
	Account        User               `json:"account"`
	Memberships    []MembershipData   `json:"memberships"`
	Cases          []Case             `json:"cases"`
	Messages       []MessageData      `json:"messages"`
	LearningPoints []LearningPointRow `json:"learning_points"`
}

// MembershipData is one of a person's communities.
type MembershipData struct {
	CommunityID   int64     `db:"community_id" json:"community_id"`
	CommunityName string    `db:"community_name" json:"community_name"`
	Role          Role      `db:"role" json:"role"`
	JoinedAt      time.Time `db:"joined_at" json:"joined_at"`
}

// MessageData is one message a person wrote, with where it was written.
type MessageData struct {
	ID          int64 `db:"id" json:"id"`
	CommunityID int64 `db:"community_id" json:"community_id"`
	CaseID      int64 `db:"case_id" json:"case_id"`
	// CaseTitle is the case's title while the person may still see the case (their own, or
	// published or archived in a community they belong to); null otherwise.
	CaseTitle *string    `db:"case_title" json:"case_title"`
	ParentID  *int64     `db:"parent_id" json:"parent_id"`
	Body      string     `db:"body" json:"body"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	EditedAt  *time.Time `db:"edited_at" json:"edited_at"`
	DeletedAt *time.Time `db:"deleted_at" json:"deleted_at"`
}

// LearningPointRow is a learning point or action a person recorded in a session.
type LearningPointRow struct {
	ID        int64     `db:"id" json:"id"`
	CaseID    int64     `db:"case_id" json:"case_id"`
	Kind      string    `db:"kind" json:"kind"`
	Body      string    `db:"body" json:"body"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// MyData returns everything the user wrote or chose, for download.
func (s Accounts) MyData(ctx context.Context, userID int64) (AccountData, error) {
	d := AccountData{ExportedAt: s.Now(), Memberships: []MembershipData{}, Cases: []Case{}, Messages: []MessageData{}, LearningPoints: []LearningPointRow{}}
	err := s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &d.Account, `SELECT id, email, display_name, created_at, coalesce(time_zone, '') AS time_zone FROM users WHERE id = $1 AND erased_at IS NULL`, userID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &d.Memberships, `
			SELECT m.community_id, c.name AS community_name, m.role, m.joined_at
			FROM memberships m JOIN communities c ON c.id = m.community_id WHERE m.user_id = $1 ORDER BY m.joined_at`, userID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &d.Cases, `SELECT `+caseColumns+` FROM cases c JOIN users u ON u.id = c.author_id
			WHERE c.author_id = $1 ORDER BY c.id`, userID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &d.Messages, `
			SELECT m.id, c.community_id, m.case_id,
			       CASE WHEN c.author_id = $1 OR (c.status IN ('published', 'archived') AND EXISTS (
			                 SELECT 1 FROM memberships ms WHERE ms.community_id = c.community_id AND ms.user_id = $1))
			            THEN c.title END AS case_title,
			       m.parent_id, m.body, m.created_at, m.edited_at, m.deleted_at
			FROM messages m JOIN cases c ON c.id = m.case_id WHERE m.author_id = $1 ORDER BY m.id`, userID); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &d.LearningPoints, `
			SELECT lp.id, ls.case_id, lp.kind, lp.body, lp.created_at
			FROM learning_points lp JOIN live_sessions ls ON ls.id = lp.session_id WHERE lp.author_id = $1 ORDER BY lp.id`, userID)
	})
	return d, err
}

// DeleteAccount erases the account of the session's user, after checking their password:
//   - their sessions end and their sockets close, on every process;
//   - their e-mail, display name and password hash are erased (the row stays, named "Former
//     member", so that what the community keeps still points somewhere);
//   - their drafts are deleted;
//   - in each community, as its policy says, their messages are kept as "Former member" and
//     their published cases kept anonymously, or their messages become tombstones (replies stay
//     in place) and their published cases are withdrawn;
//   - their name is replaced in session records and session events;
//   - each community's audit log records that an account was deleted.
func (s Accounts) DeleteAccount(ctx context.Context, token, password string) error {
	u, err := s.confirmPassword(ctx, token, password, "password", "Your password is not right.")
	if err != nil {
		return err
	}
	var events []RoomEvent
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Lock the account first: two deletions of one account take turns.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, u.ID); err != nil {
			return err
		}
		var communities []struct {
			ID      int64  `db:"id"`
			Name    string `db:"name"`
			Leaver  string `db:"leaver_content"`
			Role    Role   `db:"role"`
			Members int    `db:"members"`
		}
		if err := tx.SelectContext(ctx, &communities, `
			SELECT c.id, c.name, c.leaver_content, m.role,
			       (SELECT count(*) FROM memberships o WHERE o.community_id = c.id) AS members
			FROM communities c JOIN memberships m ON m.community_id = c.id
			WHERE m.user_id = $1 ORDER BY c.id`, u.ID); err != nil {
			return err
		}
		now := s.Now()
		for _, c := range communities {
			// A community with other members must keep a facilitator, as when leaving it.
			if c.Role == RoleFacilitator && c.Members > 1 {
				if _, err := lockFacilitatorsAndGetRole(ctx, tx, c.ID, u.ID); err != nil {
					return err
				}
				if err := ensureAnotherFacilitator(ctx, tx, c.ID, fmt.Sprintf(
					"You are the only facilitator of %s: make someone else facilitator there before deleting your account.", c.Name)); err != nil {
					return err
				}
			}
			detail := map[string]any{"policy": c.Leaver}
			if c.Leaver == LeaverDelete {
				evs, err := s.tombstoneMessages(ctx, tx, u.ID, c.ID, now)
				if err != nil {
					return err
				}
				events = append(events, evs...)
				res, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'withdrawn', withdrawn_at = $3, updated_at = $3
					WHERE author_id = $1 AND community_id = $2 AND status = 'published'`, u.ID, c.ID, now)
				if err != nil {
					return err
				}
				withdrawn, _ := res.RowsAffected()
				detail["messages_deleted"], detail["cases_withdrawn"] = len(evs), withdrawn
			}
			if err := appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, CommunityID: &c.ID, Action: "account.deleted", TargetType: "user", TargetID: &u.ID,
				Detail: detailJSON(detail)}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cases WHERE author_id = $1 AND status = 'draft'`, u.ID); err != nil {
			return err
		}
		if err := scrubNames(ctx, tx, u.ID, u.DisplayName); err != nil {
			return err
		}
		for _, stmt := range []string{
			`DELETE FROM memberships WHERE user_id = $1`,
			`DELETE FROM sessions WHERE user_id = $1`,
			`UPDATE users SET email = 'erased-' || id || '@invalid', display_name = '` + FormerMember + `', password_hash = '',
				erased_at = now() WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE email_key = ANY($1)`, pq.Array([][]byte{emailKey(u.Email), confirmKey(u.ID)})); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "account.deleted", TargetType: "user", TargetID: &u.ID})
	})
	if err != nil {
		return err
	}
	s.events.SignInsRevoked(u.ID)
	for _, ev := range events {
		s.events.RoomEventCommitted(ev)
	}
	return nil
}

// tombstoneMessages turns the user's messages in a community into tombstones, as deleting them
// one by one would: the place in the thread stays, so replies keep their parent; text and
// earlier versions go; each room hears of it.
func (s *core) tombstoneMessages(ctx context.Context, tx *sqlx.Tx, userID, communityID int64, now time.Time) ([]RoomEvent, error) {
	var msgs []struct {
		ID     int64 `db:"id"`
		CaseID int64 `db:"case_id"`
	}
	if err := tx.SelectContext(ctx, &msgs, `
		SELECT m.id, m.case_id FROM messages m JOIN cases c ON c.id = m.case_id
		WHERE m.author_id = $1 AND c.community_id = $2 AND m.deleted_at IS NULL
		ORDER BY m.case_id, m.id FOR UPDATE OF m`, userID, communityID); err != nil {
		return nil, err
	}
	events := make([]RoomEvent, 0, len(msgs))
	for _, m := range msgs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM message_revisions WHERE message_id = $1`, m.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = '', body_html = '', deleted_at = $2 WHERE id = $1`, m.ID, now); err != nil {
			return nil, err
		}
		seq, err := nextRoomSeq(ctx, tx, m.CaseID)
		if err != nil {
			return nil, err
		}
		ev, err := insertRoomEvent(ctx, tx, s.node, m.CaseID, seq, EventMessageDeleted, m.ID, now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// scrubNames replaces the user's name where it was copied into JSON: session records and the
// session events of room streams name participants and the authors of learning points.
func scrubNames(ctx context.Context, tx *sqlx.Tx, userID int64, name string) error {
	for _, t := range []struct{ table, key, column string }{
		{"live_sessions", "id", "record"},
		{"room_events", "case_id, seq", "payload"},
	} {
		rows, err := tx.QueryxContext(ctx, `SELECT `+t.key+`, `+t.column+` FROM `+t.table+`
			WHERE `+t.column+` IS NOT NULL AND strpos(`+t.column+`::text, to_jsonb($1::text)::text) > 0`, name)
		if err != nil {
			return err
		}
		type hit struct {
			keys []any
			doc  []byte
		}
		var hits []hit
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				rows.Close()
				return err
			}
			hits = append(hits, hit{keys: cols[:len(cols)-1], doc: cols[len(cols)-1].([]byte)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, h := range hits {
			var doc any
			if err := json.Unmarshal(h.doc, &doc); err != nil {
				return err
			}
			if !renameUser(doc, float64(userID)) {
				continue
			}
			b, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			where := `id = $2`
			if t.table == "room_events" {
				where = `case_id = $2 AND seq = $3`
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET `+t.column+` = $1 WHERE `+where, append([]any{b}, h.keys...)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// renameUser walks a JSON document and names the user "Former member" wherever it names them:
// a person {"id","name"} or an author {"author_id","author_name"}. It reports whether it changed
// anything.
func renameUser(v any, userID float64) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		if id, ok := v["author_id"].(float64); ok && id == userID {
			if _, named := v["author_name"]; named {
				v["author_name"], changed = FormerMember, true
			}
		}
		// A Person ({id, name}), or an Attendee ({id, name, seconds}).
		_, attendee := v["seconds"]
		if id, ok := v["id"].(float64); ok && id == userID && (len(v) == 2 || (len(v) == 3 && attendee)) {
			if _, named := v["name"]; named {
				v["name"], changed = FormerMember, true
			}
		}
		for _, child := range v {
			changed = renameUser(child, userID) || changed
		}
	case []any:
		for _, child := range v {
			changed = renameUser(child, userID) || changed
		}
	}
	return changed
}
