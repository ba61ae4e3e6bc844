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

impl_store!(SqliteStore, sqlx::Sqlite, claim_lock = "", {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
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
});
