//! API tokens with which other systems compose and send alerts for one organisation, or post
//! Open311 service requests (reports) on its behalf: each token is for one of the two.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

/// What a token is for: an alerts token cannot post Open311 requests, and an Open311 key cannot
/// compose or send alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenScope {
    /// Composing and sending alerts through `/api/v1/alerts`.
    #[default]
    Alerts,
    /// Posting reports through Open311 (`POST /open311/v2/requests`).
    Open311,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::Alerts, TokenScope::Open311];

    pub fn slug(self) -> &'static str {
        match self {
            TokenScope::Alerts => "alerts",
            TokenScope::Open311 => "open311",
        }
    }

    pub fn from_slug(slug: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

impl TryFrom<String> for TokenScope {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        TokenScope::from_slug(&value).ok_or_else(|| format!("API token scope {value:?}"))
    }
}

/// A token with which another system composes and sends alerts for one organisation, or posts
/// Open311 requests.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub scope: TokenScope,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

#[async_trait]
pub trait ApiTokens: Send + Sync {
    async fn insert_api_token(
        &self,
        provider_id: i64,
        name: &str,
        scope: TokenScope,
        token_hash: &str,
        created_by: Option<i64>,
        now: Timestamp,
    ) -> StoreResult<i64>;
    /// The live (unrevoked) token with this hash, marking it used.
    async fn use_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ApiToken>>;
    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, id: i64, now: Timestamp) -> StoreResult<bool>;
}

/// Implements `ApiTokens` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_api_tokens {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ApiTokens for $store {
            async fn insert_api_token(
                &self,
                provider_id: i64,
                name: &str,
                scope: $crate::store::TokenScope,
                token_hash: &str,
                created_by: Option<i64>,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO api_tokens (provider_id, name, token_hash, created_by, created_at, scope) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(provider_id)
                .bind(name)
                .bind(token_hash)
                .bind(created_by)
                .bind(now)
                .bind(scope.slug())
                .fetch_one(&self.pool)
                .await?)
            }

            async fn use_api_token(
                &self,
                token_hash: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<$crate::store::ApiToken>> {
                let id: Option<i64> = sqlx::query_scalar(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                let Some(id) = id else {
                    return Ok(None);
                };
                Ok(self.list_api_tokens().await?.into_iter().find(|t| t.id == id))
            }

            async fn list_api_tokens(&self) -> $crate::store::StoreResult<Vec<$crate::store::ApiToken>> {
                let rows = sqlx::query_as::<_, $crate::store::ApiToken>(
                    "SELECT t.id, t.provider_id, p.name AS provider_name, t.name, t.scope, t.created_at, t.revoked_at, \
                     t.last_used_at FROM api_tokens t JOIN providers p ON p.id = t.provider_id ORDER BY t.id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows)
            }

            async fn revoke_api_token(&self, id: i64, now: $crate::store::Timestamp) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
