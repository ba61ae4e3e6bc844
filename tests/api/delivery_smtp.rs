//! Alert delivery against real SMTP servers on loopback: postfix's `smtp-sink` and an aiosmtpd
//! server refusing some recipients. Every message is counted at the server by Message-ID:
//! through an outage, refusals and workers killed with SIGKILL mid-send, each resident gets the
//! alert exactly once.

use crate::delivery::{
    message_ids, seed_resident, send_alert, wait_for_report, ResidentSpec, FORCE_AREA,
};
use crate::helpers::{free_port, fresh_store, wait_for_listener, Backend, TestApp};
use crate::mail::SmtpSink;
use crate::on_both_backends;
use beacon::config::{MailTransport, SmtpTls};
use beacon::store::DynStore;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The aiosmtpd server of `tests/support/smtp_policy_server.py`.
struct PolicyServer {
    child: Child,
    port: u16,
}

impl PolicyServer {
    fn start(dir: &Path) -> PolicyServer {
        PolicyServer::start_with(dir, &[])
    }

    /// With extra arguments: `starttls|tls CERT KEY`.
    fn start_with(dir: &Path, tls: &[&str]) -> PolicyServer {
        let port = free_port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/smtp_policy_server.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir)
            .args(tls)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd must be installed (pip install aiosmtpd)");
        wait_for_listener(&mut child, port, "the aiosmtpd server");
        PolicyServer { child, port }
    }
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_to(port: u16) -> impl FnOnce(&mut beacon::config::Settings) {
    move |settings| {
        settings.mail.transport = MailTransport::Smtp;
        settings.mail.smtp_host = "127.0.0.1".into();
        settings.mail.smtp_port = port;
        settings.mail.smtp_tls = SmtpTls::None;
        settings.mail.smtp_timeout_secs = 5;
        settings.mail.smtp_connections = 4;
        settings.limits.retry_base_secs = 1;
        settings.delivery.suspend_after_failures = 1;
    }
}

fn assert_each_once(dir: &Path, expected: usize) {
    let ids = message_ids(dir);
    let repeated: Vec<_> = ids.iter().filter(|(_, &n)| n > 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    assert_eq!(ids.len(), expected, "distinct messages at the server");
}

async fn refusals_are_retried_or_recorded(backend: Backend) {
    let received = tempfile::tempdir().unwrap();
    let server = PolicyServer::start(received.path());
    let app = TestApp::spawn_with(backend, smtp_to(server.port)).await;
    let store = &app.ctx.store;
    for email in [
        "ann@example.org",
        "bob@example.org",
        "soft.cat@example.org",
        "soft.dan@example.org",
        "hard.eve@example.org",
    ] {
        seed_resident(store, &ResidentSpec::new(email, "Pat Resident", "CB1 1PT")).await;
    }
    let alert = send_alert(store, "Scam calls", 2, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    let report = wait_for_report(store, alert, 5, 0, Duration::from_secs(40)).await;
    assert_eq!(report.email.sent, 4, "{report:?}");
    assert_eq!(report.email.failed, 1, "{report:?}");
    assert!(
        report.failures[0].0.contains("550"),
        "the refusal is recorded: {:?}",
        report.failures
    );
    assert!(
        !report.failures[0].0.contains("hard.eve@"),
        "addresses are masked in stored errors: {:?}",
        report.failures
    );
    assert_each_once(received.path(), 4);
    // The 550 suspended the address (the threshold is one here) and admins see it listed.
    let problems = store.contact_problems().await.unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].contact, "hard.eve@example.org");
    app.stop().await;
}
on_both_backends!(
    smtp_refusals_are_retried_or_recorded,
    refusals_are_retried_or_recorded
);

async fn outage_then_recovery_delivers_once(backend: Backend) {
    let received = tempfile::tempdir().unwrap();
    let port = free_port();
    let app = TestApp::spawn_with(backend, smtp_to(port)).await;
    let store = &app.ctx.store;
    for n in 0..20 {
        let email = format!("resident{n}@example.org");
        seed_resident(store, &ResidentSpec::new(&email, "Pat Resident", "CB1 1PT")).await;
    }
    let alert = send_alert(store, "Rogue traders", 2, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    // The server is down: attempts fail and wait to be retried.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let report = store.delivery_report(alert).await.unwrap();
        if report.email.targeted == 20 && report.email.pending == 20 {
            break;
        }
        assert!(Instant::now() < deadline, "{report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _sink = SmtpSink::start_on(received.path(), port);
    wait_for_report(store, alert, 20, 0, Duration::from_secs(60)).await;
    assert_eq!(store.delivery_report(alert).await.unwrap().email.sent, 20);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_each_once(received.path(), 20);
    app.stop().await;
}
on_both_backends!(
    smtp_outage_then_recovery_delivers_once,
    outage_then_recovery_delivers_once
);

/// A private CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`:
/// (ca.pem, cert.pem, key.pem).
fn private_ca(dir: &Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).display().to_string();
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl must be installed");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Beacon test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &path("key.pem"),
        "-out",
        &path("cert.csr"),
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        &path("cert.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &path("ext.cnf"),
        "-out",
        &path("cert.pem"),
    ]);
    (path("ca.pem"), path("cert.pem"), path("key.pem"))
}

