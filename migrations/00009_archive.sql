-- +goose Up
-- Archiving a case keeps what the community learnt from it: a learning summary written by a
-- facilitator (anonymised like everything else), and which session records to keep with it.
ALTER TABLE cases ADD COLUMN archived_at timestamptz;

CREATE TABLE case_summaries (
    case_id         bigint      PRIMARY KEY REFERENCES cases ON DELETE CASCADE,
    themes          text[]      NOT NULL DEFAULT '{}',
    learning_points text        NOT NULL DEFAULT '',
    actions         text        NOT NULL DEFAULT '',
    kept_sessions   bigint[]    NOT NULL DEFAULT '{}',
    written_by      bigint      REFERENCES users ON DELETE SET NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX case_summaries_themes ON case_summaries USING gin (themes);

-- +goose Down
DROP TABLE case_summaries;
ALTER TABLE cases DROP COLUMN archived_at;
