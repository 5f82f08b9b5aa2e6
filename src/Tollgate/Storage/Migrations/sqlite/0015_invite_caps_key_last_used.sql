-- Caps that come with an invite (api.md "Members and invites", extended): the budget document of
-- PUT .../members/{id}/budget, validated when the invite is made and applied to the new member in
-- the transaction that accepts it. NULL: the invite carries no caps (every cap starts not set).
ALTER TABLE invites ADD COLUMN budget TEXT NULL;

-- When a key was last used (ms since the epoch; the end of its latest request in the ledger): the
-- ledger writer sets it once per key per batch, never per request. NULL: never used.
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER NULL;
