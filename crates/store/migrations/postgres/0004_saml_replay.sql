-- SAML assertions that logged someone in, kept until they expire, so that a
-- captured response cannot be posted a second time, on any instance. The key
-- is the identity provider's id and the assertion's ID. Housekeeping drops
-- rows whose assertion has expired. The SQLite twin is the same table.
CREATE TABLE used_assertions (
    key        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
