-- +goose Up
-- Full-text search over what members may read: cases (title weighted most, then tags, then the
-- text), learning summaries and discussion messages, each with a stored tsvector and a GIN index;
-- trigrams on titles so that a small typo still finds a case.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- array_to_string is only STABLE; tags are plain text, so joining them is immutable.
-- +goose StatementBegin
CREATE FUNCTION casecircle_words(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT array_to_string($1, ' ') $$;
-- +goose StatementEnd

ALTER TABLE cases ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', casecircle_words(tags)), 'B') ||
    setweight(to_tsvector('english', question || ' ' || context || ' ' || presenting_issue || ' ' || reflection), 'C')) STORED;
CREATE INDEX cases_search ON cases USING gin (search);
CREATE INDEX cases_title_trgm ON cases USING gin (title gin_trgm_ops);

ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);

ALTER TABLE case_summaries ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', casecircle_words(themes)), 'B') ||
    to_tsvector('english', learning_points || ' ' || actions)) STORED;
CREATE INDEX case_summaries_search ON case_summaries USING gin (search);

-- +goose Down
ALTER TABLE case_summaries DROP COLUMN search;
ALTER TABLE messages DROP COLUMN search;
DROP INDEX cases_title_trgm;
ALTER TABLE cases DROP COLUMN search;
DROP FUNCTION casecircle_words(text[]);
