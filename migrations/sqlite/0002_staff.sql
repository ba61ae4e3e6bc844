-- Staff who send alerts: accounts with a password and a second factor, sessions, and the
-- append-only audit log of what they do (SQLite).
CREATE TABLE staff (
    id                INTEGER PRIMARY KEY,
    public_id         TEXT NOT NULL UNIQUE,
    email             TEXT NOT NULL,
    email_key         TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    role_title        TEXT NOT NULL,
    area_label        TEXT NOT NULL,
    provider_id       INTEGER NOT NULL REFERENCES providers (id),
    can_send          INTEGER NOT NULL,
    can_approve       INTEGER NOT NULL,
    is_admin          INTEGER NOT NULL,
    needs_approval    INTEGER NOT NULL,
    active            INTEGER NOT NULL DEFAULT 1,
    password_hash     TEXT,
    totp_secret       TEXT,
    totp_last_step    INTEGER,
    enrolment_nonce   TEXT,
    failed_sign_ins   INTEGER NOT NULL DEFAULT 0,
    locked_until      INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE staff_recovery_codes (
    staff_id  INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    staff_id  INTEGER,
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
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
