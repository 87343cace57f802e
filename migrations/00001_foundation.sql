-- +goose Up
-- The foundation: people and the supervision groups (communities) they belong to. Columns for
-- accounts, invitations and roles arrive with the features that use them.
CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE communities (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE communities;
DROP TABLE users;
