//! The catalogue: the organisations (providers) residents hear from and the kinds of message they send.

use super::StoreResult;
use crate::domain::{MessageType, Provider};
use async_trait::async_trait;

#[async_trait]
pub trait Catalogue: Send + Sync {
    /// Inserts the seed providers and message types that are missing; never overwrites edits.
    async fn seed_catalogue(&self) -> StoreResult<()>;
    async fn providers(&self) -> StoreResult<Vec<Provider>>;
    /// Adds an organisation (its slug must be new).
    async fn insert_provider(
        &self,
        slug: &str,
        name: &str,
        description: &str,
        contact_phone: Option<&str>,
    ) -> StoreResult<i64>;
    async fn update_provider(
        &self,
        id: i64,
        name: &str,
        description: &str,
        contact_phone: Option<&str>,
    ) -> StoreResult<()>;
    /// Archives an organisation (`Some(when)`) or restores it (`None`).
    async fn set_provider_archived(&self, id: i64, archived_at: Option<i64>) -> StoreResult<()>;
    async fn message_types(&self) -> StoreResult<Vec<MessageType>>;
}

/// Implements `Catalogue` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_catalogue {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Catalogue for $store {
            async fn seed_catalogue(&self) -> $crate::store::StoreResult<()> {
                use $crate::domain::catalogue::{MESSAGE_TYPES, PROVIDERS};
                let mut tx = self.pool.begin().await?;
                for (position, seed) in PROVIDERS.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO providers (slug, name, description, contact_phone, position) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING",
                    )
                    .bind(seed.slug)
                    .bind(seed.name)
                    .bind(seed.description)
                    .bind(seed.contact_phone)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
                }
                for (position, seed) in MESSAGE_TYPES.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO message_types (slug, name, description, position) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING",
                    )
                    .bind(seed.slug)
                    .bind(seed.name)
                    .bind(seed.description)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn providers(&self) -> $crate::store::StoreResult<Vec<$crate::domain::Provider>> {
                let rows: Vec<(i64, String, String, String, Option<String>, Option<i64>)> = sqlx::query_as(
                    "SELECT id, slug, name, description, contact_phone, archived_at FROM providers \
                     ORDER BY position, id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, slug, name, description, contact_phone, archived_at)| $crate::domain::Provider {
                        id,
                        slug,
                        name,
                        description,
                        contact_phone,
                        archived: archived_at.is_some(),
                    })
                    .collect())
            }

            async fn insert_provider(
                &self,
                slug: &str,
                name: &str,
                description: &str,
                contact_phone: Option<&str>,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO providers (slug, name, description, contact_phone, position) \
                     VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM providers)) RETURNING id",
                )
                .bind(slug)
                .bind(name)
                .bind(description)
                .bind(contact_phone)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn update_provider(
                &self,
                id: i64,
                name: &str,
                description: &str,
                contact_phone: Option<&str>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE providers SET name = $2, description = $3, contact_phone = $4 WHERE id = $1")
                    .bind(id)
                    .bind(name)
                    .bind(description)
                    .bind(contact_phone)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_provider_archived(
                &self,
                id: i64,
                archived_at: Option<i64>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE providers SET archived_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(archived_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn message_types(&self) -> $crate::store::StoreResult<Vec<$crate::domain::MessageType>> {
                let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT id, slug, name, description FROM message_types ORDER BY position, id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, slug, name, description)| $crate::domain::MessageType { id, slug, name, description })
                    .collect())
            }
        }
    };
}
