-- Surveys of residents (PostgreSQL): the questions staff ask, sent with an alert (its residents
-- answer through the alert's signed link), and the answers they gave.

CREATE TABLE surveys (
    id              BIGSERIAL PRIMARY KEY,
    -- The organisation that asks, and the member of staff who built it.
    provider_id     BIGINT NOT NULL REFERENCES providers (id),
    created_by      BIGINT REFERENCES staff (id) ON DELETE SET NULL,
    title           TEXT NOT NULL,
    introduction    TEXT NOT NULL DEFAULT '',
    -- Answers are taken from opens_at until closes_at (Unix seconds).
    opens_at        BIGINT NOT NULL,
    closes_at       BIGINT NOT NULL,
    -- An anonymous survey stores no link between an answer and a resident.
    anonymous       BOOLEAN NOT NULL DEFAULT FALSE,
    -- Anyone in the force area may answer through /surveys/{id}, confirming an email address.
    public_page     BOOLEAN NOT NULL DEFAULT FALSE,
    -- Results shown at /surveys/{id}/results.
    published       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL
);
CREATE INDEX surveys_provider ON surveys (provider_id, id);

CREATE TABLE survey_questions (
    survey_id  BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    prompt     TEXT NOT NULL,
    -- `domain::survey::QuestionKind::code`.
    kind       TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'ranking', 'rating', 'text')),
    -- The options, one a line.
    options    TEXT NOT NULL DEFAULT '',
    required   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (survey_id, position)
);

-- One response a resident (a survey that is not anonymous: changed until it closes).
CREATE TABLE survey_responses (
    id             BIGSERIAL PRIMARY KEY,
    survey_id      BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    -- Who answered; NULL in an anonymous survey. Erasing a resident erases their responses.
    subscriber_id  BIGINT REFERENCES subscribers (id) ON DELETE CASCADE,
    -- Who answered through the public page: a keyed hash of their confirmed email address
    -- (never the address); NULL otherwise, and in an anonymous survey.
    respondent_key TEXT,
    -- The district of the resident's first place (or of the postcode given on the public
    -- page) when they answered ('' if not known).
    district_code  TEXT NOT NULL DEFAULT '',
    -- Unix seconds; in an anonymous survey the day's start only.
    answered_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX survey_responses_once ON survey_responses (survey_id, subscriber_id)
    WHERE subscriber_id IS NOT NULL;
CREATE UNIQUE INDEX survey_responses_once_by_email ON survey_responses (survey_id, respondent_key)
    WHERE respondent_key IS NOT NULL;
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);

-- `domain::survey::Answer::encode`, one a question answered.
CREATE TABLE survey_answers (
    response_id  BIGINT NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    answer       TEXT NOT NULL,
    PRIMARY KEY (response_id, position)
);

-- Who has answered an anonymous survey: kept apart from the answers, with no time of its own,
-- so it cannot be matched to a response.
CREATE TABLE survey_respondents (
    survey_id      BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    subscriber_id  BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    PRIMARY KEY (survey_id, subscriber_id)
);

-- Who has answered an anonymous survey through its public page (the keyed hash of their
-- confirmed email address), kept apart from the answers as `survey_respondents` is.
CREATE TABLE survey_public_respondents (
    survey_id      BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    respondent_key TEXT NOT NULL,
    PRIMARY KEY (survey_id, respondent_key)
);

-- The survey an alert carries: its email links to the answer page.
ALTER TABLE alerts ADD COLUMN survey_id BIGINT REFERENCES surveys (id) ON DELETE SET NULL;
