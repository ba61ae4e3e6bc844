//! Storage: narrow traits, one per aggregate (residents, staff accounts, alerts, the delivery
//! queue, the archive, …), combined into one `Store`, with two implementations: SQLite (the
//! embedded default) and PostgreSQL (for deployments with several processes). Each aggregate's
//! file holds its trait, its types and its queries, written once (both backends accept `$1`
//! placeholders, `RETURNING` and `ON CONFLICT`) and instantiated for each pool by an `impl_*!`
//! macro; what the backends do differently is declared by the `Dialect` trait. Both run one
//! behaviour suite.

// Each aggregate's macro must be defined before the backends that instantiate it. The macros call
// the backend only through `Dialect`, and each other's helpers in three places, each said where
// the helper is defined: `enqueue_in` (outbox, used by residents), `load_alerts` (alerts, used by
// the delivery queue) and `render_missing_body_text` (archive, used by `impl_lifecycle!`).
#[macro_use]
mod alerts;
#[macro_use]
mod api_tokens;
#[macro_use]
mod archive;
#[macro_use]
mod audit;
#[macro_use]
mod catalogue;
#[macro_use]
mod conversations;
#[macro_use]
mod delivery_queue;
mod dialect;
#[macro_use]
mod feedback;
#[macro_use]
mod geography;
#[macro_use]
mod inbox;
#[macro_use]
mod live_channel;
#[macro_use]
mod outbox;
#[macro_use]
mod chat_upkeep;
#[macro_use]
mod resident_chat;
#[macro_use]
mod residents;
#[macro_use]
mod reply_threads;
#[macro_use]
mod report_drafts;
#[macro_use]
mod report_triage;
#[macro_use]
mod reports;
#[macro_use]
mod scam_reports;
#[macro_use]
mod schemes;
#[macro_use]
mod staff_accounts;
#[macro_use]
mod surveys;
#[macro_use]
mod templates;

mod postgres;
mod sqlite;

pub use alerts::{
    Alert, AlertContent, AlertEdit, AlertListFilter, AlertStatus, AlertSummary, AlertTransition,
    Alerts, NewAlert, RepliedAlert,
};
pub use api_tokens::{ApiToken, ApiTokens, TokenScope};
pub use archive::{is_stop_word, Archive, ArchiveFilter, ArchiveHit, ImportedAlert, PublicAlert};
pub use audit::{Audit, AuditEntry, AuditFilter, NewAuditEntry};
pub use catalogue::Catalogue;
pub use chat_upkeep::{ChatUpkeep, LeftChat};
pub use conversations::{Added, Conversation, Conversations, Message, NewConversation, NewMessage};
pub use delivery_queue::{
    ChannelCounts, ContactProblem, DeliveryQueue, DeliveryReport, DeliveryTarget, FanoutChunk,
    SenderScope,
};
pub use dialect::Dialect;
pub use feedback::{AlertReply, Feedback, MAX_REPLIES_PER_ALERT};
pub use geography::{Geography, PostcodeLocation};
pub use inbox::{CannedAnswer, Inbox, InboxRow, OperatorContact, OperatorLoad, Presence};
pub use live_channel::{LiveChannel, LiveFeed, LIVE_CHANNEL};
pub use outbox::{
    NewOutbound, OutboundChannel, OutboundCounts, OutboundMessage, OutboundRecord, Outbox,
};
pub use postgres::PgStore;
pub use reply_threads::{NewAlertReply, ReplyStored, ReplyThreads};
pub use report_drafts::{DraftFile, ReportDrafts};
pub use report_triage::{Assessment, NewAssessment, ReportTiming, ReportTriage, ReviewDecision};
pub use reports::{
    NewReport, NewReportFile, NewReportUpdate, Report, ReportFile, ReportFileMeta, ReportFilter,
    ReportOrder, ReportUpdate, Reports, StoredService, AUTHOR_REPORTER, AUTHOR_STAFF,
    AUTHOR_SYSTEM,
};
pub use resident_chat::ResidentChats;
pub use residents::{ConfirmOutcome, NewSubscriber, Residents, Subscriber, SubscriberStatus};
pub use scam_reports::{NewScamReport, ScamReport, ScamReportCount, ScamReports};
pub use schemes::{
    Coordinator, JoinRequest, Joined, Membership, NewScheme, Scheme, SchemeMessage, Schemes,
};
pub use sqlite::SqliteStore;
pub use staff_accounts::{NewStaff, SignInFailures, StaffAccounts, StaffMember};
pub use surveys::{Answered, Kept, NewSurvey, Respondent, StoredResponse, Survey, Surveys};
pub use templates::{AlertTemplate, AlertTemplates, TemplateContent};

