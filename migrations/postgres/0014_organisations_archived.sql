-- An organisation an admin has archived (a council merged away, a partner that left): residents
-- can no longer choose it, nor can staff or API tokens be made for it; its alerts stay in the
-- archive under its name, and an admin can restore it. NULL for an organisation in use.
ALTER TABLE providers ADD COLUMN archived_at BIGINT;
