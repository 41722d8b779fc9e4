-- Issue 11: set-password links. An administrator who creates a user (or
-- resets one) gets a link to pass on; the new user sets a password there.
-- The link's secret is 256 random bits; only its SHA-256 is kept. A link is
-- live until it expires, is used, or is replaced by a newer link of the same
-- user (ended_at). used_at tells a use from a replacement. The e-mail
-- invitation of a later issue makes the same link and mails its address
-- instead of showing it. Expired and ended links are purged by
-- housekeeping; the audit log keeps the record. The twin is the file of the
-- same name in migrations/postgres/.
CREATE TABLE password_links (
    id         INTEGER PRIMARY KEY,
    hash       BLOB NOT NULL CONSTRAINT password_links_hash_key UNIQUE,
    user_id    INTEGER NOT NULL CONSTRAINT password_links_user_fk REFERENCES users (id) ON DELETE CASCADE,
    created_by INTEGER CONSTRAINT password_links_created_by_fk REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    ended_at   TEXT
);
CREATE INDEX password_links_user_idx ON password_links (user_id);
CREATE INDEX password_links_expires_idx ON password_links (expires_at);
