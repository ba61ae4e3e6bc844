-- Deliveries without foreign keys (PostgreSQL). Each key cost a trigger a row, and the one to
-- subscribers locked the resident's row (FOR KEY SHARE) as well: together they were half the
-- time of fanning an alert out. Erasing a resident deletes their deliveries itself
-- (`erase_subscriber`); a delivery recorded for a resident who left while the fan-out ran is
-- found by its claim and recorded as not sent. Alerts with deliveries are never deleted.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_alert_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_subscriber_id_fkey;
