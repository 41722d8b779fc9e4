-- no-transaction
-- Issue 3: two more access roles, project staff, robot tokens, the audit log
-- and failed-login throttling. The PostgreSQL twin is
-- migrations/postgres/0002_access.sql.
--
-- SQLite cannot change a CHECK constraint in place, so `users` is rebuilt
-- the documented way (https://sqlite.org/lang_altertable.html, "making other
-- kinds of table schema changes"): foreign keys off, which only works outside
-- a transaction (hence `no-transaction` above, and the explicit BEGIN and
-- COMMIT), copy into a new table, drop, rename, check the foreign keys.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL CONSTRAINT users_username_key UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    -- Empty for robots, which never log in with a password.
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CONSTRAINT users_role_check
                  CHECK (role IN ('central_admin', 'central_staff', 'member_admin', 'member_user', 'auditor', 'robot')),
    member_id     INTEGER CONSTRAINT users_member_fk REFERENCES members (id),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL
);
INSERT INTO users_new (id, username, display_name, email, password_hash, role, member_id, active, created_at)
    SELECT id, username, display_name, email, password_hash, role, member_id, active, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_member_idx ON users (member_id, id);

-- Central project staff and the projects whose tasks they may change.
CREATE TABLE project_staff (
    project_id INTEGER NOT NULL CONSTRAINT project_staff_project_fk REFERENCES projects (id),
    user_id    INTEGER NOT NULL CONSTRAINT project_staff_user_fk REFERENCES users (id),
    CONSTRAINT project_staff_pkey PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX project_staff_user_idx ON project_staff (user_id);

-- API tokens of robot users. Only the SHA-256 of the secret is stored. A
-- token is scoped to its robot's member and to `permissions` (bits of
-- udrul_core::Permissions), ends at `expires_at`, and at once when
-- `revoked_at` is set: every request reads this row, so a revocation holds
-- on every app instance from the next request on.
CREATE TABLE robot_tokens (
    id           INTEGER PRIMARY KEY,
    hash         BLOB NOT NULL CONSTRAINT robot_tokens_hash_key UNIQUE,
    user_id      INTEGER NOT NULL CONSTRAINT robot_tokens_user_fk REFERENCES users (id),
    member_id    INTEGER NOT NULL CONSTRAINT robot_tokens_member_fk REFERENCES members (id),
    name         TEXT NOT NULL,
    permissions  INTEGER NOT NULL,
    created_by   INTEGER CONSTRAINT robot_tokens_created_by_fk REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX robot_tokens_member_idx ON robot_tokens (member_id, id);

-- The audit log: every change (who, acting for which member, when, what,
-- before and after as JSON, the request id) and every read of personal
-- data. Append-only: the triggers below refuse UPDATE and DELETE, and the
-- store only ever inserts, in the same transaction as the change it
-- records. No foreign keys: the log outlives what it names, and names its
-- actor by name as well as by id.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    -- NULL for the system and for anonymous callers (failed logins).
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    actor_kind  TEXT NOT NULL CONSTRAINT audit_events_actor_kind_check
                CHECK (actor_kind IN ('person', 'robot', 'system', 'anonymous')),
    -- The robot token used, for robots.
    token_id    INTEGER,
    -- The member acted for: the object's member, else the actor's.
    member_id   INTEGER,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   INTEGER,
    -- The person whose data was changed or read, if any.
    person_id   INTEGER,
    before      TEXT,
    after       TEXT,
    request_id  TEXT
);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_member_idx ON audit_events (member_id, id);
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id, id);
CREATE INDEX audit_events_person_idx ON audit_events (person_id, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Failed logins per key ('user:<name>' and 'ip:<address>') in the current
-- window; shared by every app instance, so throttling holds behind a load
-- balancer.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL
) WITHOUT ROWID;

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
