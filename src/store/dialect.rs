//! Where SQLite and PostgreSQL differ: the contract between the SQL both backends share (the
//! `impl_*!` macro of each aggregate) and each backend's own statements.

use super::{StoreResult, Timestamp};
use crate::geo::onspd::PostcodeRecord;

/// One channel's deliveries of a fan-out chunk, as the insert binds them.
pub struct NewDeliveries<'a> {
    pub alert_id: i64,
    /// `email` or `sms`.
    pub channel: &'static str,
    pub priority: i64,
    pub now: Timestamp,
    pub subscriber_ids: &'a [i64],
}

/// What a backend supplies for the shared queries: the statements that each database writes
/// its own way (bulk loading, claiming, search), and the settings they depend on.
#[allow(async_fn_in_trait)] // Called statically, on the concrete store, never through `dyn`.
pub trait Dialect {
    type Db: sqlx::Database;

    /// Which backend this is, for logs and `/readyz`.
    const BACKEND: &'static str;
    /// Appended to a claim's inner `SELECT … LIMIT n`: `FOR UPDATE SKIP LOCKED` where several
    /// workers claim at once (PostgreSQL); nothing where one writer does (SQLite).
    const CLAIM_LOCK: &'static str;
    /// How many bulk writes (such as postcode batches) are worth running at once.
    const BULK_WRITERS: usize;
    /// Statements run before a search, in its transaction.
    const ARCHIVE_SEARCH_SETTINGS: &'static [&'static str];

    /// Applies this backend's migrations.
    async fn migrate_schema(&self) -> StoreResult<()>;

    /// Inserts or replaces a batch of postcodes in one transaction (the last record of a
    /// postcode repeated in the batch wins).
    async fn upsert_postcodes(&self, batch: &[PostcodeRecord]) -> StoreResult<()>;

    /// Brings the planner's statistics of the delivery queue up to date after a large fan-out.
    async fn refresh_delivery_statistics(&self) -> StoreResult<()>;

    /// Inserts one channel's deliveries of a fan-out chunk; rows already there are skipped if
    /// `existing`, and fail the statement otherwise. Returns how many were inserted.
    async fn insert_deliveries(
        tx: &mut sqlx::Transaction<'static, Self::Db>,
        deliveries: &NewDeliveries<'_>,
        existing: bool,
    ) -> StoreResult<u64>;

    /// Claims deliveries with `claim` (an UPDATE of `deliveries` without its RETURNING, whose
    /// parameters are now and the lease) and reads `columns` of each claimed row `d` beside its
    /// resident `s`, most urgent first.
    async fn claim_rows(
        pool: &sqlx::Pool<Self::Db>,
        claim: &str,
        columns: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<<Self::Db as sqlx::Database>::Row>>;

    /// Marks a group of claimed deliveries `(id, attempts)` sent, each only if still pending
    /// under that claim; returns the ids marked (at most 250 claims a group).
    async fn mark_sent_group(
        pool: &sqlx::Pool<Self::Db>,
        claims: &[(i64, i64)],
        now: Timestamp,
    ) -> StoreResult<Vec<i64>>;

    /// A search's words as this backend's full-text query text.
    fn archive_search_words(terms: &[String]) -> String;

    /// A page of search results: `$1` is the words, `filters` narrow the alerts `a`, `page` is
    /// the LIMIT and OFFSET.
    fn archive_search_sql(columns: &str, filters: &str, page: &str) -> String;
}
