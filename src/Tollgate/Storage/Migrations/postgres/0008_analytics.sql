-- Analytics rollups: derived from the ledger, written in the same transaction as the ledger rows
-- they count (only rows actually inserted), and rebuilt from it by `rebuild-rollups`.
-- Buckets are keyed by the row's ended_at (the instant the caps count it at), in Unix ms.
-- requests counts ledger rows (provider attempts); errors those with status upstream_error or failed.

-- Every dimension, at 15-minute UTC buckets: the source for filtered reads (one member, key or
-- project) and for rebuilding the facets.
CREATE TABLE usage_rollups (
    org_id           TEXT NOT NULL,
    bucket_start     BIGINT NOT NULL,
    member_id        TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    project_id       TEXT NOT NULL,
    model            TEXT NOT NULL,
    provider         TEXT NOT NULL,
    requests         BIGINT NOT NULL,
    errors           BIGINT NOT NULL,
    cost_pico        BIGINT NOT NULL,
    input_tokens     BIGINT NOT NULL,
    output_tokens    BIGINT NOT NULL,
    cached_tokens    BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    PRIMARY KEY (org_id, bucket_start, member_id, key_id, project_id, model, provider)
) ;
CREATE INDEX ix_usage_rollups_member ON usage_rollups (org_id, member_id, bucket_start);
CREATE INDEX ix_usage_rollups_key ON usage_rollups (org_id, key_id, bucket_start);
CREATE INDEX ix_usage_rollups_project ON usage_rollups (org_id, project_id, bucket_start);

-- One dimension at a time (model, provider, project, member, key), at three UTC grains (15 min,
-- hour, day; grain is the width in ms): org-wide reads over long ranges add whole days and hours
-- and only touch 15-minute buckets at the edges of local days.
CREATE TABLE usage_facets (
    org_id           TEXT NOT NULL,
    dimension        TEXT NOT NULL,
    grain            BIGINT NOT NULL,
    bucket_start     BIGINT NOT NULL,
    value            TEXT NOT NULL,
    requests         BIGINT NOT NULL,
    errors           BIGINT NOT NULL,
    cost_pico        BIGINT NOT NULL,
    input_tokens     BIGINT NOT NULL,
    output_tokens    BIGINT NOT NULL,
    cached_tokens    BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    PRIMARY KEY (org_id, dimension, grain, bucket_start, value)
) ;

-- Budget alerts: where to send them, per org.
CREATE TABLE alert_settings (
    org_id              TEXT PRIMARY KEY,
    slack_webhook_url   TEXT NULL,
    discord_webhook_url TEXT NULL,
    thresholds          TEXT NOT NULL,  -- comma-separated percentages, ascending
    updated_at          BIGINT NOT NULL
);

-- One row per threshold crossed by a cap in one of its windows. The primary key is the claim:
-- whichever node inserts it first sends the alert, so it goes out once across nodes and restarts.
CREATE TABLE alert_events (
    id            TEXT NOT NULL UNIQUE,
    org_id        TEXT NOT NULL,
    scope         TEXT NOT NULL,   -- member | key
    scope_id      TEXT NOT NULL,
    cap           TEXT NOT NULL,   -- fixed | monthly | period
    window_start  BIGINT NOT NULL,
    threshold     BIGINT NOT NULL,
    message       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (scope, scope_id, cap, window_start, threshold)
);

-- One delivery per event and channel, retried with backoff until sent or out of attempts.
CREATE TABLE alert_deliveries (
    event_id        TEXT NOT NULL,
    channel         TEXT NOT NULL,   -- slack | discord
    url             TEXT NOT NULL,
    status          TEXT NOT NULL,   -- pending | sent | failed
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NULL,
    PRIMARY KEY (event_id, channel)
);
CREATE INDEX ix_alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
