//! Configuration in layers: built-in defaults, then a TOML file (`--config`), then `BEACON_*`
//! environment variables (`BEACON_MAIL__SMTP_HOST` sets `mail.smtp_host`).

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the SQLite database, the secret key and the outbox live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/beacon.db`.
    pub database_url: String,
    /// Key for signing links in emails (hex or any string of 32+ characters). Empty: generated
    /// on first start and kept in `<data_dir>/secret.key`.
    pub secret_key: String,
    pub server: ServerSettings,
    pub mail: MailSettings,
    pub sms: SmsSettings,
    pub delivery: DeliverySettings,
    pub limits: LimitSettings,
    pub log: LogSettings,
    pub branding: BrandingSettings,
    pub map: MapSettings,
    pub reports: ReportSettings,
    pub chat: ChatSettings,
}

/// The most one upload of a report's files may hold (`reports.max_files` ×
/// `reports.max_file_bytes`): the report pages' body limit is this and 1 MiB for the rest, fixed
/// when the routes are declared, so the settings may not ask for more (the defaults, 5 × 10 MiB,
/// take all of it).
pub const MAX_REPORT_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

/// Online reports: what differs between forces (the crime reference format, targets, limits on
/// files, retention, and how Open311 shows reports).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// A regular expression a crime reference must match (Cambridgeshire's: `35/5475/21`).
    pub crime_reference_pattern: String,
    /// An example of a crime reference, shown beside the field.
    pub crime_reference_example: String,
    /// Hours a new report may wait for its THRIVE assessment (48: the force's promise of a
    /// reference or an explanation within 48 hours).
    pub triage_target_hours: i64,
    /// Hours an assessed report may wait for its review decision (120: the Victims' Code's five
    /// working days).
    pub review_target_hours: i64,
    /// Files a resident may attach to a report, or to each addition to it.
    pub max_files: usize,
    /// Largest file, in bytes.
    pub max_file_bytes: usize,
    /// Largest image, in pixels (width × height).
    pub max_image_pixels: u64,
    /// Finished reports (referred, information, closed) are deleted this many days after their
    /// last change.
    pub retention_days: i64,
    /// Open311 lists reports' places rounded to a grid of this many metres.
    pub open311_grid_metres: i64,
    /// Open311 lists reports of the last this many days by default.
    pub open311_default_days: i64,
    /// At most this many reports in one Open311 list.
    pub open311_max_requests: i64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            crime_reference_pattern: r"^35/[0-9]{1,6}/[0-9]{2}$".into(),
            crime_reference_example: "35/5475/21".into(),
            triage_target_hours: 48,
            review_target_hours: 120,
            max_files: 5,
            max_file_bytes: 10 * 1024 * 1024,
            max_image_pixels: 50_000_000,
            retention_days: 730,
            open311_grid_metres: 500,
            open311_default_days: 90,
            open311_max_requests: 1000,
        }
    }
}

/// The contact centre: live web chat and the staff inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatSettings {
    /// The organisation (provider slug) whose operators answer live chats; empty means the
    /// first organisation (the force). Replies to alerts go to the alert's own organisation.
    pub provider: String,
    /// When operators answer chats, as `"Mon-Fri 08:00-20:00; Sat 09:00-13:00"` (UK time);
    /// empty means 24 hours a day, every day.
    pub opening_hours: String,
    /// Closed conversations (their messages and ratings) are deleted this many days after they
    /// end.
    pub retention_days: i64,
    /// Chats an operator takes at once until they change it.
    pub default_capacity: i64,
    /// Messages a resident may send in one chat in a minute.
    pub messages_per_minute: u32,
    /// Chats one address may start in an hour.
    pub chats_per_hour: u32,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            provider: String::new(),
            opening_hours: String::new(),
            retention_days: 365,
            default_capacity: 3,
            messages_per_minute: 20,
            chats_per_hour: 10,
        }
    }
}

impl ChatSettings {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.retention_days > 0,
            "chat.retention_days must be above 0"
        );
        anyhow::ensure!(
            (1..=20).contains(&self.default_capacity),
            "chat.default_capacity must be from 1 to 20 chats at once"
        );
        anyhow::ensure!(
            self.messages_per_minute > 0 && self.chats_per_hour > 0,
            "chat.messages_per_minute and chat.chats_per_hour must be above 0"
        );
        // `opening_hours` is read by the domain's rules, and checked when Beacon starts
        // (`services::chat::check_settings`).
        Ok(())
    }
}

impl ReportSettings {
    /// The crime reference pattern, compiled (checked at start).
    pub fn crime_reference(&self) -> regex::Regex {
        regex::Regex::new(&self.crime_reference_pattern)
            .unwrap_or_else(|_| regex::Regex::new("^$").expect("an empty pattern compiles"))
    }

    fn check(&self) -> anyhow::Result<()> {
        let pattern = regex::Regex::new(&self.crime_reference_pattern).map_err(|error| {
            anyhow::anyhow!(
                "reports.crime_reference_pattern {:?} is not a regular expression: {error}",
                self.crime_reference_pattern
            )
        })?;
        anyhow::ensure!(
            pattern.is_match(&self.crime_reference_example),
            "reports.crime_reference_example {:?} does not match reports.crime_reference_pattern \
             {:?}: give an example of your force's crime references",
            self.crime_reference_example,
            self.crime_reference_pattern
        );
        anyhow::ensure!(
            self.triage_target_hours > 0 && self.review_target_hours > 0,
            "reports.triage_target_hours and reports.review_target_hours must be above 0"
        );
        anyhow::ensure!(
            self.max_files <= 20 && self.max_file_bytes > 0 && self.max_image_pixels > 0,
            "reports.max_files must be 20 or fewer, and the file limits above 0"
        );
        anyhow::ensure!(
            self.max_files.saturating_mul(self.max_file_bytes) <= MAX_REPORT_UPLOAD_BYTES,
            "reports.max_files × reports.max_file_bytes must be {} MiB or less: one page of a \
             report takes no larger a body",
            MAX_REPORT_UPLOAD_BYTES / (1024 * 1024)
        );
        anyhow::ensure!(
            self.retention_days > 0
                && self.open311_grid_metres > 0
                && self.open311_default_days > 0
                && self.open311_max_requests > 0,
            "reports.retention_days and the reports.open311_* settings must be above 0"
        );
        Ok(())
    }
}

/// Map tiles shown beneath the staff pages' maps, from a tile server the deployment may use
/// (OpenStreetMap's, under its tile usage policy, or Ordnance Survey's with a key). Empty: the
/// maps draw their districts and towns on plain ground, and nothing is fetched from elsewhere.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapSettings {
    /// A Web Mercator tile address with `{z}`, `{x}` and `{y}`, such as
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
    pub tile_url: String,
    /// The credit the tiles' licence asks for, shown under each map ("© OpenStreetMap
    /// contributors").
    pub attribution: String,
}

impl MapSettings {
    /// The tile server's origin (`https://tile.openstreetmap.org`), for the pages' content
    /// security policy; `None` when no tiles are configured.
    pub fn tile_origin(&self) -> Option<String> {
        let url = self.tile_url.trim();
        let rest = url
            .strip_prefix("https://")
            .map(|rest| ("https://", rest))
            .or_else(|| url.strip_prefix("http://").map(|rest| ("http://", rest)))?;
        let host = rest.1.split('/').next().unwrap_or_default();
        Some(format!("{}{host}", rest.0))
    }

    /// A tile address that is not http(s) with a plain host and all three placeholders, or
    /// tiles without their credit, refused at start.
    fn check(&self) -> anyhow::Result<()> {
        let url = self.tile_url.trim();
        if url.is_empty() {
            return Ok(());
        }
        let host_ok = self.tile_origin().is_some_and(|origin| {
            let host = origin.split("://").nth(1).unwrap_or_default();
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        let plain = url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | ';' | ',' | '<' | '>'));
        anyhow::ensure!(
            host_ok
                && plain
                && ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)),
            "map.tile_url {url:?} is not a tile address: give an http(s) address with {{z}}, {{x}} \
             and {{y}}, such as \"https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png\""
        );
        anyhow::ensure!(
            !self.attribution.trim().is_empty(),
            "map.attribution is empty: tiles come with a credit their licence asks for, such as \
             \"© OpenStreetMap contributors\""
        );
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    /// The address residents reach Beacon at, used to build links in emails.
    pub public_url: String,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// Mark cookies `Secure`. On by default; `beacon demo` serves plain HTTP on loopback and
    /// turns it off there.
    pub secure_cookies: bool,
    /// Public pages, feeds and API answers kept whole in memory, each once per compression
    /// (0: none are kept, every request is rendered afresh).
    pub page_cache_entries: usize,
    /// Most bytes the kept pages may take together; the least recently used go first.
    pub page_cache_bytes: usize,
    /// Seconds a client has to send a request's headers, counted from when the connection opens
    /// or the previous response on it ends: a kept-alive connection waiting for its next
    /// request is closed after this too.
    pub header_read_timeout_secs: u64,
    /// Seconds a request may take, reading its body included, before it is answered 408.
    pub request_timeout_secs: u64,
    /// Seconds a connection may go without a byte moving either way (a client that stops
    /// reading its response, or stalls in the middle of it) before it is closed. More than
    /// `request_timeout_secs`, so a request still within its time is never cut off.
    pub idle_timeout_secs: u64,
    /// Connections served at once; more wait in the listen queue until one closes.
    pub max_connections: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// One `.eml` file per message under `outbox_dir`.
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// The From header of every email.
    pub from: String,
    /// Empty means `<data_dir>/outbox/email`.
    pub outbox_dir: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: String,
    pub smtp_password: String,
    /// Seconds to wait for the SMTP server before treating an attempt as failed.
    pub smtp_timeout_secs: u64,
    /// A PEM file of certificates to trust for the SMTP server instead of the platform's roots
    /// (for a relay with a private CA). Empty: the platform's roots.
    pub smtp_ca_file: String,
    /// SMTP connections each worker keeps open and sends alerts over at once.
    pub smtp_connections: usize,
    /// Most alert emails sent a minute, across every worker (0: no limit).
    pub rate_per_minute: u32,
    /// DKIM signing (RSA-SHA256): the signing domain, the selector and a PKCS#1 PEM private key
    /// file (`BEGIN RSA PRIVATE KEY`). All three empty: no signature.
    pub dkim_domain: String,
    pub dkim_selector: String,
    pub dkim_private_key_file: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransport {
    /// One `.json` file per text under `outbox_dir`.
    File,
    /// An HTTP gateway speaking GOV.UK Notify's v2 API.
    Notify,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    pub transport: SmsTransport,
    /// Empty means `<data_dir>/outbox/sms`.
    pub outbox_dir: String,
    /// The gateway's base URL (GOV.UK Notify's, or a compatible one).
    pub notify_base_url: String,
    /// Notify API key: `<key name>-<service id>-<secret>`, both ids UUIDs.
    pub notify_api_key: String,
    /// The Notify SMS template whose body is `((body))`.
    pub notify_template_id: String,
    /// The bearer token Notify sends with delivery-status callbacks (empty: callbacks refused).
    pub notify_callback_token: String,
    /// Most texts sent a minute, across every worker (Notify allows 3,000 a minute).
    pub rate_per_minute: u32,
    /// Organisations with a gateway account of their own: their texts go through it, at its
    /// rate, in a lane of their own; every other organisation's go through the account above.
    pub accounts: Vec<SmsAccount>,
}

