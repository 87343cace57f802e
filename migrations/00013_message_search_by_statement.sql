-- +goose Up
-- Posted messages enter message_search once per INSERT statement rather than once per row: the
-- server writes messages in batches, and a row trigger ran a statement for every message, which
-- cost a quarter of the ingest rate (the ingest scenario of docs/benchmarks.md). Edits and
-- deletions, one message at a time, keep the row trigger.
-- +goose StatementBegin
CREATE FUNCTION message_search_add_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_search (message_id, case_id, community_id, created_at, archived, search)
    SELECT p.id, p.case_id, c.community_id, p.created_at, c.status = 'archived', to_tsvector('english', p.body)
    FROM posted p JOIN cases c ON c.id = p.case_id
    WHERE p.deleted_at IS NULL AND c.status IN ('published', 'archived');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER message_search_add_posted AFTER INSERT ON messages
    REFERENCING NEW TABLE AS posted FOR EACH STATEMENT EXECUTE FUNCTION message_search_add_posted();

DROP TRIGGER message_search_follow_message ON messages;
CREATE TRIGGER message_search_follow_message AFTER UPDATE OF body, deleted_at ON messages
    FOR EACH ROW EXECUTE FUNCTION message_search_follow_message();

-- +goose Down
DROP TRIGGER message_search_follow_message ON messages;
CREATE TRIGGER message_search_follow_message AFTER INSERT OR UPDATE OF body, deleted_at ON messages
    FOR EACH ROW EXECUTE FUNCTION message_search_follow_message();
DROP TRIGGER message_search_add_posted ON messages;
DROP FUNCTION message_search_add_posted();
