-- +goose Up
-- Search reads discussion messages from a narrow table that holds only what members may read:
-- the messages, not deleted, of published and archived cases, with what search filters on.
-- Why: a common word is found in a fifth of all messages, and ranking reads every one of them.
-- Rows a third the size of a message's, with the case's visibility already in them, halve the
-- pages read and drop the join with cases (BenchmarkSearch, docs/benchmarks.md). Triggers keep
-- the table, so no write path (posting, editing, deleting, retention, erasure, archiving,
-- withdrawing) can forget it; removed messages leave it by the foreign key's cascade.
CREATE TABLE message_search (
    message_id   bigint PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    case_id      bigint NOT NULL,
    community_id bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    archived     boolean NOT NULL,
    search       tsvector NOT NULL
);
CREATE INDEX message_search_search ON message_search USING gin (search);
CREATE INDEX message_search_case ON message_search (case_id);

-- A message enters when posted to a readable case, follows its edits and leaves when deleted.
-- +goose StatementBegin
CREATE FUNCTION message_search_follow_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
        DELETE FROM message_search WHERE message_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO message_search (message_id, case_id, community_id, created_at, archived, search)
    SELECT NEW.id, NEW.case_id, c.community_id, NEW.created_at, c.status = 'archived', to_tsvector('english', NEW.body)
    FROM cases c
    WHERE c.id = NEW.case_id AND c.status IN ('published', 'archived')
    ON CONFLICT (message_id) DO UPDATE SET search = EXCLUDED.search;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER message_search_follow_message AFTER INSERT OR UPDATE OF body, deleted_at ON messages
    FOR EACH ROW EXECUTE FUNCTION message_search_follow_message();

-- A case's messages enter when it becomes readable, leave when it is withdrawn, and carry
-- whether it is archived.
-- +goose StatementBegin
CREATE FUNCTION message_search_follow_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status NOT IN ('published', 'archived') THEN
        DELETE FROM message_search WHERE case_id = NEW.id;
    ELSIF OLD.status IN ('published', 'archived') THEN
        UPDATE message_search SET archived = (NEW.status = 'archived')
        WHERE case_id = NEW.id AND archived <> (NEW.status = 'archived');
    ELSE
        INSERT INTO message_search (message_id, case_id, community_id, created_at, archived, search)
        SELECT m.id, m.case_id, NEW.community_id, m.created_at, NEW.status = 'archived', to_tsvector('english', m.body)
        FROM messages m
        WHERE m.case_id = NEW.id AND m.deleted_at IS NULL
        ON CONFLICT (message_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER message_search_follow_case AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION message_search_follow_case();

INSERT INTO message_search (message_id, case_id, community_id, created_at, archived, search)
SELECT m.id, m.case_id, c.community_id, m.created_at, c.status = 'archived', m.search
FROM messages m JOIN cases c ON c.id = m.case_id
WHERE m.deleted_at IS NULL AND c.status IN ('published', 'archived');

DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;

-- +goose Down
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);
DROP TRIGGER message_search_follow_case ON cases;
DROP FUNCTION message_search_follow_case();
DROP TRIGGER message_search_follow_message ON messages;
DROP FUNCTION message_search_follow_message();
DROP TABLE message_search;
