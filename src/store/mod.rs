//! Storage: one `Store` trait with two implementations, SQLite (the embedded default) and
//! PostgreSQL (for deployments with several processes). Both run the same behaviour suite.
//! Queries are written once in `shared.rs` (both backends accept `$1` placeholders) and
//! instantiated for each pool; what differs (bulk loading, connection set-up) lives per backend.

#[macro_use]
mod shared;
mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use shared::is_stop_word;
pub use sqlite::SqliteStore;

use crate::domain::staff::{Permissions, StaffDetails};
use crate::domain::subscriber::{EmailFormat, Preferences};
use crate::domain::{MessageType, Provider};
use crate::geo::districts::District;
use crate::geo::onspd::PostcodeRecord;
use async_trait::async_trait;
use std::sync::Arc;

/// Replies one resident may send about one alert.
pub const MAX_REPLIES_PER_ALERT: i64 = 5;

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

/// Where a postcode is, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PostcodeLocation {
    pub postcode: String,
    pub district_code: Option<String>,
    pub district_name: Option<String>,
    pub easting: Option<i32>,
    pub northing: Option<i32>,
    pub terminated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberStatus {
    /// Signed up, email address not yet confirmed: nothing but the confirmation is sent.
    Pending,
    Active,
    Unsubscribed,
}

impl SubscriberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberStatus::Pending => "pending",
            SubscriberStatus::Active => "active",
            SubscriberStatus::Unsubscribed => "unsubscribed",
        }
    }

    fn parse(value: &str) -> StoreResult<Self> {
        match value {
            "pending" => Ok(SubscriberStatus::Pending),
            "active" => Ok(SubscriberStatus::Active),
            "unsubscribed" => Ok(SubscriberStatus::Unsubscribed),
            other => Err(StoreError::Corrupt(format!("subscriber status {other:?}"))),
        }
    }
}

/// A resident as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Subscriber {
    pub id: i64,
    /// The random identifier carried in signed links (never the sequential id).
    pub public_id: String,
    pub email: String,
    pub status: SubscriberStatus,
    pub preferences: Preferences,
    pub mobile_confirmed_at: Option<Timestamp>,
    #[serde(skip)]
    pub mobile_code_hash: Option<String>,
    #[serde(skip)]
    pub mobile_code_expires_at: Option<Timestamp>,
    #[serde(skip)]
    pub mobile_code_attempts: i64,
    #[serde(skip)]
    pub confirm_nonce: Option<String>,
    pub confirm_sent_at: Option<Timestamp>,
    /// Bumped to invalidate every manage and unsubscribe link issued so far.
    #[serde(skip)]
    pub token_version: i64,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub unsubscribed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

impl Subscriber {
    pub fn email_format(&self) -> EmailFormat {
        self.preferences.email_format
    }
}

/// A sign-up about to be stored.
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub public_id: String,
    pub email: String,
    pub email_key: String,
    pub preferences: Preferences,
    pub confirm_nonce: String,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboundChannel {
    Email,
    Sms,
}

impl OutboundChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundChannel::Email => "email",
            OutboundChannel::Sms => "sms",
        }
    }
}

/// A rendered message waiting to be sent. The payload is the channel's own serialised form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbound {
    pub subscriber_id: Option<i64>,
    pub channel: OutboundChannel,
    pub purpose: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    pub id: i64,
    pub subscriber_id: Option<i64>,
    pub channel: OutboundChannel,
    pub purpose: String,
    pub payload: String,
    pub attempts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    AlreadyConfirmed,
    /// The link was replaced by a newer one, or the resident has gone.
    Invalid,
}

/// A message sent (or being sent) to a resident, without its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboundRecord {
    pub channel: String,
    pub purpose: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
}

/// Counts of what the outbound queue holds, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OutboundCounts {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
}

