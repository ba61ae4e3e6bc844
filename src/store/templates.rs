//! Alert templates: what senders of an organisation keep to start an alert from (a name, and
//! an alert's kind, priority, title, body and text message).

use super::{StoreResult, Timestamp};
use crate::domain::Priority;
use async_trait::async_trait;

/// A template's content, as saved.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TemplateContent {
    pub provider_id: i64,
    pub name: String,
    pub message_type_id: i64,
    #[sqlx(try_from = "i64")]
    pub priority: Priority,
    pub title: String,
    pub body_markdown: String,
    pub sms_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertTemplate {
    pub id: i64,
    #[sqlx(flatten)]
    pub content: TemplateContent,
    pub provider_name: String,
    pub message_type_name: String,
    pub updated_by: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait AlertTemplates: Send + Sync {
    /// Saves a new template by `staff_id`; `StoreError::Conflict` if its organisation already
    /// has one of that name.
    async fn insert_template(
        &self,
        content: &TemplateContent,
        staff_id: i64,
        now: Timestamp,
    ) -> StoreResult<i64>;
    async fn template(&self, id: i64) -> StoreResult<Option<AlertTemplate>>;
    /// By organisation, then name; one organisation's, or everyone's.
    async fn list_templates(&self, provider_id: Option<i64>) -> StoreResult<Vec<AlertTemplate>>;
    /// Replaces a template's content; false if there is no such template, `Conflict` if the
    /// new name is taken in its organisation.
    async fn update_template(
        &self,
        id: i64,
        content: &TemplateContent,
        staff_id: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// False if there was no such template.
    async fn delete_template(&self, id: i64) -> StoreResult<bool>;
}

/// Implements `AlertTemplates` for a backend's store with the SQL both backends share.
macro_rules! impl_alert_templates {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Templates matching `clause` (`$1` is `key`), by organisation and name.
            async fn load_templates(
                &self,
                clause: &str,
                key: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AlertTemplate>> {
                let sql = format!(
                    "SELECT t.*, p.name AS provider_name, m.name AS message_type_name \
                     FROM alert_templates t JOIN providers p ON p.id = t.provider_id \
                     JOIN message_types m ON m.id = t.message_type_id \
                     WHERE {clause} ORDER BY p.position, p.id, lower(t.name), t.id"
                );
                Ok(sqlx::query_as(&sql).bind(key).fetch_all(&self.pool).await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AlertTemplates for $store {
            async fn insert_template(
                &self,
                content: &$crate::store::TemplateContent,
                staff_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO alert_templates (provider_id, name, message_type_id, priority, title, \
                     body_markdown, sms_text, updated_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(content.provider_id)
                .bind(&content.name)
                .bind(content.message_type_id)
                .bind(i64::from(content.priority.level()))
                .bind(&content.title)
                .bind(&content.body_markdown)
                .bind(&content.sms_text)
                .bind(staff_id)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn template(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::AlertTemplate>> {
                Ok(self.load_templates("t.id = $1", id).await?.pop())
            }

            async fn list_templates(
                &self,
                provider_id: Option<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AlertTemplate>> {
                match provider_id {
                    Some(provider) => self.load_templates("t.provider_id = $1", provider).await,
                    None => self.load_templates("t.id > $1", 0).await,
                }
            }

            async fn update_template(
                &self,
                id: i64,
                content: &$crate::store::TemplateContent,
                staff_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE alert_templates SET provider_id = $2, name = $3, message_type_id = $4, \
                     priority = $5, title = $6, body_markdown = $7, sms_text = $8, updated_by = $9, \
                     updated_at = $10 WHERE id = $1",
                )
                .bind(id)
                .bind(content.provider_id)
                .bind(&content.name)
                .bind(content.message_type_id)
                .bind(i64::from(content.priority.level()))
                .bind(&content.title)
                .bind(&content.body_markdown)
                .bind(&content.sms_text)
                .bind(staff_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_template(&self, id: i64) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM alert_templates WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
