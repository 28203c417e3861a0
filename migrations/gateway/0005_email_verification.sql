-- Sign-up by email verification (issue 10). Every sign-up writes one row here (at most five
-- live rows per address, enforced by the INSERT itself) and mails the address. Only SHA-256 of
-- the token is stored. A row written for an address that already had an account carries no
-- token, name or password hash: its mail was a notice, and there is nothing to verify. Rows
-- expire after 24 hours; verification deletes every row of its address.
CREATE TABLE email_verifications (
    id TEXT PRIMARY KEY,
    token_hash TEXT UNIQUE,
    email TEXT NOT NULL COLLATE NOCASE,
    name TEXT,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK ((token_hash IS NULL) = (password_hash IS NULL) AND (token_hash IS NULL) = (name IS NULL))
);
CREATE INDEX email_verifications_by_email ON email_verifications(email, expires_at);
CREATE INDEX email_verifications_by_expiry ON email_verifications(expires_at);
