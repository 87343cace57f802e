-- +goose Up
-- Live supervision sessions on a case. The template is copied in when the session starts (later
-- edits of the template do not change a session under way); state is the session's current
-- phase, deadline and turns. Every change is also an event of the room, with the session as it
-- stood after the change in payload, so replaying a room shows the session as it happened.
CREATE TABLE live_sessions (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id       bigint      NOT NULL REFERENCES cases ON DELETE CASCADE,
    template_key  text        NOT NULL,
    template      jsonb       NOT NULL,
    presenter_id  bigint      REFERENCES users ON DELETE SET NULL,
    supervisor_id bigint      REFERENCES users ON DELETE SET NULL,
    state         jsonb       NOT NULL,
    started_by    bigint      REFERENCES users ON DELETE SET NULL,
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
-- One live session per case at a time.
CREATE UNIQUE INDEX live_sessions_one_per_case ON live_sessions (case_id) WHERE ended_at IS NULL;

ALTER TABLE room_events DROP CONSTRAINT room_events_type_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_type_check CHECK (type IN (
    'message.created', 'message.edited', 'message.deleted', 'session.started', 'session.changed', 'session.ended'));
ALTER TABLE room_events ADD COLUMN session_id bigint REFERENCES live_sessions ON DELETE CASCADE;
ALTER TABLE room_events ADD COLUMN payload jsonb;
ALTER TABLE room_events ADD CONSTRAINT room_events_subject CHECK (
    (type LIKE 'message.%' AND message_id IS NOT NULL) OR (type LIKE 'session.%' AND session_id IS NOT NULL AND payload IS NOT NULL));

-- Messages posted during a session carry it and the phase they were posted in.
ALTER TABLE messages ADD COLUMN session_id bigint REFERENCES live_sessions ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN phase integer;

-- +goose Down
ALTER TABLE messages DROP COLUMN phase;
ALTER TABLE messages DROP COLUMN session_id;
ALTER TABLE room_events DROP CONSTRAINT room_events_subject;
ALTER TABLE room_events DROP COLUMN payload;
ALTER TABLE room_events DROP COLUMN session_id;
ALTER TABLE room_events DROP CONSTRAINT room_events_type_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_type_check CHECK (type IN ('message.created', 'message.edited', 'message.deleted'));
DROP TABLE live_sessions;
