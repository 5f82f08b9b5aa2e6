-- The member list's usage over a range of instants reads whole 15-minute buckets from the rollups
-- and only the partial buckets at either edge (under 15 minutes each) from the ledger: this index
-- makes those edges a short range read instead of a scan of every row the org ever wrote.
CREATE INDEX ix_ledger_org_ended ON ledger (org_id, ended_at);

-- A counter per org that moves whenever rollups of a closed day change: a usage event with an old
-- occurredAt, a ledger row that ended before yesterday (UTC), a rebuild (org '*': every org). Each
-- node keeps the analytics of closed days in memory under the counter it read before reading them,
-- and a node that reads another value reads the days again: no node serves a figure a later write changed.
CREATE TABLE analytics_epochs (
    org_id TEXT PRIMARY KEY,
    epoch  BIGINT NOT NULL
);
