//! Draft files: photos and files a resident has added to a report they are still answering,
//! already checked and cleaned, kept by an unguessable id until the report is sent (or for a
//! day, if it never is). The form carries only each file's id and digest, never its content.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

/// A checked and cleaned file of a report not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DraftFile {
    /// Unguessable (`services::tokens::random_id`).
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub content: Vec<u8>,
    /// The content's SHA-256, hex.
    pub sha256: String,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait ReportDrafts: Send + Sync {
    /// Keeps a draft file.
    async fn save_draft_file(&self, file: &DraftFile) -> StoreResult<()>;
    /// The draft files with these ids that are still kept, in the order of `ids`.
    async fn draft_files(&self, ids: &[String]) -> StoreResult<Vec<DraftFile>>;
    /// Deletes the draft files with these ids (their report is stored); how many.
    async fn delete_draft_files(&self, ids: &[String]) -> StoreResult<u64>;
    /// Deletes the draft files added before `before`; how many.
    async fn purge_draft_files(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Implements `ReportDrafts` for a backend's store with the SQL both backends share.
macro_rules! impl_report_drafts {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ReportDrafts for $store {
            async fn save_draft_file(
                &self,
                file: &$crate::store::DraftFile,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO report_draft_files \
                     (id, name, content_type, size, content, sha256, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&file.id)
                .bind(&file.name)
                .bind(&file.content_type)
                .bind(file.size)
                .bind(&file.content)
                .bind(&file.sha256)
                .bind(file.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn draft_files(
                &self,
                ids: &[String],
            ) -> $crate::store::StoreResult<Vec<$crate::store::DraftFile>> {
                // A report has a handful of files at most: one query each keeps the SQL the same
                // on both backends.
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    let file: Option<$crate::store::DraftFile> = sqlx::query_as(
                        "SELECT id, name, content_type, size, content, sha256, created_at \
                         FROM report_draft_files WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    found.extend(file);
                }
                Ok(found)
            }

            async fn delete_draft_files(&self, ids: &[String]) -> $crate::store::StoreResult<u64> {
                let mut deleted = 0;
                for id in ids {
                    deleted += sqlx::query("DELETE FROM report_draft_files WHERE id = $1")
                        .bind(id)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                }
                Ok(deleted)
            }

            async fn purge_draft_files(
                &self,
                before: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                Ok(
                    sqlx::query("DELETE FROM report_draft_files WHERE created_at < $1")
                        .bind(before)
                        .execute(&self.pool)
                        .await?
                        .rows_affected(),
                )
            }
        }
    };
}
