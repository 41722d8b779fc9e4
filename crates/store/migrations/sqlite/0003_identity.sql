-- Logins through an identity provider (OpenID Connect now, SAML next): the
-- person's stable id at the organisation (the identity provider's subject,
-- the organisation system's user UUID) matches a login to its user. Unique
-- where set; NULL for local accounts. The PostgreSQL twin is identical.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);
