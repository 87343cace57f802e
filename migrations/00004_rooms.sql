-- +goose Up
-- Case rooms: messages and the per-room event stream. Every event (new message, edit, deletion,
-- later session phases) takes the next seq of its room in the transaction that stores it, so a
-- room's stream has no gaps and can be replayed from any point.
CREATE TABLE room_heads (
    case_id  bigint PRIMARY KEY REFERENCES cases ON DELETE CASCADE,
    last_seq bigint NOT NULL DEFAULT 0
);

CREATE TABLE messages (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id    bigint      NOT NULL REFERENCES cases ON DELETE CASCADE,
    author_id  bigint      REFERENCES users ON DELETE SET NULL,
    parent_id  bigint      REFERENCES messages ON DELETE CASCADE,
    body       text        NOT NULL,
    lens       text        CHECK (lens IN ('client', 'interventions', 'relationship', 'practitioner',
                                            'parallel_process', 'supervisor', 'wider_context')),
    client_id  text        NOT NULL,
    version    integer     NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    edited_at  timestamptz,
    deleted_at timestamptz,
    -- Resending the same client_id returns the original message instead of a duplicate.
    UNIQUE (author_id, client_id)
);
CREATE INDEX messages_case ON messages (case_id, id);

CREATE TABLE message_revisions (
    message_id bigint      NOT NULL REFERENCES messages ON DELETE CASCADE,
    version    integer     NOT NULL,
    body       text        NOT NULL,
    replaced_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, version)
);

CREATE TABLE room_events (
    case_id    bigint      NOT NULL REFERENCES cases ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    type       text        NOT NULL CHECK (type IN ('message.created', 'message.edited', 'message.deleted')),
    message_id bigint      REFERENCES messages ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- +goose Down
DROP TABLE room_events;
DROP TABLE message_revisions;
DROP TABLE messages;
DROP TABLE room_heads;
