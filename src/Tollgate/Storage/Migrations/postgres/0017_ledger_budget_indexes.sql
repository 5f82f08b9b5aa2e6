-- A member's or a key's budget counters are sums of the ledger since an instant of ended_at (lifetime,
-- since the month began or the budget was set, the rolling window's buckets). Indexes that hold the
-- scope, ended_at and the cost answer those sums with an index-only scan, in ended_at order, instead of
-- one heap read per ledger row. (org_id, started_at) had no reader left: the org's range reads use
-- (org_id, ended_at).
DROP INDEX ix_ledger_org_time;
DROP INDEX ix_ledger_member;
CREATE INDEX ix_ledger_member ON ledger (member_id, ended_at) INCLUDE (cost_pico);
DROP INDEX ix_ledger_key;
CREATE INDEX ix_ledger_key ON ledger (key_id, service, ended_at) INCLUDE (cost_pico);
