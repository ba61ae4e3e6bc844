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