/// A staff member as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffMember {
    pub id: i64,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub role_title: String,
    pub area_label: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub permissions: Permissions,
    pub active: bool,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub enrolment_nonce: Option<String>,
    pub failed_sign_ins: i64,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl StaffMember {
    /// Enrolled: has a password and a second factor, so may sign in.
    pub fn is_enrolled(&self) -> bool {
        self.password_hash.is_some() && self.totp_secret.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct NewStaff {
    pub public_id: String,
    pub email: String,
    pub email_key: String,
    pub name: String,
    pub role_title: String,
    pub area_label: String,
    pub provider_id: i64,
    pub permissions: Permissions,
    pub enrolment_nonce: String,
    pub now: Timestamp,
}

/// A line to add to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    /// Who acted, in words ("Lucy Ward", or a masked email for a failed sign-in).
    pub actor: String,
    pub action: String,
    pub refused: bool,
    /// What the action was about ("alert 12345", "staff Tom Okafor").
    pub subject: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub subject: String,
    pub detail: String,
    pub ip: String,
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub staff_id: Option<i64>,
    pub action: Option<String>,
    pub refused_only: bool,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

/// Where an alert is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Draft,
    AwaitingApproval,
    /// Approved (or needing no approval): may be sent or scheduled.
    Ready,
    Scheduled,
    /// Handed to delivery.
    Queued,
    Cancelled,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Draft => "draft",
            AlertStatus::AwaitingApproval => "awaiting_approval",
            AlertStatus::Ready => "ready",
            AlertStatus::Scheduled => "scheduled",
            AlertStatus::Queued => "queued",
            AlertStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AlertStatus::Draft => "Draft",
            AlertStatus::AwaitingApproval => "Waiting for approval",
            AlertStatus::Ready => "Ready to send",
            AlertStatus::Scheduled => "Scheduled",
            AlertStatus::Queued => "Sent",
            AlertStatus::Cancelled => "Cancelled",
        }
    }

    fn parse(value: &str) -> StoreResult<Self> {
        Ok(match value {
            "draft" => AlertStatus::Draft,
            "awaiting_approval" => AlertStatus::AwaitingApproval,
            "ready" => AlertStatus::Ready,
            "scheduled" => AlertStatus::Scheduled,
            "queued" => AlertStatus::Queued,
            "cancelled" => AlertStatus::Cancelled,
            other => return Err(StoreError::Corrupt(format!("alert status {other:?}"))),
        })
    }
}

/// An alert's content, as composed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertContent {
    pub provider_id: i64,
    pub message_type_id: i64,
    pub priority: i64,
    pub title: String,
    pub body_markdown: String,
    pub sms_text: Option<String>,
    pub target_json: String,
    pub target_description: String,
    /// Kept to its subscribers: never on the public archive, in feeds or the public API.
    pub private: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub content: AlertContent,
    /// The member of staff who wrote it, or `None` for an alert sent in through an API token.
    pub author_staff_id: Option<i64>,
    pub api_token_id: Option<i64>,
    pub signoff: crate::domain::alert::SignOff,
    pub needs_approval: bool,
    pub follows_alert_id: Option<i64>,
    pub follow_up: Option<String>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: i64,
    pub content: AlertContent,
    pub provider_name: String,
    pub message_type_name: String,
    pub status: AlertStatus,
    pub author_staff_id: Option<i64>,
    pub api_token_id: Option<i64>,
    pub signoff: crate::domain::alert::SignOff,
    pub needs_approval: bool,
    pub approver_staff_id: Option<i64>,
    pub approved_at: Option<Timestamp>,
    pub scheduled_for: Option<Timestamp>,
    pub queued_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub follows_alert_id: Option<i64>,
    pub follow_up: Option<String>,
    pub created_at: Timestamp,
}

/// A token with which another system composes and sends alerts for one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// A change of an alert's status, made only if it is in one of the `from` states.
#[derive(Debug, Clone, Default)]
pub struct AlertTransition {
    pub approver_staff_id: Option<i64>,
    pub scheduled_for: Option<Timestamp>,
}

/// One chunk of a sent alert's fan-out: the deliveries for residents with ids from `from` up to
/// (not including) `next`, recorded together with the cursor's move.
#[derive(Debug, Clone)]
pub struct FanoutChunk {
    pub alert_id: i64,
    pub priority: i64,
    /// Where the cursor must still be (another worker may have moved it meanwhile).
    pub from: i64,
    /// Where the cursor moves to; `None` when the alert is fully expanded.
    pub next: Option<i64>,
    pub deliveries: Vec<(i64, OutboundChannel)>,
    pub now: Timestamp,
    pub lease_until: Timestamp,
}

