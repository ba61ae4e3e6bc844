-- Photos and files a resident has added to a report they are still answering (SQLite): kept
-- here, already checked and cleaned, so that the form carries only each file's id and digest
-- from page to page. Deleted once the report is stored, and by the hourly housekeeping a day
-- after they were added (a report never sent).

CREATE TABLE report_draft_files (
    -- An unguessable random id: the sealed draft names the file by it.
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    -- The file with its metadata removed, and its SHA-256 (hex), which the draft holds too.
    content      BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX report_draft_files_created ON report_draft_files (created_at);
