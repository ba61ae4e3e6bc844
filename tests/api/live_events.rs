//! The contact centre's live events between processes: on PostgreSQL every process's hub hears
//! every event once (its own included) through LISTEN/NOTIFY, and after losing its listening
//! connection tells its listeners to reread; on SQLite (one process) events stay in the hub.

use crate::helpers::{drop_database, fresh_database_url, Backend};
use crate::on_both_backends;
use beacon::services::live::{Live, LiveEvent, Subscription};
use beacon::store::{self, DynStore};
use sqlx::Connection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Ends every connection `LISTEN`ing on the PostgreSQL database at `url`, as a database restart
/// or a network cut would: whether each was ended.
pub(crate) async fn end_listening_connections(url: &str) -> Vec<bool> {
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    let ended = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    ended
}

/// A process's hub over its own connection to the database, hearing the others when the
/// database carries events.
async fn hub(store: DynStore, shutdown: &CancellationToken) -> Arc<Live> {
    let live = Arc::new(Live::over(store));
    if let Some(forwarder) = live.listen().await.expect("listening") {
        tokio::spawn(forwarder.run(shutdown.clone()));
    }
    live
}

/// The next event a listener hears (a test fails rather than waits for ever).
async fn next(listener: &mut Subscription) -> Result<LiveEvent, RecvError> {
    tokio::time::timeout(Duration::from_secs(10), listener.recv())
        .await
        .expect("an event within 10 s")
}

fn message(id: i64) -> LiveEvent {
    LiveEvent::Message {
        conversation: 7,
        provider: 1,
        message: id,
    }
}

on_both_backends!(a_process_hears_its_own_events_once, own_events);
async fn own_events(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let shutdown = CancellationToken::new();
    let live = hub(store::connect(&url).await.unwrap(), &shutdown).await;
    let mut listener = live.subscribe();
    live.publish(message(1)).await;
    live.publish(message(2)).await;
    assert_eq!(next(&mut listener).await.ok(), Some(message(1)));
    assert_eq!(next(&mut listener).await.ok(), Some(message(2)));
    shutdown.cancel();
    drop_database(&url).await;
}

#[tokio::test]
async fn two_processes_on_postgres_each_hear_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(Backend::Postgres, dir.path()).await;
    let shutdown = CancellationToken::new();
    let a = hub(store::connect(&url).await.unwrap(), &shutdown).await;
    let b = hub(store::connect(&url).await.unwrap(), &shutdown).await;
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());

    let typing = LiveEvent::Typing {
        conversation: 7,
        resident: true,
    };
    a.publish(typing.clone()).await;
    b.publish(message(12)).await;
    // Each heard the first event, then the second: nobody heard one twice.
    for listener in [&mut on_a, &mut on_b] {
        assert_eq!(next(listener).await.ok(), Some(typing.clone()));
        assert_eq!(next(listener).await.ok(), Some(message(12)));
    }

    shutdown.cancel();
    drop_database(&url).await;
}

#[tokio::test]
async fn a_process_that_loses_its_listening_connection_listens_again_and_says_to_reread() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(Backend::Postgres, dir.path()).await;
    let shutdown = CancellationToken::new();
    let a = hub(store::connect(&url).await.unwrap(), &shutdown).await;
    let b = hub(store::connect(&url).await.unwrap(), &shutdown).await;
    let mut on_a = a.subscribe();

    // The database ends A's listening connection (a restart, a network cut, an administrator).
    assert_eq!(
        end_listening_connections(&url).await,
        [true, true],
        "both processes' listening connections ended"
    );

    // A's listeners are told they may have missed something once A listens again…
    assert!(matches!(next(&mut on_a).await, Err(RecvError::Lagged(_))));
    // …and then hear the other process as before.
    b.publish(message(3)).await;
    assert_eq!(next(&mut on_a).await.ok(), Some(message(3)));

    shutdown.cancel();
    drop_database(&url).await;
}
