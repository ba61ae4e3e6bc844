//! Staff accounts: enrolment, credentials, sign-in attempts (counted and locked atomically),
//! recovery codes and sessions.

use super::{StoreResult, Timestamp};
use crate::domain::staff::{Permissions, StaffDetails};
use crate::domain::EmailAddress;
use async_trait::async_trait;

/// A staff member as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StaffMember {
    pub id: i64,
    pub public_id: String,
    #[sqlx(try_from = "String")]
    pub email: EmailAddress,
    pub name: String,
    pub role_title: String,
    pub area_label: String,
    pub provider_id: i64,
    pub provider_name: String,
    #[sqlx(flatten, try_from = "PermissionColumns")]
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

/// A member's permissions as the `staff` table keeps them.
#[derive(sqlx::FromRow)]
pub(crate) struct PermissionColumns {
    can_send: bool,
    can_approve: bool,
    is_admin: bool,
    needs_approval: bool,
    can_operate: bool,
    can_review: bool,
    can_coordinate: bool,
}

impl From<PermissionColumns> for Permissions {
    fn from(columns: PermissionColumns) -> Permissions {
        Permissions {
            send: columns.can_send,
            approve: columns.can_approve,
            admin: columns.is_admin,
            needs_approval: columns.needs_approval,
            operate: columns.can_operate,
            review: columns.can_review,
            coordinate: columns.can_coordinate,
        }
    }
}

/// A failed sign-in as `record_sign_in_failure` counted it.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct SignInFailures {
    /// Failures in a row, this one included: 1 again once a lock has lapsed.
    pub failed_sign_ins: i64,
    /// Set when this failure locked the account.
    pub locked_until: Option<Timestamp>,
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

#[async_trait]
pub trait StaffAccounts: Send + Sync {
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
    /// Counts a failed sign-in in one statement, so that failures in parallel are each counted
    /// once: the count starts again from 1 after a lock has lapsed, and the `lock_after`th
    /// failure locks the account until `lock_until`. None, counting nothing, if the account is
    /// locked at `now` (a parallel failure locked it meanwhile).
    async fn record_sign_in_failure(
        &self,
        id: i64,
        now: Timestamp,
        lock_after: i64,
        lock_until: Timestamp,
    ) -> StoreResult<Option<SignInFailures>>;
    /// Records a successful sign-in, clearing the failures and any lock. With the TOTP time step
    /// used, only if it is later than the last one accepted and the account is not locked at
    /// `now`: false means the code was used already (perhaps by a sign-in in parallel) or the
    /// account was locked meanwhile. Without one (a recovery code, used up already), always.
    async fn record_sign_in_success(
        &self,
        id: i64,
        totp_step: Option<i64>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Clears a member's failed sign-ins and any lock (an admin's unlock); false if there was
    /// nothing to clear.
    async fn unlock_staff(&self, id: i64) -> StoreResult<bool>;
    /// Marks a recovery code used; false if it was not one of the member's unused codes.
    async fn use_recovery_code(
        &self,
        id: i64,
        code_hash: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn unused_recovery_codes(&self, id: i64) -> StoreResult<i64>;
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
}

/// Implements `StaffAccounts` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_staff_accounts {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn load_staff(
                &self,
                clause: &str,
                key: $crate::store::SubscriberKey,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StaffMember>> {
                let sql = format!(
                    "SELECT s.id, s.public_id, s.email, s.name, s.role_title, s.area_label, s.provider_id, \
                     p.name AS provider_name, s.can_send, s.can_approve, s.is_admin, s.needs_approval, \
                     s.can_operate, s.can_review, s.can_coordinate, \
                     s.active, s.password_hash, s.totp_secret, s.totp_last_step, s.enrolment_nonce, \
                     s.failed_sign_ins, s.locked_until, s.created_at \
                     FROM staff s JOIN providers p ON p.id = s.provider_id WHERE {clause} ORDER BY s.name, s.id"
                );
                let query = sqlx::query_as(&sql);
                let query = match key {
                    $crate::store::SubscriberKey::Id(id) => query.bind(id),
                    $crate::store::SubscriberKey::Text(text) => query.bind(text),
                };
                let rows = query.fetch_all(&self.pool).await?;
                Ok(rows)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::StaffAccounts for $store {
            async fn insert_staff(&self, new: &$crate::store::NewStaff) -> $crate::store::StoreResult<i64> {
                let p = new.permissions;
                Ok(sqlx::query_scalar(
                    "INSERT INTO staff (public_id, email, email_key, name, role_title, area_label, provider_id, \
                     can_send, can_approve, is_admin, needs_approval, enrolment_nonce, created_at, updated_at, \
                     can_operate, can_review, can_coordinate) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16) RETURNING id",
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
                .bind(p.operate)
                .bind(p.review)
                .bind(p.coordinate)
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
                     active = $12, updated_at = $13, can_operate = $14, can_review = $15, can_coordinate = $16 WHERE id = $1",
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
                .bind(p.operate)
                .bind(p.review)
                .bind(p.coordinate)
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
                now: $crate::store::Timestamp,
                lock_after: i64,
                lock_until: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<$crate::store::SignInFailures>> {
                // Both sides of SET read the row as it was; the WHERE leaves a locked account
                // alone, so no failure is counted past the one that locked it.
                Ok(sqlx::query_as(
                    "UPDATE staff SET \
                     failed_sign_ins = CASE WHEN locked_until IS NULL THEN failed_sign_ins + 1 ELSE 1 END, \
                     locked_until = CASE WHEN (CASE WHEN locked_until IS NULL THEN failed_sign_ins + 1 ELSE 1 END) >= $3 \
                     THEN $4 ELSE NULL END \
                     WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
                     RETURNING failed_sign_ins, locked_until",
                )
                .bind(id)
                .bind(now)
                .bind(lock_after)
                .bind(lock_until)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn record_sign_in_success(
                &self,
                id: i64,
                totp_step: Option<i64>,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = match totp_step {
                    // Of sign-ins in parallel with the same code, the first to move the step on
                    // changes the row; the others find the step taken and change nothing.
                    Some(step) => sqlx::query::<$db>(
                        "UPDATE staff SET failed_sign_ins = 0, locked_until = NULL, totp_last_step = $2 \
                         WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) \
                         AND (locked_until IS NULL OR locked_until <= $3)",
                    )
                    .bind(id)
                    .bind(step)
                    .bind(now),
                    None => sqlx::query::<$db>("UPDATE staff SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1")
                        .bind(id),
                }
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn unlock_staff(&self, id: i64) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE staff SET failed_sign_ins = 0, locked_until = NULL \
                     WHERE id = $1 AND (failed_sign_ins > 0 OR locked_until IS NOT NULL)",
                )
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
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
        }
    };
}
