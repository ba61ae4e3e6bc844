-- Staff who send alerts: accounts with a password and a second factor, sessions, and the
-- append-only audit log of what they do (PostgreSQL).
CREATE TABLE staff (
    id                BIGSERIAL PRIMARY KEY,
    public_id         TEXT NOT NULL UNIQUE,
    email             TEXT NOT NULL,
    email_key         TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    role_title        TEXT NOT NULL,
    area_label        TEXT NOT NULL,
    provider_id       BIGINT NOT NULL REFERENCES providers (id),
    can_send          BOOLEAN NOT NULL,
    can_approve       BOOLEAN NOT NULL,
    is_admin          BOOLEAN NOT NULL,
    needs_approval    BOOLEAN NOT NULL,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash     TEXT,
    totp_secret       TEXT,
    totp_last_step    BIGINT,
    enrolment_nonce   TEXT,
    failed_sign_ins   BIGINT NOT NULL DEFAULT 0,
    locked_until      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE staff_recovery_codes (
    staff_id  BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    staff_id  BIGINT,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    ip        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_staff ON audit_log (staff_id, at);

-- The audit log is append-only: nobody, not even the application, may change or remove a row.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
