-- +goose Up
-- A message the session's supervisor posted during a live session: a facilitation note, which
-- the supervisor may post in every phase (to stop a breach of confidentiality, to steer).
ALTER TABLE messages ADD COLUMN facilitation boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE messages DROP COLUMN facilitation;
