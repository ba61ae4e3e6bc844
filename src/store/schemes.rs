//! Neighbourhood Watch schemes: the schemes with their area and standing, their coordinators
//! (staff accounts with the coordinate permission) and the residents who asked to join them.

use super::{StoreResult, Timestamp};
use crate::domain::scheme::{MembershipStatus, SchemeStatus, Standing};
use crate::geo::scheme_area::SchemeArea;
use async_trait::async_trait;

/// A scheme as proposed or set up by staff.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScheme {
    pub name: String,
    pub district_code: String,
    pub area: SchemeArea,
    pub description: String,
    pub status: SchemeStatus,
    pub standing: Standing,
    /// Who checked it, when it is set up already checked.
    pub standing_by: Option<String>,
    pub proposer_name: String,
    pub proposer_email: String,
}

/// A stored scheme, with how many members it has and how many wait to be accepted.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Scheme {
    pub id: i64,
    pub name: String,
    pub district_code: String,
    pub district_name: Option<String>,
    #[sqlx(rename = "area_json", try_from = "String")]
    pub area: SchemeArea,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub standing: Standing,
    pub standing_by: Option<String>,
    pub standing_at: Option<Timestamp>,
    #[sqlx(try_from = "String")]
    pub status: SchemeStatus,
    pub proposer_name: String,
    pub proposer_email: String,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub members: i64,
    pub requests: i64,
}

impl Scheme {
    /// The district's name, or its code when the install does not know it.
    pub fn district(&self) -> &str {
        self.district_name.as_deref().unwrap_or(&self.district_code)
    }
}

/// A coordinator of a scheme.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Coordinator {
    pub scheme_id: i64,
    pub staff_id: i64,
    pub public_id: String,
    pub name: String,
    pub email: String,
    pub main: bool,
    pub since: Timestamp,
    /// The account is switched on and enrolled (may sign in).
    pub active: bool,
    pub enrolled: bool,
}

/// A resident's membership of a scheme (or their request to join it).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Membership {
    pub id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub subscriber_id: i64,
    #[sqlx(try_from = "String")]
    pub status: MembershipStatus,
    pub name: String,
    pub street: String,
    pub share: bool,
    pub requested_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// A message sent to a scheme's members.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SchemeMessage {
    pub id: i64,
    pub title: String,
    pub signoff_name: String,
    pub created_at: Timestamp,
    /// Residents it was sent to (by email or text).
    pub reached: i64,
}

/// What a resident gives when asking to join.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JoinRequest {
    pub name: String,
    pub street: String,
    /// The resident agreed that the scheme's coordinators see their name and street.
    pub share: bool,
}

/// What asking to join did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// A new request (or a new one after leaving or a refusal), waiting for a coordinator.
    Requested,
    /// Already asked, or already a member: their details are updated, nothing else.
    Already(MembershipStatus),
}

