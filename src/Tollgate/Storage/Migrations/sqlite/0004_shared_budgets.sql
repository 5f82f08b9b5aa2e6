-- Kept in step with the PostgreSQL schema. An SQLite database is served by one process, whose
-- in-memory reservations are exact; the node columns and holds are used on PostgreSQL only.
ALTER TABLE ledger ADD COLUMN node_id TEXT NULL;
ALTER TABLE ledger ADD COLUMN seq INTEGER NULL;

CREATE TABLE nodes (
    node_id      TEXT PRIMARY KEY,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

CREATE TABLE budget_holds (
    id          TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    amount_pico INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