/// One organisation's own gateway account (`[[sms.accounts]]` in the configuration file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsAccount {
    /// The provider whose alerts' texts go through this account, by slug (`cambs-police`).
    pub provider: String,
    /// The account's gateway; empty means `sms.notify_base_url`.
    pub notify_base_url: String,
    /// The account's Notify API key.
    pub notify_api_key: String,
    /// The account's SMS template whose body is `((body))`; empty means `sms.notify_template_id`.
    pub notify_template_id: String,
    /// Most texts a minute through this account, across every worker (0: no limit).
    pub rate_per_minute: u32,
}

impl Default for SmsAccount {
    fn default() -> Self {
        SmsAccount {
            provider: String::new(),
            notify_base_url: String::new(),
            notify_api_key: String::new(),
            notify_template_id: String::new(),
            rate_per_minute: NOTIFY_RATE_PER_MINUTE,
        }
    }
}

/// How sending an alert fans out to residents and how the workers take the work.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettings {
    /// Residents expanded into deliveries per fan-out transaction.
    pub fanout_chunk: usize,
    /// Deliveries a worker claims at a time.
    pub claim_batch: i64,
    /// Seconds a claim lasts before another worker may take the deliveries over.
    pub lease_secs: i64,
    /// Permanent failures on an address or number before it is suspended as a contact problem.
    pub suspend_after_failures: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    pub signups_per_ip_per_hour: u32,
    pub signups_per_email_per_hour: u32,
    pub confirmation_link_hours: i64,
    /// Unconfirmed sign-ups are deleted after this many days.
    pub pending_signup_days: i64,
    /// Messages residents shared from the scam checker are deleted after this many days.
    pub shared_scam_days: i64,
    pub mobile_code_minutes: i64,
    pub mobile_code_attempts: i64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// First retry delay for a message that failed for a passing reason; it doubles each time.
    pub retry_base_secs: i64,
    /// Attempts before a message that keeps failing is given up and recorded as failed.
    pub max_send_attempts: i64,
}

