-- Surveys of residents: the questions staff ask, sent with an alert (its residents answer
-- through the alert's signed link), and the answers they gave.

CREATE TABLE surveys (
    id              INTEGER PRIMARY KEY,
    -- The organisation that asks, and the member of staff who built it.
    provider_id     INTEGER NOT NULL REFERENCES providers (id),
    created_by      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    title           TEXT NOT NULL,
    introduction    TEXT NOT NULL DEFAULT '',
    -- Answers are taken from opens_at until closes_at (Unix seconds).
    opens_at        INTEGER NOT NULL,
    closes_at       INTEGER NOT NULL,
    -- An anonymous survey stores no link between an answer and a resident.
    anonymous       INTEGER NOT NULL DEFAULT 0,
    -- Anyone in the force area may answer through /surveys/{id}, confirming an email address.
    public_page     INTEGER NOT NULL DEFAULT 0,
    -- Results shown at /surveys/{id}/results.
    published       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX surveys_provider ON surveys (provider_id, id);

CREATE TABLE survey_questions (
    survey_id  INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    prompt     TEXT NOT NULL,
    -- `domain::survey::QuestionKind::code`.
    kind       TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'ranking', 'rating', 'text')),
    -- The options, one a line.
    options    TEXT NOT NULL DEFAULT '',
    required   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, position)
) WITHOUT ROWID;

-- One response a resident (a survey that is not anonymous: changed until it closes).
CREATE TABLE survey_responses (
    id             INTEGER PRIMARY KEY,
    survey_id      INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    -- Who answered; NULL in an anonymous survey. Erasing a resident erases their responses.
    subscriber_id  INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    -- Who answered through the public page: a keyed hash of their confirmed email address
    -- (never the address); NULL otherwise, and in an anonymous survey.
    respondent_key TEXT,
    -- The district of the resident's first place (or of the postcode given on the public
    -- page) when they answered ('' if not known).
    district_code  TEXT NOT NULL DEFAULT '',
    -- Unix seconds; in an anonymous survey the day's start only.
    answered_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX survey_responses_once ON survey_responses (survey_id, subscriber_id)
    WHERE subscriber_id IS NOT NULL;
CREATE UNIQUE INDEX survey_responses_once_by_email ON survey_responses (survey_id, respondent_key)
    WHERE respondent_key IS NOT NULL;
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);

-- `domain::survey::Answer::encode`, one a question answered.
CREATE TABLE survey_answers (
    response_id  INTEGER NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    answer       TEXT NOT NULL,
    PRIMARY KEY (response_id, position)
) WITHOUT ROWID;

-- Who has answered an anonymous survey: kept apart from the answers, with no time and no
-- order of its own (no rowid), so it cannot be matched to a response.
CREATE TABLE survey_respondents (
    survey_id      INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    PRIMARY KEY (survey_id, subscriber_id)
) WITHOUT ROWID;

-- Who has answered an anonymous survey through its public page (the keyed hash of their
-- confirmed email address), kept apart from the answers as `survey_respondents` is.
CREATE TABLE survey_public_respondents (
    survey_id      INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    respondent_key TEXT NOT NULL,
    PRIMARY KEY (survey_id, respondent_key)
) WITHOUT ROWID;

-- The survey an alert carries: its email links to the answer page.
ALTER TABLE alerts ADD COLUMN survey_id INTEGER REFERENCES surveys (id) ON DELETE SET NULL;
