-- Neighbourhood Watch schemes: an area, its coordinators (people who sign in like staff, with
-- only the coordinate permission) and the residents who joined it.

ALTER TABLE staff ADD COLUMN can_coordinate INTEGER NOT NULL DEFAULT 0;

-- Whom an alert is limited to beyond its area: '' (everyone who chose it), 'schemes' (members of
-- any open scheme with a place in the area) or 'scheme:ID' (the members of one scheme).
ALTER TABLE alerts ADD COLUMN members TEXT NOT NULL DEFAULT '';
-- A scheme's messages, for its coordinators' page.
CREATE INDEX alerts_members ON alerts (members, id) WHERE members <> '';

CREATE TABLE schemes (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    -- The district most of the area lies in: where the directory lists it.
    district_code   TEXT NOT NULL,
    -- `domain::scheme::SchemeArea` as JSON: a polygon on the grid, or a list of postcodes.
    area_json       TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    -- 'self_declared', 'volunteer_verified' or 'police_verified', with who said so and when.
    standing        TEXT NOT NULL DEFAULT 'self_declared'
                    CHECK (standing IN ('self_declared', 'volunteer_verified', 'police_verified')),
    standing_by     TEXT,
    standing_at     INTEGER,
    -- 'proposed' (waiting for staff), 'open' or 'closed' (members kept).
    status          TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'open', 'closed')),
    -- Who proposed it, to be made its main coordinator when staff verify it.
    proposer_name   TEXT NOT NULL,
    proposer_email  TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER
);
CREATE INDEX schemes_district ON schemes (status, district_code, name);

CREATE TABLE scheme_coordinators (
    scheme_id  INTEGER NOT NULL REFERENCES schemes (id) ON DELETE CASCADE,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    -- The main coordinator (one a scheme); the others are deputies.
    main       INTEGER NOT NULL DEFAULT 0,
    since      INTEGER NOT NULL,
    PRIMARY KEY (scheme_id, staff_id)
) WITHOUT ROWID;
CREATE INDEX scheme_coordinators_staff ON scheme_coordinators (staff_id);

CREATE TABLE scheme_members (
    id             INTEGER PRIMARY KEY,
    scheme_id      INTEGER NOT NULL REFERENCES schemes (id) ON DELETE CASCADE,
    -- Erasing a resident erases their memberships.
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    -- 'requested', 'member', 'refused' or 'left'.
    status         TEXT NOT NULL CHECK (status IN ('requested', 'member', 'refused', 'left')),
    -- What the resident gave to be shown to the scheme's coordinators, only if `share`.
    name           TEXT NOT NULL DEFAULT '',
    street         TEXT NOT NULL DEFAULT '',
    share          INTEGER NOT NULL DEFAULT 0,
    requested_at   INTEGER NOT NULL,
    decided_at     INTEGER,
    decided_by     INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    UNIQUE (scheme_id, subscriber_id)
);
CREATE INDEX scheme_members_subscriber ON scheme_members (subscriber_id);
