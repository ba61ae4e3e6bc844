//! Use cases: what residents and operators do (sign up, confirm, manage preferences, unsubscribe,
//! import postcodes and alert archives), each a function over the `AppContext`. The web and CLI call these and
//! nothing below them.

mod alert_email;
pub mod alerts;
pub mod api_tokens;
pub mod approval_mail;
pub mod approvals;
pub mod archive;
pub mod catalogue;
pub mod chat;
pub mod chat_figures;
pub mod chat_transcript;
pub mod compose;
pub mod delivery;
pub mod district_page;
pub mod feedback;
pub mod feeds;
pub mod health;
pub mod import;
pub mod inbox;
pub mod live;
pub mod messages;
pub mod open311;
pub mod postcodes;
pub mod rate_limit;
pub mod report_drafts;
pub mod report_figures;
pub mod report_kinds;
pub mod report_review;
pub mod report_triage;
pub mod reporter_data;
pub mod reports;
pub mod scam_check;
pub mod scheme_coordinators;
pub mod schemes;
pub mod staff;
pub mod staff_home;
pub mod subscriptions;
pub mod survey_links;
pub mod surveys;
pub mod suspensions;
pub mod templates;
pub mod tokens;

use crate::config::Settings;
use crate::geo::audience::AudienceIndex;
use crate::store::DynStore;
use rate_limit::RateLimiter;
use std::sync::Arc;
use std::time::Duration;
use tokens::Signer;
use tokio::sync::Notify;

/// The audience index and the residents' marker (count, latest change) it was built for.
pub type CachedAudience = ((i64, i64), Arc<AudienceIndex>);

/// What every use case needs: the store, the settings, the signing key, the rate limits, a way
/// to wake the outbound worker when a message is queued, and a count of this process's changes
/// to the public archive.
pub struct AppContext {
    pub store: DynStore,
    pub settings: Arc<Settings>,
    pub signer: Signer,
    pub limiter: RateLimiter,
    /// A two-minute window for telling a repeat (a double click) from a new request.
    pub repeat_guard: RateLimiter,
    /// The scam checker's limits per address: checks a minute, and the same text in ten
    /// minutes (`scam_check`).
    pub scam_checks: RateLimiter,
    pub scam_repeats: RateLimiter,
    pub outbound_wakeup: Arc<Notify>,
    /// Wakes this process's fan-out when an alert is sent.
    pub fanout_wakeup: Arc<Notify>,
    /// Wakes this process's email and text workers when deliveries are recorded.
    pub delivery_wakeup: Arc<Notify>,
    /// Whom alerts reach: built from the store on first use, rebuilt when residents change.
    pub audience: tokio::sync::RwLock<Option<CachedAudience>>,
    /// Bumped whenever this process changes what the public archive shows, so that the web's
    /// page cache drops its pages at once rather than at its next look at the store.
    pub archive_edits: archive::ArchiveEdits,
    /// The last readiness check's answer, reused for a moment (`health`).
    pub readiness: health::ReadinessChecks,
    /// The contact centre's live events (`live`).
    pub live: live::Live,
    /// Messages a resident sends in each chat in a minute (`chat`).
    pub chat_messages: RateLimiter,
}

impl AppContext {
    pub fn new(store: DynStore, settings: Settings, signer: Signer) -> AppContext {
        AppContext {
            live: live::Live::over(store.clone()),
            store,
            settings: Arc::new(settings),
            signer,
            limiter: RateLimiter::new(Duration::from_secs(3600)),
            repeat_guard: RateLimiter::new(Duration::from_secs(120)),
            scam_checks: RateLimiter::new(Duration::from_secs(60)),
            scam_repeats: RateLimiter::new(Duration::from_secs(600)),
            outbound_wakeup: Arc::new(Notify::new()),
            fanout_wakeup: Arc::new(Notify::new()),
            delivery_wakeup: Arc::new(Notify::new()),
            audience: tokio::sync::RwLock::new(None),
            archive_edits: archive::ArchiveEdits::default(),
            readiness: health::ReadinessChecks::default(),
            chat_messages: RateLimiter::new(Duration::from_secs(60)),
        }
    }

    /// An absolute link into the site, for emails.
    pub fn link(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.settings.server.public_url.trim_end_matches('/'),
            path
        )
    }
}
