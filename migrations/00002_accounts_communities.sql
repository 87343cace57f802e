-- +goose Up
-- Accounts, server-side sessions, communities with per-community roles, invitations, sign-in
-- throttling and the append-only audit log.
ALTER TABLE users
    ADD COLUMN email               text        NOT NULL,
    ADD COLUMN display_name        text        NOT NULL,
    ADD COLUMN password_hash       text        NOT NULL,
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Only the SHA-256 of a session token is stored: a database leak yields no usable cookie.
CREATE TABLE sessions (
    token_hash   bytea       PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

ALTER TABLE communities
    ADD COLUMN name        text   NOT NULL,
    ADD COLUMN description text   NOT NULL DEFAULT '',
    ADD COLUMN created_by  bigint REFERENCES users ON DELETE SET NULL;

CREATE TABLE memberships (
    community_id bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    user_id      bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    role         text        NOT NULL CHECK (role IN ('member', 'supervisor', 'facilitator')),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX memberships_user_id ON memberships (user_id);

CREATE TABLE invitations (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    token_hash   bytea       NOT NULL UNIQUE,
    role         text        NOT NULL CHECK (role IN ('member', 'supervisor', 'facilitator')),
    created_by   bigint      REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    max_uses     integer     NOT NULL CHECK (max_uses > 0),
    uses         integer     NOT NULL DEFAULT 0 CHECK (uses <= max_uses),
    revoked_at   timestamptz
);
CREATE INDEX invitations_community_id ON invitations (community_id, id DESC);

-- Failed sign-ins by e-mail (hashed, whether or not an account exists, so throttling reveals
-- nothing about which addresses have accounts).
CREATE TABLE signin_failures (
    email_key bytea       NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX signin_failures_key_time ON signin_failures (email_key, failed_at);

-- Who did what to which target, when. Never passwords, tokens, or case and message text.
CREATE TABLE audit_log (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint,
    community_id bigint,
    action       text        NOT NULL,
    target_type  text        NOT NULL DEFAULT '',
    target_id    bigint,
    detail       jsonb       NOT NULL DEFAULT '{}',
    request_id   text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_community ON audit_log (community_id, id DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_is_append_only();
DROP TABLE signin_failures;
DROP TABLE invitations;
DROP TABLE memberships;
ALTER TABLE communities DROP COLUMN created_by, DROP COLUMN description, DROP COLUMN name;
DROP TABLE sessions;
DROP INDEX users_email_key;
ALTER TABLE users DROP COLUMN password_changed_at, DROP COLUMN password_hash, DROP COLUMN display_name, DROP COLUMN email;
