-- MTA-STS policy cache (RFC 8461 §3.3, §5.1). Lives in its own schema STS, with its own Flyway
-- history table, so it can share the relay's database file without knowing the queue's tables.
-- Times are epoch milliseconds (UTC).

-- The last valid policy fetched per policy domain: re-parsed and re-validated on load.
CREATE TABLE policy (
    domain       VARCHAR(253) PRIMARY KEY,
    policy_id    VARCHAR(32)  NOT NULL,   -- the _mta-sts TXT id the policy was fetched for
    fetched_at   BIGINT       NOT NULL,
    expires_at   BIGINT       NOT NULL,   -- fetched_at + max_age (clamped), RFC 8461 §3.2 / STS-34
    policy_text  CLOB         NOT NULL,   -- the policy's lines joined with LF
    last_used_at BIGINT       NOT NULL    -- proactive refresh covers domains used recently (STS-25)
);

-- The last failed fetch per policy domain: RFC 8461 §3.3 (STS-20) back-off per policy id.
CREATE TABLE fetch_failure (
    domain      VARCHAR(253)  PRIMARY KEY,
    policy_id   VARCHAR(32)   NOT NULL,
    failed_at   BIGINT        NOT NULL,
    consecutive INT           NOT NULL,   -- failed fetches in a row, for escalated alerts (STS-28)
    reason      VARCHAR(2000) NOT NULL
);
