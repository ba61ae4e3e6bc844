-- Templates senders keep to start alerts from: a name, and an alert's kind, priority, title,
-- body and text message, per organisation (PostgreSQL). A name is used once in an organisation.
CREATE TABLE alert_templates (
    id              BIGSERIAL PRIMARY KEY,
    provider_id     BIGINT NOT NULL REFERENCES providers (id),
    name            TEXT NOT NULL,
    message_type_id BIGINT NOT NULL REFERENCES message_types (id),
    priority        BIGINT NOT NULL CHECK (priority BETWEEN 1 AND 5),
    title           TEXT NOT NULL,
    body_markdown   TEXT NOT NULL,
    sms_text        TEXT,
    -- Who saved it last, and when.
    updated_by      BIGINT REFERENCES staff (id),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (provider_id, name)
);
