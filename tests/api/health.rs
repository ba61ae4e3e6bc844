//! The health checks a load balancer asks: `/healthz` while the process runs, `/readyz` only while
//! its database takes writes, since a database that answers reads but not writes can take no
//! sign-up and send no alert.

use crate::helpers::{postgres_admin_url, Backend, TestApp};
use crate::on_both_backends;
use sqlx::Connection;
use std::time::{Duration, Instant};

/// Holds the database so that it answers reads but takes no writes, until `resume`.
enum WritesStopped {
    /// Another writer holds SQLite's write lock in an open transaction (as a `sqlite3` shell
    /// left in `BEGIN EXCLUSIVE` would).
    Sqlite(sqlx::SqliteConnection),
    /// The database is read-only for every new session, and the app's sessions were ended so
    /// that it reconnects into read-only ones (as after a failover to a standby).
    Postgres { database: String },
}

async fn stop_writes(backend: Backend, database_url: &str) -> WritesStopped {
    match backend {
        Backend::Sqlite => {
            let mut writer = sqlx::SqliteConnection::connect(database_url).await.unwrap();
            sqlx::query("BEGIN EXCLUSIVE")
                .execute(&mut writer)
                .await
                .unwrap();
            WritesStopped::Sqlite(writer)
        }
        Backend::Postgres => {
            let database = database_url.rsplit('/').next().unwrap().to_owned();
            set_read_only(&database, true).await;
            WritesStopped::Postgres { database }
        }
    }
}

async fn resume(stopped: WritesStopped) {
    match stopped {
        WritesStopped::Sqlite(mut writer) => {
            sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
            writer.close().await.unwrap();
        }
        WritesStopped::Postgres { database } => set_read_only(&database, false).await,
    }
}

/// Makes new sessions of `database` read-only (or not), and ends the sessions open on it.
async fn set_read_only(database: &str, read_only: bool) {
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    let setting = if read_only { "on" } else { "off" };
    sqlx::query(&format!(
        "ALTER DATABASE {database} SET default_transaction_read_only = {setting}"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(database)
    .execute(&mut admin)
    .await
    .unwrap();
}

/// Asks `/readyz` until it answers `status` (each answer stands for a second), for up to 15 s.
async fn readyz_until(app: &TestApp, status: u16) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = app.get("/readyz").await;
        let answered = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        if answered == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz still answers {answered} ({body}), not {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

on_both_backends!(ready_means_the_database_takes_writes, readiness_body);
async fn readiness_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(readyz_until(&app, 200).await["status"], "ready");

    // The database stops taking writes but still answers reads: not ready, yet alive.
    let stopped = stop_writes(backend, &app.database_url).await;
    let unready = readyz_until(&app, 503).await;
    assert_eq!(unready["status"], "unavailable");
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "alive all the same"
    );
    let providers = app.get("/api/v1/providers").await;
    assert_eq!(
        providers.status(),
        200,
        "reads are still answered: a check that only read would have said ready"
    );

    // Writes are taken again: ready again.
    resume(stopped).await;
    assert_eq!(readyz_until(&app, 200).await["status"], "ready");
    app.stop().await;
}
