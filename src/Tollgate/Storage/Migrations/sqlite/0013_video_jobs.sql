-- Kept in step with the PostgreSQL schema. On SQLite budget_holds held nothing until now (node holds
-- are a PostgreSQL matter); it is made again with a nullable node so it can keep the holds that
-- outlive their request (asynchronous video jobs), which the one node loads into its counters at start.
DROP TABLE budget_holds;
CREATE TABLE budget_holds (
    id          TEXT PRIMARY KEY,
    node_id     TEXT NULL,
    member_id   TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    amount_pico INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    org_id      TEXT NULL
);
CREATE INDEX ix_budget_holds_org ON budget_holds (org_id) WHERE org_id IS NOT NULL;

CREATE TABLE video_jobs (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    project_id       TEXT NOT NULL,
    member_id        TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    request_id       TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    model            TEXT NOT NULL,
    provider         TEXT NOT NULL,
    provider_model   TEXT NOT NULL,
    provider_job_id  TEXT NOT NULL,
    credential       TEXT NOT NULL,
    hold_pico        INTEGER NOT NULL,
    credits_org_id   TEXT NULL,
    seconds          TEXT NOT NULL,
    size             TEXT NOT NULL,
    price_per_second TEXT NOT NULL,
    state            TEXT NOT NULL,
    object_json      TEXT NOT NULL,
    charged_pico     INTEGER NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    settled_at       INTEGER NULL,
    deleted_at       INTEGER NULL
);
CREATE INDEX ix_video_jobs_org ON video_jobs (org_id, created_at);
CREATE INDEX ix_video_jobs_open ON video_jobs (updated_at) WHERE state IN ('queued', 'in_progress');