/// Whose service residents are using: the force's name, logo and colour on every page, and
/// who the privacy notice and accessibility statement name. Settings, not code, so each force
/// brands its own install.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrandingSettings {
    /// The service's name, in the header and every page's title.
    pub service_name: String,
    /// The police force that runs the service: named in the header and footer, and as the
    /// controller of residents' data in the privacy notice. Empty: no force is named.
    pub force_name: String,
    /// The address residents write to about their data or the site's accessibility. Empty: the
    /// pages tell them to contact the force.
    pub contact_email: String,
    /// A logo file (`.svg`, `.png`, `.jpg` or `.webp`) shown in the header, served by Beacon
    /// itself at `/branding/logo`. Empty: no logo.
    pub logo_file: String,
    /// The header's background colour, `#rrggbb`: dark enough for its white text (4.5:1).
    pub colour: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `beacon=debug,tower_http=info`; `RUST_LOG` wins.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("beacon-data"),
            database_url: String::new(),
            secret_key: String::new(),
            server: ServerSettings::default(),
            mail: MailSettings::default(),
            sms: SmsSettings::default(),
            delivery: DeliverySettings::default(),
            limits: LimitSettings::default(),
            log: LogSettings::default(),
            branding: BrandingSettings::default(),
            map: MapSettings::default(),
            reports: ReportSettings::default(),
            chat: ChatSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            trust_forwarded_for: false,
            secure_cookies: true,
            page_cache_entries: 2_000,
            page_cache_bytes: 64 * 1024 * 1024,
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 1_024,
        }
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            transport: MailTransport::File,
            from: "Beacon Alerts <alerts@beacon.invalid>".into(),
            outbox_dir: String::new(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_timeout_secs: 30,
            smtp_ca_file: String::new(),
            smtp_connections: 8,
            rate_per_minute: 0,
            dkim_domain: String::new(),
            dkim_selector: String::new(),
            dkim_private_key_file: String::new(),
        }
    }
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings {
            transport: SmsTransport::File,
            outbox_dir: String::new(),
            notify_base_url: "https://api.notifications.service.gov.uk".into(),
            notify_api_key: String::new(),
            notify_template_id: String::new(),
            notify_callback_token: String::new(),
            rate_per_minute: NOTIFY_RATE_PER_MINUTE,
            accounts: Vec::new(),
        }
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            fanout_chunk: 20_000,
            claim_batch: 200,
            lease_secs: 120,
            suspend_after_failures: 3,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            signups_per_ip_per_hour: 20,
            signups_per_email_per_hour: 3,
            confirmation_link_hours: 48,
            pending_signup_days: 7,
            shared_scam_days: 365,
            mobile_code_minutes: 30,
            mobile_code_attempts: 5,
            max_body_bytes: 64 * 1024,
            retry_base_secs: 10,
            max_send_attempts: 10,
        }
    }
}

