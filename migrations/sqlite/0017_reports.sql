-- Online reports of non-emergencies (SQLite): the kinds of report (service definitions,
-- kept as data), reports with what the resident answered, their files, their updates (what the
-- reporter added, what staff told them), THRIVE assessments, duplicates linked by operators; the
-- operator and reviewer permissions; and what an API token may be used for.

CREATE TABLE report_services (
    code        TEXT PRIMARY KEY,
    -- `domain::report::ServiceDefinition` as JSON.
    definition  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    -- The receipt code the reporter is given ("RPT-7KQ4-M2XP"); Open311's service_request_id.
    reference       TEXT NOT NULL UNIQUE,
    service_code    TEXT NOT NULL,
    status          TEXT NOT NULL,
    urgent          INTEGER NOT NULL,
    -- The urgent phrases found, comma separated.
    urgent_words    TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL,
    -- When it happened, as the reporter said it, and as a time where it could be read.
    happened_text   TEXT NOT NULL DEFAULT '',
    happened_at     INTEGER,
    -- Where: what they said, and the point it was read as (British National Grid metres).
    location_text   TEXT NOT NULL DEFAULT '',
    postcode        TEXT,
    easting         INTEGER,
    northing        INTEGER,
    district_code   TEXT,
    people          TEXT NOT NULL DEFAULT '',
    vehicles        TEXT NOT NULL DEFAULT '',
    -- The kind's own questions: code → answer, as JSON.
    answers         TEXT NOT NULL DEFAULT '{}',
    anonymous       INTEGER NOT NULL,
    reporter_name   TEXT,
    reporter_email  TEXT,
    reporter_phone  TEXT,
    -- 'web' or 'open311'; the API token of an Open311 client.
    source          TEXT NOT NULL,
    api_token_id    INTEGER REFERENCES api_tokens (id),
    -- The form's one-time value: the same form sent twice stores one report.
    form_nonce      TEXT NOT NULL UNIQUE,
    crime_reference TEXT,
    allocated_to    TEXT,
    close_reason    TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- The first assessment, and the review decision (crime, allocation or closure).
    assessed_at     INTEGER,
    reviewed_at     INTEGER
);
CREATE INDEX reports_queue ON reports (status, urgent, created_at);
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_place ON reports (service_code, easting, northing);
CREATE INDEX reports_reporter ON reports (reporter_email);

CREATE TABLE report_updates (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    -- 'reporter', 'staff' or 'system'.
    author      TEXT NOT NULL,
    staff_id    INTEGER REFERENCES staff (id),
    -- The status the report moved to, if it moved.
    status      TEXT,
    body        TEXT NOT NULL,
    -- Shown to the reporter (an internal note is not).
    public      INTEGER NOT NULL,
    -- The form's one-time value, for what the reporter adds.
    form_nonce  TEXT UNIQUE
);
CREATE INDEX report_updates_report ON report_updates (report_id, at);

CREATE TABLE report_files (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    update_id    INTEGER REFERENCES report_updates (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    -- The file with its metadata removed.
    content      BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX report_files_report ON report_files (report_id);

CREATE TABLE report_assessments (
    id             INTEGER PRIMARY KEY,
    report_id      INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    staff_id       INTEGER NOT NULL REFERENCES staff (id),
    at             INTEGER NOT NULL,
    -- Each THRIVE dimension's level and note: `[{"dimension","level","note"}]` as JSON.
    thrive         TEXT NOT NULL,
    -- `domain::report::Decision` as JSON.
    decision       TEXT NOT NULL,
    urgent         INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    -- The form's one-time value: the same assessment sent twice is stored once.
    form_nonce     TEXT NOT NULL UNIQUE
);
CREATE INDEX report_assessments_report ON report_assessments (report_id, at);

CREATE TABLE report_links (
    report_id   INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    other_id    INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    at          INTEGER NOT NULL,
    PRIMARY KEY (report_id, other_id),
    CHECK (report_id < other_id)
);

ALTER TABLE staff ADD COLUMN can_operate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN can_review INTEGER NOT NULL DEFAULT 0;
-- 'alerts' (compose and send alerts) or 'open311' (post and read reports).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'alerts';
