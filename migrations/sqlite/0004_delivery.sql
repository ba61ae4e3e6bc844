-- Delivering alerts (SQLite): the fan-out cursor on each alert, one row per alert x resident x
-- channel, send-rate pacing, residents' ratings and contact problems.

-- A sent alert is expanded into deliveries in chunks, in resident id order, from this cursor;
-- NULL once every matching resident has their rows (or for an alert never sent).
ALTER TABLE alerts ADD COLUMN fanout_next INTEGER;
ALTER TABLE alerts ADD COLUMN fanout_locked_until INTEGER;
ALTER TABLE alerts ADD COLUMN fanout_done_at INTEGER;

-- Permanent failures per channel; past a threshold the address or number is suspended and
-- listed for admins until the resident changes it.
ALTER TABLE subscribers ADD COLUMN email_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN email_suspended_at INTEGER;
ALTER TABLE subscribers ADD COLUMN sms_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN sms_suspended_at INTEGER;

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL REFERENCES alerts (id),
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
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
CREATE INDEX deliveries_due ON deliveries (channel, priority, id) WHERE state = 'pending';
CREATE INDEX deliveries_gateway ON deliveries (gateway_id) WHERE gateway_id IS NOT NULL;
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);

-- Pacing per channel (GCRA): the earliest time, in milliseconds, the next message may leave.
CREATE TABLE send_pacing (
    channel    TEXT PRIMARY KEY,
    next_at_ms INTEGER NOT NULL
);

CREATE TABLE alert_ratings (
    alert_id      INTEGER NOT NULL REFERENCES alerts (id),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    useful        INTEGER NOT NULL,
    rated_at      INTEGER NOT NULL,
    PRIMARY KEY (alert_id, subscriber_id)
);

-- Residents' replies to an alert, read by its senders on the delivery report.
CREATE TABLE alert_replies (
    id            INTEGER PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES alerts (id),
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    body          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX alert_replies_alert ON alert_replies (alert_id, id);
