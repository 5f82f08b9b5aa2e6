-- Several nodes on one PostgreSQL database enforce the same caps together.
-- Each ledger row says which node wrote it and gets a sequence number; a member's rows are written
-- under that member's advisory lock, so per member the sequence is also the commit order, and a
-- node can pick up what other nodes settled by reading rows past the last sequence it has seen.
ALTER TABLE ledger ADD COLUMN node_id TEXT NULL;
ALTER TABLE ledger ADD COLUMN seq BIGSERIAL;
CREATE INDEX ix_ledger_member_seq ON ledger (member_id, seq);

-- Nodes prove they are alive; holds of a node that stopped beating are ignored.
CREATE TABLE nodes (
    node_id      TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

-- Reservations of requests in flight, visible to every node.
CREATE TABLE budget_holds (
    id          TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    amount_pico BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX ix_budget_holds_member ON budget_holds (member_id);
