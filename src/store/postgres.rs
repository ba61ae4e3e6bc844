//! The PostgreSQL store: for deployments where several web and worker processes share one
//! database. Workers claim queued work with `FOR UPDATE SKIP LOCKED`.

use super::StoreResult;
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

        async fn migrate(&self) -> StoreResult<()> {
            sqlx::migrate!("./migrations/postgres")
                .run(&self.pool)
                .await?;
            Ok(())
        }

        async fn upsert_postcodes(&self, batch: &[PostcodeRecord]) -> StoreResult<()> {
            // One statement per batch: the columns go over as arrays and UNNEST turns them into rows.
            let postcodes: Vec<&str> = batch.iter().map(|r| r.postcode.as_str()).collect();
            let districts: Vec<Option<&str>> =
                batch.iter().map(|r| r.district_code.as_deref()).collect();
            let eastings: Vec<Option<i32>> = batch.iter().map(|r| r.easting).collect();
            let northings: Vec<Option<i32>> = batch.iter().map(|r| r.northing).collect();
            let terminated: Vec<bool> = batch.iter().map(|r| r.terminated).collect();
            sqlx::query(
            "INSERT INTO postcodes (postcode, district_code, easting, northing, terminated) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::int4[], $5::bool[]) \
             ON CONFLICT (postcode) DO UPDATE SET district_code = excluded.district_code, \
             easting = excluded.easting, northing = excluded.northing, terminated = excluded.terminated",
        )
        .bind(postcodes)
        .bind(districts)
        .bind(eastings)
        .bind(northings)
        .bind(terminated)
        .execute(&self.pool)
        .await?;
            Ok(())
        }
    }
);
