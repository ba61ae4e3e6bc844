//! Residents: sign-ups, confirmation, their places and choices, mobile codes, unsubscribing and erasure.

use super::outbox::NewOutbound;
use super::{StoreError, StoreResult, Timestamp};
use crate::domain::subscriber::{EmailFormat, Place, Preferences, QuietHours};
use crate::domain::{EmailAddress, MobileNumber, Postcode, Priority};
use crate::geo::audience::AudienceEntry;
use async_trait::async_trait;

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
    pub email: EmailAddress,
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
    pub email: EmailAddress,
    pub email_key: String,
    pub preferences: Preferences,
    pub confirm_nonce: String,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    AlreadyConfirmed,
    /// The link was replaced by a newer one, or the resident has gone.
    Invalid,
}

/// One place of an active resident, located, as the audience index reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct PlaceRow {
    pub(crate) id: i64,
    pub(crate) district_code: String,
    pub(crate) easting: i32,
    pub(crate) northing: i32,
    pub(crate) channel_email: bool,
    pub(crate) sms: bool,
    #[sqlx(try_from = "i64")]
    pub(crate) sms_min_priority: Priority,
}

/// A resident's own row, before their places and choices are added (`SubscriberRow::into_subscriber`).
#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    pub(crate) id: i64,
    public_id: String,
    name: String,
    email: String,
    mobile: Option<String>,
    mobile_confirmed_at: Option<Timestamp>,
    mobile_code_hash: Option<String>,
    mobile_code_expires_at: Option<Timestamp>,
    mobile_code_attempts: i64,
    status: String,
    channel_email: bool,
    channel_sms: bool,
    sms_min_priority: i64,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
    email_format: String,
    confirm_nonce: Option<String>,
    confirm_sent_at: Option<Timestamp>,
    token_version: i64,
    created_at: Timestamp,
    confirmed_at: Option<Timestamp>,
    unsubscribed_at: Option<Timestamp>,
    updated_at: Timestamp,
}

