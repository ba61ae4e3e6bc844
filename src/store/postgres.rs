//! The PostgreSQL store: for deployments where several web and worker processes share one
//! database. Workers claim queued work with `FOR UPDATE SKIP LOCKED`.

use super::{StoreError, StoreResult};
use crate::geo::onspd::PostcodeRecord;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<PgStore, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }
}

impl_store!(
    PgStore,
    sqlx::Postgres,
    claim_lock = "FOR UPDATE SKIP LOCKED",
    {
        fn backend(&self) -> &'static str {
            "postgres"
        }

        /// Each connection is a server process: two keep both cores of a small machine busy.
        fn bulk_writers(&self) -> usize {
            2
        }

        async fn migrate(&self) -> StoreResult<()> {
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
    }
);