#[async_trait]
pub trait Schemes: Send + Sync {
    async fn insert_scheme(&self, scheme: &NewScheme, now: Timestamp) -> StoreResult<i64>;
    async fn scheme(&self, id: i64) -> StoreResult<Option<Scheme>>;
    /// Every scheme, or those in one status, by district then name.
    async fn list_schemes(&self, status: Option<SchemeStatus>) -> StoreResult<Vec<Scheme>>;
    async fn set_scheme_standing(
        &self,
        id: i64,
        standing: Standing,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Moves a scheme from one of `from` to `to`; false (and no change) if it was in none.
    async fn set_scheme_status(
        &self,
        id: i64,
        from: &[SchemeStatus],
        to: SchemeStatus,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn scheme_coordinators(&self, scheme_id: i64) -> StoreResult<Vec<Coordinator>>;
    /// The schemes a member of staff coordinates.
    async fn coordinated_schemes(&self, staff_id: i64) -> StoreResult<Vec<i64>>;
    /// Makes a member of staff a coordinator of a scheme; a new main coordinator makes the
    /// previous one a deputy. Again for one already there may make them main, never a deputy
    /// (a scheme is never left without its main coordinator this way).
    async fn add_coordinator(
        &self,
        scheme_id: i64,
        staff_id: i64,
        main: bool,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Takes a coordinator off a scheme; when the main coordinator leaves, the longest-serving
    /// deputy becomes main. The members stay.
    async fn remove_coordinator(&self, scheme_id: i64, staff_id: i64) -> StoreResult<bool>;
    async fn request_membership(
        &self,
        scheme_id: i64,
        subscriber_id: i64,
        request: &JoinRequest,
        now: Timestamp,
    ) -> StoreResult<Joined>;
    /// Accepts or refuses a request that is still waiting; false if it was not.
    async fn decide_membership(
        &self,
        scheme_id: i64,
        membership_id: i64,
        accept: bool,
        staff_id: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// A resident leaves a scheme (or withdraws their request).
    async fn leave_scheme(
        &self,
        scheme_id: i64,
        subscriber_id: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn memberships_of(&self, subscriber_id: i64) -> StoreResult<Vec<Membership>>;
    /// A scheme's members and requests, requests first, then by name.
    async fn scheme_memberships(&self, scheme_id: i64) -> StoreResult<Vec<Membership>>;
    /// The residents who are members of one scheme (`Some`), or of any open scheme (`None`).
    async fn member_ids(&self, scheme_id: Option<i64>) -> StoreResult<Vec<i64>>;
    /// The staff ids of the coordinators (enrolled and switched on) of the open schemes in a
    /// district, or in every district: each once.
    async fn district_coordinators(&self, district_code: Option<&str>) -> StoreResult<Vec<i64>>;
    /// The latest messages written to one scheme's members, newest first.
    async fn scheme_messages(&self, scheme_id: i64, limit: i64) -> StoreResult<Vec<SchemeMessage>>;
}

/// Implements `Schemes` for a backend's store with the SQL both backends share.
macro_rules! impl_schemes {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Schemes in one status (`status`) or all, or the one with id `id`.
            async fn load_schemes(
                &self,
                status: Option<&str>,
                id: Option<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Scheme>> {
                const SQL: &str =
                    "SELECT s.id, s.name, s.district_code, d.name AS district_name, s.area_json, \
                     s.description, s.standing, s.standing_by, s.standing_at, s.status, \
                     s.proposer_name, s.proposer_email, s.created_at, s.closed_at, \
                     (SELECT COUNT(*) FROM scheme_members m WHERE m.scheme_id = s.id AND m.status = 'member') AS members, \
                     (SELECT COUNT(*) FROM scheme_members m WHERE m.scheme_id = s.id AND m.status = 'requested') AS requests \
                     FROM schemes s LEFT JOIN districts d ON d.code = s.district_code \
                     WHERE ($1 IS NULL OR s.status = $1) AND ($2 IS NULL OR s.id = $2) \
                     ORDER BY COALESCE(d.name, s.district_code), s.name, s.id";
                Ok(sqlx::query_as(SQL).bind(status).bind(id).fetch_all(&self.pool).await?)
            }

            async fn load_memberships(
                &self,
                clause: &str,
                key: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Membership>> {
                let sql = format!(
                    "SELECT m.id, m.scheme_id, s.name AS scheme_name, m.subscriber_id, m.status, m.name, \
                     m.street, m.share, m.requested_at, m.decided_at \
                     FROM scheme_members m JOIN schemes s ON s.id = m.scheme_id WHERE {clause} \
                     ORDER BY CASE m.status WHEN 'requested' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, \
                     s.name, m.name, m.id"
                );
                Ok(sqlx::query_as(&sql).bind(key).fetch_all(&self.pool).await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Schemes for $store {
            async fn insert_scheme(
                &self,
                scheme: &$crate::store::NewScheme,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO schemes (name, district_code, area_json, description, status, standing, \
                     standing_by, standing_at, proposer_name, proposer_email, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(&scheme.name)
                .bind(&scheme.district_code)
                .bind(scheme.area.to_json())
                .bind(&scheme.description)
                .bind(scheme.status.code())
                .bind(scheme.standing.code())
                .bind(&scheme.standing_by)
                .bind(scheme.standing_by.as_ref().map(|_| now))
                .bind(&scheme.proposer_name)
                .bind(&scheme.proposer_email)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn scheme(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::Scheme>> {
                Ok(self.load_schemes(None, Some(id)).await?.pop())
            }

            async fn list_schemes(
                &self,
                status: Option<$crate::domain::scheme::SchemeStatus>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Scheme>> {
                self.load_schemes(status.map(|s| s.code()), None).await
            }

            async fn set_scheme_standing(
                &self,
                id: i64,
                standing: $crate::domain::scheme::Standing,
                by: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE schemes SET standing = $2, standing_by = $3, standing_at = $4 WHERE id = $1",
                )
                .bind(id)
                .bind(standing.code())
                .bind(by)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_scheme_status(
                &self,
                id: i64,
                from: &[$crate::domain::scheme::SchemeStatus],
                to: $crate::domain::scheme::SchemeStatus,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let allowed = format!(
                    ",{},",
                    from.iter().map(|s| s.code()).collect::<Vec<_>>().join(",")
                );
                let closed = (to == $crate::domain::scheme::SchemeStatus::Closed).then_some(now);
                let done = sqlx::query(
                    "UPDATE schemes SET status = $3, closed_at = $4 \
                     WHERE id = $1 AND $2 LIKE '%,' || status || ',%'",
                )
                .bind(id)
                .bind(allowed)
                .bind(to.code())
                .bind(closed)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn scheme_coordinators(
                &self,
                scheme_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Coordinator>> {
                Ok(sqlx::query_as(
                    "SELECT c.scheme_id, c.staff_id, s.public_id, s.name, s.email, c.main, c.since, \
                     s.active, (s.password_hash IS NOT NULL AND s.totp_secret IS NOT NULL) AS enrolled \
                     FROM scheme_coordinators c JOIN staff s ON s.id = c.staff_id \
                     WHERE c.scheme_id = $1 ORDER BY c.main DESC, c.since, s.name",
                )
                .bind(scheme_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn coordinated_schemes(&self, staff_id: i64) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT scheme_id FROM scheme_coordinators WHERE staff_id = $1 ORDER BY scheme_id",
                )
                .bind(staff_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn add_coordinator(
                &self,
                scheme_id: i64,
                staff_id: i64,
                main: bool,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                if main {
                    sqlx::query("UPDATE scheme_coordinators SET main = $2 WHERE scheme_id = $1")
                        .bind(scheme_id)
                        .bind(false)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO scheme_coordinators (scheme_id, staff_id, main, since) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (scheme_id, staff_id) DO UPDATE SET main = (excluded.main OR scheme_coordinators.main)",
                )
                .bind(scheme_id)
                .bind(staff_id)
                .bind(main)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_coordinator(
                &self,
                scheme_id: i64,
                staff_id: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "DELETE FROM scheme_coordinators WHERE scheme_id = $1 AND staff_id = $2",
                )
                .bind(scheme_id)
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
                // A scheme left without a main coordinator gets its longest-serving deputy.
                sqlx::query(
                    "UPDATE scheme_coordinators SET main = $2 WHERE scheme_id = $1 AND staff_id = \
                     (SELECT staff_id FROM scheme_coordinators WHERE scheme_id = $1 ORDER BY since, staff_id LIMIT 1) \
                     AND NOT EXISTS (SELECT 1 FROM scheme_coordinators WHERE scheme_id = $1 AND main = $2)",
                )
                .bind(scheme_id)
                .bind(true)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn request_membership(
                &self,
                scheme_id: i64,
                subscriber_id: i64,
                request: &$crate::store::JoinRequest,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<$crate::store::Joined> {
                // One statement, so that two requests at once make one membership.
                let status: String = sqlx::query_scalar(
                    "INSERT INTO scheme_members (scheme_id, subscriber_id, status, name, street, share, \
                     requested_at) VALUES ($1, $2, 'requested', $3, $4, $5, $6) \
                     ON CONFLICT (scheme_id, subscriber_id) DO UPDATE SET name = excluded.name, \
                     street = excluded.street, share = excluded.share, \
                     status = CASE WHEN scheme_members.status IN ('left', 'refused') THEN 'requested' \
                     ELSE scheme_members.status END, \
                     requested_at = CASE WHEN scheme_members.status IN ('left', 'refused') \
                     THEN excluded.requested_at ELSE scheme_members.requested_at END \
                     RETURNING status",
                )
                .bind(scheme_id)
                .bind(subscriber_id)
                .bind(&request.name)
                .bind(&request.street)
                .bind(request.share)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                let status = $crate::domain::scheme::MembershipStatus::try_from(status)
                    .map_err($crate::store::StoreError::Corrupt)?;
                Ok(if status == $crate::domain::scheme::MembershipStatus::Requested {
                    $crate::store::Joined::Requested
                } else {
                    $crate::store::Joined::Already(status)
                })
            }

            async fn decide_membership(
                &self,
                scheme_id: i64,
                membership_id: i64,
                accept: bool,
                staff_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE scheme_members SET status = $3, decided_at = $4, decided_by = $5 \
                     WHERE id = $2 AND scheme_id = $1 AND status = 'requested'",
                )
                .bind(scheme_id)
                .bind(membership_id)
                .bind(if accept { "member" } else { "refused" })
                .bind(now)
                .bind(staff_id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn leave_scheme(
                &self,
                scheme_id: i64,
                subscriber_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE scheme_members SET status = 'left', decided_at = $3, decided_by = NULL \
                     WHERE scheme_id = $1 AND subscriber_id = $2 AND status IN ('requested', 'member')",
                )
                .bind(scheme_id)
                .bind(subscriber_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn memberships_of(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Membership>> {
                self.load_memberships("m.subscriber_id = $1", subscriber_id).await
            }

            async fn scheme_memberships(
                &self,
                scheme_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Membership>> {
                self.load_memberships("m.scheme_id = $1", scheme_id).await
            }

            async fn member_ids(&self, scheme_id: Option<i64>) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT DISTINCT m.subscriber_id FROM scheme_members m JOIN schemes s ON s.id = m.scheme_id \
                     WHERE m.status = 'member' AND s.status = 'open' AND ($1 IS NULL OR m.scheme_id = $1) \
                     ORDER BY m.subscriber_id",
                )
                .bind(scheme_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn district_coordinators(
                &self,
                district_code: Option<&str>,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT DISTINCT st.id FROM scheme_coordinators c \
                     JOIN schemes s ON s.id = c.scheme_id JOIN staff st ON st.id = c.staff_id \
                     WHERE s.status = 'open' AND st.active AND st.can_coordinate AND st.password_hash IS NOT NULL \
                     AND ($1 IS NULL OR s.district_code = $1) ORDER BY st.id",
                )
                .bind(district_code)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn scheme_messages(
                &self,
                scheme_id: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SchemeMessage>> {
                Ok(sqlx::query_as(
                    "SELECT a.id, a.title, a.signoff_name, a.created_at, \
                     (SELECT COUNT(DISTINCT d.subscriber_id) FROM deliveries d WHERE d.alert_id = a.id \
                      AND d.state IN ('sent', 'delivered')) AS reached \
                     FROM alerts a WHERE a.members = $1 ORDER BY a.id DESC LIMIT $2",
                )
                .bind($crate::domain::scheme::Members::Scheme(scheme_id).code())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
