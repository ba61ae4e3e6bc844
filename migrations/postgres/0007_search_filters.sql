-- Searches narrowed to one organisation or one kind of message (PostgreSQL). A search reaches
-- back from the newest alert only as far as it expects to need (`PgStore::archive_search_sql`);
-- with a filter, these give that reach for the organisation's or the kind's alerts alone, to be
-- ANDed with the words' matches from the GIN index, and the newest of them to walk back through.
CREATE INDEX alert_search_provider ON alert_search (provider_id, alert_id);
CREATE INDEX alert_search_message_type ON alert_search (message_type_id, alert_id);
