-- The public archive (PostgreSQL): every sent alert that is not private, newest first, filtered
-- by the districts it concerns and searched by its words.
-- A sender may keep an alert to its subscribers: a private alert is never public.
ALTER TABLE alerts ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;
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
-- When the archive last changed: the latest change to an alert that has been sent.
CREATE INDEX alerts_sent_changed ON alerts (updated_at) WHERE queued_at IS NOT NULL;

-- The districts (ONS codes) a sent alert concerns. Not a reference to `districts`: a newer
-- code than the bundled list still counts.
CREATE TABLE alert_districts (
    alert_id      BIGINT NOT NULL REFERENCES alerts (id),
    district_code TEXT NOT NULL,
    PRIMARY KEY (alert_id, district_code)
);
CREATE INDEX alert_districts_district ON alert_districts (district_code, alert_id);

-- Full-text search over title (weight A) and plain-text body (weight B), English stemming
-- ("burglaries" finds "burglary"). The words are kept in a narrow table of their own rather than
-- as a column of `alerts`: a search reads the words of many alerts, and `alerts` rows, with both
-- forms of the body and the target, are several times wider, so reading them cost five to seven
-- times as much (docs/benchmarks.md). Like SQLite's index it holds public alerts only, kept by a
-- trigger in the same transaction as the change, with what searches filter on.
CREATE TABLE alert_search (
    alert_id        BIGINT PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    queued_at       BIGINT,
    provider_id     BIGINT NOT NULL,
    message_type_id BIGINT NOT NULL,
    search          tsvector NOT NULL
);
CREATE INDEX alert_search_words ON alert_search USING GIN (search);

CREATE FUNCTION alert_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'queued' AND NOT NEW.private THEN
        INSERT INTO alert_search (alert_id, queued_at, provider_id, message_type_id, search)
        VALUES (NEW.id, NEW.queued_at, NEW.provider_id, NEW.message_type_id,
                setweight(to_tsvector('english', NEW.title), 'A')
                || setweight(to_tsvector('english', COALESCE(NEW.body_text, '')), 'B'))
        ON CONFLICT (alert_id) DO UPDATE SET queued_at = excluded.queued_at,
            provider_id = excluded.provider_id, message_type_id = excluded.message_type_id,
            search = excluded.search;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM alert_search WHERE alert_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

-- Changes to other columns (the fan-out cursor) leave the index alone.
CREATE TRIGGER alert_search_sync
    AFTER INSERT OR UPDATE OF title, body_text, status, private, queued_at, provider_id, message_type_id
    ON alerts FOR EACH ROW EXECUTE FUNCTION alert_search_sync();

INSERT INTO alert_search (alert_id, queued_at, provider_id, message_type_id, search)
    SELECT id, queued_at, provider_id, message_type_id,
           setweight(to_tsvector('english', title), 'A')
           || setweight(to_tsvector('english', COALESCE(body_text, '')), 'B')
    FROM alerts WHERE status = 'queued' AND NOT private;