impl Default for BrandingSettings {
    fn default() -> Self {
        BrandingSettings {
            service_name: "Beacon community alerts".into(),
            force_name: String::new(),
            contact_email: String::new(),
            logo_file: String::new(),
            colour: DEFAULT_HEADER_COLOUR.into(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Pretty,
            filter: "info".into(),
        }
    }
}

const REDACTED: &str = "[redacted]";

/// The top-level settings, as environment variables name them.
const SETTING_NAMES: &[&str] = &[
    "data_dir",
    "database_url",
    "secret_key",
    "server",
    "mail",
    "sms",
    "delivery",
    "limits",
    "log",
    "branding",
    "map",
    "reports",
    "chat",
];

/// The header's colour when none is configured: Beacon's own near-black.
pub const DEFAULT_HEADER_COLOUR: &str = "#0b0c0c";

/// The image types a logo file may be, by extension, with the type it is served as.
pub const LOGO_TYPES: [(&str, &str); 5] = [
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("webp", "image/webp"),
];

/// GOV.UK Notify's limit on texts a minute for one account (service): the default rate.
pub const NOTIFY_RATE_PER_MINUTE: u32 = 3_000;

/// Seconds a worker keeps in hand on its claim beyond the time a send may take: it starts a
/// message only if the claim will last that much longer (`services::delivery`).
pub const SEND_LEASE_MARGIN_SECS: i64 = 2;

impl Settings {
    /// Defaults, then the file (if given), then `BEACON_*` variables.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            anyhow::ensure!(
                file.exists(),
                "the configuration file {} does not exist",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        let settings: Settings = figment
            .merge(
                Env::prefixed("BEACON_")
                    // Only variables naming a setting: `BEACON_CONFIG` names the file, and other
                    // tools' `BEACON_*` variables (the test suite's, say) are not settings. A
                    // misspelt key inside a section (`BEACON_MAIL__SMTP_HOTS`) is still an error.
                    .filter(|key| {
                        let key = key.as_str().to_ascii_lowercase();
                        let section = key.split("__").next().unwrap_or_default();
                        SETTING_NAMES.contains(&section)
                    })
                    .split("__"),
            )
            .extract()?;
        settings.check()?;
        Ok(settings)
    }

