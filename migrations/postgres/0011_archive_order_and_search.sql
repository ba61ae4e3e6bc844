-- Where each sent alert stands in the archive's newest-first list (issue 19, item 12). For an
-- alert sent here it is when it was sent; for an imported alert whose source gives no date, the
-- date the source implies (the alerts beside it in its file), else before every dated alert:
-- stored with the import's time as their date, such alerts had buried today's. The archive's
-- pages are keyed on it, so a page link goes on from where the last page ended.
ALTER TABLE alerts ADD COLUMN listed_at BIGINT;
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
-- looking for "scam" wants every "Scam and fraud warning", whatever its text says. The names go
-- into the alert's words at weight D, below the title (A) and the body (B), so a match in the
-- text still ranks above a match in a name. Rebuilt here for the alerts already sent.
CREATE FUNCTION alert_search_words(TEXT, TEXT, BIGINT, BIGINT) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english', $1), 'A')
        || setweight(to_tsvector('english', COALESCE($2, '')), 'B')
        || setweight(to_tsvector('english',
               COALESCE((SELECT name FROM message_types WHERE id = $4), '') || ' '
               || COALESCE((SELECT name FROM providers WHERE id = $3), '')), 'D')
$$;

CREATE OR REPLACE FUNCTION alert_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'queued' AND NOT NEW.private THEN
        INSERT INTO alert_search (alert_id, queued_at, provider_id, message_type_id, search)
        VALUES (NEW.id, NEW.queued_at, NEW.provider_id, NEW.message_type_id,
                alert_search_words(NEW.title, NEW.body_text, NEW.provider_id, NEW.message_type_id))
        ON CONFLICT (alert_id) DO UPDATE SET queued_at = excluded.queued_at,
            provider_id = excluded.provider_id, message_type_id = excluded.message_type_id,
            search = excluded.search;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM alert_search WHERE alert_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

-- A renamed organisation or kind: its public alerts' words are made again with the new name.
CREATE FUNCTION alert_search_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE alert_search s
    SET search = alert_search_words(a.title, a.body_text, a.provider_id, a.message_type_id)
    FROM alerts a
    WHERE a.id = s.alert_id
      AND (CASE WHEN TG_TABLE_NAME = 'providers' THEN s.provider_id ELSE s.message_type_id END)
          = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER alert_search_provider_renamed AFTER UPDATE OF name ON providers
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION alert_search_renamed();
CREATE TRIGGER alert_search_kind_renamed AFTER UPDATE OF name ON message_types
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION alert_search_renamed();

UPDATE alert_search s
SET search = alert_search_words(a.title, a.body_text, a.provider_id, a.message_type_id)
FROM alerts a
WHERE a.id = s.alert_id;
