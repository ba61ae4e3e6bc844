-- A row `/readyz` writes, in a transaction it rolls back, to show that the database takes writes
-- (a read-only or locked database answers a SELECT but not this). Nothing is ever kept in it.
CREATE TABLE readiness (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);
