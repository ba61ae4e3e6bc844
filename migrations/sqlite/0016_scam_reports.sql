-- Messages residents chose to share with the police from the scam checker ("Share this with the
-- police so they can warn others"), with what the checker made of them (SQLite). Nothing about
-- who shared it but an optional name and the district of an optional postcode: no address, no
-- IP. A check that is not shared is never stored.
CREATE TABLE scam_reports (
    id            INTEGER PRIMARY KEY,
    text          TEXT NOT NULL,
    -- How it reached them (`scams::Channel` slug), if they said.
    channel       TEXT,
    verdict       TEXT NOT NULL,
    -- The kind of scam (`scams::ScamKind` slug), if one was named.
    kind          TEXT,
    confidence    REAL NOT NULL,
    -- The ONS district of the postcode they gave, if any.
    district_code TEXT,
    name          TEXT,
    reported_at   INTEGER NOT NULL,
    -- The UK date it was shared (YYYY-MM-DD), for counts per day and week.
    reported_on   TEXT NOT NULL,
    -- The share form's one-time value: the same form sent twice stores one report.
    form_nonce    TEXT NOT NULL UNIQUE
);
CREATE INDEX scam_reports_newest ON scam_reports (reported_at DESC, id DESC);
CREATE INDEX scam_reports_by_day ON scam_reports (reported_on);