/// Whose alerts a claim may take deliveries of, by the organisation (provider) that sent them:
/// each organisation with a gateway account of its own has a worker lane of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SenderScope {
    #[default]
    All,
    /// Only alerts from these providers.
    Only(Vec<i64>),
    /// Alerts from every provider but these.
    Except(Vec<i64>),
}

impl SenderScope {
    /// The scope as a condition on a delivery's `alert_id`, to follow `AND`; ids are numbers,
    /// written inline.
    pub fn condition(&self) -> String {
        let list = |ids: &[i64]| {
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            SenderScope::All => "TRUE".to_owned(),
            SenderScope::Only(ids) if ids.is_empty() => "FALSE".to_owned(),
            SenderScope::Except(ids) if ids.is_empty() => "TRUE".to_owned(),
            SenderScope::Only(ids) => {
                format!(
                    "alert_id IN (SELECT id FROM alerts WHERE provider_id IN ({}))",
                    list(ids)
                )
            }
            SenderScope::Except(ids) => format!(
                "alert_id IN (SELECT id FROM alerts WHERE provider_id NOT IN ({}))",
                list(ids)
            ),
        }
    }
}

/// A claimed delivery with what its sending needs to know about the resident, as they are now.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryTarget {
    pub id: i64,
    pub alert_id: i64,
    pub subscriber_id: i64,
    pub channel: OutboundChannel,
    /// This claim's number: marking the delivery sent needs it to still be the latest.
    pub attempts: i64,
    /// The gateway's id for a text a previous claim may already have sent.
    pub gateway_id: Option<String>,
    /// When this claim lapses and another worker may take the delivery over.
    pub lease_until: Timestamp,
    pub name: String,
    pub email: String,
    pub mobile: Option<String>,
    pub public_id: String,
    pub token_version: i64,
    pub email_format: EmailFormat,
    /// Still active and still taking this channel (address not suspended, mobile confirmed).
    pub wants_channel: bool,
    pub quiet_hours: Option<(String, String)>,
}

/// How one channel of an alert's deliveries stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChannelCounts {
    pub targeted: i64,
    pub pending: i64,
    /// Waiting for quiet hours to end.
    pub held: i64,
    pub sent: i64,
    /// Confirmed delivered by the gateway (texts).
    pub delivered: i64,
    pub failed: i64,
}

/// The delivery report of an alert.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DeliveryReport {
    pub email: ChannelCounts,
    pub sms: ChannelCounts,
    /// Every matching resident has their deliveries recorded.
    pub fanout_done_at: Option<Timestamp>,
    /// Messages sent per minute since the alert was sent: (minute start, emails, texts).
    pub timeline: Vec<(Timestamp, i64, i64)>,
    /// Failure reasons and how many deliveries each stopped, most first.
    pub failures: Vec<(String, i64)>,
    pub useful: i64,
    pub not_useful: i64,
    pub replies: Vec<AlertReply>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertReply {
    pub id: i64,
    pub first_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// An address or number suspended after repeated permanent failures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContactProblem {
    pub subscriber_id: i64,
    pub public_id: String,
    pub name: String,
    pub channel: OutboundChannel,
    /// The address or number (shown to admins only).
    pub contact: String,
    pub failures: i64,
    pub suspended_at: Timestamp,
}

/// A sent alert as the public sees it: on the archive, in feeds and through the public API.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PublicAlert {
    pub id: i64,
    pub title: String,
    pub body_markdown: String,
    pub provider_slug: String,
    pub provider_name: String,
    pub message_type_slug: String,
    pub message_type_name: String,
    /// 1 (highest) to 5.
    pub priority: i64,
    /// When it was sent.
    pub sent_at: Timestamp,
    pub signoff: crate::domain::alert::SignOff,
    /// The area in words ("South Cambridgeshire, within 5 km of Melbourn").
    pub area: String,
    /// The target as stored (`geo::target::AreaTarget` JSON), for maps and CAP areas.
    pub target_json: String,
    /// The districts (ONS codes) the alert concerns, for filters and feeds.
    pub district_codes: Vec<String>,
    /// The alert this one updates or withdraws, and which ("update" or "cancel").
    pub follows_alert_id: Option<i64>,
    pub follow_up: Option<String>,
    /// Where an imported alert came from (the archive import); `None` for alerts sent here.
    pub imported_from: Option<String>,
    /// The provider as the source named it, for an imported alert ("Action Fraud (NFIB)").
    pub imported_provider: Option<String>,
    /// What the import inferred because the source did not say ("message_type", "title"...).
    pub imported_inferred: Vec<String>,
}

