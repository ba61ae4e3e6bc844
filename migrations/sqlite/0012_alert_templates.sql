-- Templates senders keep to start alerts from: a name, and an alert's kind, priority, title,
-- body and text message, per organisation (SQLite). A name is used once in an organisation.
CREATE TABLE alert_templates (
    id              INTEGER PRIMARY KEY,
    provider_id     INTEGER NOT NULL REFERENCES providers (id),
    name            TEXT NOT NULL,
    message_type_id INTEGER NOT NULL REFERENCES message_types (id),
    priority        INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    title           TEXT NOT NULL,
    body_markdown   TEXT NOT NULL,
    sms_text        TEXT,
    -- Who saved it last, and when.
    updated_by      INTEGER REFERENCES staff (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (provider_id, name)
);
