//! The database's channel for the contact centre's live events between web processes:
//! PostgreSQL's LISTEN/NOTIFY on one channel, `beacon_live`. SQLite serves one process, so it
//! has no channel: its events stay in that process (`services::live`). A payload is an event's
//! JSON (ids only, far below NOTIFY's 8,000 bytes); what it means is the service's business.

use super::StoreResult;
use async_trait::async_trait;

/// The PostgreSQL channel every web process listens on.
pub const LIVE_CHANNEL: &str = "beacon_live";

#[async_trait]
pub trait LiveChannel: Send + Sync {
    /// Sends a payload to every process listening, this one included (once its transaction,
    /// here none, commits). `false`: this database carries no events between processes.
    async fn notify_live(&self, payload: &str) -> StoreResult<bool>;
    /// A connection of its own listening to every process's payloads, or `None` when this
    /// database carries none.
    async fn listen_live(&self) -> StoreResult<Option<LiveFeed>>;
}

/// Payloads as they arrive on a listening connection.
pub struct LiveFeed {
    listener: sqlx::postgres::PgListener,
}

impl LiveFeed {
    /// Listens on `LIVE_CHANNEL` with a connection of its own, made with the pool's options
    /// (outside its count: it is held for as long as the process runs).
    pub(crate) async fn listen(pool: &sqlx::PgPool) -> StoreResult<LiveFeed> {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(LIVE_CHANNEL).await?;
        Ok(LiveFeed { listener })
    }

    /// The next payload. `Ok(None)`: the connection was lost and has been made again (listening
    /// again), so payloads sent in between were missed. An error: the connection was lost and
    /// could not be made again (or the server refused it); make a new feed.
    pub async fn next(&mut self) -> StoreResult<Option<String>> {
        Ok(self
            .listener
            .try_recv()
            .await?
            .map(|notification| notification.payload().to_owned()))
    }
}

/// Implements `LiveChannel` for a backend's store: `postgres` with LISTEN/NOTIFY on its pool's
/// database, `none` for a backend that serves one process.
macro_rules! impl_live_channel {
    ($store:ty, postgres) => {
        #[async_trait::async_trait]
        impl $crate::store::LiveChannel for $store {
            async fn notify_live(&self, payload: &str) -> $crate::store::StoreResult<bool> {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind($crate::store::LIVE_CHANNEL)
                    .bind(payload)
                    .execute(&self.pool)
                    .await?;
                Ok(true)
            }

            async fn listen_live(
                &self,
            ) -> $crate::store::StoreResult<Option<$crate::store::LiveFeed>> {
                $crate::store::LiveFeed::listen(&self.pool).await.map(Some)
            }
        }
    };
    ($store:ty, none) => {
        #[async_trait::async_trait]
        impl $crate::store::LiveChannel for $store {
            async fn notify_live(&self, _payload: &str) -> $crate::store::StoreResult<bool> {
                Ok(false)
            }

            async fn listen_live(
                &self,
            ) -> $crate::store::StoreResult<Option<$crate::store::LiveFeed>> {
                Ok(None)
            }
        }
    };
}
