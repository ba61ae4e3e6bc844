-- Geography, the catalogue, residents and the outbound message queue (PostgreSQL).
CREATE TABLE districts (
    code        TEXT PRIMARY KEY,
    name        TEXT,
    county_code TEXT,
    county_name TEXT
);

CREATE TABLE postcodes (
    postcode      TEXT PRIMARY KEY,
    district_code TEXT,
    easting       INTEGER,
    northing      INTEGER,
    terminated    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX postcodes_district ON postcodes (district_code);

CREATE TABLE providers (
    id            BIGSERIAL PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    contact_phone TEXT,
    position      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE message_types (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE subscribers (
    id                     BIGSERIAL PRIMARY KEY,
    public_id              TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    email                  TEXT NOT NULL,
    email_key              TEXT NOT NULL UNIQUE,
    mobile                 TEXT,
    mobile_confirmed_at    BIGINT,
    mobile_code_hash       TEXT,
    mobile_code_expires_at BIGINT,
    mobile_code_attempts   BIGINT NOT NULL DEFAULT 0,
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
    channel_email          BOOLEAN NOT NULL,
    channel_sms            BOOLEAN NOT NULL,
    sms_min_priority       BIGINT NOT NULL CHECK (sms_min_priority BETWEEN 1 AND 5),
    quiet_start            TEXT,
    quiet_end              TEXT,
    email_format           TEXT NOT NULL CHECK (email_format IN ('full', 'plain')),
    confirm_nonce          TEXT,
    confirm_sent_at        BIGINT,
    token_version          BIGINT NOT NULL DEFAULT 1,
    created_at             BIGINT NOT NULL,
    confirmed_at           BIGINT,
    unsubscribed_at        BIGINT,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX subscribers_pending ON subscribers (status, created_at);

CREATE TABLE subscriber_places (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    postcode      TEXT NOT NULL,
    label         TEXT,
    PRIMARY KEY (subscriber_id, position)
);
CREATE INDEX subscriber_places_postcode ON subscriber_places (postcode);

CREATE TABLE subscriber_providers (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    provider_id   BIGINT NOT NULL REFERENCES providers (id),
    PRIMARY KEY (subscriber_id, provider_id)
);

CREATE TABLE subscriber_message_types (
    subscriber_id   BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    message_type_id BIGINT NOT NULL REFERENCES message_types (id),
    PRIMARY KEY (subscriber_id, message_type_id)
);

-- Transactional messages (confirmations, codes) waiting to go out; a worker claims and sends them.
CREATE TABLE outbound_messages (
    id              BIGSERIAL PRIMARY KEY,
    subscriber_id   BIGINT REFERENCES subscribers (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    purpose         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX outbound_messages_due ON outbound_messages (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
