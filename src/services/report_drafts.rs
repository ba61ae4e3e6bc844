//! The files of a report still being answered: each photo or file a resident adds on the files
//! page, once checked and cleaned (`domain::report::files::inspect`), is kept in the store under
//! an unguessable id, and the form's sealed draft carries only that id and the file's digest.
//! So later pages stay small, and a phone does not upload its photos again on every page. At the
//! send the files are read back by id, their digests checked, and handed to `reports::submit`;
//! a few minutes later they are deleted (`forget_soon`: a second click on "Send report" finds
//! them still there, and gets the first one's receipt). A report never sent leaves its files
//! behind for a day at most (`purge`, from the hourly housekeeping).

use super::AppContext;
use crate::domain::report::files::CleanFile;
use crate::store::{DraftFile, StoreError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// How long a draft's files are kept: a resident who comes back to an open form after this must
/// add them again.
pub const DRAFT_FILES_KEPT_HOURS: i64 = 24;

/// How long a sent report's draft files are kept: long enough for the same form sent again (a
/// double click, a retry after a slow answer) to read them and be answered with its receipt.
pub const SENT_FILES_KEPT: Duration = Duration::from_secs(300);

/// How many files one connection may have kept in an hour, in reports' worth of files
/// (`reports.max_files` each): what is kept before any report is sent is bounded per sender.
pub const DRAFT_REPORTS_PER_IP_PER_HOUR: usize = 10;

/// Whether a file from `client_ip` may be kept (counted as one if so): at most
/// `DRAFT_REPORTS_PER_IP_PER_HOUR` × `reports.max_files` an hour.
pub fn may_keep(ctx: &AppContext, client_ip: &str) -> bool {
    let limit = DRAFT_REPORTS_PER_IP_PER_HOUR * ctx.settings.reports.max_files;
    ctx.limiter.allow(
        &format!("report-draft-file:{client_ip}"),
        u32::try_from(limit).unwrap_or(u32::MAX),
    )
}

/// A kept file as the sealed draft names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFile {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
}

/// Why a draft's files cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum DraftFileError {
    /// A file is no longer kept (it was added more than a day ago), or never was.
    #[error("a file of the draft is no longer kept")]
    Gone,
    /// A file's content is not the one the draft names.
    #[error("a file of the draft is not the one it names")]
    Altered,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The SHA-256 of a file's content, hex.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Keeps a checked and cleaned file for a report still being answered.
pub async fn keep(ctx: &AppContext, file: CleanFile) -> Result<KeptFile, StoreError> {
    let kept = KeptFile {
        id: crate::random::random_id(),
        name: file.name,
        content_type: file.content_type.to_owned(),
        size: file.bytes.len(),
        sha256: digest(&file.bytes),
    };
    ctx.store
        .save_draft_file(&DraftFile {
            id: kept.id.clone(),
            name: kept.name.clone(),
            content_type: kept.content_type.clone(),
            size: kept.size as i64,
            content: file.bytes,
            sha256: kept.sha256.clone(),
            created_at: chrono::Utc::now().timestamp(),
        })
        .await?;
    Ok(kept)
}

/// The files a draft names (`(id, sha256)`), in its order, each checked against its digest.
pub async fn files(
    ctx: &AppContext,
    named: &[(String, String)],
) -> Result<Vec<CleanFile>, DraftFileError> {
    let ids: Vec<String> = named.iter().map(|(id, _)| id.clone()).collect();
    let found = ctx.store.draft_files(&ids).await?;
    let mut files = Vec::with_capacity(named.len());
    for (id, sha256) in named {
        let file = found
            .iter()
            .find(|f| &f.id == id)
            .ok_or(DraftFileError::Gone)?;
        if &file.sha256 != sha256 || digest(&file.content) != *sha256 {
            return Err(DraftFileError::Altered);
        }
        files.push(CleanFile {
            name: file.name.clone(),
            content_type: static_type(&file.content_type),
            bytes: file.content.clone(),
        });
    }
    Ok(files)
}

/// Deletes a sent report's draft files after `SENT_FILES_KEPT`, in the background. Should the
/// process stop first, `purge` deletes them within a day.
pub fn forget_soon(ctx: Arc<AppContext>, ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    tokio::spawn(async move {
        tokio::time::sleep(SENT_FILES_KEPT).await;
        forget(&ctx, &ids).await;
    });
}

/// Deletes a sent report's draft files. A failure is only logged: what is left behind is
/// deleted within a day anyway.
pub async fn forget(ctx: &AppContext, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    if let Err(error) = ctx.store.delete_draft_files(ids).await {
        tracing::warn!(error = %error, "could not delete a sent report's draft files");
    }
}

/// Deletes draft files kept longer than `DRAFT_FILES_KEPT_HOURS` at `now`; how many.
pub async fn purge(ctx: &AppContext, now: i64) -> Result<u64, StoreError> {
    ctx.store
        .purge_draft_files(now - DRAFT_FILES_KEPT_HOURS * 3600)
        .await
}

/// A checked file's type, as the `'static` name `CleanFile` holds (the store keeps it as text;
/// a type `inspect` never gives is sent as bytes).
fn static_type(content_type: &str) -> &'static str {
    const KNOWN: [&str; 7] = [
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/pdf",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == content_type)
        .unwrap_or("application/octet-stream")
}
