-- +goose Up
-- Outgoing mail is a job in gue's queue (github.com/vgarvardt/gue), written in the transaction
-- that causes it and sent by whichever process locks it first (FOR UPDATE SKIP LOCKED, held
-- while the message is handed to SMTP). The table's shape is the one gue v5 expects.
CREATE TABLE gue_jobs (
    job_id      text        NOT NULL PRIMARY KEY,
    priority    smallint    NOT NULL,
    run_at      timestamptz NOT NULL,
    job_type    text        NOT NULL,
    args        bytea       NOT NULL,
    error_count integer     NOT NULL DEFAULT 0,
    last_error  text,
    queue       text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX gue_jobs_selector ON gue_jobs (queue, run_at, priority);

-- An address is verified when its owner follows the link mailed to it.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

CREATE TABLE email_verifications (
    token_hash bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_verifications_user ON email_verifications (user_id);

-- An invitation sent by e-mail can be accepted only by the account with that address.
ALTER TABLE invitations ADD COLUMN email text CHECK (length(email) <= 254);

-- A reset asked for by e-mail has no community and no facilitator behind it.
-- (password_resets.community_id and created_by are already nullable.)

-- +goose Down
ALTER TABLE invitations DROP COLUMN email;
DROP TABLE email_verifications;
ALTER TABLE users DROP COLUMN email_verified_at;
DROP TABLE gue_jobs;
