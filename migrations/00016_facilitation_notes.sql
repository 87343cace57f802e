-- +goose Up
-- A message the session's supervisor posted during a live session: a facilitation note, which
-- the supervisor may post in every phase (to stop a breach of confidentiality, to steer).
ALTER TABLE messages ADD COLUMN facilitation boolean NOT NULL DEFAULT false;

-- Sessions left running on withdrawn cases (which nobody could end) are ended now; withdrawing
-- a case ends its session from this version on.
UPDATE live_sessions SET ended_at = now(), state = jsonb_set(state, '{ended}', 'true')
WHERE ended_at IS NULL AND case_id IN (SELECT id FROM cases WHERE status = 'withdrawn');

-- +goose Down
ALTER TABLE messages DROP COLUMN facilitation;
