-- The public archive (SQLite): every sent alert that is not private, newest first, filtered by
-- the districts it concerns and searched by its words.
-- A sender may keep an alert to its subscribers: a private alert is never public.
ALTER TABLE alerts ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
-- Where an imported alert came from (the archive import); NULL for alerts sent here.
ALTER TABLE alerts ADD COLUMN imported_from TEXT;
-- The body as plain text, as residents read it in a text email: what search indexes, so that
-- Markdown syntax is never matched or shown in a snippet. NULL until rendered: the store renders
-- the alerts stored before this column existed when it applies its migrations.
ALTER TABLE alerts ADD COLUMN body_text TEXT;
CREATE INDEX alerts_body_text_missing ON alerts (id) WHERE body_text IS NULL;

-- The archive's listing, newest first, for everyone and for one organisation: the status
-- first, so that one index serves both the condition and the order.
CREATE INDEX alerts_public ON alerts (status, queued_at, id);
CREATE INDEX alerts_public_provider ON alerts (provider_id, status, queued_at, id);
-- What a search checks of each alert it ranks (is it public, when was it sent, which
-- organisation and kind), kept narrow: looking each alert up in `alerts` itself would read a
-- page of wide rows (both forms of the body, the target) per alert, several times the cost.
CREATE INDEX alerts_archive_key ON alerts (id, status, private, queued_at, provider_id, message_type_id);
-- When the archive last changed: the latest change to an alert that has been sent.
CREATE INDEX alerts_sent_changed ON alerts (updated_at) WHERE queued_at IS NOT NULL;

-- The districts (ONS codes) a sent alert concerns. Not a reference to `districts`: a newer
-- code than the bundled list still counts.
CREATE TABLE alert_districts (
    alert_id      INTEGER NOT NULL REFERENCES alerts (id),
    district_code TEXT NOT NULL,
    PRIMARY KEY (alert_id, district_code)
) WITHOUT ROWID;
CREATE INDEX alert_districts_district ON alert_districts (district_code, alert_id);

-- Full-text search over title and plain-text body: an FTS5 index whose content stays in
-- `alerts`. It holds public alerts only (the triggers add an alert when it is sent and take it
-- out if it stops being public), so every match is a candidate and ranking statistics describe
-- the archive, not drafts. Porter stemming: "burglaries" finds "burglary".
CREATE VIRTUAL TABLE alerts_search USING fts5(
    title, body_text,
    content = 'alerts', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO alerts_search (rowid, title, body_text)
    SELECT id, title, body_text FROM alerts WHERE status = 'queued' AND NOT private;

CREATE TRIGGER alerts_search_insert AFTER INSERT ON alerts
WHEN new.status = 'queued' AND NOT new.private
BEGIN
    INSERT INTO alerts_search (rowid, title, body_text) VALUES (new.id, new.title, new.body_text);
END;

-- An external-content index forgets a row by being told the exact words it indexed, so the old
-- words are removed before the new ones are added, in one trigger (the order of two triggers on
-- one event is not defined). Changes to other columns (the fan-out cursor) leave it alone.
CREATE TRIGGER alerts_search_update AFTER UPDATE OF title, body_text, status, private ON alerts
BEGIN
    INSERT INTO alerts_search (alerts_search, rowid, title, body_text)
        SELECT 'delete', old.id, old.title, old.body_text
        WHERE old.status = 'queued' AND NOT old.private;
    INSERT INTO alerts_search (rowid, title, body_text)
        SELECT new.id, new.title, new.body_text
        WHERE new.status = 'queued' AND NOT new.private;
END;

CREATE TRIGGER alerts_search_delete AFTER DELETE ON alerts
WHEN old.status = 'queued' AND NOT old.private
BEGIN
    INSERT INTO alerts_search (alerts_search, rowid, title, body_text)
        VALUES ('delete', old.id, old.title, old.body_text);
END;
