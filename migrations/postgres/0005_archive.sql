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

-- The archive's listing, newest first, for everyone and for one organisation.
CREATE INDEX alerts_public ON alerts (queued_at, id) WHERE status = 'queued' AND NOT private;
CREATE INDEX alerts_public_provider ON alerts (provider_id, queued_at, id)
    WHERE status = 'queued' AND NOT private;
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

-- Full-text search over title (weight A) and plain-text body (weight B), kept by PostgreSQL
-- itself; the GIN index covers public alerts only, as the archive's searches do. English
-- stemming: "burglaries" finds "burglary".
ALTER TABLE alerts ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', COALESCE(body_text, '')), 'B')
) STORED;
CREATE INDEX alerts_search ON alerts USING GIN (search) WHERE status = 'queued' AND NOT private;
