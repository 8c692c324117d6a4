-- TLSRPT sending (RFC 8460 §3, §5): one row per policy domain and UTC day that was published, so a
-- report goes out once per domain and day across restarts and workers (the primary key decides
-- which worker sends), and one row per rua of it with its own retries (RFC 8460 §5.5).
-- Times are epoch milliseconds (UTC).

CREATE TABLE tlsrpt_report (
    domain      VARCHAR(253)  NOT NULL,
    report_day  DATE          NOT NULL,
    report_id   VARCHAR(64)   NOT NULL,   -- kept by every retry (RPT-16)
    created_at  BIGINT        NOT NULL,
    outcome     VARCHAR(200)  NOT NULL,   -- 'sending', or why nothing was sent (no TLSRPT record ...)
    report_gz   BLOB,                     -- the exact bytes every attempt sends (null when nothing is sent)
    PRIMARY KEY (domain, report_day)
);

CREATE TABLE tlsrpt_delivery (
    domain           VARCHAR(253)  NOT NULL,
    report_day       DATE          NOT NULL,
    rua              VARCHAR(2000) NOT NULL,
    attempts         INT           NOT NULL,
    first_attempt_at BIGINT,                 -- retries stop 24 h after it (RPT-48)
    next_attempt_at  BIGINT        NOT NULL, -- also the lease of the worker trying it now
    state            VARCHAR(20)   NOT NULL, -- pending, delivered, undelivered
    last_error       VARCHAR(1000),
    PRIMARY KEY (domain, report_day, rua),
    FOREIGN KEY (domain, report_day) REFERENCES tlsrpt_report (domain, report_day) ON DELETE CASCADE
);
CREATE INDEX tlsrpt_delivery_due ON tlsrpt_delivery (state, next_attempt_at);
