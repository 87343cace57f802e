-- +goose Up
-- Case studies. Only anonymised text is ever written here: the service runs the anonymiser on
-- the submitted text and stores its output, never the input.
CREATE TABLE cases (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    community_id     bigint      NOT NULL REFERENCES communities ON DELETE CASCADE,
    author_id        bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    status           text        NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn', 'archived')),
    title            text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('coaching', 'mentoring', 'team_coaching', 'supervision', 'other')),
    context          text        NOT NULL DEFAULT '',
    presenting_issue text        NOT NULL DEFAULT '',
    reflection       text        NOT NULL DEFAULT '',
    question         text        NOT NULL DEFAULT '',
    tags             text[]      NOT NULL DEFAULT '{}',
    version          integer     NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- sort_at orders lists newest first: creation for a draft, first publication afterwards.
    sort_at          timestamptz NOT NULL,
    attested_at      timestamptz,
    published_at     timestamptz,
    withdrawn_at     timestamptz,
    CHECK (status = 'draft' OR attested_at IS NOT NULL)
);
CREATE INDEX cases_community_sort ON cases (community_id, sort_at DESC, id DESC);
CREATE INDEX cases_tags ON cases USING gin (tags);

-- Every earlier version of a case that was edited, with who replaced it and when.
CREATE TABLE case_revisions (
    case_id          bigint      NOT NULL REFERENCES cases ON DELETE CASCADE,
    version          integer     NOT NULL,
    edited_by        bigint      REFERENCES users ON DELETE SET NULL,
    edited_at        timestamptz NOT NULL,
    title            text        NOT NULL,
    kind             text        NOT NULL,
    context          text        NOT NULL,
    presenting_issue text        NOT NULL,
    reflection       text        NOT NULL,
    question         text        NOT NULL,
    tags             text[]      NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- +goose Down
DROP TABLE case_revisions;
DROP TABLE cases;
