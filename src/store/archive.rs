//! The public archive: sent public alerts listed, searched and read; alerts imported from other services.

use super::alerts::{AlertContent, SignOffColumns};
use super::{StoreResult, Timestamp};
use crate::domain::alert::SignOff;
use async_trait::async_trait;

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
    /// Where it stands in the archive's newest-first list: when it was sent, or for an
    /// imported alert whose source gives no date, the date the source implies or before every
    /// dated alert. The archive's page cursor is this and the id.
    pub listed_at: Timestamp,
    pub signoff: SignOff,
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
    pub signoff: SignOff,
    /// When the source says it was sent (or the import's stand-in date, see `inferred`).
    pub sent_at: Timestamp,
    /// Where it stands in the archive's list (`PublicAlert::listed_at`): `sent_at` when the
    /// source gives a date.
    pub listed_at: Timestamp,
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
    /// Without a query: only alerts listed after this (listed_at, id), newest first.
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

/// A public alert as `PUBLIC_ALERT_COLUMNS` reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct PublicAlertRow {
    id: i64,
    title: String,
    body_markdown: String,
    provider_slug: String,
    provider_name: String,
    message_type_slug: String,
    message_type_name: String,
    priority: i64,
    queued_at: Timestamp,
    listed_at: Timestamp,
    #[sqlx(flatten, try_from = "SignOffColumns")]
    signoff: SignOff,
    target_description: String,
    target_json: String,
    follows_alert_id: Option<i64>,
    follow_up: Option<String>,
    imported_from: Option<String>,
    imported_provider: Option<String>,
    /// What an import inferred, comma-separated.
    imported_inferred: Option<String>,
}

