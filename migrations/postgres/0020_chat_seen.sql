-- When the resident last had their chat open (a page view, or their live connection): a
-- waiting chat nobody is watching any more is closed as abandoned, not left in the queue.
ALTER TABLE conversations ADD COLUMN resident_seen_at BIGINT;
