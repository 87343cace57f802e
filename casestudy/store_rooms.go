package casestudy

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// appendRoomEvent numbers an event with the next seq of its room and announces it on commit.
// The room's head row is locked until the transaction ends, so concurrent writers to one room
// take turns (rooms never wait for each other) and a rolled-back event leaves no gap.
func appendRoomEvent(ctx context.Context, tx *sqlx.Tx, caseID int64, eventType string, messageID int64, at time.Time) (RoomEvent, error) {
	var seq int64
	err := sqlx.GetContext(ctx, tx, &seq, `
		INSERT INTO room_heads (case_id, last_seq) VALUES ($1, 1)
		ON CONFLICT (case_id) DO UPDATE SET last_seq = room_heads.last_seq + 1
		RETURNING last_seq`, caseID)
	if err != nil {
		return RoomEvent{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO room_events (case_id, seq, type, message_id, at) VALUES ($1, $2, $3, $4, $5)`,
		caseID, seq, eventType, messageID, at); err != nil {
		return RoomEvent{}, err
	}
	// NOTIFY is delivered only if and when the transaction commits: durable, then announced.
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, RoomEventsChannel, fmt.Sprintf(`{"room":%d,"seq":%d}`, caseID, seq)); err != nil {
		return RoomEvent{}, err
	}
	events, err := roomEvents(ctx, tx, caseID, seq-1, 1)
	if err != nil {
		return RoomEvent{}, err
	}
	if len(events) != 1 {
		return RoomEvent{}, fmt.Errorf("room %d: event %d not readable in its own transaction", caseID, seq)
	}
	return events[0], nil
}

// roomEvents reads events after seq `after`, in order, each with its message as it is now.
func roomEvents(ctx context.Context, q sqlx.QueryerContext, caseID, after int64, limit int) ([]RoomEvent, error) {
	rows, err := q.QueryxContext(ctx, `
		SELECT e.case_id, e.seq, e.type, e.at,
		       m.id, m.case_id, m.author_id, u.display_name, m.parent_id, m.body, m.lens, m.client_id,
		       m.version, m.created_at, m.edited_at, m.deleted_at
		FROM room_events e
		JOIN messages m ON m.id = e.message_id
		LEFT JOIN users u ON u.id = m.author_id
		WHERE e.case_id = $1 AND e.seq > $2
		ORDER BY e.seq
		LIMIT $3`, caseID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []RoomEvent{}
	for rows.Next() {
		var ev RoomEvent
		m := &ev.Message
		if err := rows.Scan(&ev.Room, &ev.Seq, &ev.Type, &ev.At, &m.ID, &m.CaseID, &m.AuthorID, &m.AuthorName, &m.ParentID,
			&m.Body, &m.Lens, &m.ClientID, &m.Version, &m.CreatedAt, &m.EditedAt, &m.DeletedAt); err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, rows.Err()
}
