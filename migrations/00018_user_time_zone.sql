-- +goose Up
-- Each person's time zone (an IANA name such as Europe/London), in which pages show times; NULL:
-- the browser's own.
ALTER TABLE users ADD COLUMN time_zone text CHECK (length(time_zone) <= 64);

-- +goose Down
ALTER TABLE users DROP COLUMN time_zone;
