-- +goose Up
-- Each case's label book: every identifier found or marked in the case, as a keyed digest
-- (HMAC-SHA-256 of the normalised text under a server key that is never stored here), mapped to
-- the label that replaces it everywhere the case travels; and the texts its authors kept. No
-- identifier is stored in readable form.
CREATE TABLE label_book (
    case_id    bigint      NOT NULL REFERENCES cases ON DELETE CASCADE,
    digest     bytea       NOT NULL CHECK (octet_length(digest) = 32),
    -- The digest of the text's first word: a lookup digests each word once and reads further
    -- only where an entry starts.
    first      bytea       NOT NULL CHECK (octet_length(first) = 32),
    kind       text        NOT NULL CHECK (kind IN ('', 'person', 'organisation', 'location', 'address', 'postcode',
                                                    'email', 'phone', 'url', 'social_handle', 'date', 'age_detail',
                                                    'id_number', 'extra')),
    label      text        NOT NULL CHECK (length(label) <= 40),
    kept       boolean     NOT NULL DEFAULT false,
    words      smallint    NOT NULL CHECK (words BETWEEN 1 AND 8),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, digest),
    CHECK (kept = (kind = '') AND kept = (label = ''))
);

-- Which server key the books were written with: its fingerprint (an HMAC of a fixed text), so that
-- a process started with another key refuses to run instead of writing books no one can read.
CREATE TABLE server_key_fingerprints (
    purpose     text PRIMARY KEY,
    fingerprint bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Redacting an earlier version of a case or a message removes its text for good; the history
-- keeps that the version existed, when, and who redacted it.
ALTER TABLE case_revisions
    ADD COLUMN redacted_at timestamptz,
    ADD COLUMN redacted_by bigint REFERENCES users ON DELETE SET NULL,
    ADD CONSTRAINT case_revisions_redacted_empty CHECK (redacted_at IS NULL OR
        (title = '' AND context = '' AND presenting_issue = '' AND reflection = '' AND question = '' AND tags = '{}'));
ALTER TABLE message_revisions
    ADD COLUMN redacted_at timestamptz,
    ADD COLUMN redacted_by bigint REFERENCES users ON DELETE SET NULL,
    ADD CONSTRAINT message_revisions_redacted_empty CHECK (redacted_at IS NULL OR body = '');

-- Who may read a case's earlier versions: its author and the facilitators (the default), or every
-- member.
ALTER TABLE communities
    ADD COLUMN revision_history text NOT NULL DEFAULT 'author_and_facilitators'
        CHECK (revision_history IN ('author_and_facilitators', 'members'));

-- +goose Down
ALTER TABLE communities DROP COLUMN revision_history;
ALTER TABLE message_revisions DROP CONSTRAINT message_revisions_redacted_empty, DROP COLUMN redacted_by, DROP COLUMN redacted_at;
ALTER TABLE case_revisions DROP CONSTRAINT case_revisions_redacted_empty, DROP COLUMN redacted_by, DROP COLUMN redacted_at;
DROP TABLE server_key_fingerprints;
DROP TABLE label_book;
