-- Where each sent alert stands in the archive's newest-first list (issue 19, item 12). For an
-- alert sent here it is when it was sent; for an imported alert whose source gives no date, the
-- date the source implies (the alerts beside it in its file), else before every dated alert:
-- stored with the import's time as their date, such alerts had buried today's. The archive's
-- pages are keyed on it, so a page link goes on from where the last page ended.
ALTER TABLE alerts ADD COLUMN listed_at INTEGER;
UPDATE alerts SET listed_at = queued_at WHERE queued_at IS NOT NULL;
-- Undated alerts imported before: filed at about the time of their import, listed last now.
UPDATE alerts SET listed_at = 0
    WHERE import_key IS NOT NULL AND ',' || COALESCE(imported_inferred, '') || ',' LIKE '%,date,%'
      AND queued_at >= created_at - 86400;
DROP INDEX alerts_public;
DROP INDEX alerts_public_provider;
CREATE INDEX alerts_public ON alerts (status, listed_at, id);
CREATE INDEX alerts_public_provider ON alerts (provider_id, status, listed_at, id);

-- Search finds an alert by its kind and its organisation's name too (issue 19, item 14): someone
-- looking for "scam" wants every "Scam and fraud warning", whatever its text says. The index
-- takes them from a view of each alert beside the names of its kind and organisation, as
-- columns of their own, so a match in the text still ranks above a match in a name. It is
-- rebuilt here for the alerts already sent.
DROP TRIGGER alerts_search_insert;
DROP TRIGGER alerts_search_update;
DROP TRIGGER alerts_search_delete;
DROP TABLE alerts_search;

CREATE VIEW alerts_search_content AS
    SELECT a.id, a.title, a.body_text, m.name AS kind, p.name AS organisation
    FROM alerts a
    JOIN message_types m ON m.id = a.message_type_id
    JOIN providers p ON p.id = a.provider_id;

CREATE VIRTUAL TABLE alerts_search USING fts5(
    title, body_text, kind, organisation,
    content = 'alerts_search_content', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO alerts_search (rowid, title, body_text, kind, organisation)
    SELECT c.id, c.title, c.body_text, c.kind, c.organisation
    FROM alerts_search_content c JOIN alerts a ON a.id = c.id
    WHERE a.status = 'queued' AND NOT a.private;

CREATE TRIGGER alerts_search_insert AFTER INSERT ON alerts
WHEN new.status = 'queued' AND NOT new.private
BEGIN
    INSERT INTO alerts_search (rowid, title, body_text, kind, organisation)
        SELECT new.id, new.title, new.body_text, m.name, p.name
        FROM message_types m, providers p
        WHERE m.id = new.message_type_id AND p.id = new.provider_id;
END;

-- As before, the old words are removed before the new ones are added, in one trigger; the names
-- are read as they are now, which is how they were indexed (a rename re-indexes, below).
CREATE TRIGGER alerts_search_update
AFTER UPDATE OF title, body_text, status, private, provider_id, message_type_id ON alerts
BEGIN
    INSERT INTO alerts_search (alerts_search, rowid, title, body_text, kind, organisation)
        SELECT 'delete', old.id, old.title, old.body_text, m.name, p.name
        FROM message_types m, providers p
        WHERE m.id = old.message_type_id AND p.id = old.provider_id
          AND old.status = 'queued' AND NOT old.private;
    INSERT INTO alerts_search (rowid, title, body_text, kind, organisation)
        SELECT new.id, new.title, new.body_text, m.name, p.name
        FROM message_types m, providers p
        WHERE m.id = new.message_type_id AND p.id = new.provider_id
          AND new.status = 'queued' AND NOT new.private;
END;

CREATE TRIGGER alerts_search_delete AFTER DELETE ON alerts
WHEN old.status = 'queued' AND NOT old.private
BEGIN
    INSERT INTO alerts_search (alerts_search, rowid, title, body_text, kind, organisation)
        SELECT 'delete', old.id, old.title, old.body_text, m.name, p.name
        FROM message_types m, providers p
        WHERE m.id = old.message_type_id AND p.id = old.provider_id;
END;

-- A renamed organisation or kind: its public alerts are indexed again under the new name.
CREATE TRIGGER alerts_search_provider_renamed AFTER UPDATE OF name ON providers
WHEN old.name IS NOT new.name
BEGIN
    INSERT INTO alerts_search (alerts_search, rowid, title, body_text, kind, organisation)
        SELECT 'delete', a.id, a.title, a.body_text, m.name, old.name
        FROM alerts a JOIN message_types m ON m.id = a.message_type_id
        WHERE a.provider_id = old.id AND a.status = 'queued' AND NOT a.private;
    INSERT INTO alerts_search (rowid, title, body_text, kind, organisation)
        SELECT a.id, a.title, a.body_text, m.name, new.name
        FROM alerts a JOIN message_types m ON m.id = a.message_type_id
        WHERE a.provider_id = new.id AND a.status = 'queued' AND NOT a.private;
END;

CREATE TRIGGER alerts_search_kind_renamed AFTER UPDATE OF name ON message_types
WHEN old.name IS NOT new.name
BEGIN
    INSERT INTO alerts_search (alerts_search, rowid, title, body_text, kind, organisation)
        SELECT 'delete', a.id, a.title, a.body_text, old.name, p.name
        FROM alerts a JOIN providers p ON p.id = a.provider_id
        WHERE a.message_type_id = old.id AND a.status = 'queued' AND NOT a.private;
    INSERT INTO alerts_search (rowid, title, body_text, kind, organisation)
        SELECT a.id, a.title, a.body_text, new.name, p.name
        FROM alerts a JOIN providers p ON p.id = a.provider_id
        WHERE a.message_type_id = new.id AND a.status = 'queued' AND NOT a.private;
END;
