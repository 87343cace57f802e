package casestudy

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Activity is what is new for one person in a room or a community: messages by others they
// have not read (since the read position their browser last recorded), and whether a live
// session is running now.
type Activity struct {
	Unread int  `db:"unread" json:"unread"`
	Live   bool `db:"live" json:"live"`
}

// activitySQL counts, per room the user may read, messages by others after their read position,
// and whether a live session runs; $2 limits it to one community (0: all of the user's).
const activitySQL = `
	SELECT c.id AS case_id, c.community_id,
	       (SELECT count(*) FROM messages m
	         WHERE m.case_id = c.id AND m.seq > coalesce(r.last_seq, 0)
	           AND m.author_id IS DISTINCT FROM $1 AND m.deleted_at IS NULL) AS unread,
	       EXISTS (SELECT 1 FROM live_sessions l WHERE l.case_id = c.id AND l.ended_at IS NULL) AS live
	FROM memberships ms
	JOIN cases c ON c.community_id = ms.community_id AND c.status IN ('published', 'archived')
	LEFT JOIN room_reads r ON r.case_id = c.id AND r.user_id = $1
	WHERE ms.user_id = $1 AND ($2 = 0 OR ms.community_id = $2)`

type roomActivity struct {
	CaseID      int64 `db:"case_id"`
	CommunityID int64 `db:"community_id"`
	Activity
}

// RoomActivity returns, for each room of the community that has something new or a live
// session, what it is. Members only.
func (s Rooms) RoomActivity(ctx context.Context, userID, communityID int64) (map[int64]Activity, error) {
	if _, err := requireRole(ctx, s.db, userID, communityID); err != nil {
		return nil, err
	}
	var rows []roomActivity
	if err := sqlx.SelectContext(ctx, s.db, &rows, activitySQL, userID, communityID); err != nil {
		return nil, err
	}
	out := map[int64]Activity{}
	for _, r := range rows {
		if r.Unread > 0 || r.Live {
			out[r.CaseID] = r.Activity
		}
	}
	return out, nil
}

// CommunityActivity sums RoomActivity over each of the user's communities: unread messages,
// and whether any room has a live session now.
func (s Communities) CommunityActivity(ctx context.Context, userID int64) (map[int64]Activity, error) {
	var rows []roomActivity
	if err := sqlx.SelectContext(ctx, s.db, &rows, activitySQL, userID, 0); err != nil {
		return nil, err
	}
	out := map[int64]Activity{}
	for _, r := range rows {
		a := out[r.CommunityID]
		a.Unread += r.Unread
		a.Live = a.Live || r.Live
		out[r.CommunityID] = a
	}
	return out, nil
}
