-- Issue 4: SCIM 2.0 provisioning (/scim/v2). An identity provider names
-- each user by a userName (Entra ID: the user principal name; Okta: the
-- login) besides the externalId that is the person's identity, and finds
-- people by it before it creates them, so we keep it. user_name_key is the
-- name trimmed and in lower case (computed by the app, the same for both
-- databases, Unicode-aware), unique per member: SCIM compares userName
-- without regard to case. NULL: a person made by hand or by an import,
-- whom SCIM does not show. The twin is the file of the same name in
-- migrations/postgres/.
ALTER TABLE people ADD COLUMN user_name TEXT;
ALTER TABLE people ADD COLUMN user_name_key TEXT;
CREATE UNIQUE INDEX people_user_name_key ON people (member_id, user_name_key);
