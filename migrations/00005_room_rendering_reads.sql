-- +goose Up
-- A message's safe HTML is rendered once, when it is written, not on every delivery.
ALTER TABLE messages ADD COLUMN body_html text NOT NULL DEFAULT '';

-- The seq of a message's creation event, for unread markers and thread order without a join.
ALTER TABLE messages ADD COLUMN seq bigint;
UPDATE messages m SET seq = e.seq FROM room_events e WHERE e.message_id = m.id AND e.type = 'message.created';
ALTER TABLE messages ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX messages_case_seq ON messages (case_id, seq);

-- How far each member has read each room: the unread marker.
CREATE TABLE room_reads (
    user_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    case_id  bigint NOT NULL REFERENCES cases ON DELETE CASCADE,
    last_seq bigint NOT NULL CHECK (last_seq >= 0),
    PRIMARY KEY (user_id, case_id)
);

-- +goose Down
DROP TABLE room_reads;
ALTER TABLE messages DROP COLUMN seq;
ALTER TABLE messages DROP COLUMN body_html;