impl From<PublicAlertRow> for PublicAlert {
    fn from(row: PublicAlertRow) -> PublicAlert {
        PublicAlert {
            id: row.id,
            title: row.title,
            body_markdown: row.body_markdown,
            provider_slug: row.provider_slug,
            provider_name: row.provider_name,
            message_type_slug: row.message_type_slug,
            message_type_name: row.message_type_name,
            priority: row.priority,
            sent_at: row.queued_at,
            listed_at: row.listed_at,
            signoff: row.signoff,
            area: row.target_description,
            target_json: row.target_json,
            district_codes: Vec::new(),
            follows_alert_id: row.follows_alert_id,
            follow_up: row.follow_up,
            imported_from: row.imported_from,
            imported_provider: row.imported_provider,
            imported_inferred: row
                .imported_inferred
                .unwrap_or_default()
                .split(',')
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// A search hit's highlighted fragments (see `ArchiveHit::snippet`).
#[derive(sqlx::FromRow)]
pub(crate) struct Snippets {
    pub(crate) body_snippet: Option<String>,
    pub(crate) title_snippet: Option<String>,
}

#[async_trait]
pub trait Archive: Send + Sync {
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
}

/// Implements `Archive` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_archive {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Renders the plain text of alerts stored without it (those stored before the archive's
            /// migration, or written by hand), a batch at a time. Run after the migrations: once every
            /// alert has its text, an index finds nothing to do. Called by `impl_lifecycle!` after
            /// the backend's migrations.
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
                params: &'q $crate::store::archive::ArchiveParams,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
                use $crate::store::archive::ArchiveParam;
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
                let row: $crate::store::archive::PublicAlertRow = sqlx::FromRow::from_row(row)?;
                Ok(row.into())
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
        impl $crate::store::Archive for $store {
            async fn public_alerts(
                &self,
                filter: &$crate::store::ArchiveFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ArchiveHit>> {
                use $crate::store::archive::{ArchiveParam, ArchiveParams, PUBLIC_ALERT_COLUMNS};
                // A search's words are parameter $1; each filter adds a condition on the alert `a`
                // (its `id`, `provider_id`, `message_type_id` and `queued_at`) with its own
                // numbered parameter. Whether `a` is public is for each query to say: a search's
                // index holds public alerts only.
                let mut params = ArchiveParams::default();
                let searching = match filter.query.as_deref() {
                    Some(text) => {
                        let terms = $crate::store::archive::search_terms(text);
                        if terms.is_empty() {
                            return Ok(Vec::new());
                        }
                        params.add(ArchiveParam::Text(<Self as $crate::store::dialect::Dialect>::archive_search_words(&terms)));
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
                    <Self as $crate::store::dialect::Dialect>::archive_search_sql(PUBLIC_ALERT_COLUMNS, &filters, &page)
                } else {
                    if let Some((at, id)) = filter.before {
                        let at = params.add(ArchiveParam::Int(at));
                        let id = params.add(ArchiveParam::Int(id));
                        filters += &format!(" AND (a.listed_at, a.id) < ({at}, {id})");
                    }
                    format!(
                        "SELECT {PUBLIC_ALERT_COLUMNS} FROM alerts a \
                         JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
                         WHERE a.status = 'queued' AND NOT a.private{filters} \
                         ORDER BY a.listed_at DESC, a.id DESC LIMIT {}",
                        params.add(ArchiveParam::Int(limit))
                    )
                };
                let rows = if searching {
                    // Planned afresh each time (an unnamed statement), with the backend's planner
                    // settings for searches: how best to find a word's alerts depends on how
                    // common the word is, which a plan cached for any word would not know.
                    let mut tx = self.pool.begin().await?;
                    for setting in <Self as $crate::store::dialect::Dialect>::ARCHIVE_SEARCH_SETTINGS {
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
                            let found: $crate::store::archive::Snippets = sqlx::FromRow::from_row(row)?;
                            Some($crate::store::archive::choose_snippet(found.body_snippet, found.title_snippet))
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
                use $crate::store::archive::PUBLIC_ALERT_COLUMNS;
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
                     private, imported_from, imported_provider, imported_inferred, import_key, listed_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 'queued', $8, $9, $10, $11, $12, $13, $13, $14, $14, \
                     $15, $16, $17, $18, $19, $20, $21) \
                     ON CONFLICT (import_key) DO NOTHING RETURNING id",
                )
                .bind(c.provider_id)
                .bind(c.message_type_id)
                .bind(i64::from(c.priority.level()))
                .bind(&c.title)
                .bind(&c.body_markdown)
                .bind(c.target.to_json())
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
                .bind(alert.listed_at)
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

            async fn archive_alert(
                &self,
                id: i64,
                sent_at: $crate::store::Timestamp,
                imported_from: Option<&str>,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE alerts SET status = 'queued', queued_at = $2, listed_at = $2, updated_at = $2, fanout_next = NULL, \
                     fanout_done_at = $2, imported_from = $3 WHERE id = $1 AND status IN ('draft', 'ready')",
                )
                .bind(id)
                .bind(sent_at)
                .bind(imported_from)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
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
                // The newest public alert in the list, and the latest change to any alert ever
                // sent (one withdrawn or imported since, whatever its place in the list): each the
                // first entry of an index.
                let (sent, changed): (Option<i64>, Option<i64>) = sqlx::query_as(
                    "SELECT \
                     (SELECT listed_at FROM alerts WHERE status = 'queued' AND NOT private \
                      ORDER BY listed_at DESC LIMIT 1) AS sent, \
                     (SELECT updated_at FROM alerts WHERE queued_at IS NOT NULL \
                      ORDER BY updated_at DESC LIMIT 1) AS changed",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(sent.max(changed).unwrap_or(0))
            }
        }
    };
}

// The public archive: what both backends' archive queries share outside the macro.

/// What a public alert is read from: the alert `a`, its organisation `p` and kind `m`.
pub(crate) const PUBLIC_ALERT_COLUMNS: &str =
    "a.id, a.title, a.body_markdown, p.slug AS provider_slug, p.name AS provider_name, \
     m.slug AS message_type_slug, m.name AS message_type_name, a.priority, a.queued_at, \
     COALESCE(a.listed_at, a.queued_at) AS listed_at, \
     a.signoff_name, a.signoff_organisation, a.signoff_role, a.signoff_area, a.target_description, \
     a.target_json, a.follows_alert_id, a.follow_up, a.imported_from, a.imported_provider, \
     a.imported_inferred";

/// How many matching alerts a search ranks: the most recently stored ones. Ranking reads every
/// candidate's words, so a common word ("police", in most alerts) would otherwise cost in
/// proportion to the whole archive; with fewer matches than this (any search of two or three
/// distinctive words) the ranking is of every match. The archive lets people page this deep
/// (`services::archive::MAX_SEARCH_OFFSET`) and no further.
pub(crate) const SEARCH_WINDOW: i64 = 1_000;

/// Most words a search looks for; the rest of what was typed is ignored.
pub(crate) const MAX_SEARCH_TERMS: usize = 16;
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
pub(crate) fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !is_stop_word(word))
        .take(MAX_SEARCH_TERMS)
        .map(|word| word.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// The forms of a search word looked for: the word itself (each backend's stemmer then finds
/// its plurals and other endings: "scams") and the one who does it ("scammer", "fraudster"),
/// which English stemmers leave alone, so that "scam" finds "scammers" too. Only for words of
/// three letters or more that are not such a form already.
pub(crate) fn search_forms(term: &str) -> Vec<String> {
    let word = term.to_lowercase();
    let letters: Vec<char> = word.chars().collect();
    let plain = letters.len() >= 3
        && letters.iter().all(|c| c.is_alphabetic())
        && !["er", "ers", "ster", "sters"]
            .iter()
            .any(|end| word.ends_with(end));
    if !plain {
        return vec![term.to_owned()];
    }
    let vowel = |c: char| "aeiou".contains(c);
    let mut forms = vec![term.to_owned()];
    if word.ends_with('e') {
        forms.push(format!("{word}r"));
    } else {
        forms.push(format!("{word}er"));
        // scam, scammer; rob, robber: one vowel before a final consonant doubles it.
        let n = letters.len();
        let (last, before, third) = (letters[n - 1], letters[n - 2], letters[n - 3]);
        if !vowel(last) && !"wxy".contains(last) && vowel(before) && !vowel(third) {
            forms.push(format!("{word}{last}er"));
        }
        forms.push(format!("{word}ster"));
    }
    forms
}

/// The snippet of a search hit: from the body, around the words where they matched there, else
/// its start (the title is shown above it already); the title only for an alert with no body.
pub(crate) fn choose_snippet(body: Option<String>, title: Option<String>) -> String {
    body.filter(|b| !b.is_empty()).or(title).unwrap_or_default()
}

/// An archive query's parameter.
pub(crate) enum ArchiveParam {
    Int(i64),
    Text(String),
}

/// The parameters of an archive query built a condition at a time, numbered as they are added.
#[derive(Default)]
pub(crate) struct ArchiveParams(pub(crate) Vec<ArchiveParam>);

impl ArchiveParams {
    /// Adds a parameter; returns its placeholder (`$3`).
    pub(crate) fn add(&mut self, value: ArchiveParam) -> String {
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
    fn snippets_come_from_the_body() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            choose_snippet(some("lock \u{1}sheds\u{2}"), some("Sheds")),
            "lock \u{1}sheds\u{2}"
        );
        // Matched in the title only: the body's start, not the title again.
        assert_eq!(
            choose_snippet(some("lock up"), some("\u{1}Sheds\u{2} broken into")),
            "lock up"
        );
        assert_eq!(choose_snippet(some(""), some("Sheds")), "Sheds");
        assert_eq!(choose_snippet(None, some("Sheds")), "Sheds");
    }

    #[test]
    fn who_does_it_is_searched_for_too() {
        assert_eq!(
            search_forms("Scam"),
            ["Scam", "scamer", "scammer", "scamster"]
        );
        assert_eq!(search_forms("fraud"), ["fraud", "frauder", "fraudster"]);
        assert_eq!(search_forms("burgle"), ["burgle", "burgler"]);
        assert_eq!(search_forms("scammers"), ["scammers"]);
        assert_eq!(search_forms("CB1"), ["CB1"]);
        assert_eq!(search_forms("ox"), ["ox"]);
    }
}