use async_trait::async_trait;
use std::sync::Arc;

/// Seconds since the Unix epoch: how every time is stored, identically on both backends.
pub type Timestamp = i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the record already exists")]
    Conflict,
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(error),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How a resident is looked up.
#[derive(Debug, Clone)]
enum SubscriberKey {
    Id(i64),
    Text(String),
}

/// The database itself: which backend, its schema, and whether it takes writes.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Which backend this is, for logs and `/readyz`.
    fn backend(&self) -> &'static str;
    /// Applies the backend's migrations, then fills in what they leave to code (the plain text
    /// of alerts stored before the archive had it).
    async fn migrate(&self) -> StoreResult<()>;
    /// Whether the database takes a write: one to the `readiness` row, in a transaction rolled
    /// back. A database that answers reads but refuses writes (read-only, a standby, locked by
    /// another writer) fails this.
    async fn check_writable(&self) -> StoreResult<()>;
}

/// Implements `Lifecycle` for a backend's store from its `Dialect`.
macro_rules! impl_lifecycle {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Lifecycle for $store {
            fn backend(&self) -> &'static str {
                <Self as $crate::store::Dialect>::BACKEND
            }

            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                <Self as $crate::store::Dialect>::migrate_schema(self).await?;
                self.render_missing_body_text().await
            }

            async fn check_writable(&self) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO readiness (id, checked_at) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                )
                .bind(chrono::Utc::now().timestamp())
                .execute(&mut *tx)
                .await?;
                tx.rollback().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_lifecycle;

/// The whole store: every aggregate's trait. Code that needs only a part asks for that part's
/// trait; the process holds one `DynStore` and hands it (or the part) to each service.
pub trait Store:
    Lifecycle
    + Catalogue
    + Geography
    + Residents
    + Outbox
    + Feedback
    + StaffAccounts
    + Alerts
    + DeliveryQueue
    + Archive
    + ApiTokens
    + Audit
    + AlertTemplates
    + ScamReports
    + Reports
    + ReportTriage
    + ReportDrafts
    + Conversations
    + LiveChannel
    + ReplyThreads
    + ResidentChats
    + ChatUpkeep
    + Inbox
    + Surveys
    + Schemes
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: Lifecycle
        + Catalogue
        + Geography
        + Residents
        + Outbox
        + Feedback
        + StaffAccounts
        + Alerts
        + DeliveryQueue
        + Archive
        + ApiTokens
        + Audit
        + AlertTemplates
        + ScamReports
        + Reports
        + ReportTriage
        + ReportDrafts
        + Conversations
        + LiveChannel
        + ReplyThreads
        + ResidentChats
        + ChatUpkeep
        + Inbox
        + Surveys
        + Schemes
        + Send
        + Sync
        + 'static
{
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store a URL names (`sqlite://…` or `postgres://…`) and applies its migrations.
pub async fn connect(url: &str) -> anyhow::Result<DynStore> {
    use anyhow::Context;
    let store: DynStore = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PgStore::connect(url).await.with_context(|| {
            format!(
                "connecting to PostgreSQL at {}",
                crate::config::redact_url_password(url)
            )
        })?)
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Arc::new(
            SqliteStore::open(std::path::Path::new(path))
                .await
                .with_context(|| format!("opening the SQLite database {path}"))?,
        )
    } else {
        anyhow::bail!("database_url must start with sqlite:// or postgres://");
    };
    store.migrate().await.context("applying migrations")?;
    store
        .seed_catalogue()
        .await
        .context("seeding the catalogue")?;
    Ok(store)
}
