-- Deliveries without foreign keys (SQLite), which cannot drop a constraint, so the table is
-- rebuilt. Each key cost a look-up a row: a third of the time of fanning an alert out. Erasing a
-- resident deletes their deliveries itself (`erase_subscriber`); a delivery recorded for a
-- resident who left while the fan-out ran is found by its claim and recorded as not sent.
-- Alerts with deliveries are never deleted.
CREATE TABLE deliveries_unreferenced (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL,
    subscriber_id   INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    -- The alert's priority, copied so that urgent work is claimed first from one index.
    priority        INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'failed')),
    -- Bumped by every claim: only the worker holding the latest claim may mark the row sent.
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    sent_at         INTEGER,
    finished_at     INTEGER,
    held            INTEGER NOT NULL DEFAULT 0,
    gateway_id      TEXT,
    last_error      TEXT,
    UNIQUE (alert_id, subscriber_id, channel)
);
INSERT INTO deliveries_unreferenced
    (id, alert_id, subscriber_id, channel, priority, state, attempts, created_at, next_attempt_at,
     locked_until, sent_at, finished_at, held, gateway_id, last_error)
SELECT id, alert_id, subscriber_id, channel, priority, state, attempts, created_at, next_attempt_at,
       locked_until, sent_at, finished_at, held, gateway_id, last_error
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_unreferenced RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (channel, priority, id) WHERE state = 'pending';
CREATE INDEX deliveries_gateway ON deliveries (gateway_id) WHERE gateway_id IS NOT NULL;
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);
