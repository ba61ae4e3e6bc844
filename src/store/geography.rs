//! Geography as stored: local authority districts and the ONS postcodes with where each is.

use super::StoreResult;
use crate::geo::districts::District;
use crate::geo::onspd::PostcodeRecord;
use async_trait::async_trait;

/// Where a postcode is, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct PostcodeLocation {
    pub postcode: String,
    pub district_code: Option<String>,
    pub district_name: Option<String>,
    pub easting: Option<i32>,
    pub northing: Option<i32>,
    pub terminated: bool,
}

#[async_trait]
pub trait Geography: Send + Sync {
    async fn upsert_districts(&self, districts: &[District]) -> StoreResult<()>;
    async fn districts(&self) -> StoreResult<Vec<District>>;
    /// How many bulk writes (such as postcode batches) are worth running at once.
    fn bulk_writers(&self) -> usize;
    /// Inserts or replaces a batch of postcodes in one transaction; where a postcode appears
    /// more than once in the batch, the last record wins.
    async fn upsert_postcodes(&self, batch: &[PostcodeRecord]) -> StoreResult<()>;
    async fn postcode_count(&self) -> StoreResult<i64>;
    async fn find_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeLocation>>;
    /// Whether any postcode of a postcode area (the outward code's letters: `CB`, `E`) is held:
    /// an install holds its force's areas, so a well-formed postcode of an area it does not
    /// hold is somewhere else, not mistyped.
    async fn holds_postcode_area(&self, area: &str) -> StoreResult<bool>;
    /// Every located postcode in a box of the grid: (district code, easting, northing).
    async fn postcodes_in_box(
        &self,
        easting: (i32, i32),
        northing: (i32, i32),
    ) -> StoreResult<Vec<(String, i32, i32)>>;
}

/// Implements `Geography` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_geography {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Geography for $store {
            async fn upsert_districts(
                &self,
                districts: &[$crate::geo::districts::District],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                for district in districts {
                    sqlx::query(
                        "INSERT INTO districts (code, name, county_code, county_name) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                         county_code = excluded.county_code, county_name = excluded.county_name",
                    )
                    .bind(&district.code)
                    .bind(&district.name)
                    .bind(&district.county_code)
                    .bind(&district.county_name)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn districts(&self) -> $crate::store::StoreResult<Vec<$crate::geo::districts::District>> {
                let rows: Vec<(String, Option<String>, Option<String>, Option<String>)> =
                    sqlx::query_as("SELECT code, name, county_code, county_name FROM districts ORDER BY code")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(code, name, county_code, county_name)| $crate::geo::districts::District {
                        code,
                        name,
                        county_code,
                        county_name,
                    })
                    .collect())
            }

            fn bulk_writers(&self) -> usize {
                <Self as $crate::store::dialect::Dialect>::BULK_WRITERS
            }

            async fn upsert_postcodes(
                &self,
                batch: &[$crate::geo::onspd::PostcodeRecord],
            ) -> $crate::store::StoreResult<()> {
                <Self as $crate::store::dialect::Dialect>::upsert_postcodes(self, batch).await
            }

            async fn postcode_count(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM postcodes").fetch_one(&self.pool).await?)
            }

            async fn find_postcode(
                &self,
                postcode: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::PostcodeLocation>> {
                Ok(sqlx::query_as(
                    "SELECT p.postcode, p.district_code, d.name AS district_name, p.easting, p.northing, p.terminated \
                     FROM postcodes p LEFT JOIN districts d ON d.code = p.district_code WHERE p.postcode = $1",
                )
                .bind(postcode)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn holds_postcode_area(&self, area: &str) -> $crate::store::StoreResult<bool> {
                // The area's letters then a digit: `E` must not match `EH1 1YZ`. Digits sort
                // alike in every collation, so the range test is the same on both backends.
                let held: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM postcodes WHERE postcode LIKE $1 \
                     AND SUBSTR(postcode, $2, 1) BETWEEN '0' AND '9' LIMIT 1",
                )
                .bind(format!("{area}%"))
                .bind(i32::try_from(area.len() + 1).unwrap_or(i32::MAX))
                .fetch_optional(&self.pool)
                .await?;
                Ok(held.is_some())
            }

            async fn postcodes_in_box(
                &self,
                easting: (i32, i32),
                northing: (i32, i32),
            ) -> $crate::store::StoreResult<Vec<(String, i32, i32)>> {
                Ok(sqlx::query_as(
                    "SELECT district_code, easting, northing FROM postcodes WHERE district_code IS NOT NULL \
                     AND easting BETWEEN $1 AND $2 AND northing BETWEEN $3 AND $4",
                )
                .bind(easting.0)
                .bind(easting.1)
                .bind(northing.0)
                .bind(northing.1)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
