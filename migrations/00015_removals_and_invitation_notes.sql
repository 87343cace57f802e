-- +goose Up
-- Who a facilitator removed from a community, and when: an invitation made before the removal
-- no longer lets them back in; they need one made for them afterwards.
CREATE TABLE community_removals (
    community_id bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    user_id      bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    removed_at   timestamptz NOT NULL,
    PRIMARY KEY (community_id, user_id)
);

-- A facilitator's note of whom an invitation was for ("Sam, joining in March"): shown to
-- facilitators only, never in the link.
ALTER TABLE invitations ADD COLUMN note text NOT NULL DEFAULT '' CHECK (char_length(note) <= 200);

-- +goose Down
ALTER TABLE invitations DROP COLUMN note;
DROP TABLE community_removals;
