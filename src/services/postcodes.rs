//! Postcodes: loading the bundled force-area set on a new install, importing any file in the ONS
//! Postcode Directory layout, and finding where a resident's postcode is (or saying clearly why
//! it cannot be used).

use crate::domain::Postcode;
use crate::geo::districts::{bundled_districts, bundled_force_postcodes};
use crate::geo::forces::{force_for_area, is_postcode_area};
use crate::geo::onspd::{self, OnspdError, PostcodeRecord};
use crate::store::{Geography, PostcodeLocation, StoreError};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::Instant;

const BATCH: usize = 20_000;
/// How many unreadable rows an import report lists one by one.
const REJECTS_LISTED: usize = 50;

/// Why a well-formed postcode cannot be used as a place, in words for the resident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceProblem {
    #[error("We cannot find the postcode {0}: check it, or use another postcode near you")]
    Unknown(Postcode),
    /// A well-formed postcode of an area this install holds no postcode of: a real place
    /// elsewhere in the UK, most likely, rather than a typing mistake.
    #[error("The postcode {postcode} is outside the area {covered_by} covers, so we cannot send alerts about it. {}", look_to_in_words(.look_to))]
    OutsideArea {
        postcode: Postcode,
        /// The force whose area it is outside of, or "this service".
        covered_by: String,
        /// The force to look to for alerts there, when its postcode area is wholly one force's.
        look_to: Option<&'static str>,
    },
    #[error("The postcode {0} is no longer in use: enter your current postcode")]
    Terminated(Postcode),
    #[error("The postcode {0} has no location (it is a PO box, large-user or withdrawn postcode): enter the postcode of where you live")]
    NoLocation(Postcode),
}

fn look_to_in_words(force: &Option<&'static str>) -> String {
    match force {
        Some(force) => format!("For alerts where it is, look to {force}"),
        None => {
            "For alerts where it is, look to the police force for that area (police.uk lists them)"
                .to_owned()
        }
    }
}

impl PlaceProblem {
    /// The problem naming the force whose area a postcode is outside of (when one is configured).
    pub fn naming(self, force_name: &str) -> PlaceProblem {
        match self {
            PlaceProblem::OutsideArea {
                postcode, look_to, ..
            } if !force_name.trim().is_empty() => PlaceProblem::OutsideArea {
                postcode,
                covered_by: force_name.trim().to_owned(),
                look_to,
            },
            other => other,
        }
    }
}

/// Why a postcode cannot be looked up: unreadable (only where it is typed, `look_up`), not a
/// place, or the store failing.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Unreadable(#[from] crate::domain::postcode::PostcodeError),
    #[error(transparent)]
    Place(#[from] PlaceProblem),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl LookupError {
    /// The error naming the force whose area a postcode is outside of (`PlaceProblem::naming`).
    pub fn naming(self, force_name: &str) -> LookupError {
        match self {
            LookupError::Place(problem) => LookupError::Place(problem.naming(force_name)),
            other => other,
        }
    }
}

/// Where a postcode is, or why it cannot be a place.
pub async fn locate(
    store: &dyn Geography,
    postcode: &Postcode,
) -> Result<PostcodeLocation, LookupError> {
    let found = store
        .find_postcode(postcode.as_str())
        .await
        .context("looking up a postcode")?;
    let problem = match found {
        // A real area this install holds nothing of: somewhere else, not a typing mistake.
        None if is_postcode_area(postcode.area())
            && !store
                .holds_postcode_area(postcode.area())
                .await
                .context("looking up a postcode area")? =>
        {
            PlaceProblem::OutsideArea {
                postcode: postcode.clone(),
                covered_by: "this service".to_owned(),
                look_to: force_for_area(postcode.area()),
            }
        }
        None => PlaceProblem::Unknown(postcode.clone()),
        Some(location) if location.terminated => PlaceProblem::Terminated(postcode.clone()),
        Some(location) if location.easting.is_none() || location.district_code.is_none() => {
            PlaceProblem::NoLocation(postcode.clone())
        }
        Some(location) => return Ok(location),
    };
    Err(problem.into())
}

/// Where a postcode typed as `raw` is: the API's postcode look-up.
pub async fn look_up(ctx: &super::AppContext, raw: &str) -> Result<PostcodeLocation, LookupError> {
    locate(&*ctx.store, &Postcode::parse(raw)?)
        .await
        .map_err(|error| error.naming(&ctx.settings.branding.force_name))
}

