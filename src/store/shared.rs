//! The queries both backends share, written once and instantiated for each pool by
//! `impl_store!`. Both SQLite and PostgreSQL accept `$1`-style placeholders, `RETURNING` and
//! `ON CONFLICT`, so only bulk loading and claiming differ.

/// Expands to `impl Store for $store` with the shared queries plus the backend's own methods.
macro_rules! impl_store {
    ($store:ty, $db:ty, claim_lock = $claim_lock:literal, { $($specific:tt)* }) => {
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
                    match Self::insert_deliveries(&mut tx, chunk, channel, &ids, existing).await {
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

            async fn enqueue_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                message: &$crate::store::NewOutbound,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO outbound_messages \
                     (subscriber_id, channel, purpose, payload, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(message.subscriber_id)
                .bind(message.channel.as_str())
                .bind(&message.purpose)
                .bind(&message.payload)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                Ok(id)
            }

            async fn load_staff(
                &self,
                clause: &str,
                key: $crate::store::SubscriberKey,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StaffMember>> {
                use sqlx::Row;
                let sql = format!(
                    "SELECT s.id, s.public_id, s.email, s.name, s.role_title, s.area_label, s.provider_id, \
                     p.name AS provider_name, s.can_send, s.can_approve, s.is_admin, s.needs_approval, \
                     s.active, s.password_hash, s.totp_secret, s.totp_last_step, s.enrolment_nonce, \
                     s.failed_sign_ins, s.locked_until, s.created_at \
                     FROM staff s JOIN providers p ON p.id = s.provider_id WHERE {clause} ORDER BY s.name, s.id"
                );
                let query = sqlx::query(&sql);
                let query = match key {
                    $crate::store::SubscriberKey::Id(id) => query.bind(id),
                    $crate::store::SubscriberKey::Text(text) => query.bind(text),
                };
                let rows = query.fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::store::StaffMember {
                            id: row.try_get("id")?,
                            public_id: row.try_get("public_id")?,
                            email: row.try_get("email")?,
                            name: row.try_get("name")?,
                            role_title: row.try_get("role_title")?,
                            area_label: row.try_get("area_label")?,
                            provider_id: row.try_get("provider_id")?,
                            provider_name: row.try_get("provider_name")?,
                            permissions: $crate::domain::staff::Permissions {
                                send: row.try_get("can_send")?,
                                approve: row.try_get("can_approve")?,
                                admin: row.try_get("is_admin")?,
                                needs_approval: row.try_get("needs_approval")?,
                            },
                            active: row.try_get("active")?,
                            password_hash: row.try_get("password_hash")?,
                            totp_secret: row.try_get("totp_secret")?,
                            totp_last_step: row.try_get("totp_last_step")?,
                            enrolment_nonce: row.try_get("enrolment_nonce")?,
                            failed_sign_ins: row.try_get("failed_sign_ins")?,
                            locked_until: row.try_get("locked_until")?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            /// Counts a permanent failure against the address or number a delivery row (with
            /// `subscriber_id` and `channel`) went to, suspending it at the threshold.
            async fn count_contact_failure(
                tx: &mut sqlx::Transaction<'static, $db>,
                row: &<$db as sqlx::Database>::Row,
                now: $crate::store::Timestamp,
                suspend_after: i64,
            ) -> $crate::store::StoreResult<()> {
                use sqlx::Row;
                let subscriber_id: i64 = row.try_get("subscriber_id")?;
                let channel: String = row.try_get("channel")?;
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

            async fn load_alerts(
                &self,
                clause: &str,
                key: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Alert>> {
                use sqlx::Row;
                let sql = format!(
                    "SELECT a.*, p.name AS provider_name, m.name AS message_type_name FROM alerts a \
                     JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
                     WHERE {clause} ORDER BY a.id DESC LIMIT $2"
                );
                let rows = sqlx::query(&sql).bind(key).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map(|row| {
                        let status: String = row.try_get("status")?;
                        Ok($crate::store::Alert {
                            id: row.try_get("id")?,
                            content: $crate::store::AlertContent {
                                provider_id: row.try_get("provider_id")?,
                                message_type_id: row.try_get("message_type_id")?,
                                priority: row.try_get("priority")?,
                                title: row.try_get("title")?,
                                body_markdown: row.try_get("body_markdown")?,
                                sms_text: row.try_get("sms_text")?,
                                target_json: row.try_get("target_json")?,
                                target_description: row.try_get("target_description")?,
                                private: row.try_get("private")?,
                            },
                            provider_name: row.try_get("provider_name")?,
                            message_type_name: row.try_get("message_type_name")?,
                            status: $crate::store::AlertStatus::parse(&status)?,
                            author_staff_id: row.try_get("author_staff_id")?,
                            api_token_id: row.try_get("api_token_id")?,
                            signoff: $crate::domain::alert::SignOff {
                                name: row.try_get("signoff_name")?,
                                organisation: row.try_get("signoff_organisation")?,
                                role: row.try_get("signoff_role")?,
                                area: row.try_get("signoff_area")?,
                            },
                            needs_approval: row.try_get("needs_approval")?,
                            approver_staff_id: row.try_get("approver_staff_id")?,
                            approved_at: row.try_get("approved_at")?,
                            scheduled_for: row.try_get("scheduled_for")?,
                            queued_at: row.try_get("queued_at")?,
                            cancelled_at: row.try_get("cancelled_at")?,
                            follows_alert_id: row.try_get("follows_alert_id")?,
                            follow_up: row.try_get("follow_up")?,
                            created_at: row.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn load_subscriber(
                &self,
                clause: &str,
                key: $crate::store::SubscriberKey,
            ) -> $crate::store::StoreResult<Option<$crate::store::Subscriber>> {
                use sqlx::Row;
                use $crate::domain::subscriber::{EmailFormat, Place, Preferences, QuietHours};
                use $crate::store::StoreError;
                let sql = format!(
                    "SELECT id, public_id, name, email, mobile, mobile_confirmed_at, mobile_code_hash, \
                     mobile_code_expires_at, mobile_code_attempts, status, channel_email, channel_sms, \
                     sms_min_priority, quiet_start, quiet_end, email_format, confirm_nonce, \
                     confirm_sent_at, token_version, created_at, confirmed_at, unsubscribed_at, updated_at \
                     FROM subscribers WHERE {clause}"
                );
                let query = sqlx::query(&sql);
                let query = match key {
                    $crate::store::SubscriberKey::Id(id) => query.bind(id),
                    $crate::store::SubscriberKey::Text(text) => query.bind(text),
                };
                let Some(row) = query.fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                let corrupt = |what: &str| StoreError::Corrupt(format!("subscriber {id}: {what}"));
                let places = sqlx::query(
                    "SELECT postcode, label FROM subscriber_places WHERE subscriber_id = $1 ORDER BY position",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|place| {
                    let postcode: String = place.try_get("postcode")?;
                    Ok(Place {
                        postcode: $crate::domain::Postcode::parse(&postcode)
                            .map_err(|_| corrupt("postcode"))?,
                        label: place.try_get("label")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
                let providers: Vec<String> = sqlx::query_scalar(
                    "SELECT p.slug FROM subscriber_providers sp JOIN providers p ON p.id = sp.provider_id \
                     WHERE sp.subscriber_id = $1 ORDER BY p.position, p.id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let message_types: Vec<String> = sqlx::query_scalar(
                    "SELECT m.slug FROM subscriber_message_types sm JOIN message_types m ON m.id = sm.message_type_id \
                     WHERE sm.subscriber_id = $1 ORDER BY m.position, m.id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mobile: Option<String> = row.try_get("mobile")?;
                let quiet_start: Option<String> = row.try_get("quiet_start")?;
                let quiet_end: Option<String> = row.try_get("quiet_end")?;
                let quiet_hours = match (quiet_start, quiet_end) {
                    (Some(start), Some(end)) => Some(QuietHours {
                        start: QuietHours::parse_time(&start).ok_or_else(|| corrupt("quiet hours"))?,
                        end: QuietHours::parse_time(&end).ok_or_else(|| corrupt("quiet hours"))?,
                    }),
                    _ => None,
                };
                let status: String = row.try_get("status")?;
                let email_format: String = row.try_get("email_format")?;
                let preferences = Preferences {
                    name: row.try_get("name")?,
                    mobile: mobile
                        .map(|m| $crate::domain::MobileNumber::parse(&m).map_err(|_| corrupt("mobile")))
                        .transpose()?,
                    places,
                    providers,
                    message_types,
                    email: row.try_get("channel_email")?,
                    sms: row.try_get("channel_sms")?,
                    sms_min_priority: $crate::domain::Priority::new(row.try_get("sms_min_priority")?)
                        .map_err(|_| corrupt("priority"))?,
                    quiet_hours,
                    email_format: EmailFormat::from_stored(&email_format),
                };
                Ok(Some($crate::store::Subscriber {
                    id,
                    public_id: row.try_get("public_id")?,
                    email: row.try_get("email")?,
                    status: $crate::store::SubscriberStatus::parse(&status)?,
                    preferences,
                    mobile_confirmed_at: row.try_get("mobile_confirmed_at")?,
                    mobile_code_hash: row.try_get("mobile_code_hash")?,
                    mobile_code_expires_at: row.try_get("mobile_code_expires_at")?,
                    mobile_code_attempts: row.try_get("mobile_code_attempts")?,
                    confirm_nonce: row.try_get("confirm_nonce")?,
                    confirm_sent_at: row.try_get("confirm_sent_at")?,
                    token_version: row.try_get("token_version")?,
                    created_at: row.try_get("created_at")?,
                    confirmed_at: row.try_get("confirmed_at")?,
                    unsubscribed_at: row.try_get("unsubscribed_at")?,
                    updated_at: row.try_get("updated_at")?,
                }))
            }

            // The public archive.

            /// Renders the plain text of alerts stored without it (those stored before the archive's
            /// migration, or written by hand), a batch at a time. Run after the migrations: once every
            /// alert has its text, an index finds nothing to do.
            async fn render_missing_body_text(&self) -> $crate::store::StoreResult<()> {
                loop {
                    let batch: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT id, body_markdown FROM alerts WHERE body_text IS NULL ORDER BY id LIMIT 500",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    if batch.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.pool.begin().await?;
                    for (id, markdown) in batch {
                        sqlx::query("UPDATE alerts SET body_text = $2 WHERE id = $1")
                            .bind(id)
                            .bind($crate::domain::alert::render_markdown(&markdown).text)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                }
            }

            /// Binds an archive query's parameters in the order they were numbered.
            fn bind_archive_params<'q>(
                mut query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
                params: &'q $crate::store::shared::ArchiveParams,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
                use $crate::store::shared::ArchiveParam;
                for param in &params.0 {
                    query = match param {
                        ArchiveParam::Int(value) => query.bind(*value),
                        ArchiveParam::Text(value) => query.bind(value.as_str()),
                    };
                }
                query
            }

            /// A public alert from a row of `PUBLIC_ALERT_COLUMNS`, its districts still to be added.
            fn public_alert_from_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> $crate::store::StoreResult<$crate::store::PublicAlert> {
                use sqlx::Row;
                Ok($crate::store::PublicAlert {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    body_markdown: row.try_get("body_markdown")?,
                    provider_slug: row.try_get("provider_slug")?,
                    provider_name: row.try_get("provider_name")?,
                    message_type_slug: row.try_get("message_type_slug")?,
                    message_type_name: row.try_get("message_type_name")?,
                    priority: row.try_get("priority")?,
                    sent_at: row.try_get("queued_at")?,
                    signoff: $crate::domain::alert::SignOff {
                        name: row.try_get("signoff_name")?,
                        organisation: row.try_get("signoff_organisation")?,
                        role: row.try_get("signoff_role")?,
                        area: row.try_get("signoff_area")?,
                    },
                    area: row.try_get("target_description")?,
                    target_json: row.try_get("target_json")?,
                    district_codes: Vec::new(),
                    follows_alert_id: row.try_get("follows_alert_id")?,
                    follow_up: row.try_get("follow_up")?,
                    imported_from: row.try_get("imported_from")?,
                    imported_provider: row.try_get("imported_provider")?,
                    imported_inferred: row
                        .try_get::<Option<String>, _>("imported_inferred")?
                        .unwrap_or_default()
                        .split(',')
                        .filter(|part| !part.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            }

            /// Fills in the districts of alerts read for the archive, each alert's in code order.
            async fn add_district_codes<'a>(
                &self,
                alerts: impl Iterator<Item = &'a mut $crate::store::PublicAlert>,
            ) -> $crate::store::StoreResult<()> {
                let mut alerts: std::collections::HashMap<i64, &'a mut $crate::store::PublicAlert> =
                    alerts.map(|alert| (alert.id, alert)).collect();
                let ids: Vec<i64> = alerts.keys().copied().collect();
                // A few hundred parameters a statement stays far below either backend's limit.
                for chunk in ids.chunks(500) {
                    let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
                    let sql = format!(
                        "SELECT alert_id, district_code FROM alert_districts WHERE alert_id IN ({}) \
                         ORDER BY alert_id, district_code",
                        placeholders.join(", ")
                    );
                    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for (alert_id, code) in query.fetch_all(&self.pool).await? {
                        if let Some(alert) = alerts.get_mut(&alert_id) {
                            alert.district_codes.push(code);
                        }
                    }
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            $($specific)*

            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn seed_catalogue(&self) -> $crate::store::StoreResult<()> {
                use $crate::domain::catalogue::{MESSAGE_TYPES, PROVIDERS};
                let mut tx = self.pool.begin().await?;
                for (position, seed) in PROVIDERS.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO providers (slug, name, description, contact_phone, position) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING",
                    )
                    .bind(seed.slug)
                    .bind(seed.name)
                    .bind(seed.description)
                    .bind(seed.contact_phone)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
                }
                for (position, seed) in MESSAGE_TYPES.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO message_types (slug, name, description, position) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING",
                    )
                    .bind(seed.slug)
                    .bind(seed.name)
                    .bind(seed.description)
                    .bind(position as i64)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn providers(&self) -> $crate::store::StoreResult<Vec<$crate::domain::Provider>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, slug, name, description, contact_phone FROM providers ORDER BY position, id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::domain::Provider {
                            id: row.try_get("id")?,
                            slug: row.try_get("slug")?,
                            name: row.try_get("name")?,
                            description: row.try_get("description")?,
                            contact_phone: row.try_get("contact_phone")?,
                        })
                    })
                    .collect()
            }

            async fn insert_provider(
                &self,
                slug: &str,
                name: &str,
                description: &str,
                contact_phone: Option<&str>,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO providers (slug, name, description, contact_phone, position) \
                     VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM providers)) RETURNING id",
                )
                .bind(slug)
                .bind(name)
                .bind(description)
                .bind(contact_phone)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn update_provider(
                &self,
                id: i64,
                name: &str,
                description: &str,
                contact_phone: Option<&str>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE providers SET name = $2, description = $3, contact_phone = $4 WHERE id = $1")
                    .bind(id)
                    .bind(name)
                    .bind(description)
                    .bind(contact_phone)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn message_types(&self) -> $crate::store::StoreResult<Vec<$crate::domain::MessageType>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, slug, name, description FROM message_types ORDER BY position, id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::domain::MessageType {
                            id: row.try_get("id")?,
                            slug: row.try_get("slug")?,
                            name: row.try_get("name")?,
                            description: row.try_get("description")?,
                        })
                    })
                    .collect()
            }

            async fn upsert_districts(
                &self,
                districts: &[$crate::geo::districts::District],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                for district in districts {
                    sqlx::query(
                        "INSERT INTO districts (code, name, county_code, county_name) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                         county_code = excluded.county_code, county_name = excluded.county_name",
                    )
                    .bind(&district.code)
                    .bind(&district.name)
                    .bind(&district.county_code)
                    .bind(&district.county_name)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn districts(&self) -> $crate::store::StoreResult<Vec<$crate::geo::districts::District>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT code, name, county_code, county_name FROM districts ORDER BY code")
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::geo::districts::District {
                            code: row.try_get("code")?,
                            name: row.try_get("name")?,
                            county_code: row.try_get("county_code")?,
                            county_name: row.try_get("county_name")?,
                        })
                    })
                    .collect()
            }

            async fn postcode_count(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM postcodes").fetch_one(&self.pool).await?)
            }

            async fn find_postcode(
                &self,
                postcode: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::PostcodeLocation>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT p.postcode, p.district_code, d.name AS district_name, p.easting, p.northing, p.terminated \
                     FROM postcodes p LEFT JOIN districts d ON d.code = p.district_code WHERE p.postcode = $1",
                )
                .bind(postcode)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| {
                    Ok($crate::store::PostcodeLocation {
                        postcode: row.try_get("postcode")?,
                        district_code: row.try_get("district_code")?,
                        district_name: row.try_get("district_name")?,
                        easting: row.try_get("easting")?,
                        northing: row.try_get("northing")?,
                        terminated: row.try_get("terminated")?,
                    })
                })
                .transpose()
            }

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
                .bind(&new.email)
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
                use sqlx::Row;
                let row = sqlx::query(
                    "UPDATE subscribers SET mobile_code_attempts = mobile_code_attempts + 1 \
                     WHERE id = $1 AND mobile_code_hash IS NOT NULL AND mobile_code_attempts < $2 \
                     RETURNING mobile_code_hash, mobile_code_expires_at",
                )
                .bind(id)
                .bind(max_attempts)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| Ok((row.try_get("mobile_code_hash")?, row.try_get("mobile_code_expires_at")?)))
                    .transpose()
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
                for table in [
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

            async fn enqueue_outbound(
                &self,
                message: &$crate::store::NewOutbound,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                let mut tx = self.pool.begin().await?;
                let id = Self::enqueue_in(&mut tx, message, now).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn claim_outbound(
                &self,
                now: $crate::store::Timestamp,
                lease_until: $crate::store::Timestamp,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::OutboundMessage>> {
                use sqlx::Row;
                let sql = concat!(
                    "UPDATE outbound_messages SET locked_until = $2, attempts = attempts + 1 WHERE id IN (",
                    "SELECT id FROM outbound_messages WHERE sent_at IS NULL AND failed_at IS NULL ",
                    "AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) ",
                    "ORDER BY next_attempt_at, id LIMIT $3 ", $claim_lock, ") ",
                    "RETURNING id, subscriber_id, channel, purpose, payload, attempts"
                );
                let rows = sqlx::query(sql)
                    .bind(now)
                    .bind(lease_until)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                let mut claimed = rows
                    .into_iter()
                    .map(|row| {
                        let channel: String = row.try_get("channel")?;
                        Ok($crate::store::OutboundMessage {
                            id: row.try_get("id")?,
                            subscriber_id: row.try_get("subscriber_id")?,
                            channel: match channel.as_str() {
                                "sms" => $crate::store::OutboundChannel::Sms,
                                "email" => $crate::store::OutboundChannel::Email,
                                other => {
                                    return Err($crate::store::StoreError::Corrupt(format!("outbound channel {other:?}")))
                                }
                            },
                            purpose: row.try_get("purpose")?,
                            payload: row.try_get("payload")?,
                            attempts: row.try_get("attempts")?,
                        })
                    })
                    .collect::<Result<Vec<_>, $crate::store::StoreError>>()?;
                claimed.sort_by_key(|m| m.id);
                Ok(claimed)
            }

            async fn mark_outbound_sent(&self, id: i64, now: $crate::store::Timestamp) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE outbound_messages SET sent_at = $2, locked_until = NULL, last_error = NULL, payload = '' WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_outbound_retry(
                &self,
                id: i64,
                next_attempt_at: $crate::store::Timestamp,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE outbound_messages SET next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(next_attempt_at)
                .bind(error)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn mark_outbound_failed(
                &self,
                id: i64,
                now: $crate::store::Timestamp,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE outbound_messages SET failed_at = $2, locked_until = NULL, last_error = $3, payload = '' \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .bind(error)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn insert_staff(&self, new: &$crate::store::NewStaff) -> $crate::store::StoreResult<i64> {
                let p = new.permissions;
                Ok(sqlx::query_scalar(
                    "INSERT INTO staff (public_id, email, email_key, name, role_title, area_label, provider_id, \
                     can_send, can_approve, is_admin, needs_approval, enrolment_nonce, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
                )
                .bind(&new.public_id)
                .bind(&new.email)
                .bind(&new.email_key)
                .bind(&new.name)
                .bind(&new.role_title)
                .bind(&new.area_label)
                .bind(new.provider_id)
                .bind(p.send)
                .bind(p.approve)
                .bind(p.admin)
                .bind(p.needs_approval)
                .bind(&new.enrolment_nonce)
                .bind(new.now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn staff(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::StaffMember>> {
                Ok(self.load_staff("s.id = $1", $crate::store::SubscriberKey::Id(id)).await?.pop())
            }

            async fn staff_by_public_id(
                &self,
                public_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::StaffMember>> {
                Ok(self
                    .load_staff("s.public_id = $1", $crate::store::SubscriberKey::Text(public_id.to_owned()))
                    .await?
                    .pop())
            }

            async fn staff_by_email_key(
                &self,
                email_key: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::StaffMember>> {
                Ok(self
                    .load_staff("s.email_key = $1", $crate::store::SubscriberKey::Text(email_key.to_owned()))
                    .await?
                    .pop())
            }

            async fn list_staff(&self) -> $crate::store::StoreResult<Vec<$crate::store::StaffMember>> {
                self.load_staff("s.id > $1", $crate::store::SubscriberKey::Id(0)).await
            }

            async fn count_staff(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM staff").fetch_one(&self.pool).await?)
            }

            async fn update_staff(
                &self,
                id: i64,
                details: &$crate::domain::staff::StaffDetails,
                provider_id: i64,
                active: bool,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                let p = details.permissions;
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE staff SET email = $2, email_key = $3, name = $4, role_title = $5, area_label = $6, \
                     provider_id = $7, can_send = $8, can_approve = $9, is_admin = $10, needs_approval = $11, \
                     active = $12, updated_at = $13 WHERE id = $1",
                )
                .bind(id)
                .bind(details.email.as_str())
                .bind(details.email.key())
                .bind(&details.name)
                .bind(&details.role_title)
                .bind(&details.area_label)
                .bind(provider_id)
                .bind(p.send)
                .bind(p.approve)
                .bind(p.admin)
                .bind(p.needs_approval)
                .bind(active)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if !active {
                    sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1").bind(id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn reset_staff_credentials(
                &self,
                id: i64,
                nonce: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE staff SET password_hash = NULL, totp_secret = NULL, totp_last_step = NULL, \
                     enrolment_nonce = $2, failed_sign_ins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(nonce)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for table in ["staff_sessions", "staff_recovery_codes"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE staff_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn enrol_staff(
                &self,
                id: i64,
                nonce: &str,
                password_hash: &str,
                totp_secret: &str,
                recovery_code_hashes: &[String],
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE staff SET password_hash = $3, totp_secret = $4, enrolment_nonce = NULL, \
                     failed_sign_ins = 0, locked_until = NULL, updated_at = $5 \
                     WHERE id = $1 AND enrolment_nonce = $2",
                )
                .bind(id)
                .bind(nonce)
                .bind(password_hash)
                .bind(totp_secret)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for hash in recovery_code_hashes {
                    sqlx::query("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2)")
                        .bind(id)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn record_sign_in_failure(
                &self,
                id: i64,
                locked_until: Option<$crate::store::Timestamp>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE staff SET failed_sign_ins = failed_sign_ins + 1, \
                     locked_until = COALESCE($2, locked_until) WHERE id = $1",
                )
                .bind(id)
                .bind(locked_until)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn record_sign_in_success(
                &self,
                id: i64,
                totp_step: Option<i64>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE staff SET failed_sign_ins = 0, locked_until = NULL, \
                     totp_last_step = COALESCE($2, totp_last_step) WHERE id = $1",
                )
                .bind(id)
                .bind(totp_step)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn use_recovery_code(
                &self,
                id: i64,
                code_hash: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE staff_recovery_codes SET used_at = $3 \
                     WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL",
                )
                .bind(id)
                .bind(code_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn unused_recovery_codes(&self, id: i64) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn create_session(
                &self,
                token_hash: &str,
                staff_id: i64,
                now: $crate::store::Timestamp,
                expires_at: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO staff_sessions (token_hash, staff_id, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $3, $4)",
                )
                .bind(token_hash)
                .bind(staff_id)
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session_staff(
                &self,
                token_hash: &str,
                now: $crate::store::Timestamp,
                idle_cutoff: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<$crate::store::StaffMember>> {
                let staff_id: Option<i64> = sqlx::query_scalar(
                    "UPDATE staff_sessions SET last_seen_at = $2 \
                     WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3 RETURNING staff_id",
                )
                .bind(token_hash)
                .bind(now)
                .bind(idle_cutoff)
                .fetch_optional(&self.pool)
                .await?;
                let Some(staff_id) = staff_id else {
                    return Ok(None);
                };
                Ok(self.staff(staff_id).await?.filter(|s| s.active && s.is_enrolled()))
            }

            async fn delete_session(&self, token_hash: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn insert_alert(&self, alert: &$crate::store::NewAlert) -> $crate::store::StoreResult<i64> {
                let c = &alert.content;
                Ok(sqlx::query_scalar(
                    "INSERT INTO alerts (provider_id, message_type_id, priority, title, body_markdown, sms_text, \
                     target_json, target_description, status, author_staff_id, signoff_name, signoff_organisation, \
                     signoff_role, signoff_area, needs_approval, follows_alert_id, follow_up, created_at, updated_at, \
                     api_token_id, body_text, private) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20) \
                     RETURNING id",
                )
                .bind(c.provider_id)
                .bind(c.message_type_id)
                .bind(c.priority)
                .bind(&c.title)
                .bind(&c.body_markdown)
                .bind(&c.sms_text)
                .bind(&c.target_json)
                .bind(&c.target_description)
                .bind(alert.author_staff_id)
                .bind(&alert.signoff.name)
                .bind(&alert.signoff.organisation)
                .bind(&alert.signoff.role)
                .bind(&alert.signoff.area)
                .bind(alert.needs_approval)
                .bind(alert.follows_alert_id)
                .bind(&alert.follow_up)
                .bind(alert.now)
                .bind(alert.api_token_id)
                // What the archive searches: the body as residents read it in plain text.
                .bind($crate::domain::alert::render_markdown(&c.body_markdown).text)
                .bind(c.private)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn alert(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::Alert>> {
                Ok(self.load_alerts("a.id = $1", id, 1).await?.pop())
            }

            async fn list_alerts(
                &self,
                provider_id: Option<i64>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Alert>> {
                match provider_id {
                    Some(provider) => self.load_alerts("a.provider_id = $1", provider, limit).await,
                    None => self.load_alerts("a.id > $1", 0, limit).await,
                }
            }

            async fn transition_alert(
                &self,
                id: i64,
                from: &[$crate::store::AlertStatus],
                to: $crate::store::AlertStatus,
                change: &$crate::store::AlertTransition,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                // The allowed starting states travel as one parameter: ",draft,ready,".
                let allowed = format!(",{},", from.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
                let done = sqlx::query(
                    "UPDATE alerts SET status = $3, updated_at = $4, \
                     approver_staff_id = COALESCE($5, approver_staff_id), \
                     approved_at = CASE WHEN $5 IS NULL THEN approved_at ELSE $4 END, \
                     scheduled_for = CASE WHEN $3 = 'scheduled' THEN $6 ELSE scheduled_for END, \
                     queued_at = CASE WHEN $3 = 'queued' THEN $4 ELSE queued_at END, \
                     fanout_next = CASE WHEN $3 = 'queued' THEN 0 ELSE fanout_next END, \
                     cancelled_at = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_at END \
                     WHERE id = $1 AND $2 LIKE '%,' || status || ',%'",
                )
                .bind(id)
                .bind(allowed)
                .bind(to.as_str())
                .bind(now)
                .bind(change.approver_staff_id)
                .bind(change.scheduled_for)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_due_alerts(
                &self,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "UPDATE alerts SET status = 'queued', queued_at = $1, updated_at = $1, fanout_next = 0 \
                     WHERE status = 'scheduled' AND scheduled_for <= $1 RETURNING id",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn audience_entries(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::geo::audience::AudienceEntry>> {
                use sqlx::Row;
                let mut choices: std::collections::HashMap<i64, (Vec<i64>, Vec<i64>)> = std::collections::HashMap::new();
                for row in sqlx::query(
                    "SELECT sp.subscriber_id, sp.provider_id FROM subscriber_providers sp \
                     JOIN subscribers s ON s.id = sp.subscriber_id WHERE s.status = 'active'",
                )
                .fetch_all(&self.pool)
                .await?
                {
                    choices.entry(row.try_get("subscriber_id")?).or_default().0.push(row.try_get("provider_id")?);
                }
                for row in sqlx::query(
                    "SELECT sm.subscriber_id, sm.message_type_id FROM subscriber_message_types sm \
                     JOIN subscribers s ON s.id = sm.subscriber_id WHERE s.status = 'active'",
                )
                .fetch_all(&self.pool)
                .await?
                {
                    choices.entry(row.try_get("subscriber_id")?).or_default().1.push(row.try_get("message_type_id")?);
                }
                // Texts count only for a confirmed mobile number.
                let rows = sqlx::query(
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
                rows.into_iter()
                    .map(|row| {
                        let id: i64 = row.try_get("id")?;
                        let (providers, message_types) = choices.get(&id).cloned().unwrap_or_default();
                        let priority: i64 = row.try_get("sms_min_priority")?;
                        Ok($crate::geo::audience::AudienceEntry {
                            subscriber_id: id,
                            district_code: row.try_get("district_code")?,
                            easting: row.try_get("easting")?,
                            northing: row.try_get("northing")?,
                            providers,
                            message_types,
                            email: row.try_get("channel_email")?,
                            sms: row.try_get("sms")?,
                            sms_min_priority: u8::try_from(priority).unwrap_or(1),
                        })
                    })
                    .collect()
            }

            async fn claim_fanout(
                &self,
                now: $crate::store::Timestamp,
                lease_until: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<($crate::store::Alert, i64)>> {
                use sqlx::Row;
                let sql = concat!(
                    "UPDATE alerts SET fanout_locked_until = $2 WHERE id = (",
                    "SELECT id FROM alerts WHERE status = 'queued' AND fanout_next IS NOT NULL ",
                    "AND (fanout_locked_until IS NULL OR fanout_locked_until <= $1) ",
                    "ORDER BY priority, id LIMIT 1 ", $claim_lock, ") RETURNING id, fanout_next"
                );
                let Some(row) = sqlx::query(sql).bind(now).bind(lease_until).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let id: i64 = row.try_get("id")?;
                let next: i64 = row.try_get("fanout_next")?;
                let alert = self.load_alerts("a.id = $1", id, 1).await?.pop();
                Ok(alert.map(|a| (a, next)))
            }

            async fn release_fanout(&self, alert_id: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE alerts SET fanout_locked_until = NULL WHERE id = $1 AND fanout_next IS NOT NULL")
                    .bind(alert_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
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
                use sqlx::Row;
                use $crate::domain::subscriber::EmailFormat;
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
                    $claim_lock,
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
                let rows = Self::claim_rows(&self.pool, &claim, columns, now, lease_until).await?;
                rows.into_iter()
                    .map(|row| {
                        let format: String = row.try_get("email_format")?;
                        let quiet_start: Option<String> = row.try_get("quiet_start")?;
                        let quiet_end: Option<String> = row.try_get("quiet_end")?;
                        Ok($crate::store::DeliveryTarget {
                            id: row.try_get("id")?,
                            alert_id: row.try_get("alert_id")?,
                            subscriber_id: row.try_get("subscriber_id")?,
                            channel,
                            attempts: row.try_get("attempts")?,
                            gateway_id: row.try_get("gateway_id")?,
                            lease_until,
                            name: row.try_get("name")?,
                            email: row.try_get("email")?,
                            mobile: row.try_get("mobile")?,
                            public_id: row.try_get("public_id")?,
                            token_version: row.try_get("token_version")?,
                            email_format: if format == "plain" { EmailFormat::Plain } else { EmailFormat::Full },
                            wants_channel: match channel {
                                $crate::store::OutboundChannel::Email => row.try_get("wants_email")?,
                                $crate::store::OutboundChannel::Sms => row.try_get("wants_sms")?,
                            },
                            quiet_hours: quiet_start.zip(quiet_end),
                        })
                    })
                    .collect()
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
                        marked.extend(Self::mark_sent_group(&self.pool, group, now).await?);
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
                let failed = sqlx::query(
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
                let row = sqlx::query(
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
                use sqlx::Row;
                let mut report = $crate::store::DeliveryReport::default();
                let rows = sqlx::query(
                    "SELECT channel, state, held, COUNT(*) AS n FROM deliveries WHERE alert_id = $1 \
                     GROUP BY channel, state, held",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for row in rows {
                    let channel: String = row.try_get("channel")?;
                    let state: String = row.try_get("state")?;
                    let held: bool = row.try_get("held")?;
                    let n: i64 = row.try_get("n")?;
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
                let rows = sqlx::query(
                    "SELECT (sent_at / 60) * 60 AS minute, \
                     SUM(CASE WHEN channel = 'email' THEN 1 ELSE 0 END) AS emails, \
                     SUM(CASE WHEN channel = 'sms' THEN 1 ELSE 0 END) AS texts \
                     FROM deliveries WHERE alert_id = $1 AND sent_at IS NOT NULL \
                     GROUP BY (sent_at / 60) * 60 ORDER BY minute",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for row in rows {
                    report.timeline.push((row.try_get("minute")?, row.try_get("emails")?, row.try_get("texts")?));
                }
                let rows = sqlx::query(
                    "SELECT COALESCE(last_error, 'unknown') AS reason, COUNT(*) AS n FROM deliveries \
                     WHERE alert_id = $1 AND state = 'failed' GROUP BY COALESCE(last_error, 'unknown') \
                     ORDER BY n DESC, reason LIMIT 10",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for row in rows {
                    report.failures.push((row.try_get("reason")?, row.try_get("n")?));
                }
                let rows = sqlx::query(
                    "SELECT useful, COUNT(*) AS n FROM alert_ratings WHERE alert_id = $1 GROUP BY useful",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for row in rows {
                    let useful: bool = row.try_get("useful")?;
                    let n: i64 = row.try_get("n")?;
                    if useful {
                        report.useful = n;
                    } else {
                        report.not_useful = n;
                    }
                }
                let rows = sqlx::query(
                    "SELECT r.id, s.name, r.body, r.created_at FROM alert_replies r \
                     JOIN subscribers s ON s.id = r.subscriber_id WHERE r.alert_id = $1 \
                     ORDER BY r.id DESC LIMIT 100",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                for row in rows {
                    let name: String = row.try_get("name")?;
                    report.replies.push($crate::store::AlertReply {
                        id: row.try_get("id")?,
                        first_name: $crate::domain::subscriber::first_name(&name).to_owned(),
                        body: row.try_get("body")?,
                        created_at: row.try_get("created_at")?,
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

            async fn rate_alert(
                &self,
                alert_id: i64,
                subscriber_id: i64,
                useful: bool,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO alert_ratings (alert_id, subscriber_id, useful, rated_at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM deliveries WHERE alert_id = $1 \
                     AND subscriber_id = $2 AND state IN ('sent', 'delivered')) \
                     ON CONFLICT (alert_id, subscriber_id) DO UPDATE SET useful = excluded.useful, rated_at = excluded.rated_at",
                )
                .bind(alert_id)
                .bind(subscriber_id)
                .bind(useful)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn add_alert_reply(
                &self,
                alert_id: i64,
                subscriber_id: i64,
                body: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO alert_replies (alert_id, subscriber_id, body, created_at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM deliveries WHERE alert_id = $1 \
                     AND subscriber_id = $2 AND state IN ('sent', 'delivered')) \
                     AND (SELECT COUNT(*) FROM alert_replies WHERE alert_id = $1 AND subscriber_id = $2) < $5",
                )
                .bind(alert_id)
                .bind(subscriber_id)
                .bind(body)
                .bind(now)
                .bind($crate::store::MAX_REPLIES_PER_ALERT)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn contact_problems(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ContactProblem>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, public_id, name, 'email' AS channel, email AS contact, email_failures AS failures, \
                     email_suspended_at AS suspended_at FROM subscribers WHERE email_suspended_at IS NOT NULL \
                     UNION ALL \
                     SELECT id, public_id, name, 'sms' AS channel, COALESCE(mobile, '') AS contact, sms_failures AS failures, \
                     sms_suspended_at AS suspended_at FROM subscribers WHERE sms_suspended_at IS NOT NULL \
                     ORDER BY suspended_at DESC LIMIT 500",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        let channel: String = row.try_get("channel")?;
                        Ok($crate::store::ContactProblem {
                            subscriber_id: row.try_get("id")?,
                            public_id: row.try_get("public_id")?,
                            name: row.try_get("name")?,
                            channel: if channel == "sms" {
                                $crate::store::OutboundChannel::Sms
                            } else {
                                $crate::store::OutboundChannel::Email
                            },
                            contact: row.try_get("contact")?,
                            failures: row.try_get("failures")?,
                            suspended_at: row.try_get("suspended_at")?,
                        })
                    })
                    .collect()
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

            // The public archive. What a search looks like differs by backend (FTS5, tsvector), so
            // each backend supplies `archive_search_words` and `archive_search_sql`.
            async fn public_alerts(
                &self,
                filter: &$crate::store::ArchiveFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ArchiveHit>> {
                use sqlx::Row;
                use $crate::store::shared::{ArchiveParam, ArchiveParams, PUBLIC_ALERT_COLUMNS};
                // A search's words are parameter $1; each filter adds a condition on the alert `a`
                // (its `id`, `provider_id`, `message_type_id` and `queued_at`) with its own
                // numbered parameter. Whether `a` is public is for each query to say: a search's
                // index holds public alerts only.
                let mut params = ArchiveParams::default();
                let searching = match filter.query.as_deref() {
                    Some(text) => {
                        let terms = $crate::store::shared::search_terms(text);
                        if terms.is_empty() {
                            return Ok(Vec::new());
                        }
                        params.add(ArchiveParam::Text(Self::archive_search_words(&terms)));
                        true
                    }
                    None => false,
                };
                let mut filters = String::new();
                if let Some(code) = &filter.district {
                    let code = params.add(ArchiveParam::Text(code.clone()));
                    filters += &format!(
                        " AND a.id IN (SELECT alert_id FROM alert_districts WHERE district_code = {code})"
                    );
                }
                if let Some(slug) = &filter.provider {
                    let slug = params.add(ArchiveParam::Text(slug.clone()));
                    filters += &format!(" AND a.provider_id = (SELECT id FROM providers WHERE slug = {slug})");
                }
                if let Some(slug) = &filter.message_type {
                    let slug = params.add(ArchiveParam::Text(slug.clone()));
                    filters +=
                        &format!(" AND a.message_type_id = (SELECT id FROM message_types WHERE slug = {slug})");
                }
                if let Some(since) = filter.since {
                    filters += &format!(" AND a.queued_at >= {}", params.add(ArchiveParam::Int(since)));
                }
                if let Some(until) = filter.until {
                    filters += &format!(" AND a.queued_at < {}", params.add(ArchiveParam::Int(until)));
                }
                // No limit asked for: every match.
                let limit = if filter.limit > 0 { filter.limit } else { i64::MAX };
                let sql = if searching {
                    let page = format!(
                        "LIMIT {} OFFSET {}",
                        params.add(ArchiveParam::Int(limit)),
                        params.add(ArchiveParam::Int(filter.offset.max(0)))
                    );
                    Self::archive_search_sql(PUBLIC_ALERT_COLUMNS, &filters, &page)
                } else {
                    if let Some((at, id)) = filter.before {
                        let at = params.add(ArchiveParam::Int(at));
                        let id = params.add(ArchiveParam::Int(id));
                        filters += &format!(" AND (a.queued_at, a.id) < ({at}, {id})");
                    }
                    format!(
                        "SELECT {PUBLIC_ALERT_COLUMNS} FROM alerts a \
                         JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
                         WHERE a.status = 'queued' AND NOT a.private{filters} \
                         ORDER BY a.queued_at DESC, a.id DESC LIMIT {}",
                        params.add(ArchiveParam::Int(limit))
                    )
                };
                let rows = if searching {
                    // Planned afresh each time (an unnamed statement), with the backend's planner
                    // settings for searches: how best to find a word's alerts depends on how
                    // common the word is, which a plan cached for any word would not know.
                    let mut tx = self.pool.begin().await?;
                    for setting in Self::ARCHIVE_SEARCH_SETTINGS {
                        sqlx::query(setting).execute(&mut *tx).await?;
                    }
                    let rows = Self::bind_archive_params(sqlx::query(&sql).persistent(false), &params)
                        .fetch_all(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    rows
                } else {
                    Self::bind_archive_params(sqlx::query(&sql), &params)
                        .fetch_all(&self.pool)
                        .await?
                };
                let mut hits = rows
                    .iter()
                    .map(|row| {
                        let snippet = if searching {
                            Some($crate::store::shared::choose_snippet(
                                row.try_get("body_snippet")?,
                                row.try_get("title_snippet")?,
                            ))
                        } else {
                            None
                        };
                        Ok($crate::store::ArchiveHit { alert: Self::public_alert_from_row(row)?, snippet })
                    })
                    .collect::<$crate::store::StoreResult<Vec<_>>>()?;
                self.add_district_codes(hits.iter_mut().map(|hit| &mut hit.alert)).await?;
                Ok(hits)
            }

            async fn public_alert(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::PublicAlert>> {
                use $crate::store::shared::PUBLIC_ALERT_COLUMNS;
                let sql = format!(
                    "SELECT {PUBLIC_ALERT_COLUMNS} FROM alerts a \
                     JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
                     WHERE a.id = $1 AND a.status = 'queued' AND NOT a.private"
                );
                let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let mut alert = Self::public_alert_from_row(&row)?;
                self.add_district_codes(std::iter::once(&mut alert)).await?;
                Ok(Some(alert))
            }

            async fn set_alert_districts(
                &self,
                alert_id: i64,
                codes: &[String],
            ) -> $crate::store::StoreResult<()> {
                let mut wanted: Vec<&str> = codes.iter().map(String::as_str).collect();
                wanted.sort_unstable();
                wanted.dedup();
                // Read before the transaction, which then starts by writing: on SQLite a
                // transaction that reads and then writes fails at once (not after the busy
                // timeout) if another connection wrote in between. Recording the same districts
                // twice is harmless.
                let recorded: Vec<String> = sqlx::query_scalar(
                    "SELECT district_code FROM alert_districts WHERE alert_id = $1 ORDER BY district_code",
                )
                .bind(alert_id)
                .fetch_all(&self.pool)
                .await?;
                if recorded.iter().map(String::as_str).eq(wanted.iter().copied()) {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM alert_districts WHERE alert_id = $1")
                    .bind(alert_id)
                    .execute(&mut *tx)
                    .await?;
                for code in wanted {
                    sqlx::query("INSERT INTO alert_districts (alert_id, district_code) VALUES ($1, $2)")
                        .bind(alert_id)
                        .bind(code)
                        .execute(&mut *tx)
                        .await?;
                }
                // The districts are part of what the archive shows (and which district feeds list
                // the alert), so recording them is a change for `archive_changed_at`. The
                // interface passes no time: the clock's, never moving `updated_at` back.
                sqlx::query(
                    "UPDATE alerts SET updated_at = CASE WHEN updated_at < $2 THEN $2 ELSE updated_at END \
                     WHERE id = $1",
                )
                .bind(alert_id)
                .bind(chrono::Utc::now().timestamp())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn archive_changed_at(&self) -> $crate::store::StoreResult<$crate::store::Timestamp> {
                use sqlx::Row;
                // The latest public alert sent, and the latest change to any alert ever sent (one
                // withdrawn since is no longer public): each the first entry of an index.
                let row = sqlx::query(
                    "SELECT \
                     (SELECT queued_at FROM alerts WHERE status = 'queued' AND NOT private \
                      ORDER BY queued_at DESC LIMIT 1) AS sent, \
                     (SELECT updated_at FROM alerts WHERE queued_at IS NOT NULL \
                      ORDER BY updated_at DESC LIMIT 1) AS changed",
                )
                .fetch_one(&self.pool)
                .await?;
                let sent: Option<i64> = row.try_get("sent")?;
                let changed: Option<i64> = row.try_get("changed")?;
                Ok(sent.max(changed).unwrap_or(0))
            }

            async fn archive_alert(
                &self,
                id: i64,
                sent_at: $crate::store::Timestamp,
                imported_from: Option<&str>,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE alerts SET status = 'queued', queued_at = $2, updated_at = $2, fanout_next = NULL, \
                     fanout_done_at = $2, imported_from = $3 WHERE id = $1 AND status IN ('draft', 'ready')",
                )
                .bind(id)
                .bind(sent_at)
                .bind(imported_from)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn import_alert(
                &self,
                alert: &$crate::store::ImportedAlert,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let c = &alert.content;
                let mut tx = self.pool.begin().await?;
                // Stored as sent (to nobody: no fan-out), with its districts, in one transaction:
                // an import stopped at any point leaves whole alerts or none.
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO alerts (provider_id, message_type_id, priority, title, body_markdown, sms_text, \
                     target_json, target_description, status, signoff_name, signoff_organisation, signoff_role, \
                     signoff_area, needs_approval, created_at, updated_at, queued_at, fanout_done_at, body_text, \
                     private, imported_from, imported_provider, imported_inferred, import_key) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 'queued', $8, $9, $10, $11, $12, $13, $13, $14, $14, \
                     $15, $16, $17, $18, $19, $20) \
                     ON CONFLICT (import_key) DO NOTHING RETURNING id",
                )
                .bind(c.provider_id)
                .bind(c.message_type_id)
                .bind(c.priority)
                .bind(&c.title)
                .bind(&c.body_markdown)
                .bind(&c.target_json)
                .bind(&c.target_description)
                .bind(&alert.signoff.name)
                .bind(&alert.signoff.organisation)
                .bind(&alert.signoff.role)
                .bind(&alert.signoff.area)
                .bind(false)
                .bind(alert.now)
                .bind(alert.sent_at)
                .bind($crate::domain::alert::render_markdown(&c.body_markdown).text)
                .bind(c.private)
                .bind(&alert.imported_from)
                .bind(&alert.imported_provider)
                .bind(alert.inferred.join(","))
                .bind(&alert.import_key)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    return Ok(None);
                };
                let mut codes: Vec<&str> = alert.district_codes.iter().map(String::as_str).collect();
                codes.sort_unstable();
                codes.dedup();
                for code in codes {
                    sqlx::query("INSERT INTO alert_districts (alert_id, district_code) VALUES ($1, $2)")
                        .bind(id)
                        .bind(code)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(Some(id))
            }

            async fn imported_alert_id(&self, import_key: &str) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar("SELECT id FROM alerts WHERE import_key = $1")
                    .bind(import_key)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn postcodes_in_box(
                &self,
                easting: (i32, i32),
                northing: (i32, i32),
            ) -> $crate::store::StoreResult<Vec<(String, i32, i32)>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT district_code, easting, northing FROM postcodes WHERE district_code IS NOT NULL \
                     AND easting BETWEEN $1 AND $2 AND northing BETWEEN $3 AND $4",
                )
                .bind(easting.0)
                .bind(easting.1)
                .bind(northing.0)
                .bind(northing.1)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| Ok((row.try_get("district_code")?, row.try_get("easting")?, row.try_get("northing")?)))
                    .collect()
            }

            async fn subscribers_marker(&self) -> $crate::store::StoreResult<(i64, i64)> {
                use sqlx::Row;
                let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS latest FROM subscribers")
                    .fetch_one(&self.pool)
                    .await?;
                Ok((row.try_get("n")?, row.try_get("latest")?))
            }

            async fn insert_api_token(
                &self,
                provider_id: i64,
                name: &str,
                token_hash: &str,
                created_by: Option<i64>,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO api_tokens (provider_id, name, token_hash, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(provider_id)
                .bind(name)
                .bind(token_hash)
                .bind(created_by)
                .bind(now)
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
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT t.id, t.provider_id, p.name AS provider_name, t.name, t.created_at, t.revoked_at, \
                     t.last_used_at FROM api_tokens t JOIN providers p ON p.id = t.provider_id ORDER BY t.id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::store::ApiToken {
                            id: row.try_get("id")?,
                            provider_id: row.try_get("provider_id")?,
                            provider_name: row.try_get("provider_name")?,
                            name: row.try_get("name")?,
                            created_at: row.try_get("created_at")?,
                            revoked_at: row.try_get("revoked_at")?,
                            last_used_at: row.try_get("last_used_at")?,
                        })
                    })
                    .collect()
            }

            async fn revoke_api_token(&self, id: i64, now: $crate::store::Timestamp) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn append_audit(&self, entry: &$crate::store::NewAuditEntry) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (at, staff_id, actor, action, outcome, subject, detail, ip) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(entry.at)
                .bind(entry.staff_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(if entry.refused { "refused" } else { "ok" })
                .bind(&entry.subject)
                .bind(&entry.detail)
                .bind(&entry.ip)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_entries(
                &self,
                filter: &$crate::store::AuditFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditEntry>> {
                use sqlx::Row;
                // Every filter is a bound parameter; a NULL parameter switches its condition off.
                let rows = sqlx::query(
                    "SELECT id, at, staff_id, actor, action, outcome, subject, detail, ip FROM audit_log \
                     WHERE ($1 IS NULL OR staff_id = $1) AND ($2 IS NULL OR action = $2) \
                     AND ($3 = FALSE OR outcome = 'refused') AND ($4 IS NULL OR at >= $4) \
                     AND ($5 IS NULL OR at < $5) ORDER BY id DESC LIMIT $6 OFFSET $7",
                )
                .bind(filter.staff_id)
                .bind(filter.action.as_deref())
                .bind(filter.refused_only)
                .bind(filter.since)
                .bind(filter.until)
                .bind(filter.limit.clamp(1, 1_000))
                .bind(filter.offset.max(0))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::store::AuditEntry {
                            id: row.try_get("id")?,
                            at: row.try_get("at")?,
                            staff_id: row.try_get("staff_id")?,
                            actor: row.try_get("actor")?,
                            action: row.try_get("action")?,
                            outcome: row.try_get("outcome")?,
                            subject: row.try_get("subject")?,
                            detail: row.try_get("detail")?,
                            ip: row.try_get("ip")?,
                        })
                    })
                    .collect()
            }

            async fn outbound_history(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::OutboundRecord>> {
                use sqlx::Row;
                // Messages about their subscription, then the alerts delivered (or not) to them.
                let rows = sqlx::query(
                    "SELECT channel, purpose, created_at, sent_at, failed_at FROM ( \
                     SELECT 0 AS kind, id, channel, purpose, created_at, sent_at, failed_at FROM outbound_messages \
                     WHERE subscriber_id = $1 \
                     UNION ALL \
                     SELECT 1 AS kind, d.id, d.channel, 'Alert ' || CAST(d.alert_id AS TEXT) || ': ' || a.title AS purpose, \
                     d.created_at, d.sent_at, CASE WHEN d.state = 'failed' THEN d.finished_at END AS failed_at \
                     FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.subscriber_id = $1 \
                     ) history ORDER BY created_at, kind, id",
                )
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::store::OutboundRecord {
                            channel: row.try_get("channel")?,
                            purpose: row.try_get("purpose")?,
                            created_at: row.try_get("created_at")?,
                            sent_at: row.try_get("sent_at")?,
                            failed_at: row.try_get("failed_at")?,
                        })
                    })
                    .collect()
            }

            async fn subscriber_feedback(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Vec<(i64, String, $crate::store::Timestamp)>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT alert_id, CASE WHEN useful THEN 'rated useful' ELSE 'rated not useful' END AS what, \
                     rated_at AS at FROM alert_ratings WHERE subscriber_id = $1 \
                     UNION ALL SELECT alert_id, 'replied: ' || body AS what, created_at AS at \
                     FROM alert_replies WHERE subscriber_id = $1 ORDER BY at",
                )
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| Ok((row.try_get("alert_id")?, row.try_get("what")?, row.try_get("at")?)))
                    .collect()
            }

            async fn outbound_counts(&self) -> $crate::store::StoreResult<$crate::store::OutboundCounts> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT \
                     COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
                     COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
                     COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed \
                     FROM outbound_messages",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::store::OutboundCounts {
                    waiting: row.try_get("waiting")?,
                    sent: row.try_get("sent")?,
                    failed: row.try_get("failed")?,
                })
            }
        }
    };
}

// The public archive: what both backends' archive queries share outside the macro.

/// What a public alert is read from: the alert `a`, its organisation `p` and kind `m`.
pub(super) const PUBLIC_ALERT_COLUMNS: &str =
    "a.id, a.title, a.body_markdown, p.slug AS provider_slug, p.name AS provider_name, \
     m.slug AS message_type_slug, m.name AS message_type_name, a.priority, a.queued_at, \
     a.signoff_name, a.signoff_organisation, a.signoff_role, a.signoff_area, a.target_description, \
     a.target_json, a.follows_alert_id, a.follow_up, a.imported_from, a.imported_provider, \
     a.imported_inferred";

/// A backend's fan-out `insert` of deliveries, made to skip those already recorded if
/// `existing` (see `record_fanout_chunk`).
pub(super) fn fanout_insert(insert: &str, existing: bool) -> String {
    match existing {
        false => insert.to_owned(),
        true => format!("{insert} ON CONFLICT (alert_id, subscriber_id, channel) DO NOTHING"),
    }
}

/// How many matching alerts a search ranks: the most recently stored ones. Ranking reads every
/// candidate's words, so a common word ("police", in most alerts) would otherwise cost in
/// proportion to the whole archive; with fewer matches than this (any search of two or three
/// distinctive words) the ranking is of every match. The archive lets people page this deep
/// (`services::archive::MAX_SEARCH_OFFSET`) and no further.
pub(super) const SEARCH_WINDOW: i64 = 1_000;

/// Most words a search looks for; the rest of what was typed is ignored.
pub(super) const MAX_SEARCH_TERMS: usize = 16;
/// Longer words are cut: no real word is this long, and the cut one still matches nothing.
const MAX_TERM_CHARS: usize = 64;

/// Words too common to look for: PostgreSQL's English list (`english.stop`), which its search
/// drops by itself. SQLite's search drops them too, so both backends find the same alerts.
const STOP_WORDS: [&str; 127] = [
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

/// Whether a search drops this word as too common (either case).
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word.to_lowercase().as_str())
}

/// The words of a search as the archive looks for them: runs of letters and digits (in any
/// script) that are not stop words, at most `MAX_SEARCH_TERMS`. Everything else (quotes,
/// brackets, `*`, `-`, `:`) only separates words, and each backend quotes every word, so nothing
/// typed is ever read as query syntax: `NEAR(a b)` looks for the words "NEAR" and "b".
pub(super) fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !is_stop_word(word))
        .take(MAX_SEARCH_TERMS)
        .map(|word| word.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// The snippet of a search hit: from the body where the words matched there, else from the
/// title, else the start of the body.
pub(super) fn choose_snippet(body: Option<String>, title: Option<String>) -> String {
    let marked = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\u{1}'));
    if marked(&body) {
        body.unwrap_or_default()
    } else if marked(&title) {
        title.unwrap_or_default()
    } else {
        body.filter(|b| !b.is_empty()).or(title).unwrap_or_default()
    }
}

/// An archive query's parameter.
pub(super) enum ArchiveParam {
    Int(i64),
    Text(String),
}

/// The parameters of an archive query built a condition at a time, numbered as they are added.
#[derive(Default)]
pub(super) struct ArchiveParams(pub(super) Vec<ArchiveParam>);

impl ArchiveParams {
    /// Adds a parameter; returns its placeholder (`$3`).
    pub(super) fn add(&mut self, value: ArchiveParam) -> String {
        self.0.push(value);
        format!("${}", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_letters_and_digits_only() {
        assert_eq!(
            search_terms("Stolen bikes, CB1!"),
            ["Stolen", "bikes", "CB1"]
        );
        assert_eq!(search_terms("\"foo\" OR -bar*"), ["foo", "bar"]);
        assert_eq!(search_terms("NEAR(a b)"), ["NEAR", "b"]);
        assert!(search_terms("The and OR").is_empty());
        assert_eq!(search_terms("café Łódź"), ["café", "Łódź"]);
        assert!(search_terms("\"*-()^:+").is_empty());
        let many = "word ".repeat(40);
        assert_eq!(search_terms(&many).len(), MAX_SEARCH_TERMS);
        let long = "a".repeat(10_000);
        assert_eq!(search_terms(&long)[0].chars().count(), MAX_TERM_CHARS);
    }

    #[test]
    fn snippets_come_from_where_the_words_matched() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            choose_snippet(some("lock \u{1}sheds\u{2}"), some("Sheds")),
            "lock \u{1}sheds\u{2}"
        );
        assert_eq!(
            choose_snippet(some("lock up"), some("\u{1}Sheds\u{2} broken into")),
            "\u{1}Sheds\u{2} broken into"
        );
        assert_eq!(choose_snippet(some("lock up"), some("Sheds")), "lock up");
        assert_eq!(choose_snippet(None, some("Sheds")), "Sheds");
    }
}
