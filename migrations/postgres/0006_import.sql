-- Archives imported from other services (`beacon import-archive`): what each imported alert was
-- in its source. Imported alerts are stored as sent, to nobody, and are public like any other.

-- A fingerprint of an imported alert's provider, title and body, so that importing the same
-- file again stores nothing new. NULL for alerts sent here (NULLs never clash).
ALTER TABLE alerts ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX alerts_import_key ON alerts (import_key);
-- The provider as the source named it ("Action Fraud (NFIB)"), kept visible on the archived
-- alert when Beacon files it under today's provider (Report Fraud).
ALTER TABLE alerts ADD COLUMN imported_provider TEXT;
-- What Beacon inferred because the source did not say, comma-separated: "provider",
-- "message_type", "title", "date". NULL or empty when the source said everything.
ALTER TABLE alerts ADD COLUMN imported_inferred TEXT;
