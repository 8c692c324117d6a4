-- TLSRPT aggregates (RFC 8460 §4): counters per policy domain, UTC day, policy and failure
-- detail, incremented by relay.sts.report.store.H2TlsReportRecorder; never one row per session.

-- One row per (policy domain, UTC day, policy): the summary counts of RFC 8460 §4.4.
CREATE TABLE tlsrpt_policy (
    domain        VARCHAR(253) NOT NULL,
    report_day    DATE         NOT NULL,   -- the UTC day the sessions ended on (RPT-14)
    policy_key    CHAR(64)     NOT NULL,   -- SHA-256 hex of type, id, policy-string and mx-host
    policy_type   VARCHAR(20)  NOT NULL,   -- sts, tlsa, no-policy-found
    policy_id     VARCHAR(64)  NOT NULL,   -- the MTA-STS TXT id ('' for other types)
    policy_string CLOB         NOT NULL,   -- the policy's lines joined with LF
    mx_host       CLOB         NOT NULL,   -- the mx patterns joined with LF
    success_count BIGINT       NOT NULL,
    failure_count BIGINT       NOT NULL,
    PRIMARY KEY (domain, report_day, policy_key)
);

-- One row per distinct failure detail under a policy row: the failure-details of RFC 8460 §4.4.
-- Absent optional values are stored as ''.
CREATE TABLE tlsrpt_failure (
    domain          VARCHAR(253)  NOT NULL,
    report_day      DATE          NOT NULL,
    policy_key      CHAR(64)      NOT NULL,
    detail_key      CHAR(64)      NOT NULL,   -- SHA-256 hex of the six columns below
    result_type     VARCHAR(40)   NOT NULL,
    sending_ip      VARCHAR(45)   NOT NULL,
    mx_host         VARCHAR(255)  NOT NULL,
    mx_helo         VARCHAR(255)  NOT NULL,
    receiving_ip    VARCHAR(45)   NOT NULL,
    additional_info VARCHAR(1000) NOT NULL,
    session_count   BIGINT        NOT NULL,
    PRIMARY KEY (domain, report_day, policy_key, detail_key),
    FOREIGN KEY (domain, report_day, policy_key) REFERENCES tlsrpt_policy (domain, report_day, policy_key) ON DELETE CASCADE
);
