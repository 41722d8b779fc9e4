-- Issue 4: keeping a member's people in step with its organisation system
-- (CSV/XLSX imports and SCIM), and telling the member's administrators what
-- that did to their role gallery. The twin for the other database is the
-- file of the same name in migrations/postgres/.

-- A person removed by an import or by SCIM loses their roles; when that
-- leaves a role without a holder, the member's administrators must hear of
-- it (unfilled roles mean information never arrives). A notice stays until
-- an administrator dismisses it. roles is a JSON array of role names, as
-- they were when the person left.
CREATE TABLE gallery_notices (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL CONSTRAINT gallery_notices_member_fk REFERENCES members (id),
    created_at   TEXT NOT NULL,
    source       TEXT NOT NULL CONSTRAINT gallery_notices_source_check CHECK (source IN ('manual', 'import', 'scim')),
    person_id    INTEGER CONSTRAINT gallery_notices_person_fk REFERENCES people (id),
    person_name  TEXT NOT NULL,
    roles        TEXT NOT NULL,
    dismissed_at TEXT,
    dismissed_by INTEGER CONSTRAINT gallery_notices_dismissed_by_fk REFERENCES users (id)
);
CREATE INDEX gallery_notices_open_idx ON gallery_notices (member_id, id) WHERE dismissed_at IS NULL;

-- An uploaded file, parsed and found valid, waiting to be applied (or
-- applied: then rows is emptied and result keeps what it did). Only valid
-- files are kept: a file with row errors is shown with its errors and never
-- stored, so nothing of it can be half-applied. sha256 is of the file's
-- bytes, so that the same file uploaded twice is recognised.
CREATE TABLE imports (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL CONSTRAINT imports_member_fk REFERENCES members (id),
    kind       TEXT NOT NULL CONSTRAINT imports_kind_check CHECK (kind IN ('people', 'org_units')),
    file_name  TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    row_count  INTEGER NOT NULL,
    rows       TEXT NOT NULL,
    created_by INTEGER CONSTRAINT imports_created_by_fk REFERENCES users (id),
    created_at TEXT NOT NULL,
    applied_at TEXT,
    applied_by INTEGER CONSTRAINT imports_applied_by_fk REFERENCES users (id),
    result     TEXT
);
CREATE INDEX imports_member_idx ON imports (member_id, id);
