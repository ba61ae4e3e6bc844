//! Wiring: builds the `AppContext` from settings and runs the web server and the workers until
//! shutdown. `beacon serve`, `beacon demo` and the integration tests all start Beacon here.

use crate::config::Settings;
use crate::delivery::email::Mailer;
use crate::delivery::outbound::OutboundWorker;
use crate::delivery::sms::SmsSender;
use crate::services::tokens::Signer;
use crate::services::{postcodes, AppContext};
use crate::store;
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Which parts of Beacon a process runs: both (a county on one machine), or only one of them
/// (several processes sharing one PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    All,
    Web,
    Worker,
}

/// Opens the store (applying migrations and seeding a new install) and builds the context.
pub async fn context(settings: Settings) -> anyhow::Result<Arc<AppContext>> {
    crate::services::chat::check_settings(&settings.chat)?;
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "creating the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let signer = Signer::from_config(&settings.secret_key, &settings.data_dir)?;
    let store = store::connect(&settings.database_url()).await?;
    postcodes::ensure_bundled(&*store).await?;
    // The bundled kinds of report that are not stored yet; admins' edits are kept.
    crate::services::reports::seed_kinds(&*store).await?;
    Ok(Arc::new(AppContext::new(store, settings, signer)))
}

/// A running Beacon: where it listens (unless it runs only workers), and how to stop it.
pub struct Running {
    pub address: Option<SocketAddr>,
    pub shutdown: CancellationToken,
    pub tasks: tokio::task::JoinSet<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting work, lets what is in flight finish, and waits for every task.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        while let Some(result) = self.tasks.join_next().await {
            result.context("a task panicked")??;
        }
        Ok(())
    }
}

/// Starts the web server and/or workers in the background.
pub async fn start(ctx: Arc<AppContext>, role: Role) -> anyhow::Result<Running> {
    let shutdown = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    // A worker-only process serves no HTTP, so it must not take the web port.
    let listener = if role == Role::Worker {
        None
    } else {
        let bind = ctx.settings.server.bind.clone();
        Some(
            tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("listening on {bind}"))?,
        )
    };
    let address = match &listener {
        Some(listener) => Some(listener.local_addr()?),
        None => None,
    };

    if role != Role::Web {
        let worker = OutboundWorker {
            store: ctx.store.clone(),
            mailer: Mailer::from_settings(&ctx.settings)?,
            sms: SmsSender::from_settings(&ctx.settings)?,
            from: ctx.settings.mail.from.clone(),
            max_attempts: ctx.settings.limits.max_send_attempts,
            retry_base_secs: ctx.settings.limits.retry_base_secs,
            wakeup: ctx.outbound_wakeup.clone(),
        };
        let stop = shutdown.clone();
        tasks.spawn(async move {
            worker.run(stop).await;
            Ok(())
        });
        crate::services::delivery::spawn(ctx.clone(), &mut tasks, &shutdown).await?;
        let housekeeping = ctx.clone();
        let stop = shutdown.clone();
        tasks.spawn(async move {
            housekeeping_hourly(housekeeping, stop).await;
            Ok(())
        });
        let scheduler = ctx.clone();
        let stop = shutdown.clone();
        tasks.spawn(async move {
            release_scheduled_alerts(scheduler, stop).await;
            Ok(())
        });
    }
    if let (Some(listener), Some(address)) = (listener, address) {
        // The maps' district outlines and towns, derived now so that no sender waits for them.
        // The scam checker's word model and patterns, likewise, so the first resident to paste a
        // message does not wait for them.
        tasks.spawn_blocking(|| {
            let started = std::time::Instant::now();
            crate::services::scam_check::prepare();
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "trained the scam checker's word model"
            );
            Ok(())
        });
        tasks.spawn_blocking(|| {
            let started = std::time::Instant::now();
            let derived = crate::geo::outlines::bundled();
            tracing::info!(
                districts = derived.districts.len(),
                towns = derived.towns.len(),
                seconds = started.elapsed().as_secs_f64(),
                "derived the maps' district outlines"
            );
            Ok(())
        });
        // On PostgreSQL, the chats' and inboxes' events of every web process, heard before the
        // first connection is served.
        if let Some(forwarder) = ctx
            .live
            .listen()
            .await
            .context("listening for the other web processes' live events")?
        {
            let stop = shutdown.clone();
            tasks.spawn(async move {
                forwarder.run(stop).await;
                Ok(())
            });
        }
        let web = ctx.clone();
        let stop = shutdown.clone();
        tasks.spawn(async move {
            crate::web::serve(web, listener, stop).await;
            Ok(())
        });
        tracing::info!(%address, backend = ctx.store.backend(), "Beacon is listening");
    }
    Ok(Running {
        address,
        shutdown,
        tasks,
    })
}

/// Once an hour, deletes what is kept only for a while: sign-ups that were never confirmed,
/// messages shared from the scam checker past their keeping time, finished reports past the
/// force's retention period (`reports.retention_days`), and the files of reports never sent
/// (kept a day: `services::report_drafts`).
async fn housekeeping_hourly(ctx: Arc<AppContext>, shutdown: CancellationToken) {
    loop {
        let now = chrono::Utc::now().timestamp();
        let cutoff = now - ctx.settings.limits.pending_signup_days * 86_400;
        match ctx.store.purge_pending(cutoff).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted unconfirmed sign-ups"),
            Err(error) => tracing::warn!(error = %error, "could not purge unconfirmed sign-ups"),
        }
        let cutoff = now - ctx.settings.limits.shared_scam_days * 86_400;
        match ctx.store.purge_scam_reports(cutoff).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(
                purged,
                "deleted shared scam messages past their keeping time"
            ),
            Err(error) => {
                tracing::warn!(error = %error, "could not delete old shared scam messages")
            }
        }
        match crate::services::reports::purge_finished(&ctx).await {
            Ok(0) => {}
            Ok(purged) => {
                tracing::info!(purged, "deleted finished reports past their keeping time")
            }
            Err(error) => tracing::warn!(error = %error, "could not delete old finished reports"),
        }
        match crate::services::chat::send_due_transcripts(&ctx).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "sent the transcripts of chats closed by operators"),
            Err(error) => tracing::warn!(error = %error, "could not send chat transcripts"),
        }
        match crate::services::chat::close_left_chats(&ctx, None, now).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "closed chats their residents left"),
            Err(error) => tracing::warn!(error = %error, "could not close left chats"),
        }
        match crate::services::chat::purge_closed(&ctx, now).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted closed chats past their keeping time"),
            Err(error) => tracing::warn!(error = %error, "could not delete old closed chats"),
        }
        match crate::services::report_drafts::purge(&ctx, now).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted the files of reports never sent"),
            Err(error) => {
                tracing::warn!(error = %error, "could not delete the files of reports never sent")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// Hands scheduled alerts to delivery when their time comes (checked every ten seconds).
async fn release_scheduled_alerts(ctx: Arc<AppContext>, shutdown: CancellationToken) {
    loop {
        match ctx
            .store
            .release_due_alerts(chrono::Utc::now().timestamp())
            .await
        {
            Ok(released) if released.is_empty() => {}
            Ok(released) => {
                tracing::info!(alerts = ?released, "scheduled alerts released to delivery");
                ctx.archive_edits.record();
                ctx.fanout_wakeup.notify_one();
            }
            Err(error) => tracing::warn!(error = %error, "could not release scheduled alerts"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests and sends in flight");
}
