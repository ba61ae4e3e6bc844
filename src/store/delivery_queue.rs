//! The delivery queue: an alert's fan-out into one delivery per resident and channel, claimed, sent and recorded exactly once; pacing cells; suspended contacts.

use super::feedback::AlertReply;
use super::outbox::OutboundChannel;
use super::{Alert, StoreResult, Timestamp};
use crate::domain::subscriber::EmailFormat;
use crate::domain::Priority;
use async_trait::async_trait;

/// One chunk of a sent alert's fan-out: the deliveries for residents with ids from `from` up to
/// (not including) `next`, recorded together with the cursor's move.
#[derive(Debug, Clone)]
pub struct FanoutChunk {
    pub alert_id: i64,
    pub priority: Priority,
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
    /// Why residents found it not useful, when they said: (when, reason), latest first.
    pub not_useful_reasons: Vec<(Timestamp, String)>,
    pub replies: Vec<AlertReply>,
}

/// An address or number suspended after repeated permanent failures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct ContactProblem {
    #[sqlx(rename = "id")]
    pub subscriber_id: i64,
    pub public_id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub channel: OutboundChannel,
    /// The address or number (shown to admins only).
    pub contact: String,
    pub failures: i64,
    pub suspended_at: Timestamp,
}

/// A claimed delivery as `claim_deliveries` reads it, beside its resident (blank where the
/// resident has gone).
#[derive(sqlx::FromRow)]
pub(crate) struct ClaimedRow {
    id: i64,
    alert_id: i64,
    subscriber_id: i64,
    attempts: i64,
    gateway_id: Option<String>,
    name: String,
    email: String,
    mobile: Option<String>,
    public_id: String,
    token_version: i64,
    email_format: String,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
    wants_email: bool,
    wants_sms: bool,
}

impl ClaimedRow {
    pub(crate) fn into_target(
        self,
        channel: OutboundChannel,
        lease_until: Timestamp,
    ) -> DeliveryTarget {
        DeliveryTarget {
            id: self.id,
            alert_id: self.alert_id,
            subscriber_id: self.subscriber_id,
            channel,
            attempts: self.attempts,
            gateway_id: self.gateway_id,
            lease_until,
            name: self.name,
            email: self.email,
            mobile: self.mobile,
            public_id: self.public_id,
            token_version: self.token_version,
            email_format: EmailFormat::from_stored(&self.email_format),
            wants_channel: match channel {
                OutboundChannel::Email => self.wants_email,
                OutboundChannel::Sms => self.wants_sms,
            },
            quiet_hours: self.quiet_start.zip(self.quiet_end),
        }
    }
}

#[async_trait]
pub trait DeliveryQueue: Send + Sync {
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
    /// Brings the planner's statistics of the delivery queue up to date after it has grown by
    /// a large fan-out. PostgreSQL plans the claim query from statistics gathered when the
    /// queue was small (and keeps the plan until they change); SQLite needs nothing.
    async fn refresh_delivery_statistics(&self) -> StoreResult<()>;
    async fn contact_problems(&self) -> StoreResult<Vec<ContactProblem>>;
    /// An admin lifts a suspension (the address works again, the resident says so): Beacon
    /// sends to it again and counts its failures afresh. False if it was not suspended.
    async fn lift_contact_suspension(
        &self,
        subscriber_id: i64,
        channel: OutboundChannel,
        now: Timestamp,
    ) -> StoreResult<bool>;
}

