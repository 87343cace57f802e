package casestudy

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// nextRoomSeq takes the next seq of a room. The room's head row stays locked until the
// transaction ends, so concurrent writers to one room take turns (rooms never wait for each
// other) and commit in seq order, and a rolled-back event leaves no gap.
func nextRoomSeq(ctx context.Context, tx *sqlx.Tx, caseID int64) (int64, error) {
	var seq int64
	err := sqlx.GetContext(ctx, tx, &seq, `
		INSERT INTO room_heads (case_id, last_seq) VALUES ($1, 1)
		ON CONFLICT (case_id) DO UPDATE SET last_seq = room_heads.last_seq + 1
		RETURNING last_seq`, caseID)
	return seq, err
}

// insertRoomEvent stores an event under a seq taken by nextRoomSeq and announces it on commit,
// then reads it back as it will be delivered.
func insertRoomEvent(ctx context.Context, tx *sqlx.Tx, node string, caseID, seq int64, eventType string, messageID int64, at time.Time) (RoomEvent, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO room_events (case_id, seq, type, message_id, at) VALUES ($1, $2, $3, $4, $5)`,
		caseID, seq, eventType, messageID, at); err != nil {
		return RoomEvent{}, err
	}
	// NOTIFY is delivered only if and when the transaction commits: durable, then announced.
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, RoomEventsChannel, roomNotice(node, caseID, seq)); err != nil {
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

// roomNotice is the NOTIFY payload of one event: `{"room":1,"seq":2,"node":"a1b2"}`; node
// names the process that stored it, which has delivered it already.
func roomNotice(node string, caseID, seq int64) string {
	return `{"room":` + strconv.FormatInt(caseID, 10) + `,"seq":` + strconv.FormatInt(seq, 10) + `,"node":` + strconv.Quote(node) + `}`
}

const messageColumns = `m.id, m.case_id, m.seq, m.author_id, u.display_name AS author_name, m.parent_id, m.body, m.body_html,
	m.lens, m.client_id, m.version, m.created_at, m.edited_at, m.deleted_at, m.session_id, m.phase, m.facilitation,
	` + mentionsColumn

// mentionsColumn reads a message's mentions (the members its author chose to notify).
const mentionsColumn = `(SELECT array_agg(mm.user_id ORDER BY mm.user_id) FROM message_mentions mm WHERE mm.message_id = m.id) AS mentions`

// eventColumns reads an event with its message, if it has one (the message's columns are then
// coalesced to zero values, and m.id is 0), and its payload, if it has one.
const eventColumns = `e.case_id, e.seq, e.type, e.at, coalesce(e.payload, 'null'::jsonb) AS payload,
	coalesce(m.id, 0) AS id, coalesce(m.case_id, 0) AS case_id, coalesce(m.seq, 0) AS seq, m.author_id,
	u.display_name AS author_name, m.parent_id, coalesce(m.body, '') AS body, coalesce(m.body_html, '') AS body_html,
	m.lens, coalesce(m.client_id, '') AS client_id, coalesce(m.version, 0) AS version,
	coalesce(m.created_at, e.at) AS created_at, m.edited_at, m.deleted_at, m.session_id, m.phase,
	coalesce(m.facilitation, false) AS facilitation, ` + mentionsColumn

// roomEvents reads events after seq `after`, in order, each with its message as it is now.
func roomEvents(ctx context.Context, q sqlx.QueryerContext, caseID, after int64, limit int) ([]RoomEvent, error) {
	return scanRoomEvents(q.QueryxContext(ctx, `
		SELECT `+eventColumns+`
		FROM room_events e
		LEFT JOIN messages m ON m.id = e.message_id
		LEFT JOIN users u ON u.id = m.author_id
		WHERE e.case_id = $1 AND e.seq > $2
		ORDER BY e.seq
		LIMIT $3`, caseID, after, limit))
}

// roomEventsBefore reads the last `limit` events before seq `before`, oldest first.
func roomEventsBefore(ctx context.Context, q sqlx.QueryerContext, caseID, before int64, limit int) ([]RoomEvent, error) {
	return scanRoomEvents(q.QueryxContext(ctx, `
		SELECT * FROM (
			SELECT `+eventColumns+`
			FROM room_events e
			LEFT JOIN messages m ON m.id = e.message_id
			LEFT JOIN users u ON u.id = m.author_id
			WHERE e.case_id = $1 AND e.seq < $2
			ORDER BY e.seq DESC
			LIMIT $3) page
		ORDER BY 2`, caseID, before, limit))
}

func scanRoomEvents(rows *sqlx.Rows, err error) ([]RoomEvent, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []RoomEvent{}
	for rows.Next() {
		var ev RoomEvent
		var payload []byte
		m := &Message{}
		if err := rows.Scan(&ev.Room, &ev.Seq, &ev.Type, &ev.At, &payload, &m.ID, &m.CaseID, &m.Seq, &m.AuthorID, &m.AuthorName, &m.ParentID,
			&m.Body, &m.HTML, &m.Lens, &m.ClientID, &m.Version, &m.CreatedAt, &m.EditedAt, &m.DeletedAt, &m.SessionID, &m.Phase, &m.Facilitation, &m.Mentions); err != nil {
			return nil, err
		}
		if m.ID != 0 {
			ev.Message = m
		}
		if string(payload) != "null" {
			var p sessionPayload
			if err := json.Unmarshal(payload, &p); err != nil {
				return nil, fmt.Errorf("room %d event %d: %w", ev.Room, ev.Seq, err)
			}
			ev.Session, ev.Action, ev.LearningPoint = &p.Session, p.Action, p.LearningPoint
		}
		events = append(events, ev)
	}
	return events, rows.Err()
}

// roomThreads reads up to limit top-level messages with id below `before` (0: the newest),
// newest first, and every reply of each, oldest first.
func roomThreads(ctx context.Context, q sqlx.QueryerContext, caseID, before int64, limit int) ([]Thread, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	var tops []Message
	if err := sqlx.SelectContext(ctx, q, &tops, `
		SELECT `+messageColumns+` FROM messages m LEFT JOIN users u ON u.id = m.author_id
		WHERE m.case_id = $1 AND m.parent_id IS NULL AND m.id < $2
		ORDER BY m.id DESC LIMIT $3`, caseID, before, limit); err != nil {
		return nil, err
	}
	threads := make([]Thread, len(tops))
	index := make(map[int64]int, len(tops))
	ids := make([]int64, len(tops))
	for i, m := range tops {
		threads[i] = Thread{Message: m, Replies: []Message{}}
		index[m.ID] = i
		ids[i] = m.ID
	}
	if len(ids) == 0 {
		return threads, nil
	}
	var replies []Message
	if err := sqlx.SelectContext(ctx, q, &replies, `
		SELECT `+messageColumns+` FROM messages m LEFT JOIN users u ON u.id = m.author_id
		WHERE m.case_id = $1 AND m.parent_id = ANY($2) ORDER BY m.id`, caseID, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, r := range replies {
		i := index[*r.ParentID]
		threads[i].Replies = append(threads[i].Replies, r)
	}
	return threads, nil
}
