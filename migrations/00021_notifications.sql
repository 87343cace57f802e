-- +goose Up
-- Attendance is sampled: every process records, every 30 seconds, who has the room of a running
-- live session open there; a slot is one sample, so processes never count a person twice.
DROP TABLE session_attendance;
CREATE TABLE session_attendance (
    live_session_id bigint      NOT NULL REFERENCES live_sessions ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    slot            timestamptz NOT NULL,
    PRIMARY KEY (live_session_id, user_id, slot)
);

-- The bell: what happened that concerns a person, by reference only (never text): rendered
-- from the rows it names when read, so an edit or erasure shows there too.
CREATE TABLE notifications (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    community_id bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    kind         text        NOT NULL CHECK (kind IN ('mention', 'reply', 'case_discussed', 'session_starting', 'invitation_accepted')),
    actor_id     bigint      REFERENCES users ON DELETE SET NULL,
    case_id      bigint      REFERENCES cases ON DELETE CASCADE,
    message_id   bigint      REFERENCES messages ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    read_at      timestamptz,
    pushed_at    timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
-- One unread "your case is being discussed" per case, however many messages.
CREATE UNIQUE INDEX notifications_one_unread_discussion ON notifications (user_id, case_id)
    WHERE kind = 'case_discussed' AND read_at IS NULL;

-- Mentions of members in a message, by id: chosen in the composer, never read from the text,
-- so an anonymised placeholder can never be one.
CREATE TABLE message_mentions (
    message_id bigint NOT NULL REFERENCES messages ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    PRIMARY KEY (message_id, user_id)
);

-- Web push subscriptions (one per browser) and the digest each person chose.
CREATE TABLE push_subscriptions (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    endpoint   text        NOT NULL UNIQUE CHECK (length(endpoint) <= 1024),
    p256dh     text        NOT NULL CHECK (length(p256dh) <= 256),
    auth       text        NOT NULL CHECK (length(auth) <= 64),
    created_at timestamptz NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

ALTER TABLE users ADD COLUMN digest text NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'daily', 'weekly')),
                  ADD COLUMN digest_sent_at timestamptz;

-- Whether mail (digests, notifications) may name a case by its anonymised title; by default it
-- links to the case instead.
ALTER TABLE communities ADD COLUMN mail_case_titles boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE communities DROP COLUMN mail_case_titles;
ALTER TABLE users DROP COLUMN digest_sent_at, DROP COLUMN digest;
DROP TABLE push_subscriptions;
DROP TABLE message_mentions;
DROP TABLE notifications;
DROP TABLE session_attendance;
CREATE TABLE session_attendance (
    live_session_id bigint      NOT NULL REFERENCES live_sessions ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    node            text        NOT NULL,
    joined_at       timestamptz NOT NULL,
    left_at         timestamptz
);
