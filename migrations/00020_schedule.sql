-- +goose Up
-- When a community meets. A scheduled session is a series (or one meeting): its first start as
-- wall-clock time in the organiser's zone, and an RFC 5545 RRULE expanded in that zone, so a
-- weekly 18:30 stays 18:30 across daylight-saving changes. Occurrences are numbered from 1 in
-- series order; an occurrence's own changes (moved, cancelled, its presenter, its case, the
-- live session that ran it) are rows of schedule_occurrences.
CREATE TABLE scheduled_sessions (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id     bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    title            text        NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    template_key     text        NOT NULL,
    supervisor_id    bigint      REFERENCES users ON DELETE SET NULL,
    presenter_id     bigint      REFERENCES users ON DELETE SET NULL, -- NULL: to be chosen
    case_id          bigint      REFERENCES cases ON DELETE SET NULL,
    time_zone        text        NOT NULL,
    starts_local     timestamp   NOT NULL,
    duration_minutes integer     NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    rrule            text        NOT NULL DEFAULT '' CHECK (length(rrule) <= 200), -- '': once
    sequence         integer     NOT NULL DEFAULT 0,
    created_by       bigint      REFERENCES users ON DELETE SET NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    cancelled_at     timestamptz
);
CREATE INDEX scheduled_sessions_community ON scheduled_sessions (community_id) WHERE cancelled_at IS NULL;

CREATE TABLE schedule_occurrences (
    schedule_id     bigint      NOT NULL REFERENCES scheduled_sessions ON DELETE CASCADE,
    n               integer     NOT NULL CHECK (n > 0),
    moved_to        timestamptz,
    cancelled       boolean     NOT NULL DEFAULT false,
    presenter_id    bigint      REFERENCES users ON DELETE SET NULL,
    case_id         bigint      REFERENCES cases ON DELETE SET NULL,
    live_session_id bigint      REFERENCES live_sessions ON DELETE SET NULL,
    sequence        integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, n)
);
CREATE UNIQUE INDEX schedule_occurrences_live ON schedule_occurrences (live_session_id) WHERE live_session_id IS NOT NULL;

CREATE TABLE schedule_answers (
    schedule_id bigint      NOT NULL REFERENCES scheduled_sessions ON DELETE CASCADE,
    n           integer     NOT NULL,
    user_id     bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    answer      text        NOT NULL CHECK (answer IN ('going', 'maybe', 'not_going')),
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (schedule_id, n, user_id)
);

-- The case queue: members propose their case for an occurrence; a facilitator picks one.
CREATE TABLE case_proposals (
    schedule_id bigint      NOT NULL REFERENCES scheduled_sessions ON DELETE CASCADE,
    n           integer     NOT NULL,
    case_id     bigint      NOT NULL REFERENCES cases ON DELETE CASCADE,
    proposed_by bigint      REFERENCES users ON DELETE SET NULL,
    proposed_at timestamptz NOT NULL,
    PRIMARY KEY (schedule_id, n, case_id)
);

-- A person's calendar feed: the feed id is public in the URL, which also carries a MAC of it
-- under a key derived from the server secret; regenerating replaces the id.
CREATE TABLE calendar_feeds (
    user_id    bigint      PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    feed_id    text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- Reminders already queued, so that several processes never queue one twice.
CREATE TABLE schedule_reminders (
    schedule_id bigint      NOT NULL REFERENCES scheduled_sessions ON DELETE CASCADE,
    n           integer     NOT NULL,
    user_id     bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    lead        text        NOT NULL,
    queued_at   timestamptz NOT NULL,
    PRIMARY KEY (schedule_id, n, user_id, lead)
);

-- Who was in the room during a live session, from presence: one row per visit and process.
CREATE TABLE session_attendance (
    live_session_id bigint      NOT NULL REFERENCES live_sessions ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    node            text        NOT NULL,
    joined_at       timestamptz NOT NULL,
    left_at         timestamptz
);
CREATE INDEX session_attendance_session ON session_attendance (live_session_id, user_id);

-- What each person wants to hear about, by kind, channel and community (0: every community).
-- A missing row means the kind's default.
CREATE TABLE notification_preferences (
    user_id      bigint  NOT NULL REFERENCES users ON DELETE CASCADE,
    kind         text    NOT NULL,
    channel      text    NOT NULL CHECK (channel IN ('in_app', 'email', 'push', 'digest')),
    community_id bigint  NOT NULL DEFAULT 0,
    enabled      boolean NOT NULL,
    PRIMARY KEY (user_id, kind, channel, community_id)
);

-- +goose Down
DROP TABLE notification_preferences;
DROP TABLE session_attendance;
DROP TABLE schedule_reminders;
DROP TABLE calendar_feeds;
DROP TABLE case_proposals;
DROP TABLE schedule_answers;
DROP TABLE schedule_occurrences;
DROP TABLE scheduled_sessions;
