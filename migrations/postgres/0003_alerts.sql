-- Alerts as senders write them: content, target, sign-off and where each is in its workflow
-- (PostgreSQL).
-- Tokens with which other systems compose and send alerts for one organisation. Only a hash of
-- each token is kept.
CREATE TABLE api_tokens (
    id                 BIGSERIAL PRIMARY KEY,
    provider_id        BIGINT NOT NULL REFERENCES providers (id),
    name               TEXT NOT NULL,
    token_hash         TEXT NOT NULL UNIQUE,
    created_by         BIGINT REFERENCES staff (id),
    created_at         BIGINT NOT NULL,
    revoked_at         BIGINT,
    last_used_at       BIGINT
);

CREATE TABLE alerts (
    id                   BIGSERIAL PRIMARY KEY,
    provider_id          BIGINT NOT NULL REFERENCES providers (id),
    message_type_id      BIGINT NOT NULL REFERENCES message_types (id),
    priority             BIGINT NOT NULL CHECK (priority BETWEEN 1 AND 5),
    title                TEXT NOT NULL,
    body_markdown        TEXT NOT NULL,
    sms_text             TEXT,
    target_json          TEXT NOT NULL,
    target_description   TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('draft', 'awaiting_approval', 'ready', 'scheduled', 'queued', 'cancelled')),
    -- Written by a member of staff, or sent in through an API token.
    author_staff_id      BIGINT REFERENCES staff (id),
    api_token_id         BIGINT REFERENCES api_tokens (id),
    signoff_name         TEXT NOT NULL,
    signoff_organisation TEXT NOT NULL,
    signoff_role         TEXT NOT NULL,
    signoff_area         TEXT NOT NULL,
    needs_approval       BOOLEAN NOT NULL,
    approver_staff_id    BIGINT REFERENCES staff (id),
    approved_at          BIGINT,
    scheduled_for        BIGINT,
    queued_at            BIGINT,
    cancelled_at         BIGINT,
    follows_alert_id     BIGINT REFERENCES alerts (id),
    follow_up            TEXT CHECK (follow_up IN ('update', 'cancel')),
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX alerts_provider ON alerts (provider_id, id);
CREATE INDEX alerts_due ON alerts (status, scheduled_for);