    /// Combinations of settings that cannot work, refused with the reason rather than left to
    /// fail quietly at run time.
    fn check(&self) -> anyhow::Result<()> {
        // A worker gives up any message it could not finish, and record, within its claim: a
        // lease no longer than the time one send may take would send nothing, ever.
        let timeout = i64::try_from(self.mail.smtp_timeout_secs).unwrap_or(i64::MAX);
        let needed = timeout
            .saturating_add(SEND_LEASE_MARGIN_SECS)
            .saturating_mul(2);
        anyhow::ensure!(
            self.delivery.lease_secs >= needed,
            "delivery.lease_secs is {} s: it must be at least {needed} s (twice the sum of \
             mail.smtp_timeout_secs, {} s, and {SEND_LEASE_MARGIN_SECS} s), because a worker \
             only starts a message it can finish, and record, within its claim",
            self.delivery.lease_secs,
            self.mail.smtp_timeout_secs
        );
        let server = &self.server;
        anyhow::ensure!(
            server.header_read_timeout_secs > 0
                && server.request_timeout_secs > 0
                && server.max_connections > 0,
            "server.header_read_timeout_secs, server.request_timeout_secs and \
             server.max_connections must be more than 0"
        );
        anyhow::ensure!(
            server.idle_timeout_secs > server.request_timeout_secs,
            "server.idle_timeout_secs is {} s: it must be more than server.request_timeout_secs \
             ({} s), or a request still within its time could be cut off while it is worked on",
            server.idle_timeout_secs,
            server.request_timeout_secs
        );
        let mut providers = std::collections::HashSet::new();
        for account in &self.sms.accounts {
            anyhow::ensure!(
                !account.provider.trim().is_empty(),
                "an entry in sms.accounts names no provider: give the slug of the organisation \
                 whose texts go through it"
            );
            anyhow::ensure!(
                providers.insert(account.provider.trim()),
                "sms.accounts gives the provider {:?} two accounts: one each",
                account.provider.trim()
            );
        }
        self.map.check()?;
        self.reports.check()?;
        self.chat.check()?;
        self.branding.check()
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("beacon.db").display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn email_outbox_dir(&self) -> PathBuf {
        outbox_dir(&self.mail.outbox_dir, &self.data_dir, "email")
    }

    pub fn sms_outbox_dir(&self) -> PathBuf {
        outbox_dir(&self.sms.outbox_dir, &self.data_dir, "sms")
    }

    /// The settings as `beacon config` prints them: secrets and passwords replaced.
    pub fn redacted(&self) -> Settings {
        let mut shown = self.clone();
        if !shown.secret_key.is_empty() {
            shown.secret_key = REDACTED.into();
        }
        if !shown.mail.smtp_password.is_empty() {
            shown.mail.smtp_password = REDACTED.into();
        }
        let account_keys = shown
            .sms
            .accounts
            .iter_mut()
            .map(|account| &mut account.notify_api_key);
        for secret in [
            &mut shown.sms.notify_api_key,
            &mut shown.sms.notify_callback_token,
        ]
        .into_iter()
        .chain(account_keys)
        {
            if !secret.is_empty() {
                *secret = REDACTED.into();
            }
        }
        shown.database_url = redact_url_password(&self.database_url());
        shown
    }
}

impl BrandingSettings {
    /// A colour the header's white text cannot be read on, a logo that is not an image file,
    /// or a contact that is not an address, refused at start with the reason.
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.service_name.trim().is_empty(),
            "branding.service_name is empty: give the service a name"
        );
        let Some(rgb) = parse_colour(&self.colour) else {
            anyhow::bail!(
                "branding.colour is {:?}: give it as #rrggbb, for example \"#00385f\"",
                self.colour
            );
        };
        let contrast = contrast_with_white(rgb);
        anyhow::ensure!(
            contrast >= 4.5,
            "branding.colour {} is too light for the header's white text (contrast {contrast:.1}:1, \
             at least 4.5:1 is needed): choose a darker colour",
            self.colour
        );
        if !self.logo_file.is_empty() {
            anyhow::ensure!(
                self.logo_type().is_some(),
                "branding.logo_file {} is not an .svg, .png, .jpg or .webp file",
                self.logo_file
            );
            anyhow::ensure!(
                Path::new(&self.logo_file).is_file(),
                "branding.logo_file {} does not exist",
                self.logo_file
            );
        }
        let contact = self.contact_email.trim();
        anyhow::ensure!(
            contact.is_empty()
                || (contact.contains('@')
                    && !contact
                        .chars()
                        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"'))),
            "branding.contact_email {contact:?} is not an email address"
        );
        Ok(())
    }

