-- The contact centre (SQLite): conversations between residents and staff in one inbox (live web
-- chats, and residents' replies to alerts threaded under the alert they answer), their messages,
-- operators' availability and capacity, canned answers, blocked chat sessions, and the phrases
-- that escalate a conversation.

CREATE TABLE conversations (
    id                   INTEGER PRIMARY KEY,
    -- The resident's unguessable token (`tokens::random_id`): their chat is theirs alone.
    token                TEXT NOT NULL UNIQUE,
    -- 'chat' (live web chat) or 'reply' (a resident's reply to an alert, and what follows).
    kind                 TEXT NOT NULL CHECK (kind IN ('chat', 'reply')),
    -- The organisation (provider) whose inbox it is in.
    provider_id          INTEGER NOT NULL REFERENCES providers (id),
    -- For a reply: the alert it answers and the resident who sent it.
    alert_id             INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
    subscriber_id        INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    first_name           TEXT NOT NULL DEFAULT '',
    topic                TEXT NOT NULL DEFAULT '',
    -- Where a transcript, or an operator's answer to a reply, is sent.
    email                TEXT,
    -- 'waiting' (for an operator), 'open' (an operator has it) or 'closed'.
    state                TEXT NOT NULL CHECK (state IN ('waiting', 'open', 'closed')),
    operator_id          INTEGER REFERENCES staff (id),
    urgent               INTEGER NOT NULL DEFAULT 0,
    -- The escalation phrases found, comma separated.
    urgent_words         TEXT NOT NULL DEFAULT '',
    -- How it ended ('advice-given', 'report-made', …: `domain::conversation::OUTCOMES`).
    outcome              TEXT,
    -- The resident's rating of the chat (1 to 5) and what they said.
    rating               INTEGER,
    rating_comment       TEXT,
    -- The online report it became.
    report_id            INTEGER REFERENCES reports (id) ON DELETE SET NULL,
    -- A keyed hash of the resident's browser session (for blocking) and address (rate limits).
    session_key          TEXT NOT NULL DEFAULT '',
    client_key           TEXT NOT NULL DEFAULT '',
    -- The last message id each side has read.
    resident_read        INTEGER NOT NULL DEFAULT 0,
    operator_read        INTEGER NOT NULL DEFAULT 0,
    transcript_requested INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    -- When it last joined the queue; when an operator first took it; the first answer; the end.
    queued_at            INTEGER NOT NULL,
    taken_at             INTEGER,
    first_response_at    INTEGER,
    closed_at            INTEGER,
    -- Ended by the resident before any operator took it.
    abandoned            INTEGER NOT NULL DEFAULT 0,
    last_message_at      INTEGER NOT NULL
);
-- One thread per resident per alert.
CREATE UNIQUE INDEX conversations_reply_thread ON conversations (alert_id, subscriber_id)
    WHERE kind = 'reply';
CREATE INDEX conversations_inbox ON conversations (provider_id, state, urgent, queued_at);
CREATE INDEX conversations_closed ON conversations (closed_at);
CREATE INDEX conversations_subscriber ON conversations (subscriber_id);

CREATE TABLE conversation_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- 'resident', 'operator', 'note' (internal: never shown to the resident) or 'system'.
    author          TEXT NOT NULL CHECK (author IN ('resident', 'operator', 'note', 'system')),
    staff_id        INTEGER REFERENCES staff (id),
    body            TEXT NOT NULL,
    -- The sender's own id for the message: sent twice (a retry after a dropped connection, a
    -- double click), it is stored once.
    client_id       TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, client_id)
);
CREATE INDEX conversation_messages_conversation ON conversation_messages (conversation_id, id);

CREATE TABLE operator_presence (
    staff_id   INTEGER PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    available  INTEGER NOT NULL DEFAULT 0,
    -- Chats at once.
    capacity   INTEGER NOT NULL DEFAULT 3,
    -- Last seen in the inbox (a page or its live connection).
    seen_at    INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);

CREATE TABLE canned_answers (
    id          INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES providers (id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX canned_answers_provider ON canned_answers (provider_id, title);

CREATE TABLE chat_blocks (
    session_key TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    staff_id    INTEGER REFERENCES staff (id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE escalation_phrases (
    phrase   TEXT PRIMARY KEY,
    added_at INTEGER NOT NULL
);

-- The phrases a new force starts with; admins keep the list (`/staff/admin/escalation`).
INSERT INTO escalation_phrases (phrase, added_at) VALUES
    ('help me', 0),
    ('he''s outside', 0),
    ('she''s outside', 0),
    ('they''re outside', 0),
    ('outside now', 0),
    ('is outside', 0),
    ('happening now', 0),
    ('knife', 0),
    ('gun', 0),
    ('machete', 0),
    ('going to kill', 0),
    ('gonna kill', 0),
    ('kill me', 0),
    ('kill myself', 0),
    ('end my life', 0),
    ('suicide', 0),
    ('overdose', 0),
    ('can''t breathe', 0),
    ('not breathing', 0),
    ('unconscious', 0),
    ('bleeding', 0),
    ('threatening me', 0),
    ('breaking in', 0),
    ('trying to get in', 0),
    ('hurt me', 0),
    ('hitting me', 0),
    ('scared for my life', 0);