async fn encrypted_smtp_delivers(backend: Backend) {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(certs.path());
    for (mode, tls) in [("starttls", SmtpTls::Starttls), ("tls", SmtpTls::Tls)] {
        let received = tempfile::tempdir().unwrap();
        let server = PolicyServer::start_with(received.path(), &[mode, &cert, &key]);
        let ca = ca.clone();
        let app = TestApp::spawn_with(backend, move |settings| {
            smtp_to(server.port)(settings);
            settings.mail.smtp_tls = tls;
            settings.mail.smtp_ca_file = ca;
        })
        .await;
        let store = &app.ctx.store;
        seed_resident(
            store,
            &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
        )
        .await;
        seed_resident(
            store,
            &ResidentSpec::new("bob@example.org", "Bob Patel", "PE1 1HF"),
        )
        .await;
        let alert = send_alert(store, "Phone scams", 2, FORCE_AREA).await;
        app.ctx.fanout_wakeup.notify_one();
        let report = wait_for_report(store, alert, 2, 0, Duration::from_secs(30)).await;
        assert_eq!(report.email.sent, 2, "{mode}: {report:?}");
        assert_each_once(received.path(), 2);
        app.stop().await;
    }
}
on_both_backends!(
    alerts_go_over_starttls_and_implicit_tls,
    encrypted_smtp_delivers
);

/// A `beacon serve --role worker` process on `database_url`, sending to the SMTP port.
fn worker(database_url: &str, data_dir: &Path, smtp_port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_beacon"))
        .args(["serve", "--role", "worker"])
        .env("BEACON_DATABASE_URL", database_url)
        .env("BEACON_DATA_DIR", data_dir)
        .env(
            "BEACON_SECRET_KEY",
            "kill-test-secret-kill-test-secret-0000",
        )
        .env("BEACON_MAIL__TRANSPORT", "smtp")
        .env("BEACON_MAIL__SMTP_HOST", "127.0.0.1")
        .env("BEACON_MAIL__SMTP_PORT", smtp_port.to_string())
        .env("BEACON_MAIL__SMTP_TLS", "none")
        .env("BEACON_MAIL__SMTP_CONNECTIONS", "4")
        .env("BEACON_DELIVERY__LEASE_SECS", "10")
        .env("BEACON_MAIL__SMTP_TIMEOUT_SECS", "3")
        .env("BEACON_DELIVERY__FANOUT_CHUNK", "300")
        .env("BEACON_LIMITS__RETRY_BASE_SECS", "1")
        .env("BEACON_LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting a beacon worker")
}

fn kill(mut child: Child) {
    // SIGKILL: no chance to finish anything.
    child.kill().unwrap();
    child.wait().unwrap();
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// Waits until at least `count` messages have arrived.
async fn wait_for_arrivals(dir: &Path, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while files_in(dir) < count {
        assert!(Instant::now() < deadline, "only {} arrived", files_in(dir));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn seed_many(store: &DynStore, count: usize) {
    for n in 0..count {
        let email = format!("resident{n}@example.org");
        let postcode = if n % 2 == 0 { "CB1 1PT" } else { "PE1 1HF" };
        seed_resident(store, &ResidentSpec::new(&email, "Pat Resident", postcode)).await;
    }
}

async fn killed_mid_send_delivers_exactly_once(backend: Backend) {
    const RESIDENTS: usize = 1_500;
    let dir = tempfile::tempdir().unwrap();
    let received = tempfile::tempdir().unwrap();
    let (store, url) = fresh_store(backend, dir.path()).await;
    seed_many(&store, RESIDENTS).await;
    let sink = SmtpSink::start(received.path());
    let alert = send_alert(&store, "Burglaries overnight", 2, FORCE_AREA).await;

    // Killed twice mid-send, then left to finish.
    let first = worker(&url, dir.path(), sink.port);
    wait_for_arrivals(received.path(), 200).await;
    kill(first);
    let second = worker(&url, dir.path(), sink.port);
    wait_for_arrivals(received.path(), 700).await;
    kill(second);
    let last = worker(&url, dir.path(), sink.port);
    let report =
        wait_for_report(&store, alert, RESIDENTS as i64, 0, Duration::from_secs(120)).await;
    kill(last);
    assert_eq!(report.email.sent, RESIDENTS as i64, "{report:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_each_once(received.path(), RESIDENTS);
}
on_both_backends!(
    worker_killed_mid_send_delivers_exactly_once,
    killed_mid_send_delivers_exactly_once
);

#[tokio::test]
async fn two_workers_on_postgres_one_killed_every_message_arrives_once() {
    const RESIDENTS: usize = 1_500;
    let dir = tempfile::tempdir().unwrap();
    let received = tempfile::tempdir().unwrap();
    let (store, url) = fresh_store(Backend::Postgres, dir.path()).await;
    seed_many(&store, RESIDENTS).await;
    let sink = SmtpSink::start(received.path());
    let alert = send_alert(&store, "Vehicle crime", 2, FORCE_AREA).await;
    let doomed = worker(&url, dir.path(), sink.port);
    let survivor = worker(&url, dir.path(), sink.port);
    wait_for_arrivals(received.path(), 300).await;
    kill(doomed);
    // The survivor takes over the dead worker's claims once their leases lapse.
    let report =
        wait_for_report(&store, alert, RESIDENTS as i64, 0, Duration::from_secs(120)).await;
    kill(survivor);
    assert_eq!(report.email.sent, RESIDENTS as i64, "{report:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_each_once(received.path(), RESIDENTS);
}
