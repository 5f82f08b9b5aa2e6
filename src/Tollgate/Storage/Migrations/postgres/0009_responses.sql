-- Responses the gateway stored (POST /v1/responses with store, the default), for GET /v1/responses/{id}
-- and previous_response_id. Only the org that made a response can read it.
CREATE TABLE stored_responses (
    id            TEXT PRIMARY KEY,      -- the response id the client saw
    org_id        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    model         TEXT NOT NULL,         -- as the client asked for it
    provider      TEXT NOT NULL,         -- who answered
    created_at    BIGINT NOT NULL,       -- unix ms
    request_json  TEXT NOT NULL,         -- the client's request, for rebuilding a conversation
    response_json TEXT NOT NULL          -- the response object as the client got it
);
CREATE INDEX ix_stored_responses_org ON stored_responses (org_id, id);
