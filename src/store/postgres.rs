//! The PostgreSQL store: for deployments where several web and worker processes share one
//! database. Workers claim queued work with `FOR UPDATE SKIP LOCKED`.

use super::{StoreError, StoreResult};
use crate::geo::onspd::PostcodeRecord;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<PgStore, sqlx::Error> {
        // No JIT compilation: Beacon's queries take milliseconds, and compiling one that the
        // planner thinks costly (a search ranking a thousand alerts) takes ten to fifty more.
        let options: PgConnectOptions = url.parse::<PgConnectOptions>()?.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(PgStore { pool })
    }
}

/// The rows a search reads, named as the filters expect: `id`, `queued_at`, `provider_id`,
/// `message_type_id`, and the words.
const SEARCH_ROWS: &str =
    "(SELECT alert_id AS id, queued_at, provider_id, message_type_id, search FROM alert_search)";

/// How many of the newest public alerts a search looks at to measure how common it is: a
/// millisecond's walk back along the primary key.
const SEARCH_PROBE: i64 = 1_000;

/// `ts_headline`'s options: matches between U+0001 and U+0002 (the contract of
/// `ArchiveHit::snippet`), one fragment of about 30 words.
const HEADLINE: &str = "'StartSel=' || chr(1) || ', StopSel=' || chr(2) || \
                        ', MaxWords=30, MinWords=15, MaxFragments=1, FragmentDelimiter=\" … \"'";

impl super::Dialect for PgStore {
    type Db = sqlx::Postgres;

