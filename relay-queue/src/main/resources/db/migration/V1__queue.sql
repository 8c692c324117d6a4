-- One row per accepted message. The body is dropped with the row once every recipient is final.
CREATE TABLE message (
    id            VARCHAR(20)  NOT NULL PRIMARY KEY,
    sender        VARCHAR(320),               -- NULL is the null reverse-path <>
    smtputf8      BOOLEAN      NOT NULL,
    eightbit      BOOLEAN      NOT NULL,
    received_at   TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    body          BLOB         NOT NULL
);

-- One row per recipient: its state, attempts, last reply, next attempt and the lease that
-- keeps two workers from delivering it at once.
CREATE TABLE recipient (
    message_id      VARCHAR(20)  NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    seq             INT          NOT NULL,
    address         VARCHAR(320) NOT NULL,
    domain          VARCHAR(255) NOT NULL,
    state           VARCHAR(12)  NOT NULL,    -- QUEUED, DEFERRED, DELIVERING, DELIVERED, BOUNCED
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    lease_owner     VARCHAR(64),
    lease_until     TIMESTAMP(3) WITH TIME ZONE,
    last_status     VARCHAR(16),
    last_diagnostic VARCHAR(1000),
    remote_mta      VARCHAR(255),
    notified        BOOLEAN      NOT NULL DEFAULT FALSE,  -- a DSN about this recipient was queued
    PRIMARY KEY (message_id, seq)
);

-- Due work: QUEUED/DEFERRED by next attempt. Expired leases are found through the same index's
-- state prefix (DELIVERING rows are few); every further index is rewritten on each sync.
CREATE INDEX recipient_due ON recipient (state, next_attempt_at);
