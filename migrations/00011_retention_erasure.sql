-- +goose Up
-- Community policies for what a community keeps: how exports name people, what happens to a
-- leaver's messages and cases, and how long discussions and forgotten drafts are kept.
ALTER TABLE communities
    ADD COLUMN export_names          text    NOT NULL DEFAULT 'names' CHECK (export_names IN ('names', 'numbered')),
    ADD COLUMN leaver_content        text    NOT NULL DEFAULT 'keep' CHECK (leaver_content IN ('keep', 'delete')),
    ADD COLUMN retain_messages_days  integer CHECK (retain_messages_days BETWEEN 1 AND 36500),
    ADD COLUMN retain_drafts_days    integer CHECK (retain_drafts_days BETWEEN 1 AND 36500);

-- An erased account keeps its row, so that what the community keeps of it still points
-- somewhere, but nothing personal: the name becomes "Former member", the e-mail a placeholder.
ALTER TABLE users ADD COLUMN erased_at timestamptz;

-- The first view of a case in a session is audited; later views in the same session are not.
CREATE TABLE case_views (
    token_hash bytea  NOT NULL REFERENCES sessions ON DELETE CASCADE,
    case_id    bigint NOT NULL REFERENCES cases ON DELETE CASCADE,
    PRIMARY KEY (token_hash, case_id)
);

-- A message removed for good (by retention) leaves its events in the room's stream as
-- 'message.removed' with no message, so the stream keeps no gaps. Deleting a message that still
-- has events is an error rather than a silent gap.
ALTER TABLE room_events DROP CONSTRAINT room_events_message_id_fkey;
ALTER TABLE room_events ADD CONSTRAINT room_events_message_id_fkey FOREIGN KEY (message_id) REFERENCES messages;
ALTER TABLE room_events DROP CONSTRAINT room_events_type_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_type_check CHECK (type IN (
    'message.created', 'message.edited', 'message.deleted', 'message.removed',
    'session.started', 'session.changed', 'session.ended'));
ALTER TABLE room_events DROP CONSTRAINT room_events_subject;
ALTER TABLE room_events ADD CONSTRAINT room_events_subject CHECK (
    (type = 'message.removed' AND message_id IS NULL) OR
    (type LIKE 'message.%' AND type <> 'message.removed' AND message_id IS NOT NULL) OR
    (type LIKE 'session.%' AND session_id IS NOT NULL AND payload IS NOT NULL));
CREATE INDEX room_events_message ON room_events (message_id) WHERE message_id IS NOT NULL;

-- Retention finds archived cases by when they were archived, and drafts by when last touched.
CREATE INDEX cases_archived_at ON cases (archived_at) WHERE status = 'archived';
CREATE INDEX cases_draft_updated ON cases (updated_at) WHERE status = 'draft';

-- Audit log filters: by action and by actor within a community.
CREATE INDEX audit_log_community_action ON audit_log (community_id, action, id DESC);
CREATE INDEX audit_log_community_actor ON audit_log (community_id, actor_id, id DESC);

-- +goose Down
DROP INDEX audit_log_community_actor;
DROP INDEX audit_log_community_action;
DROP INDEX cases_draft_updated;
DROP INDEX cases_archived_at;
DROP INDEX room_events_message;
ALTER TABLE room_events DROP CONSTRAINT room_events_subject;
ALTER TABLE room_events ADD CONSTRAINT room_events_subject CHECK (
    (type LIKE 'message.%' AND message_id IS NOT NULL) OR (type LIKE 'session.%' AND session_id IS NOT NULL AND payload IS NOT NULL));
ALTER TABLE room_events DROP CONSTRAINT room_events_type_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_type_check CHECK (type IN (
    'message.created', 'message.edited', 'message.deleted', 'session.started', 'session.changed', 'session.ended'));
ALTER TABLE room_events DROP CONSTRAINT room_events_message_id_fkey;
ALTER TABLE room_events ADD CONSTRAINT room_events_message_id_fkey FOREIGN KEY (message_id) REFERENCES messages ON DELETE CASCADE;
DROP TABLE case_views;
ALTER TABLE users DROP COLUMN erased_at;
ALTER TABLE communities DROP COLUMN retain_drafts_days, DROP COLUMN retain_messages_days,
    DROP COLUMN leaver_content, DROP COLUMN export_names;