    const BACKEND: &'static str = "postgres";
    const CLAIM_LOCK: &'static str = "FOR UPDATE SKIP LOCKED";
    /// Each connection is a server process: two keep both cores of a small machine busy.
    const BULK_WRITERS: usize = 2;
    /// Inserts one channel's deliveries of a fan-out chunk: the residents' ids as one array,
    /// so a chunk of twenty thousand is one short statement to parse and plan. Rows already
    /// there are skipped if `existing`, and fail the statement otherwise: the check for them
    /// (`ON CONFLICT`) was a quarter of the fan-out's time. Returns how many were inserted.
    async fn insert_deliveries(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        deliveries: &super::dialect::NewDeliveries<'_>,
        existing: bool,
    ) -> StoreResult<u64> {
        let sql = super::delivery_queue::fanout_insert(
            "INSERT INTO deliveries (alert_id, subscriber_id, channel, priority, state, created_at, next_attempt_at) \
             SELECT $1, id, $2, $3, 'pending', $4, $4 FROM unnest($5::bigint[]) AS ids(id)",
            existing,
        );
        let done = sqlx::query(&sql)
            .bind(deliveries.alert_id)
            .bind(deliveries.channel)
            .bind(deliveries.priority)
            .bind(deliveries.now)
            .bind(deliveries.subscriber_ids)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Claims deliveries with `claim` (an UPDATE of `deliveries` without its RETURNING, whose
    /// parameters are now and the lease) and reads `columns` of each claimed row `d` beside its
    /// resident `s`, most urgent first. One statement: the claimed rows are joined as the
    /// UPDATE returns them, not looked up again in a second round trip.
    async fn claim_rows(
        pool: &PgPool,
        claim: &str,
        columns: &str,
        now: super::Timestamp,
        lease_until: super::Timestamp,
    ) -> StoreResult<Vec<sqlx::postgres::PgRow>> {
        let sql = format!(
            "WITH d AS ({claim} RETURNING id, alert_id, subscriber_id, attempts, gateway_id, \
             created_at, priority) \
             SELECT {columns} FROM d LEFT JOIN subscribers s ON s.id = d.subscriber_id \
             ORDER BY d.priority, d.id"
        );
        Ok(sqlx::query(&sql)
            .bind(now)
            .bind(lease_until)
            .fetch_all(pool)
            .await?)
    }

    /// Marks a group of claimed deliveries `(id, attempts)` sent, each only if still pending
    /// under that claim; returns the ids marked. One prepared statement for any group.
    async fn mark_sent_group(
        pool: &PgPool,
        claims: &[(i64, i64)],
        now: super::Timestamp,
    ) -> StoreResult<Vec<i64>> {
        let (ids, attempts): (Vec<i64>, Vec<i64>) = claims.iter().copied().unzip();
        Ok(sqlx::query_scalar(
            "UPDATE deliveries SET state = 'sent', locked_until = NULL, last_error = NULL, sent_at = $1 \
             FROM unnest($2::bigint[], $3::bigint[]) AS claims(claim_id, claim_attempts) \
             WHERE deliveries.id = claims.claim_id AND deliveries.attempts = claims.claim_attempts \
             AND deliveries.state = 'pending' RETURNING deliveries.id",
        )
        .bind(now)
        .bind(ids)
        .bind(attempts)
        .fetch_all(pool)
        .await?)
    }

    /// Statements run before a search, in its transaction. Within each part of a search
    /// (`archive_search_sql`) the planner still chooses between walking back through the
    /// alerts, checking each one's words, and taking the matches from the GIN index; with the
    /// default page cost (4, for spinning disks) it walked back even for a word in one alert in
    /// forty, reading thirty thousand rows where the index would give three thousand. 1.1, the
    /// usual figure for SSDs and cached data, puts the change where the measurements put it
    /// (near one alert in ten).
    ///
    /// No parallel plans either: `archive_search_sql` relies on the parts of a UNION ALL being
    /// read in turn, the newer matches before the older, and stopping when it has enough, which
    /// is how PostgreSQL's Append runs its parts when it runs them itself. (Gating the older
    /// part on a count of the newer one instead, through CTEs, was 30–50% slower: the planner
    /// then walked back through the newer part where the index was cheaper.)
    const ARCHIVE_SEARCH_SETTINGS: &'static [&'static str] = &[
        "SET LOCAL random_page_cost = 1.1",
        "SET LOCAL max_parallel_workers_per_gather = 0",
    ];

    /// A search's words as text for `to_tsquery`: each word in any of its forms
    /// (`archive::search_forms`), every word required. The forms are letters and digits only,
    /// quoted, so nothing in them is syntax, and never only stop words (`archive::search_terms`
    /// drops those), so PostgreSQL has no notice to send about them.
    fn archive_search_words(terms: &[String]) -> String {
        let words: Vec<String> = terms
            .iter()
            .map(|term| {
                let forms: Vec<String> = super::archive::search_forms(term)
                    .iter()
                    .map(|form| format!("'{form}'"))
                    .collect();
                format!("({})", forms.join(" | "))
            })
            .collect();
        words.join(" & ")
    }

    /// A page of search results: `$1` is the words, `filters` narrow the alerts `a` (here the
    /// rows of `alert_search`, which carries what filters need), `page` is the LIMIT and
    /// OFFSET. The newest `SEARCH_WINDOW` matches (by id, as on SQLite) are ranked by cover
    /// density, a title match (weight A) worth five body matches (weight B), lengths evened out
    /// by log (the kind's and organisation's names, weight D, count for least); ties newest first. Only the page's alerts get headlines: `ts_headline` reads the
    /// whole text, too dear for every match.
    ///
    /// Finding the newest matches: the GIN index gives every match of the words, in no order,
    /// and each match costs a visit to its row, so a word in a fifth of the alerts would cost a
    /// fifth of the table. Instead the query first measures how common the search is among the
    /// newest `SEARCH_PROBE` alerts (`probe`: a walk back along the primary key), and from that
    /// how far back the window should reach, with half as much again to spare (`cut`). It then
    /// takes the matches newer than that id (the index's matches ANDed with the primary key's
    /// range, so only the window's rows are visited), and only if there were too few, the older
    /// ones. A search too rare to measure so (under about one alert in `SEARCH_PROBE`), or whose
    /// reach would be more than three quarters of the archive, takes every match: then there
    /// are few, and ANDing them with most of the primary key would cost more than it saved.
    /// The parts are read in turn and reading stops at `SEARCH_WINDOW` rows (see
    /// `ARCHIVE_SEARCH_SETTINGS`). PostgreSQL's planner cannot make this choice itself: it
    /// estimates how common several words are together by multiplying how common each is, which
    /// for words that go together ("catalytic converter") is ten times too few, so it took all
    /// of their matches and sorted them.
    fn archive_search_sql(columns: &str, filters: &str, page: &str) -> String {
        let matches = |range: &str| {
            format!(
                "(SELECT a.id, a.queued_at, a.search FROM {SEARCH_ROWS} a \
                 WHERE {range} AND a.search @@ to_tsquery('english', $1){filters} \
                 ORDER BY a.id DESC)"
            )
        };
        let (newer, older, all) = (
            matches("(SELECT x FROM cut) IS NOT NULL AND a.id > (SELECT x FROM cut)"),
            matches("(SELECT x FROM cut) IS NOT NULL AND a.id <= (SELECT x FROM cut)"),
            matches("(SELECT x FROM cut) IS NULL"),
        );
        format!(
            "WITH probe AS ( \
             SELECT max(a.id) AS hi, min(a.id) AS lo, \
             count(*) FILTER (WHERE a.search @@ to_tsquery('english', $1){filters}) AS found \
             FROM (SELECT * FROM {SEARCH_ROWS} a ORDER BY a.id DESC LIMIT {probe}) a), \
             cut AS (SELECT reach AS x FROM \
             (SELECT hi - (hi - lo + 1) * {reach} / NULLIF(found, 0) AS reach, \
              (hi + 3 * (SELECT min(alert_id) FROM alert_search)) / 4 AS quarter FROM probe) p \
             WHERE reach > quarter), \
             hit AS ( \
             SELECT w.id, w.queued_at, \
             ts_rank_cd('{{0.1, 0.2, 0.2, 1.0}}', w.search, to_tsquery('english', $1), 1) AS score \
             FROM ({newer} UNION ALL {older} UNION ALL {all} LIMIT {window}) w \
             ORDER BY score DESC, w.queued_at DESC, w.id DESC {page}) \
             SELECT {columns}, \
             ts_headline('english', a.body_text, to_tsquery('english', $1), {HEADLINE}) AS body_snippet, \
             ts_headline('english', a.title, to_tsquery('english', $1), {HEADLINE} || ', HighlightAll=true') \
             AS title_snippet \
             FROM hit JOIN alerts a ON a.id = hit.id \
             JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
             ORDER BY hit.score DESC, hit.queued_at DESC, hit.id DESC",
            probe = SEARCH_PROBE,
            reach = super::archive::SEARCH_WINDOW * 3 / 2,
            window = super::archive::SEARCH_WINDOW,
        )
    }

    async fn migrate_schema(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn upsert_postcodes(&self, batch: &[PostcodeRecord]) -> StoreResult<()> {
        // COPY into a scratch table, then one upsert from it: the fastest way PostgreSQL
        // offers to merge many rows into a table that may already hold some of them.
        // Rows are merged in postcode order so that two writers touching the same postcodes
        // lock them in the same order and cannot deadlock.
        // ON CONFLICT may not touch a row twice in one statement: keep the last record of a
        // postcode that appears more than once, as SQLite's multi-row upsert does.
        let mut seen = std::collections::HashSet::new();
        let mut latest: Vec<&PostcodeRecord> = batch
            .iter()
            .rev()
            .filter(|r| seen.insert(r.postcode.as_str()))
            .collect();
        latest.reverse();
        let mut csv = csv::Writer::from_writer(Vec::with_capacity(batch.len() * 40));
        for record in latest {
            // An empty unquoted field is NULL in COPY's CSV format; the writer quotes any
            // field that needs it.
            let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
            csv.write_record([
                record.postcode.as_str(),
                record.district_code.as_deref().unwrap_or(""),
                &number(record.easting),
                &number(record.northing),
                if record.terminated { "t" } else { "f" },
            ])
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        let csv = csv
            .into_inner()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "CREATE TEMP TABLE IF NOT EXISTS postcode_load \
             (LIKE postcodes INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
        )
        .execute(&mut *tx)
        .await?;
        let mut copy = tx
            .copy_in_raw(
                "COPY postcode_load (postcode, district_code, easting, northing, terminated) \
                 FROM STDIN (FORMAT csv)",
            )
            .await?;
        copy.send(csv).await?;
        copy.finish().await?;
        sqlx::query(
            "INSERT INTO postcodes (postcode, district_code, easting, northing, terminated) \
             SELECT postcode, district_code, easting, northing, terminated FROM postcode_load \
             ORDER BY postcode \
             ON CONFLICT (postcode) DO UPDATE SET district_code = excluded.district_code, \
             easting = excluded.easting, northing = excluded.northing, \
             terminated = excluded.terminated",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn refresh_delivery_statistics(&self) -> StoreResult<()> {
        // Also drops the plans cached for the old statistics. Samples 30,000 rows whatever
        // the table's size: a few hundred milliseconds.
        sqlx::query("ANALYZE deliveries")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

super::impl_lifecycle!(PgStore);
impl_catalogue!(PgStore, sqlx::Postgres);
impl_geography!(PgStore, sqlx::Postgres);
impl_residents!(PgStore, sqlx::Postgres);
impl_outbox!(PgStore, sqlx::Postgres);
impl_feedback!(PgStore, sqlx::Postgres);
impl_staff_accounts!(PgStore, sqlx::Postgres);
impl_alerts!(PgStore, sqlx::Postgres);
impl_delivery_queue!(PgStore, sqlx::Postgres);
impl_archive!(PgStore, sqlx::Postgres);
impl_api_tokens!(PgStore, sqlx::Postgres);
impl_audit!(PgStore, sqlx::Postgres);
impl_alert_templates!(PgStore, sqlx::Postgres);
impl_scam_reports!(PgStore, sqlx::Postgres);
impl_report_drafts!(PgStore, sqlx::Postgres);
impl_reports!(PgStore, sqlx::Postgres);
impl_report_triage!(PgStore, sqlx::Postgres);
impl_conversations!(PgStore, sqlx::Postgres);
impl_live_channel!(PgStore, postgres);
impl_reply_threads!(PgStore, sqlx::Postgres);
impl_resident_chats!(PgStore, sqlx::Postgres);
impl_chat_upkeep!(PgStore, sqlx::Postgres);
impl_inbox!(PgStore, sqlx::Postgres);
impl_surveys!(PgStore, sqlx::Postgres);
impl_schemes!(PgStore, sqlx::Postgres);
