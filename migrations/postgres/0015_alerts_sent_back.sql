-- An alert an approver sent back to its author as a draft, with what to change: the comment the
-- author reads on the alert's page (and by email), who wrote it and when. NULL for an alert
-- never sent back; a later sending back replaces them.
ALTER TABLE alerts ADD COLUMN returned_comment TEXT;
ALTER TABLE alerts ADD COLUMN returned_by_staff_id BIGINT REFERENCES staff (id);
ALTER TABLE alerts ADD COLUMN returned_at BIGINT;
