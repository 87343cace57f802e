-- +goose Up
-- A facilitator can give a member who forgot their password a link to choose a new one, in
-- person, while casecircle sends no e-mail. Only the token's digest is kept; a link works once,
-- for a day, and a newer one replaces it.
CREATE TABLE password_resets (
    token_hash   bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    community_id bigint REFERENCES communities (id) ON DELETE CASCADE,
    created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- +goose Down
DROP TABLE password_resets;