/// An alert read from another service's archive, to store as sent (to nobody) in one step.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedAlert {
    pub content: AlertContent,
    pub signoff: crate::domain::alert::SignOff,
    /// When the source says it was sent (or the import's stand-in date, see `inferred`).
    pub sent_at: Timestamp,
    /// The source in words ("eCops email export ecops-2022.txt, line 63").
    pub imported_from: String,
    pub imported_provider: Option<String>,
    /// What was inferred: "provider", "message_type", "title", "date".
    pub inferred: Vec<String>,
    /// The fingerprint that makes a second import of the same alert store nothing.
    pub import_key: String,
    pub district_codes: Vec<String>,
    pub now: Timestamp,
}

/// Which public alerts to list. Every field narrows the list; all empty: every public alert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveFilter {
    /// ONS district code.
    pub district: Option<String>,
    pub provider: Option<String>,
    pub message_type: Option<String>,
    /// Sent at or after / before, Unix seconds.
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Words to search titles and bodies for (plain words: no query syntax).
    pub query: Option<String>,
    /// Without a query: only alerts sent before this (sent_at, id), newest first.
    pub before: Option<(Timestamp, i64)>,
    /// With a query (ranked results): how many of the best to skip.
    pub offset: i64,
    pub limit: i64,
}

/// One alert in a list, with a highlighted snippet when searching.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArchiveHit {
    pub alert: PublicAlert,
    /// Plain text around the matched words, matches between U+0001 and U+0002 (the caller
    /// escapes it and turns those into `<mark>`); `None` without a query.
    pub snippet: Option<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and `/readyz`.
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;

    // The catalogue.
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
    async fn message_types(&self) -> StoreResult<Vec<MessageType>>;

    // Geography.
    async fn upsert_districts(&self, districts: &[District]) -> StoreResult<()>;
    async fn districts(&self) -> StoreResult<Vec<District>>;
    /// Brings the planner's statistics of the delivery queue up to date after it has grown by
    /// a large fan-out. PostgreSQL plans the claim query from statistics gathered when the
    /// queue was small (and keeps the plan until they change); SQLite needs nothing.
    async fn refresh_delivery_statistics(&self) -> StoreResult<()> {
        Ok(())
    }
    /// How many bulk writes (such as postcode batches) are worth running at once.
    fn bulk_writers(&self) -> usize {
        1
    }
    /// Inserts or replaces a batch of postcodes in one transaction; where a postcode appears
    /// more than once in the batch, the last record wins.
    async fn upsert_postcodes(&self, batch: &[PostcodeRecord]) -> StoreResult<()>;
    async fn postcode_count(&self) -> StoreResult<i64>;
    async fn find_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeLocation>>;

    // Residents.
    /// Stores a pending sign-up and its confirmation email together, or neither.
    async fn insert_pending_subscriber(
        &self,
        new: &NewSubscriber,
        confirmation: Option<&NewOutbound>,
    ) -> StoreResult<i64>;
    async fn subscriber(&self, id: i64) -> StoreResult<Option<Subscriber>>;
    async fn subscriber_by_public_id(&self, public_id: &str) -> StoreResult<Option<Subscriber>>;
    async fn subscriber_by_email_key(&self, email_key: &str) -> StoreResult<Option<Subscriber>>;
    /// Puts an unconfirmed or unsubscribed resident back to pending with new preferences and a new
    /// confirmation nonce, and queues the confirmation email, in one transaction. Coming back
    /// from unsubscribed bumps the link version, revoking links sent before. Changes nothing and
    /// returns false if the resident is active (confirmed meanwhile).
    async fn restart_pending(
        &self,
        id: i64,
        preferences: &Preferences,
        nonce: &str,
        now: Timestamp,
        confirmation: &NewOutbound,
    ) -> StoreResult<bool>;
    /// Uses up the confirmation nonce: succeeds once per nonce.
    async fn confirm_subscriber(
        &self,
        id: i64,
        nonce: &str,
        now: Timestamp,
    ) -> StoreResult<ConfirmOutcome>;
    /// Replaces a resident's preferences. A changed mobile number is unconfirmed again.
    async fn update_preferences(
        &self,
        id: i64,
        preferences: &Preferences,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Stores a new mobile confirmation code (hashed) and queues the text carrying it.
    async fn set_mobile_code(
        &self,
        id: i64,
        code_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
        text: &NewOutbound,
    ) -> StoreResult<()>;
    /// Counts one try at the mobile code and returns the code's hash and expiry, or `None` when
    /// there is no code or the tries are used up.
    async fn take_mobile_code_attempt(
        &self,
        id: i64,
        max_attempts: i64,
    ) -> StoreResult<Option<(String, Timestamp)>>;
    async fn confirm_mobile(&self, id: i64, now: Timestamp) -> StoreResult<()>;
    async fn unsubscribe(&self, id: i64, now: Timestamp) -> StoreResult<()>;
    /// Deletes a resident and everything stored about them (places, choices, queued messages).
    async fn erase_subscriber(&self, id: i64) -> StoreResult<bool>;
    /// Deletes sign-ups never confirmed whose last confirmation email went out before `before`;
    /// returns how many.
    async fn purge_pending(&self, before: Timestamp) -> StoreResult<u64>;
    async fn count_subscribers(&self, status: SubscriberStatus) -> StoreResult<i64>;

    // The outbound queue.
    async fn enqueue_outbound(&self, message: &NewOutbound, now: Timestamp) -> StoreResult<i64>;
    /// Claims up to `limit` due messages until `lease_until`; a message whose worker died is
    /// claimed again once its lease has run out.
    async fn claim_outbound(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<OutboundMessage>>;
    /// Records a message as sent. Its payload (personal data, codes) is blanked: only the
    /// record that it was sent remains.
    async fn mark_outbound_sent(&self, id: i64, now: Timestamp) -> StoreResult<()>;
    async fn mark_outbound_retry(
        &self,
        id: i64,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> StoreResult<()>;
    /// Records a message as given up, blanking its payload as `mark_outbound_sent` does.
    async fn mark_outbound_failed(&self, id: i64, now: Timestamp, error: &str) -> StoreResult<()>;
    /// What was sent to a resident (not the content): messages about their subscription and
    /// the alerts delivered to them, oldest first, for their data download.
    async fn outbound_history(&self, subscriber_id: i64) -> StoreResult<Vec<OutboundRecord>>;
    async fn outbound_counts(&self) -> StoreResult<OutboundCounts>;
    /// A resident's ratings and replies, oldest first: (alert id, what, when), for their data
    /// download.
    async fn subscriber_feedback(
        &self,
        subscriber_id: i64,
    ) -> StoreResult<Vec<(i64, String, Timestamp)>>;

    // Staff.
    async fn insert_staff(&self, new: &NewStaff) -> StoreResult<i64>;
    async fn staff(&self, id: i64) -> StoreResult<Option<StaffMember>>;
    async fn staff_by_public_id(&self, public_id: &str) -> StoreResult<Option<StaffMember>>;
    async fn staff_by_email_key(&self, email_key: &str) -> StoreResult<Option<StaffMember>>;
    async fn list_staff(&self) -> StoreResult<Vec<StaffMember>>;
    async fn count_staff(&self) -> StoreResult<i64>;
    /// Changes a member's details and permissions (not their credentials).
    async fn update_staff(
        &self,
        id: i64,
        details: &StaffDetails,
        provider_id: i64,
        active: bool,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Starts (or restarts) enrolment: clears the credentials, sessions and recovery codes and
    /// sets the nonce the enrolment link carries.
    async fn reset_staff_credentials(
        &self,
        id: i64,
        nonce: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Completes enrolment with the nonce from the link: succeeds once.
    async fn enrol_staff(
        &self,
        id: i64,
        nonce: &str,
        password_hash: &str,
        totp_secret: &str,
        recovery_code_hashes: &[String],
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Records a failed sign-in, locking the account until `locked_until` if given.
    async fn record_sign_in_failure(
        &self,
        id: i64,
        locked_until: Option<Timestamp>,
    ) -> StoreResult<()>;
    /// Records a successful sign-in with the TOTP time step used (never accepted again).
    async fn record_sign_in_success(&self, id: i64, totp_step: Option<i64>) -> StoreResult<()>;
    /// Marks a recovery code used; false if it was not one of the member's unused codes.
    async fn use_recovery_code(
        &self,
        id: i64,
        code_hash: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn unused_recovery_codes(&self, id: i64) -> StoreResult<i64>;

    // Staff sessions.
    async fn create_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// The member a live session belongs to, marking it seen.
    async fn session_staff(
        &self,
        token_hash: &str,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> StoreResult<Option<StaffMember>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    // Alerts.
    async fn insert_alert(&self, alert: &NewAlert) -> StoreResult<i64>;
    async fn alert(&self, id: i64) -> StoreResult<Option<Alert>>;
    /// Newest first; one organisation's, or everyone's.
    async fn list_alerts(&self, provider_id: Option<i64>, limit: i64) -> StoreResult<Vec<Alert>>;
    /// Moves an alert from one of `from` to `to`, recording who approved it or when it is due;
    /// false (and no change) if it was in none of `from`.
    async fn transition_alert(
        &self,
        id: i64,
        from: &[AlertStatus],
        to: AlertStatus,
        change: &AlertTransition,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Queues the scheduled alerts that are due; returns their ids.
    async fn release_due_alerts(&self, now: Timestamp) -> StoreResult<Vec<i64>>;
    /// Every active resident's places with where they are and what they chose, in resident
    /// order, for the audience index.
    async fn audience_entries(&self) -> StoreResult<Vec<crate::geo::audience::AudienceEntry>>;
    /// Every located postcode in a box of the grid: (district code, easting, northing).
    async fn postcodes_in_box(
        &self,
        easting: (i32, i32),
        northing: (i32, i32),
    ) -> StoreResult<Vec<(String, i32, i32)>>;
    /// Changes whenever residents are added, changed or removed: (count, latest change).
    async fn subscribers_marker(&self) -> StoreResult<(i64, i64)>;

    // Alert delivery.
    /// Gives up a claim on an alert's fan-out (after a failure), so that the next pass takes
    /// it up again at once rather than when the lease runs out.
    async fn release_fanout(&self, alert_id: i64) -> StoreResult<()>;
    /// Takes the fan-out of a sent alert that is not yet fully expanded and not held by a live
    /// lease; returns the alert and the resident id its cursor stands at.
    async fn claim_fanout(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<(Alert, i64)>>;
    /// Moves the cursor and inserts a chunk of deliveries (one per alert x resident x
    /// channel), in one transaction; `None`, with nothing written, if the cursor was no longer
    /// at `chunk.from`. Returns the number of rows inserted otherwise. A chunk is recorded
    /// once: its rows exist exactly when the cursor has moved past it, and the cursor only
    /// moves forward in the senders' workflow (an alert is queued once). Should a row exist all
    /// the same (a cursor set back), `UNIQUE (alert_id, subscriber_id, channel)` refuses the
    /// chunk, which is then written again skipping the rows already there.
    async fn record_fanout_chunk(&self, chunk: &FanoutChunk) -> StoreResult<Option<u64>>;
    /// Claims up to `limit` due deliveries of one channel, most urgent alert first, until
    /// `lease_until`, with what sending needs to know about each resident.
    async fn claim_deliveries(
        &self,
        channel: OutboundChannel,
        senders: &SenderScope,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryTarget>>;
    /// Marks deliveries sent, each only if it is still pending under the claim given
    /// `(id, attempts)`; returns the ids marked. Committed before the message is let go.
    async fn mark_deliveries_sent(
        &self,
        claims: &[(i64, i64)],
        gateway_ids: &[Option<String>],
        now: Timestamp,
    ) -> StoreResult<Vec<i64>>;
    /// Marks deliveries sent that a dead worker's journal shows it handed to the mail server
    /// (whatever claim they are under); returns how many were still pending.
    async fn recover_sent(&self, ids: &[i64], now: Timestamp) -> StoreResult<u64>;
    /// Makes claims `(id, attempts)` end at `until` (later, to keep them; now, to give them
    /// up), each only if it is still that claim (not since taken by another worker, nor
    /// settled); returns the ids changed.
    async fn renew_claims(&self, claims: &[(i64, i64)], until: Timestamp) -> StoreResult<Vec<i64>>;
    /// Puts a delivery back to wait until `next_attempt_at`; `held` marks a wait for quiet
    /// hours, which does not count as an attempt.
    /// Only under the claim `attempts` (a lapsed claim changes nothing).
    async fn retry_delivery(
        &self,
        id: i64,
        attempts: i64,
        next_attempt_at: Timestamp,
        error: &str,
        held: bool,
    ) -> StoreResult<()>;
    /// Records a delivery as failed for good. `contact_failed` counts a permanent failure
    /// against the resident's address or number, suspending it after `suspend_after`.
    /// Only under the claim `attempts` (a lapsed claim changes nothing).
    async fn fail_delivery(
        &self,
        id: i64,
        attempts: i64,
        now: Timestamp,
        error: &str,
        contact_failed: bool,
        suspend_after: i64,
    ) -> StoreResult<()>;
    /// Applies a gateway's delivery-status callback; false if no delivery has that id.
    /// `error` is `None` for a delivered text; `contact_failed` counts a permanent failure against
    /// the number as `fail_delivery` does. The delivery is found by the gateway's id or, where no
    /// gateway id is recorded yet, by (alert id, delivery id) carried in the text's reference (a
    /// receipt may beat the record of the send). Only a delivery not yet final changes.
    async fn delivery_status(
        &self,
        gateway_id: &str,
        delivery: Option<(i64, i64)>,
        error: Option<&str>,
        contact_failed: bool,
        now: Timestamp,
        suspend_after: i64,
    ) -> StoreResult<bool>;
    async fn delivery_report(&self, alert_id: i64) -> StoreResult<DeliveryReport>;
    /// Reserves `n` sends from a pacing cell (a channel's, or one gateway account's) paced at
    /// one per `interval_ms`: returns when the first may leave (the rest follow one interval
    /// apart), or `None` if that is more than `horizon_ms` away. Shared by every worker, so the
    /// rate holds across processes.
    async fn reserve_sends(
        &self,
        cell: &str,
        now_ms: i64,
        interval_ms: i64,
        n: i64,
        horizon_ms: i64,
    ) -> StoreResult<Option<i64>>;
    /// A resident's rating of an alert they were sent; false if it was not sent to them.
    async fn rate_alert(
        &self,
        alert_id: i64,
        subscriber_id: i64,
        useful: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Stores a reply; false if the alert never reached the resident or they have sent
    /// `MAX_REPLIES_PER_ALERT` already.
    async fn add_alert_reply(
        &self,
        alert_id: i64,
        subscriber_id: i64,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn contact_problems(&self) -> StoreResult<Vec<ContactProblem>>;
    /// An admin lifts a suspension (the address works again, the resident says so): Beacon
    /// sends to it again and counts its failures afresh. False if it was not suspended.
    async fn lift_contact_suspension(
        &self,
        subscriber_id: i64,
        channel: OutboundChannel,
        now: Timestamp,
    ) -> StoreResult<bool>;

    // The public archive.
    /// Public sent alerts matching the filter: newest first, or best match first when
    /// searching.
    async fn public_alerts(&self, filter: &ArchiveFilter) -> StoreResult<Vec<ArchiveHit>>;
    /// One public sent alert.
    async fn public_alert(&self, id: i64) -> StoreResult<Option<PublicAlert>>;
    /// Stores an imported alert as sent, with its districts, in one transaction. `None` when an
    /// alert with the same `import_key` is already stored (nothing is changed).
    async fn import_alert(&self, alert: &ImportedAlert) -> StoreResult<Option<i64>>;
    /// The alert stored with this import fingerprint, if any.
    async fn imported_alert_id(&self, import_key: &str) -> StoreResult<Option<i64>>;
    /// Records a draft or ready alert as sent at `sent_at` without delivering it to anyone: an
    /// alert from another service's archive, or the demo's history. False if it was neither.
    async fn archive_alert(
        &self,
        id: i64,
        sent_at: Timestamp,
        imported_from: Option<&str>,
    ) -> StoreResult<bool>;
    /// Records the districts a sent alert concerns (replacing any recorded before).
    async fn set_alert_districts(&self, alert_id: i64, codes: &[String]) -> StoreResult<()>;
    /// When the archive last changed (an alert sent or withdrawn), for caching.
    async fn archive_changed_at(&self) -> StoreResult<Timestamp>;

    // API tokens.
    async fn insert_api_token(
        &self,
        provider_id: i64,
        name: &str,
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

    // The audit log: append and read, never change.
    async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<()>;
    async fn audit_entries(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>>;
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
