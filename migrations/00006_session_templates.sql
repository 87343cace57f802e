-- +goose Up
-- A community's own session templates: copies of the built-in formats (which live in the code)
-- adapted by its facilitators. Phases are a JSON list validated by the service.
CREATE TABLE session_templates (
    id                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id            bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    name                    text        NOT NULL,
    description             text        NOT NULL DEFAULT '',
    phases                  jsonb       NOT NULL CHECK (jsonb_typeof(phases) = 'array' AND jsonb_array_length(phases) > 0),
    members_record_learning boolean     NOT NULL DEFAULT false,
    based_on                text,
    created_by              bigint      REFERENCES users ON DELETE SET NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);
CREATE INDEX session_templates_community ON session_templates (community_id);

-- +goose Down
DROP TABLE session_templates;
