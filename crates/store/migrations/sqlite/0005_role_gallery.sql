-- Issue 4: the role catalogue grows its rules, and each member gets people,
-- org units, function mailboxes and a role gallery (who holds which role,
-- from when to when). The PostgreSQL twin is migrations/postgres/0005_role_gallery.sql.
--
-- Role names stay unique: tasks target roles by name, so a role scoped to a
-- solution says so in its name ("Systemansvarlig for SAPA") and points at
-- the solution's project.
ALTER TABLE roles ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN project_id INTEGER CONSTRAINT roles_project_fk REFERENCES projects (id);
-- The most holders a member may have at any one time; NULL: no limit.
ALTER TABLE roles ADD COLUMN max_holders INTEGER CONSTRAINT roles_max_holders_check CHECK (max_holders IS NULL OR max_holders >= 1);
-- Every member must fill it.
ALTER TABLE roles ADD COLUMN required BOOLEAN NOT NULL DEFAULT FALSE;

-- A member's organisation: units form a tree. external_id is the
-- organisation system's id (imports match on it); removed_at marks a unit
-- an import no longer lists.
CREATE TABLE org_units (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL CONSTRAINT org_units_member_fk REFERENCES members (id),
    external_id TEXT,
    name        TEXT NOT NULL,
    parent_id   INTEGER CONSTRAINT org_units_parent_fk REFERENCES org_units (id),
    removed_at  TEXT,
    CONSTRAINT org_units_external_key UNIQUE (member_id, external_id)
);
CREATE INDEX org_units_member_idx ON org_units (member_id, name);

-- A member's people. Not login accounts (users): a person may never log in.
-- external_id is the organisation system's user UUID, so that imports and
-- logins can match them; left_at marks someone who has left, whose history
-- stays.
CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL CONSTRAINT people_member_fk REFERENCES members (id),
    external_id TEXT,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    phone       TEXT NOT NULL,
    title       TEXT NOT NULL,
    org_unit_id INTEGER CONSTRAINT people_org_unit_fk REFERENCES org_units (id),
    left_at     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT people_external_key UNIQUE (member_id, external_id)
);
CREATE INDEX people_member_idx ON people (member_id, name);

-- Function mailboxes: the member's general mailbox (no role) or a role's.
CREATE TABLE mailboxes (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL CONSTRAINT mailboxes_member_fk REFERENCES members (id),
    role_id    INTEGER CONSTRAINT mailboxes_role_fk REFERENCES roles (id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX mailboxes_member_idx ON mailboxes (member_id, role_id);

-- The role gallery: a person holds a role for their member from valid_from
-- to valid_to (inclusive; NULL: until further notice). One holder at a time
-- may be primary. The limits are checked by the store in the writing
-- transaction (core::gallery), not here: they are about overlapping dates.
CREATE TABLE role_assignments (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL CONSTRAINT role_assignments_member_fk REFERENCES members (id),
    role_id    INTEGER NOT NULL CONSTRAINT role_assignments_role_fk REFERENCES roles (id),
    person_id  INTEGER NOT NULL CONSTRAINT role_assignments_person_fk REFERENCES people (id),
    valid_from TEXT NOT NULL,
    valid_to   TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    CONSTRAINT role_assignments_dates_check CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX role_assignments_member_idx ON role_assignments (member_id, role_id);
CREATE INDEX role_assignments_role_idx ON role_assignments (role_id);
CREATE INDEX role_assignments_person_idx ON role_assignments (person_id);