    /// The content type the logo is served as, from its file's extension.
    pub fn logo_type(&self) -> Option<&'static str> {
        let extension = Path::new(&self.logo_file)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        LOGO_TYPES
            .iter()
            .find(|(ext, _)| *ext == extension)
            .map(|(_, content_type)| *content_type)
    }
}

/// `#rrggbb` (or `#rgb`) as its three channels.
pub fn parse_colour(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |digits: &str| u8::from_str_radix(digits, 16).ok();
    match hex.len() {
        6 => Some([
            channel(&hex[0..2])?,
            channel(&hex[2..4])?,
            channel(&hex[4..6])?,
        ]),
        3 => {
            let short = |i: usize| channel(&hex[i..=i]).map(|v| v * 17);
            Some([short(0)?, short(1)?, short(2)?])
        }
        _ => None,
    }
}

/// WCAG 2's contrast ratio between a colour and white.
fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (luminance + 0.05)
}

fn outbox_dir(configured: &str, data_dir: &Path, channel: &str) -> PathBuf {
    if configured.is_empty() {
        data_dir.join("outbox").join(channel)
    } else {
        PathBuf::from(configured)
    }
}

/// `postgres://beacon:hunter2@db/beacon` → `postgres://beacon:[redacted]@db/beacon`.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:{REDACTED}@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return its large error type
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_and_secrets_are_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "beacon.toml",
                r#"
                secret_key = "file-secret-that-is-long-enough-0000"
                [mail]
                transport = "smtp"
                smtp_host = "mail.example.org"
                smtp_password = "hunter2"
                "#,
            )?;
            jail.set_env("BEACON_MAIL__SMTP_HOST", "relay.example.org");
            jail.set_env("BEACON_DATABASE_URL", "postgres://beacon:pw@db/beacon");
            jail.set_env("BEACON_CONFIG", "beacon.toml");
            jail.set_env("BEACON_TEST_POSTGRES_URL", "postgres://elsewhere/test");
            jail.set_env("BEACON_BIN", "target/debug/beacon");
            let settings = Settings::load(Some(Path::new("beacon.toml"))).unwrap();
            assert_eq!(settings.mail.transport, MailTransport::Smtp);
            assert_eq!(settings.mail.smtp_host, "relay.example.org");
            assert_eq!(settings.server.bind, "127.0.0.1:8080");
            let shown = toml::to_string(&settings.redacted()).unwrap();
            assert!(!shown.contains("hunter2"));
            assert!(!shown.contains("file-secret"));
            assert!(!shown.contains(":pw@"));
            assert!(shown.contains("postgres://beacon:[redacted]@db/beacon"));
            Ok(())
        });
    }

    #[test]
    fn every_section_can_be_set_by_environment_variables() {
        // A section missing from `SETTING_NAMES` would have its variables silently ignored.
        let defaults = serde_json::to_value(Settings::default()).unwrap();
        for section in defaults.as_object().unwrap().keys() {
            assert!(SETTING_NAMES.contains(&section.as_str()), "{section}");
        }
        figment::Jail::expect_with(|jail| {
            jail.set_env("BEACON_CHAT__CHATS_PER_HOUR", "500");
            assert_eq!(Settings::load(None).unwrap().chat.chats_per_hour, 500);
            Ok(())
        });
    }

    #[test]
    fn a_lease_too_short_to_send_in_is_refused_with_the_reason() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("beacon.toml", "[delivery]\nlease_secs = 10\n")?;
            let error = Settings::load(Some(Path::new("beacon.toml")))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("delivery.lease_secs is 10 s: it must be at least 64 s"),
                "{error}"
            );
            // With a timeout to match, the same lease is fine.
            jail.set_env("BEACON_MAIL__SMTP_TIMEOUT_SECS", "3");
            let settings = Settings::load(Some(Path::new("beacon.toml"))).unwrap();
            assert_eq!(settings.delivery.lease_secs, 10);
            Ok(())
        });
    }

    #[test]
    fn connection_timeouts_that_would_cut_requests_off_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("beacon.toml", "[server]\nidle_timeout_secs = 30\n")?;
            let error = Settings::load(Some(Path::new("beacon.toml")))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(
                    "server.idle_timeout_secs is 30 s: it must be more than \
                     server.request_timeout_secs (30 s)"
                ),
                "{error}"
            );
            jail.set_env("BEACON_SERVER__REQUEST_TIMEOUT_SECS", "20");
            let settings = Settings::load(Some(Path::new("beacon.toml"))).unwrap();
            assert_eq!(settings.server.idle_timeout_secs, 30);
            jail.create_file("beacon.toml", "[server]\nmax_connections = 0\n")?;
            assert!(Settings::load(Some(Path::new("beacon.toml"))).is_err());
            Ok(())
        });
    }

    #[test]
    fn organisations_gateway_accounts_are_read_checked_and_their_keys_redacted() {
        figment::Jail::expect_with(|jail| {
            let account = |provider: &str| {
                format!(
                    "[[sms.accounts]]\nprovider = \"{provider}\"\nnotify_api_key = \"council-key-secret\"\n\
                     rate_per_minute = 600\n"
                )
            };
            jail.create_file("beacon.toml", &account("city-council"))?;
            let settings = Settings::load(Some(Path::new("beacon.toml"))).unwrap();
            let accounts = &settings.sms.accounts;
            assert_eq!(accounts.len(), 1);
            assert_eq!(accounts[0].provider, "city-council");
            assert_eq!(accounts[0].rate_per_minute, 600);
            // Left out: the main account's gateway and template.
            assert_eq!(accounts[0].notify_base_url, "");
            let shown = toml::to_string(&settings.redacted()).unwrap();
            assert!(!shown.contains("council-key-secret"), "{shown}");

            let twice = format!("{}{}", account("city-council"), account("city-council"));
            jail.create_file("beacon.toml", &twice)?;
            let error = Settings::load(Some(Path::new("beacon.toml")))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("gives the provider \"city-council\" two accounts"),
                "{error}"
            );
            jail.create_file("beacon.toml", &account(" "))?;
            let error = Settings::load(Some(Path::new("beacon.toml")))
                .unwrap_err()
                .to_string();
            assert!(error.contains("names no provider"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn branding_is_read_and_a_colour_or_logo_that_cannot_work_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("logo.png", "not really a png")?;
            jail.create_file(
                "beacon.toml",
                "[branding]\nforce_name = \"Kent Police\"\ncolour = \"#00385f\"\nlogo_file = \"logo.png\"\n",
            )?;
            let settings = Settings::load(Some(Path::new("beacon.toml"))).unwrap();
            assert_eq!(settings.branding.force_name, "Kent Police");
            assert_eq!(settings.branding.service_name, "Beacon community alerts");
            assert_eq!(settings.branding.logo_type(), Some("image/png"));
            for (colour, expected) in [
                ("navy", "give it as #rrggbb"),
                ("#00385f\\\"><script>", "give it as #rrggbb"),
                ("#ffdd00", "too light for the header's white text"),
            ] {
                jail.set_env("BEACON_BRANDING__COLOUR", colour);
                let error = Settings::load(Some(Path::new("beacon.toml")))
                    .unwrap_err()
                    .to_string();
                assert!(error.contains(expected), "{colour}: {error}");
            }
            jail.set_env("BEACON_BRANDING__COLOUR", "#0b0c0c");
            jail.set_env("BEACON_BRANDING__LOGO_FILE", "logo.gif");
            let error = Settings::load(None).unwrap_err().to_string();
            assert!(error.contains("is not an .svg, .png"), "{error}");
            jail.set_env("BEACON_BRANDING__LOGO_FILE", "missing.svg");
            let error = Settings::load(None).unwrap_err().to_string();
            assert!(error.contains("does not exist"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn map_tiles_are_off_by_default_and_an_address_that_cannot_work_is_refused() {
        assert_eq!(Settings::default().map.tile_origin(), None);
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "beacon.toml",
                "[map]\ntile_url = \"https://tile.openstreetmap.org/{z}/{x}/{y}.png\"\nattribution = \"© OpenStreetMap contributors\"\n",
            )?;
            let settings = Settings::load(Some(Path::new("beacon.toml"))).unwrap();
            assert_eq!(
                settings.map.tile_origin().as_deref(),
                Some("https://tile.openstreetmap.org")
            );
            for (url, expected) in [
                (
                    "ftp://tiles.example/{z}/{x}/{y}.png",
                    "is not a tile address",
                ),
                ("https://tiles.example/{z}/{x}.png", "is not a tile address"),
                (
                    "https://tiles.example; script-src *;/{z}/{x}/{y}",
                    "is not a tile address",
                ),
                ("https://evil\"x/{z}/{x}/{y}", "is not a tile address"),
            ] {
                jail.set_env("BEACON_MAP__TILE_URL", url);
                let error = Settings::load(Some(Path::new("beacon.toml")))
                    .unwrap_err()
                    .to_string();
                assert!(error.contains(expected), "{url}: {error}");
            }
            jail.set_env(
                "BEACON_MAP__TILE_URL",
                "https://tiles.example/{z}/{x}/{y}.png",
            );
            jail.set_env("BEACON_MAP__ATTRIBUTION", " ");
            let error = Settings::load(None).unwrap_err().to_string();
            assert!(error.contains("map.attribution is empty"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_an_error_not_a_silent_default() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("beacon.toml", "[mail]\nsmtp_hots = \"typo\"\n")?;
            assert!(Settings::load(Some(Path::new("beacon.toml"))).is_err());
            jail.create_file("beacon.toml", "")?;
            jail.set_env("BEACON_MAIL__SMTP_HOTS", "typo");
            assert!(Settings::load(Some(Path::new("beacon.toml"))).is_err());
            Ok(())
        });
    }

    #[test]
    fn report_files_may_not_ask_for_more_than_a_report_page_takes() {
        let mut reports = ReportSettings::default();
        assert!(reports.check().is_ok(), "the defaults fit");
        reports.max_files = 10;
        reports.max_file_bytes = 5 * 1024 * 1024;
        assert!(reports.check().is_ok());
        reports.max_file_bytes = 6 * 1024 * 1024;
        let error = reports.check().unwrap_err().to_string();
        assert!(error.contains("50 MiB or less"), "{error}");
    }
}
