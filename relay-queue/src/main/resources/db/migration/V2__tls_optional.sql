-- RFC 8689 §5: the message carries "TLS-Required: No"; TLS policies must not stop its delivery
ALTER TABLE message ADD COLUMN tls_optional BOOLEAN DEFAULT FALSE NOT NULL;
