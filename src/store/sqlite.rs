//! The SQLite store: the embedded default, one file in WAL mode, no set-up.

use super::StoreResult;
use crate::geo::onspd::PostcodeRecord;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::time::Duration;

pub struct SqliteStore {
    pool: SqlitePool,
}

/// Rows per INSERT statement when loading postcodes: 5 parameters a row stays far below SQLite's
/// limit of 32,766 bound parameters.
const POSTCODE_ROWS_PER_STATEMENT: usize = 1_000;

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore, sqlx::Error> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }
}

/// How many times a word in the body one in the title counts for, when ranking search results.
const TITLE_WEIGHT: f64 = 5.0;
/// And one in the kind's or the organisation's name: a match in the alert's own words ranks
/// above a match in the name it shares with every alert of its kind.
const NAME_WEIGHT: f64 = 0.2;
/// About how many words a search snippet shows.
const SNIPPET_WORDS: u32 = 30;

impl super::Dialect for SqliteStore {
    type Db = sqlx::Sqlite;

    const BACKEND: &'static str = "sqlite";
    const CLAIM_LOCK: &'static str = "";
    /// One writer at a time: SQLite takes one write transaction at once.
    const BULK_WRITERS: usize = 1;
    /// Inserts one channel's deliveries of a fan-out chunk: the residents' ids as one JSON
    /// array read by `json_each`, half the time of a statement with a row of values for each.
    /// Rows already there are skipped if `existing`, and fail the statement otherwise. Returns
    /// how many were inserted.
    async fn insert_deliveries(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        deliveries: &super::dialect::NewDeliveries<'_>,
        existing: bool,
    ) -> StoreResult<u64> {
        let ids: Vec<String> = deliveries
            .subscriber_ids
            .iter()
            .map(i64::to_string)
            .collect();
        let ids = format!("[{}]", ids.join(","));
        // `WHERE true`: without a WHERE, SQLite would read an ON CONFLICT after the SELECT as
        // part of the SELECT.
        let sql = super::delivery_queue::fanout_insert(
            "INSERT INTO deliveries (alert_id, subscriber_id, channel, priority, state, created_at, next_attempt_at) \
             SELECT $1, value, $2, $3, 'pending', $4, $4 FROM json_each($5) WHERE true",
            existing,
        );
        let done = sqlx::query(&sql)
            .bind(deliveries.alert_id)
            .bind(deliveries.channel)
            .bind(deliveries.priority)
            .bind(deliveries.now)
            .bind(ids)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Claims deliveries with `claim` (an UPDATE of `deliveries` without its RETURNING, whose
    /// parameters are now and the lease), then reads `columns` of each claimed row `d` beside
    /// its resident `s`, most urgent first. Two statements: SQLite has no UPDATE inside a WITH.
    async fn claim_rows(
        pool: &SqlitePool,
        claim: &str,
        columns: &str,
        now: super::Timestamp,
        lease_until: super::Timestamp,
    ) -> StoreResult<Vec<sqlx::sqlite::SqliteRow>> {
        let ids: Vec<i64> = sqlx::query_scalar(&format!("{claim} RETURNING id"))
            .bind(now)
            .bind(lease_until)
            .fetch_all(pool)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
            "SELECT {columns} FROM deliveries d LEFT JOIN subscribers s ON s.id = d.subscriber_id \
             WHERE d.id IN ("
        ));
        let mut list = builder.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        builder.push(") ORDER BY d.priority, d.id");
        Ok(builder.build().fetch_all(pool).await?)
    }

