-- Why a resident found an alert not useful, if they said (optional, at most 500 characters,
-- checked by the service); read by the alert's senders on its delivery report. Cleared when the
-- rating changes to useful.
ALTER TABLE alert_ratings ADD COLUMN reason TEXT;