/// On a new install, loads the district names and the bundled force-area postcodes.
pub async fn ensure_bundled(store: &dyn Geography) -> anyhow::Result<()> {
    if store.districts().await?.is_empty() {
        store.upsert_districts(&bundled_districts()).await?;
    }
    if store.postcode_count().await? == 0 {
        let started = Instant::now();
        let loaded = load_bundled(store, |_| true).await?;
        tracing::info!(
            postcodes = loaded,
            seconds = started.elapsed().as_secs_f64(),
            "loaded the bundled force-area postcodes"
        );
    }
    Ok(())
}

/// Loads the bundled postcodes that `keep` accepts (tests load a few districts, not all).
pub async fn load_bundled(
    store: &dyn Geography,
    keep: impl Fn(&PostcodeRecord) -> bool,
) -> anyhow::Result<u64> {
    store.upsert_districts(&bundled_districts()).await?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut loaded = 0;
    for record in bundled_force_postcodes() {
        let record = record.context("the bundled postcode file is damaged")?;
        if keep(&record) {
            batch.push(record);
        }
        if batch.len() == BATCH {
            store.upsert_postcodes(&batch).await?;
            loaded += batch.len() as u64;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.upsert_postcodes(&batch).await?;
        loaded += batch.len() as u64;
    }
    Ok(loaded)
}

fn written(
    result: Option<Result<Result<u64, StoreError>, tokio::task::JoinError>>,
) -> anyhow::Result<u64> {
    match result {
        Some(joined) => Ok(joined.context("a postcode writer stopped unexpectedly")??),
        None => Ok(0),
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub stored: u64,
    pub rejected: u64,
    /// The first rejected rows, with their line numbers and reasons.
    pub rejects: Vec<String>,
    pub seconds: f64,
}

/// Imports a CSV (optionally gzipped) in the ONS Postcode Directory layout, in batches, each in
/// its own transaction. Unreadable rows are counted and listed, never silently dropped.
pub async fn import_file(
    store: std::sync::Arc<dyn Geography>,
    path: &Path,
    show_progress: bool,
) -> anyhow::Result<ImportReport> {
    let started = Instant::now();
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = if show_progress {
        ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta} left)",
            )
            .expect("the progress template is valid"),
        )
    } else {
        ProgressBar::hidden()
    };
    let counted = progress.wrap_read(file);
    let reader =
        onspd::from_reader(counted, path).with_context(|| format!("reading {}", path.display()))?;

    // Parsing runs on a blocking thread and hands batches over; the store writes them meanwhile.
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<(Vec<PostcodeRecord>, Vec<String>)>(4);
    let parser = tokio::task::spawn_blocking(move || -> Result<(), OnspdError> {
        let mut batch = Vec::with_capacity(BATCH);
        let mut rejects = Vec::new();
        for record in reader {
            match record {
                Ok(record) => batch.push(record),
                Err(error @ OnspdError::Row { .. }) => rejects.push(error.to_string()),
                Err(error) => return Err(error),
            }
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if sender
                    .blocking_send((full, std::mem::take(&mut rejects)))
                    .is_err()
                {
                    return Ok(());
                }
            }
        }
        let _ = sender.blocking_send((batch, rejects));
        Ok(())
    });

    // Batches are written by as many concurrent writers as the backend can use.
    let mut report = ImportReport::default();
    let mut writers = tokio::task::JoinSet::new();
    while let Some((batch, rejects)) = receiver.recv().await {
        if writers.len() >= store.bulk_writers() {
            report.stored += written(writers.join_next().await)?;
        }
        let writer = store.clone();
        writers.spawn(async move {
            writer.upsert_postcodes(&batch).await?;
            Ok::<u64, StoreError>(batch.len() as u64)
        });
        report.rejected += rejects.len() as u64;
        let room = REJECTS_LISTED.saturating_sub(report.rejects.len());
        report.rejects.extend(rejects.into_iter().take(room));
        progress.set_message(format!("{} postcodes", report.stored));
    }
    while let Some(result) = writers.join_next().await {
        report.stored += written(Some(result))?;
    }
    parser
        .await
        .context("the postcode reader stopped unexpectedly")?
        .with_context(|| format!("reading {}", path.display()))?;
    progress.finish_and_clear();
    if store.districts().await?.is_empty() {
        store.upsert_districts(&bundled_districts()).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