/// Implements `DeliveryQueue` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_delivery_queue {
    ($store:ty, $db:ty) => {
        impl $store {
            /// `Store::record_fanout_chunk`, skipping rows already there if `existing`.
            async fn write_fanout_chunk(
                &self,
                chunk: &$crate::store::FanoutChunk,
                existing: bool,
            ) -> $crate::store::StoreResult<Option<u64>> {
                let mut tx = self.pool.begin().await?;
                let moved = sqlx::query(
                    "UPDATE alerts SET fanout_next = $3, \
                     fanout_locked_until = CASE WHEN $3 IS NULL THEN NULL ELSE $4 END, \
                     fanout_done_at = CASE WHEN $3 IS NULL THEN $5 ELSE NULL END \
                     WHERE id = $1 AND fanout_next = $2",
                )
                .bind(chunk.alert_id)
                .bind(chunk.from)
                .bind(chunk.next)
                .bind(chunk.lease_until)
                .bind(chunk.now)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let mut inserted = 0;
                for channel in [$crate::store::OutboundChannel::Email, $crate::store::OutboundChannel::Sms] {
                    let ids: Vec<i64> = chunk
                        .deliveries
                        .iter()
                        .filter(|(_, c)| *c == channel)
                        .map(|(id, _)| *id)
                        .collect();
                    if ids.is_empty() {
                        continue;
                    }
                    let deliveries = $crate::store::dialect::NewDeliveries {
                        alert_id: chunk.alert_id,
                        channel: channel.as_str(),
                        priority: i64::from(chunk.priority.level()),
                        now: chunk.now,
                        subscriber_ids: &ids,
                    };
                    match <Self as $crate::store::dialect::Dialect>::insert_deliveries(&mut tx, &deliveries, existing).await {
                        Ok(rows) => inserted += rows,
                        Err(error) => {
                            // At once, not when the transaction is dropped: the retry of a
                            // refused chunk moves the same cursor.
                            tx.rollback().await?;
                            return Err(error);
                        }
                    }
                }
                tx.commit().await?;
                Ok(Some(inserted))
            }

            /// Counts a permanent failure against the address or number a delivery went to
            /// (its resident and channel), suspending it at the threshold.
            async fn count_contact_failure(
                tx: &mut sqlx::Transaction<'static, $db>,
                (subscriber_id, channel): &(i64, String),
                now: $crate::store::Timestamp,
                suspend_after: i64,
            ) -> $crate::store::StoreResult<()> {
                let prefix = if channel == "sms" { "sms" } else { "email" };
                // Suspending changes whom alerts reach, so it moves `updated_at` too.
                sqlx::query(&format!(
                    "UPDATE subscribers SET {prefix}_failures = {prefix}_failures + 1, \
                     {prefix}_suspended_at = CASE WHEN {prefix}_suspended_at IS NULL AND {prefix}_failures + 1 >= $3 \
                     THEN $2 ELSE {prefix}_suspended_at END, updated_at = $2 WHERE id = $1"
                ))
                .bind(subscriber_id)
                .bind(now)
                .bind(suspend_after)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::DeliveryQueue for $store {
            async fn release_fanout(&self, alert_id: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE alerts SET fanout_locked_until = NULL WHERE id = $1 AND fanout_next IS NOT NULL")
                    .bind(alert_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn claim_fanout(
                &self,
                now: $crate::store::Timestamp,
                lease_until: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<($crate::store::Alert, i64)>> {
                let sql = format!(
                    "UPDATE alerts SET fanout_locked_until = $2 WHERE id = (\
                     SELECT id FROM alerts WHERE status = 'queued' AND fanout_next IS NOT NULL \
                     AND (fanout_locked_until IS NULL OR fanout_locked_until <= $1) \
                     ORDER BY priority, id LIMIT 1 {}) RETURNING id, fanout_next",
                    <Self as $crate::store::dialect::Dialect>::CLAIM_LOCK,
                );
                let claimed: Option<(i64, i64)> =
                    sqlx::query_as(&sql).bind(now).bind(lease_until).fetch_optional(&self.pool).await?;
                let Some((id, next)) = claimed else {
                    return Ok(None);
                };
                let alert = self.load_alerts("a.id = $1", id, 1).await?.pop();
                Ok(alert.map(|a| (a, next)))
            }

            async fn record_fanout_chunk(
                &self,
                chunk: &$crate::store::FanoutChunk,
            ) -> $crate::store::StoreResult<Option<u64>> {
                // A chunk's rows are written without checking for rows already there: the
                // cursor moves in the same transaction, so they can only be there if the cursor
                // was set back (the store allows it; the senders' workflow never does). Then the
                // unique index refuses the chunk, and it is written again skipping those rows.
                match self.write_fanout_chunk(chunk, false).await {
                    Err($crate::store::StoreError::Conflict) => {
                        self.write_fanout_chunk(chunk, true).await
                    }
                    written => written,
                }
            }

            async fn claim_deliveries(
                &self,
                channel: $crate::store::OutboundChannel,
                senders: &$crate::store::SenderScope,
                now: $crate::store::Timestamp,
                lease_until: $crate::store::Timestamp,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DeliveryTarget>> {
                // The channel and the limit are written into the statement, not bound, so that
                // a generic plan (PostgreSQL's, for a statement prepared and run many times) is
                // as good as one made for the values: each channel's due rows have an index of
                // their own, partial on the channel, which such a plan can only use when the
                // statement names it; and with the limit bound it guesses a tenth of the table
                // and reads the whole of it to join the claimed ids.
                let claim = format!(
                    "UPDATE deliveries SET locked_until = $2, attempts = attempts + 1 WHERE id IN (\
                     SELECT id FROM deliveries WHERE state = 'pending' AND channel = '{}' \
                     AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) AND {} \
                     ORDER BY priority, id LIMIT {} {})",
                    channel.as_str(),
                    senders.condition(),
                    limit.max(0),
                    <Self as $crate::store::dialect::Dialect>::CLAIM_LOCK,
                );
                // A resident erased while the alert fanned out has no row here (deliveries carry
                // no foreign key): their delivery comes back unwanted, to be settled. So does
                // one whose id a newer resident has since been given (SQLite reuses the highest
                // id): a delivery is for residents who were there when it was recorded.
                let columns = "d.id, d.alert_id, d.subscriber_id, d.attempts, d.gateway_id, \
                     COALESCE(s.name, '') AS name, COALESCE(s.email, '') AS email, s.mobile, \
                     COALESCE(s.public_id, '') AS public_id, COALESCE(s.token_version, 0) AS token_version, \
                     COALESCE(s.email_format, 'full') AS email_format, s.quiet_start, s.quiet_end, \
                     COALESCE(s.status = 'active' AND s.created_at <= d.created_at AND s.channel_email \
                     AND s.email_suspended_at IS NULL, FALSE) AS wants_email, \
                     COALESCE(s.status = 'active' AND s.created_at <= d.created_at AND s.channel_sms \
                     AND s.mobile_confirmed_at IS NOT NULL AND s.sms_suspended_at IS NULL, FALSE) AS wants_sms";
                let rows = <Self as $crate::store::dialect::Dialect>::claim_rows(&self.pool, &claim, columns, now, lease_until).await?;
                let mut claimed = Vec::with_capacity(rows.len());
                for row in &rows {
                    let row: $crate::store::delivery_queue::ClaimedRow = sqlx::FromRow::from_row(row)?;
                    claimed.push(row.into_target(channel, lease_until));
                }
                Ok(claimed)
            }

            async fn mark_deliveries_sent(
                &self,
                claims: &[(i64, i64)],
                gateway_ids: &[Option<String>],
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                if gateway_ids.iter().all(Option::is_none) {
                    // One statement for the whole group: the usual case, emails.
                    let mut marked = Vec::with_capacity(claims.len());
                    for group in claims.chunks(250) {
                        marked.extend(<Self as $crate::store::dialect::Dialect>::mark_sent_group(&self.pool, group, now).await?);
                    }
                    return Ok(marked);
                }
                let mut tx = self.pool.begin().await?;
                let mut marked = Vec::with_capacity(claims.len());
                for (index, (id, attempts)) in claims.iter().enumerate() {
                    let done = sqlx::query(
                        "UPDATE deliveries SET state = 'sent', sent_at = $3, locked_until = NULL, \
                         last_error = NULL, held = $5, gateway_id = COALESCE($4, gateway_id) \
                         WHERE id = $1 AND attempts = $2 AND state = 'pending'",
                    )
                    .bind(id)
                    .bind(attempts)
                    .bind(now)
                    .bind(gateway_ids.get(index).cloned().flatten())
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 1 {
                        marked.push(*id);
                    }
                }
                tx.commit().await?;
                Ok(marked)
            }

            async fn recover_sent(
                &self,
                ids: &[i64],
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                let mut recovered = 0;
                for chunk in ids.chunks(1_000) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE deliveries SET state = 'sent', locked_until = NULL, last_error = NULL, sent_at = ",
                    );
                    builder.push_bind(now);
                    builder.push(" WHERE state = 'pending' AND id IN (");
                    let mut list = builder.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    builder.push(")");
                    recovered += builder.build().execute(&self.pool).await?.rows_affected();
                }
                Ok(recovered)
            }

            async fn renew_claims(
                &self,
                claims: &[(i64, i64)],
                until: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                let mut renewed = Vec::with_capacity(claims.len());
                for group in claims.chunks(250) {
                    let mut builder =
                        sqlx::QueryBuilder::<$db>::new("UPDATE deliveries SET locked_until = ");
                    builder.push_bind(until).push(
                        " WHERE state = 'pending' AND locked_until IS NOT NULL \
                         AND (id, attempts) IN (VALUES ",
                    );
                    let mut pairs = builder.separated(", ");
                    for (id, attempts) in group {
                        pairs
                            .push("(")
                            .push_bind_unseparated(*id)
                            .push_unseparated(", ")
                            .push_bind_unseparated(*attempts)
                            .push_unseparated(")");
                    }
                    builder.push(") RETURNING id");
                    renewed.extend(
                        builder
                            .build_query_scalar::<i64>()
                            .fetch_all(&self.pool)
                            .await?,
                    );
                }
                Ok(renewed)
            }

            async fn retry_delivery(
                &self,
                id: i64,
                attempts: i64,
                next_attempt_at: $crate::store::Timestamp,
                error: &str,
                held: bool,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE deliveries SET state = 'pending', sent_at = NULL, locked_until = NULL, \
                     next_attempt_at = $2, last_error = $3, held = $4, \
                     attempts = attempts - CASE WHEN $4 THEN 1 ELSE 0 END \
                     WHERE id = $1 AND attempts = $5 AND state = 'pending'",
                )
                .bind(id)
                .bind(next_attempt_at)
                .bind(error)
                .bind(held)
                .bind(attempts)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn fail_delivery(
                &self,
                id: i64,
                attempts: i64,
                now: $crate::store::Timestamp,
                error: &str,
                contact_failed: bool,
                suspend_after: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let failed: Option<(i64, String)> = sqlx::query_as(
                    "UPDATE deliveries SET state = 'failed', finished_at = $2, locked_until = NULL, \
                     held = $4, last_error = $3 WHERE id = $1 AND attempts = $5 AND state = 'pending' \
                     RETURNING subscriber_id, channel",
                )
                .bind(id)
                .bind(now)
                .bind(error)
                .bind(false)
                .bind(attempts)
                .fetch_optional(&mut *tx)
                .await?;
                if let (Some(row), true) = (failed, contact_failed) {
                    Self::count_contact_failure(&mut tx, &row, now, suspend_after).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn delivery_status(
                &self,
                gateway_id: &str,
                delivery: Option<(i64, i64)>,
                error: Option<&str>,
                contact_failed: bool,
                now: $crate::store::Timestamp,
                suspend_after: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let row: Option<(i64, String)> = sqlx::query_as(
                    "UPDATE deliveries SET state = CASE WHEN $2 IS NULL THEN 'delivered' ELSE 'failed' END, \
                     finished_at = $3, last_error = COALESCE($2, last_error), gateway_id = $1, \
                     sent_at = COALESCE(sent_at, $3), locked_until = NULL \
                     WHERE channel = 'sms' AND state IN ('pending', 'sent') \
                     AND (gateway_id = $1 OR (gateway_id IS NULL AND alert_id = $4 AND id = $5)) \
                     RETURNING subscriber_id, channel",
                )
                .bind(gateway_id)
                .bind(error)
                .bind(now)
                .bind(delivery.map(|(alert, _)| alert))
                .bind(delivery.map(|(_, id)| id))
                .fetch_optional(&mut *tx)
                .await?;
                let found = row.is_some();
                if let (Some(row), true) = (row, contact_failed) {
                    Self::count_contact_failure(&mut tx, &row, now, suspend_after).await?;
                }
                tx.commit().await?;
                Ok(found)
            }

            async fn delivery_report(
                &self,
                alert_id: i64,
            ) -> $crate::store::StoreResult<$crate::store::DeliveryReport> {
                let mut report = $crate::store::DeliveryReport::default();
                let rows: Vec<(String, String, bool, i64)> = sqlx::query_as(
                    "SELECT channel, state, held, COUNT(*) AS n FROM deliveries WHERE alert_id = $1 \
                     GROUP BY channel, state, held",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for (channel, state, held, n) in rows {
                    let counts = if channel == "sms" { &mut report.sms } else { &mut report.email };
                    counts.targeted += n;
                    match state.as_str() {
                        "pending" if held => counts.held += n,
                        "pending" => counts.pending += n,
                        "sent" => counts.sent += n,
                        "delivered" => {
                            counts.sent += n;
                            counts.delivered += n;
                        }
                        _ => counts.failed += n,
                    }
                }
                report.fanout_done_at = sqlx::query_scalar("SELECT fanout_done_at FROM alerts WHERE id = $1")
                    .bind(alert_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten();
                report.timeline = sqlx::query_as(
                    "SELECT (sent_at / 60) * 60 AS minute, \
                     SUM(CASE WHEN channel = 'email' THEN 1 ELSE 0 END) AS emails, \
                     SUM(CASE WHEN channel = 'sms' THEN 1 ELSE 0 END) AS texts \
                     FROM deliveries WHERE alert_id = $1 AND sent_at IS NOT NULL \
                     GROUP BY (sent_at / 60) * 60 ORDER BY minute",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                report.failures = sqlx::query_as(
                    "SELECT COALESCE(last_error, 'unknown') AS reason, COUNT(*) AS n FROM deliveries \
                     WHERE alert_id = $1 AND state = 'failed' GROUP BY COALESCE(last_error, 'unknown') \
                     ORDER BY n DESC, reason LIMIT 10",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                let ratings: Vec<(bool, i64)> = sqlx::query_as(
                    "SELECT useful, COUNT(*) AS n FROM alert_ratings WHERE alert_id = $1 GROUP BY useful",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for (useful, n) in ratings {
                    if useful {
                        report.useful = n;
                    } else {
                        report.not_useful = n;
                    }
                }
                report.not_useful_reasons = sqlx::query_as(
                    "SELECT rated_at, reason FROM alert_ratings WHERE alert_id = $1 AND NOT useful \
                     AND reason IS NOT NULL ORDER BY rated_at DESC LIMIT 100",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                type Reply = (i64, String, String, $crate::store::Timestamp, Option<i64>);
                let replies: Vec<Reply> = sqlx::query_as(
                    "SELECT r.id, s.name, r.body, r.created_at, c.id FROM alert_replies r \
                     JOIN subscribers s ON s.id = r.subscriber_id \
                     LEFT JOIN conversations c ON c.kind = 'reply' AND c.alert_id = r.alert_id \
                     AND c.subscriber_id = r.subscriber_id WHERE r.alert_id = $1 \
                     ORDER BY r.id DESC LIMIT 100",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for (id, name, body, created_at, conversation_id) in replies {
                    report.replies.push($crate::store::AlertReply {
                        id,
                        first_name: $crate::domain::subscriber::first_name(&name).to_owned(),
                        body,
                        created_at,
                        conversation_id,
                    });
                }
                Ok(report)
            }

            async fn reserve_sends(
                &self,
                cell: &str,
                now_ms: i64,
                interval_ms: i64,
                n: i64,
                horizon_ms: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                sqlx::query("INSERT INTO send_pacing (channel, next_at_ms) VALUES ($1, 0) ON CONFLICT (channel) DO NOTHING")
                    .bind(cell)
                    .execute(&self.pool)
                    .await?;
                // One statement, so concurrent workers each get their own slots.
                let next: Option<i64> = sqlx::query_scalar(
                    "UPDATE send_pacing SET next_at_ms = \
                     (CASE WHEN next_at_ms > $2 THEN next_at_ms ELSE $2 END) + $3 * $4 \
                     WHERE channel = $1 AND (CASE WHEN next_at_ms > $2 THEN next_at_ms ELSE $2 END) <= $2 + $5 \
                     RETURNING next_at_ms",
                )
                .bind(cell)
                .bind(now_ms)
                .bind(interval_ms)
                .bind(n)
                .bind(horizon_ms)
                .fetch_optional(&self.pool)
                .await?;
                Ok(next.map(|next| next - interval_ms * n))
            }

            async fn refresh_delivery_statistics(&self) -> $crate::store::StoreResult<()> {
                <Self as $crate::store::dialect::Dialect>::refresh_delivery_statistics(self).await
            }

            async fn contact_problems(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ContactProblem>> {
                Ok(sqlx::query_as(
                    "SELECT id, public_id, name, 'email' AS channel, email AS contact, email_failures AS failures, \
                     email_suspended_at AS suspended_at FROM subscribers WHERE email_suspended_at IS NOT NULL \
                     UNION ALL \
                     SELECT id, public_id, name, 'sms' AS channel, COALESCE(mobile, '') AS contact, sms_failures AS failures, \
                     sms_suspended_at AS suspended_at FROM subscribers WHERE sms_suspended_at IS NOT NULL \
                     ORDER BY suspended_at DESC LIMIT 500",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn lift_contact_suspension(
                &self,
                subscriber_id: i64,
                channel: $crate::store::OutboundChannel,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let prefix = match channel {
                    $crate::store::OutboundChannel::Email => "email",
                    $crate::store::OutboundChannel::Sms => "sms",
                };
                let done = sqlx::query(&format!(
                    "UPDATE subscribers SET {prefix}_suspended_at = NULL, {prefix}_failures = 0, \
                     updated_at = $2 WHERE id = $1 AND {prefix}_suspended_at IS NOT NULL"
                ))
                .bind(subscriber_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

/// A backend's fan-out `insert` of deliveries, made to skip those already recorded if
/// `existing` (see `record_fanout_chunk`).
pub(crate) fn fanout_insert(insert: &str, existing: bool) -> String {
    match existing {
        false => insert.to_owned(),
        true => format!("{insert} ON CONFLICT (alert_id, subscriber_id, channel) DO NOTHING"),
    }
}
