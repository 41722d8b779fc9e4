-- Udrul schema, SQLite dialect. The PostgreSQL twin is
-- migrations/postgres/0001_init.sql: same tables, columns, constraint names
-- and indexes; only the column types differ. Keep the two in step.
--
-- Portable types (the Rust side decodes the same types from both):
--   ids         INTEGER PRIMARY KEY (the rowid)  | BIGINT identity   -> i64
--   dates       TEXT 'YYYY-MM-DD'                | DATE              -> NaiveDate
--   timestamps  TEXT, RFC 3339 in UTC            | TIMESTAMPTZ       -> DateTime<Utc>
--   booleans    INTEGER 0/1                      | BOOLEAN           -> bool
--   enums       TEXT with a named CHECK          | the same
--   hashes      BLOB                             | BYTEA
-- The store writes every timestamp as UTC with the same RFC 3339 shape and
-- microsecond precision, so comparing them as text (expiry of credentials)
-- orders them correctly. Lists are ordered by id, never by timestamp.

-- Named values shared by all app instances (the cookie-signing key...).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE members (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL CONSTRAINT members_code_key UNIQUE,
    name              TEXT NOT NULL,
    region            TEXT NOT NULL,
    network           TEXT NOT NULL,
    -- How many instances of tasks members may see (published, closed) this
    -- member has: the total of its home page without counting 2,000 (or, at
    -- scale, 100,000) index entries on every request. Changed only when
    -- visibility changes: +1 per member at publication, -1 when a published
    -- task is withdrawn; status updates never touch it, so it is no hot
    -- spot. The contract suite checks it against the rows.
    visible_instances INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX members_name_idx ON members (name);

-- The role catalogue; tasks target roles by id, so a rename keeps targets.
CREATE TABLE roles (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT roles_name_key UNIQUE
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL CONSTRAINT users_username_key UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CONSTRAINT users_role_check
                  CHECK (role IN ('central_admin', 'central_staff', 'member_admin', 'member_user')),
    -- NULL for central roles. A member role without a member is allowed
    -- (core gives it a scope that sees nothing) rather than refused here.
    member_id     INTEGER CONSTRAINT users_member_fk REFERENCES members (id),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL
);

-- Login sessions and API tokens. Only the SHA-256 of the secret is stored,
-- and it is the key: a lookup is one primary-key probe.
CREATE TABLE credentials (
    kind         TEXT NOT NULL CONSTRAINT credentials_kind_check CHECK (kind IN ('session', 'api')),
    hash         BLOB NOT NULL,
    user_id      INTEGER NOT NULL CONSTRAINT credentials_user_fk REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    CONSTRAINT credentials_pkey PRIMARY KEY (kind, hash)
) WITHOUT ROWID;
CREATE INDEX credentials_expires_idx ON credentials (expires_at);
CREATE INDEX credentials_user_idx ON credentials (user_id);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CONSTRAINT projects_name_key UNIQUE,
    description TEXT NOT NULL
);

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL CONSTRAINT tasks_project_fk REFERENCES projects (id),
    -- Not unique: codes such as "KLIK 03" repeat across projects and years.
    code         TEXT NOT NULL,
    title        TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    guidance     TEXT NOT NULL,
    task_type    TEXT NOT NULL CONSTRAINT tasks_type_check
                 CHECK (task_type IN ('obligatorisk', 'obligatorisk_kritisk_vej', 'valgfri')),
    phase        TEXT NOT NULL,
    start_date   TEXT,
    end_date     TEXT NOT NULL,
    state        TEXT NOT NULL CONSTRAINT tasks_state_check
                 CHECK (state IN ('draft', 'published', 'closed', 'withdrawn')),
    -- Optimistic concurrency: every change adds one.
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT,
    created_by   INTEGER CONSTRAINT tasks_created_by_fk REFERENCES users (id),
    CONSTRAINT tasks_dates_check CHECK (start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX tasks_project_idx ON tasks (project_id);
CREATE INDEX tasks_state_idx ON tasks (state, end_date);

CREATE TABLE task_target_roles (
    task_id  INTEGER NOT NULL CONSTRAINT task_target_roles_task_fk REFERENCES tasks (id) ON DELETE CASCADE,
    role_id  INTEGER NOT NULL CONSTRAINT task_target_roles_role_fk REFERENCES roles (id),
    -- The order the author gave.
    position INTEGER NOT NULL,
    CONSTRAINT task_target_roles_pkey PRIMARY KEY (task_id, role_id)
) WITHOUT ROWID;

-- The task's history: creation, edits, publication, end-date changes (with
-- the old and new date and the reason), closing, withdrawal. actor_id is
-- NULL for history imported from before Udrul.
CREATE TABLE task_events (
    id        INTEGER PRIMARY KEY,
    task_id   INTEGER NOT NULL CONSTRAINT task_events_task_fk REFERENCES tasks (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    actor_id  INTEGER CONSTRAINT task_events_actor_fk REFERENCES users (id),
    kind      TEXT NOT NULL CONSTRAINT task_events_kind_check
              CHECK (kind IN ('created', 'updated', 'published', 'end_date_changed', 'closed', 'withdrawn')),
    from_date TEXT,
    to_date   TEXT,
    reason    TEXT NOT NULL DEFAULT '',
    -- For 'published': how many members it went to.
    count     INTEGER
);
CREATE INDEX task_events_task_idx ON task_events (task_id, id);

-- One member's copy of a published task.
--
-- The member home page lists a member's instances "settled last, critical
-- path first, then nearest end date, then code", paged. At 98 members x
-- 2,000 tasks that is 2,000 rows per member out of 196,000; sorting them
-- through a join with tasks on every request is what would make the page
-- slow. So the sort key and the visibility are copied from the task onto the
-- instance (task_state, type_rank, end_date, code) and kept in step by the
-- store in the same transaction that changes the task: publish writes them,
-- change_end_date and set_task_state update them (98 rows per task). The
-- task type and code never change after publication (only drafts can be
-- edited, and drafts have no instances). `settled` and `visible` are
-- computed columns, so they can never disagree with status and task_state.
-- With the index task_instances_home_idx the page is an index range scan in
-- the final order plus one primary-key probe per shown row into tasks and
-- projects; the total is an index-only count.
CREATE TABLE task_instances (
    id                  INTEGER PRIMARY KEY,
    task_id             INTEGER NOT NULL CONSTRAINT task_instances_task_fk REFERENCES tasks (id),
    member_id           INTEGER NOT NULL CONSTRAINT task_instances_member_fk REFERENCES members (id),
    status              TEXT NOT NULL DEFAULT 'ikke_paabegyndt' CONSTRAINT task_instances_status_check
                        CHECK (status IN ('ikke_paabegyndt', 'paabegyndt', 'fuldfoert', 'ikke_relevant')),
    -- Empty unless status is 'ikke_relevant' (the store clears it).
    not_relevant_reason TEXT NOT NULL DEFAULT '',
    responsible         TEXT NOT NULL DEFAULT '',
    doer                TEXT NOT NULL DEFAULT '',
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL,
    updated_by          INTEGER CONSTRAINT task_instances_updated_by_fk REFERENCES users (id),
    -- Denormalised from tasks (see above).
    task_state          TEXT NOT NULL CONSTRAINT task_instances_task_state_check
                        CHECK (task_state IN ('draft', 'published', 'closed', 'withdrawn')),
    -- 0 for 'obligatorisk_kritisk_vej', 1 for the other types.
    type_rank           INTEGER NOT NULL,
    end_date            TEXT NOT NULL,
    code                TEXT NOT NULL,
    settled             BOOLEAN GENERATED ALWAYS AS (status IN ('fuldfoert', 'ikke_relevant')) VIRTUAL,
    visible             BOOLEAN GENERATED ALWAYS AS (task_state IN ('published', 'closed')) VIRTUAL,
    CONSTRAINT task_instances_task_member_key UNIQUE (task_id, member_id)
);
-- Member home: WHERE member_id = ? AND visible ORDER BY settled, type_rank,
-- end_date, code, id (the rowid ends every SQLite index).
CREATE INDEX task_instances_home_idx
    ON task_instances (member_id, visible, settled, type_rank, end_date, code);
-- Follow-up: counts per status of one task (index-only) and its unsettled
-- members. The unique key above serves lookups by (task_id, member_id).
CREATE INDEX task_instances_follow_idx ON task_instances (task_id, status);

-- Every change of an instance, with the values after it and the status
-- before it. Append-only.
CREATE TABLE instance_events (
    id                  INTEGER PRIMARY KEY,
    instance_id         INTEGER NOT NULL CONSTRAINT instance_events_instance_fk REFERENCES task_instances (id),
    at                  TEXT NOT NULL,
    actor_id            INTEGER NOT NULL CONSTRAINT instance_events_actor_fk REFERENCES users (id),
    old_status          TEXT CONSTRAINT instance_events_old_status_check
                        CHECK (old_status IN ('ikke_paabegyndt', 'paabegyndt', 'fuldfoert', 'ikke_relevant')),
    status              TEXT NOT NULL CONSTRAINT instance_events_status_check
                        CHECK (status IN ('ikke_paabegyndt', 'paabegyndt', 'fuldfoert', 'ikke_relevant')),
    not_relevant_reason TEXT NOT NULL,
    responsible         TEXT NOT NULL,
    doer                TEXT NOT NULL
);
CREATE INDEX instance_events_instance_idx ON instance_events (instance_id, id);

-- The history is written by the database: every new version of an instance
-- appends one event with the values after the change, the status before it,
-- and who and when (updated_by, updated_at of the row). The store bumps
-- `version` exactly when a member-facing value changes (a no-op update bumps
-- nothing and records nothing; seeding bumps it too); copying the task's
-- state or end date onto the rows does not. So no code path can change an
-- instance without leaving a trace, and a status update is one statement
-- fewer (it matters at thousands of updates per second).
CREATE TRIGGER task_instances_history
AFTER UPDATE OF version ON task_instances
FOR EACH ROW WHEN NEW.version <> OLD.version
BEGIN
    INSERT INTO instance_events
        (instance_id, at, actor_id, old_status, status, not_relevant_reason, responsible, doer)
    VALUES
        (NEW.id, NEW.updated_at, NEW.updated_by, OLD.status, NEW.status,
         NEW.not_relevant_reason, NEW.responsible, NEW.doer);
END;