impl SubscriberRow {
    /// The resident, with their places `(postcode, label)` and the slugs of the providers and
    /// message types they chose; a stored value that does not parse is an error naming it.
    pub(crate) fn into_subscriber(
        self,
        places: Vec<(String, Option<String>)>,
        providers: Vec<String>,
        message_types: Vec<String>,
    ) -> StoreResult<Subscriber> {
        let id = self.id;
        let corrupt = |what: &str| StoreError::Corrupt(format!("subscriber {id}: {what}"));
        let places = places
            .into_iter()
            .map(|(postcode, label)| {
                Ok(Place {
                    postcode: Postcode::parse(&postcode).map_err(|_| corrupt("postcode"))?,
                    label,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let quiet_hours = match (self.quiet_start, self.quiet_end) {
            (Some(start), Some(end)) => Some(QuietHours {
                start: QuietHours::parse_time(&start).ok_or_else(|| corrupt("quiet hours"))?,
                end: QuietHours::parse_time(&end).ok_or_else(|| corrupt("quiet hours"))?,
            }),
            _ => None,
        };
        let preferences = Preferences {
            name: self.name,
            mobile: self
                .mobile
                .map(|m| MobileNumber::parse(&m).map_err(|_| corrupt("mobile")))
                .transpose()?,
            places,
            providers,
            message_types,
            email: self.channel_email,
            sms: self.channel_sms,
            sms_min_priority: Priority::new(self.sms_min_priority)
                .map_err(|_| corrupt("priority"))?,
            quiet_hours,
            email_format: EmailFormat::from_stored(&self.email_format),
        };
        Ok(Subscriber {
            id,
            public_id: self.public_id,
            email: EmailAddress::parse(&self.email).map_err(|_| corrupt("email"))?,
            status: SubscriberStatus::parse(&self.status)?,
            preferences,
            mobile_confirmed_at: self.mobile_confirmed_at,
            mobile_code_hash: self.mobile_code_hash,
            mobile_code_expires_at: self.mobile_code_expires_at,
            mobile_code_attempts: self.mobile_code_attempts,
            confirm_nonce: self.confirm_nonce,
            confirm_sent_at: self.confirm_sent_at,
            token_version: self.token_version,
            created_at: self.created_at,
            confirmed_at: self.confirmed_at,
            unsubscribed_at: self.unsubscribed_at,
            updated_at: self.updated_at,
        })
    }
}

#[async_trait]
pub trait Residents: Send + Sync {
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
    /// Every active resident's places with where they are and what they chose, in resident
    /// order, for the audience index.
    async fn audience_entries(&self) -> StoreResult<Vec<AudienceEntry>>;
    /// Changes whenever residents are added, changed or removed: (count, latest change).
    async fn subscribers_marker(&self) -> StoreResult<(i64, i64)>;
}

/// Implements `Residents` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_residents {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn write_preferences(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                preferences: &$crate::domain::subscriber::Preferences,
            ) -> $crate::store::StoreResult<()> {
                for table in ["subscriber_places", "subscriber_providers", "subscriber_message_types"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE subscriber_id = $1"))
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
                for (position, place) in preferences.places.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO subscriber_places (subscriber_id, position, postcode, label) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(place.postcode.as_str())
                    .bind(place.label.as_deref())
                    .execute(&mut **tx)
                    .await?;
                }
                for slug in &preferences.providers {
                    sqlx::query(
                        "INSERT INTO subscriber_providers (subscriber_id, provider_id) \
                         SELECT $1, id FROM providers WHERE slug = $2",
                    )
                    .bind(id)
                    .bind(slug)
                    .execute(&mut **tx)
                    .await?;
                }
                for slug in &preferences.message_types {
                    sqlx::query(
                        "INSERT INTO subscriber_message_types (subscriber_id, message_type_id) \
                         SELECT $1, id FROM message_types WHERE slug = $2",
                    )
                    .bind(id)
                    .bind(slug)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            async fn update_preferences_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                preferences: &$crate::domain::subscriber::Preferences,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                let p = preferences;
                let mobile = p.mobile.as_ref().map(|m| m.as_str().to_owned());
                // A new number must be confirmed again before any text goes to it.
                sqlx::query(
                    "UPDATE subscribers SET name = $2, \
                     mobile_confirmed_at = CASE WHEN mobile IS NOT DISTINCT FROM $3 THEN mobile_confirmed_at ELSE NULL END, \
                     mobile_code_hash = CASE WHEN mobile IS NOT DISTINCT FROM $3 THEN mobile_code_hash ELSE NULL END, \
                     sms_suspended_at = CASE WHEN mobile IS NOT DISTINCT FROM $3 THEN sms_suspended_at ELSE NULL END, \
                     sms_failures = CASE WHEN mobile IS NOT DISTINCT FROM $3 THEN sms_failures ELSE 0 END, \
                     mobile = $3, channel_email = $4, channel_sms = $5, sms_min_priority = $6, quiet_start = $7, \
                     quiet_end = $8, email_format = $9, updated_at = $10 WHERE id = $1",
                )
                .bind(id)
                .bind(&p.name)
                .bind(mobile)
                .bind(p.email)
                .bind(p.sms)
                .bind(i64::from(p.sms_min_priority.level()))
                .bind(p.quiet_hours.map(|q| q.start.format("%H:%M").to_string()))
                .bind(p.quiet_hours.map(|q| q.end.format("%H:%M").to_string()))
                .bind(p.email_format.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Self::write_preferences(tx, id, p).await
            }

            async fn load_subscriber(
                &self,
                clause: &str,
                key: $crate::store::SubscriberKey,
            ) -> $crate::store::StoreResult<Option<$crate::store::Subscriber>> {
                let sql = format!(
                    "SELECT id, public_id, name, email, mobile, mobile_confirmed_at, mobile_code_hash, \
                     mobile_code_expires_at, mobile_code_attempts, status, channel_email, channel_sms, \
                     sms_min_priority, quiet_start, quiet_end, email_format, confirm_nonce, \
                     confirm_sent_at, token_version, created_at, confirmed_at, unsubscribed_at, updated_at \
                     FROM subscribers WHERE {clause}"
                );
                let query = sqlx::query_as(&sql);
                let query = match key {
                    $crate::store::SubscriberKey::Id(id) => query.bind(id),
                    $crate::store::SubscriberKey::Text(text) => query.bind(text),
                };
                let Some(row): Option<$crate::store::residents::SubscriberRow> =
                    query.fetch_optional(&self.pool).await?
                else {
                    return Ok(None);
                };
                let places: Vec<(String, Option<String>)> = sqlx::query_as(
                    "SELECT postcode, label FROM subscriber_places WHERE subscriber_id = $1 ORDER BY position",
                )
                .bind(row.id)
                .fetch_all(&self.pool)
                .await?;
                let providers: Vec<String> = sqlx::query_scalar(
                    "SELECT p.slug FROM subscriber_providers sp JOIN providers p ON p.id = sp.provider_id \
                     WHERE sp.subscriber_id = $1 ORDER BY p.position, p.id",
                )
                .bind(row.id)
                .fetch_all(&self.pool)
                .await?;
                let message_types: Vec<String> = sqlx::query_scalar(
                    "SELECT m.slug FROM subscriber_message_types sm JOIN message_types m ON m.id = sm.message_type_id \
                     WHERE sm.subscriber_id = $1 ORDER BY m.position, m.id",
                )
                .bind(row.id)
                .fetch_all(&self.pool)
                .await?;
                row.into_subscriber(places, providers, message_types).map(Some)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Residents for $store {
            async fn insert_pending_subscriber(
                &self,
                new: &$crate::store::NewSubscriber,
                confirmation: Option<&$crate::store::NewOutbound>,
            ) -> $crate::store::StoreResult<i64> {
                let p = &new.preferences;
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO subscribers (public_id, name, email, email_key, mobile, status, channel_email, \
                     channel_sms, sms_min_priority, quiet_start, quiet_end, email_format, confirm_nonce, \
                     confirm_sent_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11, $12, $13, $13, $13) RETURNING id",
                )
                .bind(&new.public_id)
                .bind(&p.name)
                .bind(new.email.as_str())
                .bind(&new.email_key)
                .bind(p.mobile.as_ref().map(|m| m.as_str()))
                .bind(p.email)
                .bind(p.sms)
                .bind(i64::from(p.sms_min_priority.level()))
                .bind(p.quiet_hours.map(|q| q.start.format("%H:%M").to_string()))
                .bind(p.quiet_hours.map(|q| q.end.format("%H:%M").to_string()))
                .bind(p.email_format.as_str())
                .bind(&new.confirm_nonce)
                .bind(new.now)
                .fetch_one(&mut *tx)
                .await?;
                Self::write_preferences(&mut tx, id, p).await?;
                if let Some(confirmation) = confirmation {
                    let confirmation = $crate::store::NewOutbound { subscriber_id: Some(id), ..confirmation.clone() };
                    Self::enqueue_in(&mut tx, &confirmation, new.now).await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn subscriber(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::Subscriber>> {
                self.load_subscriber("id = $1", $crate::store::SubscriberKey::Id(id)).await
            }

            async fn subscriber_by_public_id(
                &self,
                public_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Subscriber>> {
                self.load_subscriber("public_id = $1", $crate::store::SubscriberKey::Text(public_id.to_owned())).await
            }

            async fn subscriber_by_email_key(
                &self,
                email_key: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Subscriber>> {
                self.load_subscriber("email_key = $1", $crate::store::SubscriberKey::Text(email_key.to_owned())).await
            }

            async fn restart_pending(
                &self,
                id: i64,
                preferences: &$crate::domain::subscriber::Preferences,
                nonce: &str,
                now: $crate::store::Timestamp,
                confirmation: &$crate::store::NewOutbound,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let restarted = sqlx::query(
                    "UPDATE subscribers SET status = 'pending', confirm_nonce = $2, confirm_sent_at = $3, \
                     token_version = token_version + CASE WHEN status = 'unsubscribed' THEN 1 ELSE 0 END, \
                     unsubscribed_at = NULL, updated_at = $3 WHERE id = $1 AND status <> 'active'",
                )
                .bind(id)
                .bind(nonce)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if restarted.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::update_preferences_in(&mut tx, id, preferences, now).await?;
                Self::enqueue_in(&mut tx, confirmation, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn confirm_subscriber(
                &self,
                id: i64,
                nonce: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<$crate::store::ConfirmOutcome> {
                let done = sqlx::query(
                    "UPDATE subscribers SET status = 'active', confirmed_at = $3, confirm_nonce = NULL, updated_at = $3 \
                     WHERE id = $1 AND confirm_nonce = $2 AND status = 'pending'",
                )
                .bind(id)
                .bind(nonce)
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 1 {
                    return Ok($crate::store::ConfirmOutcome::Confirmed);
                }
                let status: Option<String> = sqlx::query_scalar("SELECT status FROM subscribers WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match status.as_deref() {
                    Some("active") => $crate::store::ConfirmOutcome::AlreadyConfirmed,
                    _ => $crate::store::ConfirmOutcome::Invalid,
                })
            }

            async fn update_preferences(
                &self,
                id: i64,
                preferences: &$crate::domain::subscriber::Preferences,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                Self::update_preferences_in(&mut tx, id, preferences, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_mobile_code(
                &self,
                id: i64,
                code_hash: &str,
                now: $crate::store::Timestamp,
                expires_at: $crate::store::Timestamp,
                text: &$crate::store::NewOutbound,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE subscribers SET mobile_code_hash = $2, mobile_code_expires_at = $3, \
                     mobile_code_attempts = 0 WHERE id = $1",
                )
                .bind(id)
                .bind(code_hash)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                Self::enqueue_in(&mut tx, text, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn take_mobile_code_attempt(
                &self,
                id: i64,
                max_attempts: i64,
            ) -> $crate::store::StoreResult<Option<(String, $crate::store::Timestamp)>> {
                Ok(sqlx::query_as(
                    "UPDATE subscribers SET mobile_code_attempts = mobile_code_attempts + 1 \
                     WHERE id = $1 AND mobile_code_hash IS NOT NULL AND mobile_code_attempts < $2 \
                     RETURNING mobile_code_hash, mobile_code_expires_at",
                )
                .bind(id)
                .bind(max_attempts)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn confirm_mobile(&self, id: i64, now: $crate::store::Timestamp) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE subscribers SET mobile_confirmed_at = $2, mobile_code_hash = NULL, \
                     mobile_code_expires_at = NULL, mobile_code_attempts = 0, updated_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn unsubscribe(&self, id: i64, now: $crate::store::Timestamp) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $2, confirm_nonce = NULL, \
                     updated_at = $2 WHERE id = $1 AND status <> 'unsubscribed'",
                )
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn erase_subscriber(&self, id: i64) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "DELETE FROM survey_answers WHERE response_id IN \
                     (SELECT id FROM survey_responses WHERE subscriber_id = $1)",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                for table in [
                    "survey_responses",
                    "survey_respondents",
                    "scheme_members",
                    "deliveries",
                    "outbound_messages",
                    "subscriber_places",
                    "subscriber_providers",
                    "subscriber_message_types",
                ] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE subscriber_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM subscribers WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn purge_pending(&self, before: $crate::store::Timestamp) -> $crate::store::StoreResult<u64> {
                // One statement, so a resident confirming at this moment is either purged before
                // or kept; places, choices and queued messages go by ON DELETE CASCADE.
                let purged = sqlx::query(
                    "DELETE FROM subscribers WHERE status = 'pending' AND confirmed_at IS NULL \
                     AND COALESCE(confirm_sent_at, created_at) < $1",
                )
                .bind(before)
                .execute(&self.pool)
                .await?;
                Ok(purged.rows_affected())
            }

            async fn count_subscribers(
                &self,
                status: $crate::store::SubscriberStatus,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM subscribers WHERE status = $1")
                    .bind(status.as_str())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn audience_entries(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::geo::audience::AudienceEntry>> {
                let mut choices: std::collections::HashMap<i64, (Vec<i64>, Vec<i64>)> = std::collections::HashMap::new();
                let providers: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT sp.subscriber_id, sp.provider_id FROM subscriber_providers sp \
                     JOIN subscribers s ON s.id = sp.subscriber_id WHERE s.status = 'active'",
                )
                .fetch_all(&self.pool)
                .await?;
                for (subscriber_id, provider_id) in providers {
                    choices.entry(subscriber_id).or_default().0.push(provider_id);
                }
                let message_types: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT sm.subscriber_id, sm.message_type_id FROM subscriber_message_types sm \
                     JOIN subscribers s ON s.id = sm.subscriber_id WHERE s.status = 'active'",
                )
                .fetch_all(&self.pool)
                .await?;
                for (subscriber_id, message_type_id) in message_types {
                    choices.entry(subscriber_id).or_default().1.push(message_type_id);
                }
                // Texts count only for a confirmed mobile number.
                let rows: Vec<$crate::store::residents::PlaceRow> = sqlx::query_as(
                    "SELECT s.id, pc.district_code, pc.easting, pc.northing, \
                     (s.channel_email AND s.email_suspended_at IS NULL) AS channel_email, \
                     (s.channel_sms AND s.mobile_confirmed_at IS NOT NULL AND s.sms_suspended_at IS NULL) AS sms, \
                     s.sms_min_priority \
                     FROM subscribers s JOIN subscriber_places sp ON sp.subscriber_id = s.id \
                     JOIN postcodes pc ON pc.postcode = sp.postcode \
                     WHERE s.status = 'active' AND pc.easting IS NOT NULL AND pc.northing IS NOT NULL \
                     AND pc.district_code IS NOT NULL ORDER BY s.id, sp.position",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let (providers, message_types) = choices.get(&row.id).cloned().unwrap_or_default();
                        $crate::geo::audience::AudienceEntry {
                            subscriber_id: row.id,
                            district_code: row.district_code,
                            easting: row.easting,
                            northing: row.northing,
                            providers,
                            message_types,
                            email: row.channel_email,
                            sms: row.sms,
                            sms_min_priority: row.sms_min_priority.level(),
                        }
                    })
                    .collect())
            }

            async fn subscribers_marker(&self) -> $crate::store::StoreResult<(i64, i64)> {
                Ok(sqlx::query_as("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS latest FROM subscribers")
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}