    /// Marks a group of claimed deliveries `(id, attempts)` sent, each only if still pending
    /// under that claim; returns the ids marked. At most 250: SQLite takes at most 500 terms in
    /// one compound SELECT.
    async fn mark_sent_group(
        pool: &SqlitePool,
        claims: &[(i64, i64)],
        now: super::Timestamp,
    ) -> StoreResult<Vec<i64>> {
        let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "UPDATE deliveries SET state = 'sent', locked_until = NULL, last_error = NULL, sent_at = ",
        );
        builder.push_bind(now);
        builder.push(" FROM (");
        for (index, (id, attempts)) in claims.iter().enumerate() {
            builder.push(if index == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            });
            builder
                .push("CAST(")
                .push_bind(*id)
                .push(" AS BIGINT) AS claim_id, CAST(");
            builder
                .push_bind(*attempts)
                .push(" AS BIGINT) AS claim_attempts");
        }
        builder.push(
            ") AS claims WHERE deliveries.id = claims.claim_id \
             AND deliveries.attempts = claims.claim_attempts AND deliveries.state = 'pending' \
             RETURNING deliveries.id",
        );
        Ok(builder.build_query_scalar().fetch_all(pool).await?)
    }

    /// Statements run before a search, in its transaction: none needed.
    const ARCHIVE_SEARCH_SETTINGS: &'static [&'static str] = &[];

    /// A search's words as an FTS5 query: each word in any of its forms
    /// (`archive::search_forms`), every form quoted so that nothing in it is syntax, and every
    /// word required.
    fn archive_search_words(terms: &[String]) -> String {
        let words: Vec<String> = terms
            .iter()
            .map(|term| {
                let forms: Vec<String> = super::archive::search_forms(term)
                    .iter()
                    .map(|form| format!("\"{form}\""))
                    .collect();
                format!("({})", forms.join(" OR "))
            })
            .collect();
        words.join(" AND ")
    }

    /// A page of search results: `$1` is the FTS5 query, `filters` narrow the alerts `a`,
    /// `page` is the LIMIT and OFFSET. The newest `SEARCH_WINDOW` matches (by id, the order
    /// FTS5 reads them in, so it stops there) are ranked by BM25, a word in the title counting
    /// `TITLE_WEIGHT` times one in the body and one in the kind's or organisation's name
    /// `NAME_WEIGHT` times, ties newest first. Snippets are made for the page's
    /// alerts only, once it is chosen. The joins are CROSS JOINs to keep the index first: SQLite
    /// would otherwise be tempted to walk every public alert and look each up in the index.
    fn archive_search_sql(columns: &str, filters: &str, page: &str) -> String {
        format!(
            "SELECT {columns}, \
             snippet(alerts_search, 1, char(1), char(2), '…', {SNIPPET_WORDS}) AS body_snippet, \
             snippet(alerts_search, 0, char(1), char(2), '…', {SNIPPET_WORDS}) AS title_snippet \
             FROM (SELECT id, queued_at, score FROM \
                   (SELECT alerts_search.rowid AS id, a.queued_at, \
                    bm25(alerts_search, {TITLE_WEIGHT}, 1.0, {NAME_WEIGHT}, {NAME_WEIGHT}) AS score \
                    FROM alerts_search CROSS JOIN alerts a ON a.id = alerts_search.rowid \
                    WHERE alerts_search MATCH $1 AND a.status = 'queued' AND NOT a.private{filters} \
                    ORDER BY alerts_search.rowid DESC LIMIT {window}) \
                   ORDER BY score, queued_at DESC, id DESC {page}) hit \
             CROSS JOIN alerts_search ON alerts_search.rowid = hit.id AND alerts_search MATCH $1 \
             JOIN alerts a ON a.id = hit.id \
             JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
             ORDER BY hit.score, hit.queued_at DESC, hit.id DESC",
            window = super::archive::SEARCH_WINDOW,
        )
    }

    async fn migrate_schema(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn upsert_postcodes(&self, batch: &[PostcodeRecord]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for chunk in batch.chunks(POSTCODE_ROWS_PER_STATEMENT) {
            let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO postcodes (postcode, district_code, easting, northing, terminated) ",
            );
            builder.push_values(chunk, |mut row, record| {
                row.push_bind(record.postcode.as_str())
                    .push_bind(record.district_code.as_deref())
                    .push_bind(record.easting)
                    .push_bind(record.northing)
                    .push_bind(record.terminated);
            });
            builder.push(
                " ON CONFLICT (postcode) DO UPDATE SET district_code = excluded.district_code, \
                 easting = excluded.easting, northing = excluded.northing, terminated = excluded.terminated",
            );
            builder.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn refresh_delivery_statistics(&self) -> StoreResult<()> {
        // SQLite plans each statement afresh: nothing to refresh.
        Ok(())
    }
}

super::impl_lifecycle!(SqliteStore);
impl_catalogue!(SqliteStore, sqlx::Sqlite);
impl_geography!(SqliteStore, sqlx::Sqlite);
impl_residents!(SqliteStore, sqlx::Sqlite);
impl_outbox!(SqliteStore, sqlx::Sqlite);
impl_feedback!(SqliteStore, sqlx::Sqlite);
impl_staff_accounts!(SqliteStore, sqlx::Sqlite);
impl_alerts!(SqliteStore, sqlx::Sqlite);
impl_delivery_queue!(SqliteStore, sqlx::Sqlite);
impl_archive!(SqliteStore, sqlx::Sqlite);
impl_api_tokens!(SqliteStore, sqlx::Sqlite);
impl_audit!(SqliteStore, sqlx::Sqlite);
impl_alert_templates!(SqliteStore, sqlx::Sqlite);
impl_scam_reports!(SqliteStore, sqlx::Sqlite);
impl_report_drafts!(SqliteStore, sqlx::Sqlite);
impl_reports!(SqliteStore, sqlx::Sqlite);
impl_report_triage!(SqliteStore, sqlx::Sqlite);
impl_conversations!(SqliteStore, sqlx::Sqlite);
impl_live_channel!(SqliteStore, none);
impl_reply_threads!(SqliteStore, sqlx::Sqlite);
impl_resident_chats!(SqliteStore, sqlx::Sqlite);
impl_chat_upkeep!(SqliteStore, sqlx::Sqlite);
impl_inbox!(SqliteStore, sqlx::Sqlite);
impl_surveys!(SqliteStore, sqlx::Sqlite);
impl_schemes!(SqliteStore, sqlx::Sqlite);
