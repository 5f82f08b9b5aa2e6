-- A member's or a key's budget counters are sums of the ledger since an instant of ended_at (lifetime,
-- since the month began or the budget was set, the rolling window's buckets). Indexes that hold the
-- scope, ended_at and the cost answer those sums from the index alone, in ended_at order, instead of
-- one table read per ledger row: the first look at a member with a year of usage reads a few index
-- pages, not thousands of rows scattered over the file. (org_id, started_at) had no reader left: the
-- org's range reads use (org_id, ended_at).
DROP INDEX ix_ledger_org_time;
DROP INDEX ix_ledger_member;
CREATE INDEX ix_ledger_member ON ledger (member_id, ended_at, cost_pico);
DROP INDEX ix_ledger_key;
CREATE INDEX ix_ledger_key ON ledger (key_id, service, ended_at, cost_pico);
