-- +goose Up
-- What a live session produces: learning points (optionally tagged with Proctor's functions of
-- supervision) and actions for the presenter, and, when it ends, its record.
CREATE TABLE learning_points (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint      NOT NULL REFERENCES live_sessions ON DELETE CASCADE,
    author_id  bigint      REFERENCES users ON DELETE SET NULL,
    kind       text        NOT NULL DEFAULT 'learning' CHECK (kind IN ('learning', 'action')),
    function   text        CHECK (function IN ('normative', 'formative', 'restorative')),
    body       text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX learning_points_session ON learning_points (session_id, id);

ALTER TABLE live_sessions ADD COLUMN record jsonb;

-- +goose Down
ALTER TABLE live_sessions DROP COLUMN record;
DROP TABLE learning_points;
