//! Test helpers that read like a resident's actions: open the sign-up page, submit it, find the
//! email that arrived, follow its links.

use beacon::app::{self, Role, Running};
use beacon::config::Settings;
use beacon::services::tokens::Signer;
use beacon::services::{postcodes, AppContext};
use beacon::store::{self, DynStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("BEACON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A new, empty database for one test.
pub async fn fresh_database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("beacon.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432 (set BEACON_TEST_POSTGRES_URL to use another)");
            let name = format!("beacon_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("creating a test database");
            let (base, _) = admin.rsplit_once('/').expect("a database URL has a path");
            format!("{base}/{name}")
        }
    }
}

/// Drops a test's PostgreSQL database (its connections too); SQLite files go with the test's
/// temporary directory.
pub async fn drop_database(database_url: &str) {
    use sqlx::Connection;
    if !database_url.starts_with("postgres") {
        return;
    }
    let Some((_, name)) = database_url.rsplit_once('/') else {
        return;
    };
    if !name.starts_with("beacon_test_") {
        return;
    }
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL is still there");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("dropping the test's database");
}

/// A fresh store with the postcodes the tests use: Cambridge CB1 and CB2, Peterborough PE1 and
/// Melbourn SG8 6, from the bundled force-area file.
pub async fn fresh_store(backend: Backend, dir: &Path) -> (DynStore, String) {
    let url = fresh_database_url(backend, dir).await;
    let store = store::connect(&url).await.expect("opening the store");
    postcodes::load_bundled(&*store, |record| {
        let pc = record.postcode.as_str();
        pc.starts_with("CB1 ")
            || pc.starts_with("CB2 ")
            || pc.starts_with("PE1 ")
            || pc.starts_with("SG8 6")
    })
    .await
    .expect("loading test postcodes");
    (store, url)
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub ctx: Arc<AppContext>,
    pub outbox: PathBuf,
    pub sms_outbox: PathBuf,
    /// The test's own database.
    pub database_url: String,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

/// A loopback port free for a server a test is about to start.
///
/// Taken below the kernel's ephemeral range (32768 up), which `bind(0)` and every outgoing
/// connection draw from: a port picked with `bind(0)` and bound a moment later can meanwhile
/// have become the local end of some connection to PostgreSQL, and the server then fails to
/// start (or, worse, a test talks to another test's server). Each call in this process takes
/// the next port, and checks nothing else holds it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    // Start at a place of this process's own, so two test runs at once rarely meet.
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SPAN {
        let offset = NEXT.fetch_add(1, Ordering::SeqCst) % SPAN;
        let port = u16::try_from(FIRST + offset).expect("below 32768");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {FIRST} and {}", FIRST + SPAN);
}

/// Waits until the server `child` (named `what` in messages) listens on `port`; panics, saying
/// so, if it exits first or is not listening within ten seconds.
pub fn wait_for_listener(child: &mut std::process::Child, port: u16, what: &str) {
    for _ in 0..200 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on port {port}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{what} did not start listening on port {port}");
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::spawn_as(backend, Role::All, configure).await
    }

    /// Beacon as `role` alone: `Role::Web` runs no delivery and no hourly housekeeping, for a
    /// test that writes into the past what the housekeeping would otherwise change as it goes
    /// (close the chats a resident left, delete what is past its keeping time).
    pub async fn spawn_as(
        backend: Backend,
        role: Role,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut settings = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        settings.server.bind = format!("127.0.0.1:{port}");
        settings.server.public_url = format!("http://127.0.0.1:{port}");
        settings.server.secure_cookies = false;
        settings.limits.signups_per_ip_per_hour = 1_000;
        configure(&mut settings);
        let (store, database_url) = fresh_store(backend, dir.path()).await;
        let signer = Signer::new(b"test-key-test-key-test-key-test-key");
        let ctx = Arc::new(AppContext::new(store, settings, signer));
        let running = app::start(ctx.clone(), role)
            .await
            .expect("starting Beacon");
        let client = TestApp::client();
        TestApp {
            address: format!("http://{}", running.address.expect("a web role listens")),
            client,
            outbox: ctx.settings.email_outbox_dir(),
            sms_outbox: ctx.settings.sms_outbox_dir(),
            ctx,
            database_url,
            running: Some(running),
            _dir: dir,
        }
    }

    /// A browser of its own: cookies kept, redirects followed.
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .unwrap()
    }

    /// Signs in on the staff sign-in page with another browser.
    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
        code: &str,
    ) -> reqwest::Response {
        let page = client
            .get(self.url("/staff/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_value(&page, "csrf").expect("the sign-in form has a CSRF field");
        client
            .post(self.url("/staff/sign-in"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("code", code),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Stops Beacon, then drops the test's PostgreSQL database, so that a full run does not
    /// leave hundreds of databases (gigabytes) on the machine's disk.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("Beacon stops cleanly");
        }
        drop_database(&self.database_url).await;
    }

    pub async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{}", self.address, path_or_url)
        };
        self.client.get(url).send().await.unwrap()
    }

    /// The CSRF token of the form on a page (the page also sets the cookie it pairs with).
    pub async fn form_token(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        hidden_value(&html, "csrf").expect("the page has a CSRF field")
    }

    /// Opens the sign-up page and submits it with these fields (and its CSRF token).
    pub async fn sign_up(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.form_token("/").await;
        let mut form: Vec<(String, String)> = vec![("csrf".into(), token)];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.client
            .post(format!("{}/signup", self.address))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Submits a form on `page` to `action` with its CSRF token.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.form_token(page).await;
        let mut form: Vec<(String, String)> = vec![("csrf".into(), token)];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{}", self.address, path_or_url)
        }
    }

    /// Waits until the outbound queue is empty: everything queued has been sent (or given up).
    pub async fn wait_until_sent(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.ctx.store.outbound_counts().await.unwrap().waiting > 0 {
            assert!(
                Instant::now() < deadline,
                "messages still waiting after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A number the app's database answers to `query` (a `SELECT COUNT(*)`, say).
    pub async fn count(&self, query: &str) -> i64 {
        use sqlx::Connection;
        if self.database_url.starts_with("sqlite") {
            let mut db = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query_scalar(query).fetch_one(&mut db).await.unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query_scalar(query).fetch_one(&mut db).await.unwrap()
        }
    }

    /// How many emails are in the outbox now.
    pub fn outbox_count(&self) -> usize {
        std::fs::read_dir(&self.outbox).map_or(0, |entries| entries.count())
    }

    /// Waits until `count` emails are in the outbox and returns them, oldest first.
    pub async fn emails(&self, count: usize) -> Vec<Email> {
        wait_for_files(&self.outbox, "eml", count)
            .await
            .iter()
            .map(|raw| Email::parse(raw))
            .collect()
    }

    /// Waits until `count` texts are in the SMS outbox.
    pub async fn texts(&self, count: usize) -> Vec<serde_json::Value> {
        wait_for_files(&self.sms_outbox, "json", count)
            .await
            .iter()
            .map(|raw| serde_json::from_slice(raw).unwrap())
            .collect()
    }

    /// Opens a confirmation link and presses its button, as a resident does; returns the page.
    pub async fn confirm(&self, link: &str) -> String {
        let asked = self.get(link).await.text().await.unwrap();
        assert!(
            asked.contains("Confirm my subscription") || asked.contains("already confirmed"),
            "{asked}"
        );
        self.client
            .post(link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Signs up with the usual answers and returns the confirmation email.
    pub async fn signed_up(&self, email: &str) -> Email {
        let response = self.sign_up(&standard_sign_up(email)).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let emails = self.emails(1).await;
        emails
            .into_iter()
            .find(|e| e.to.contains(email))
            .expect("the confirmation email")
    }
}

/// A sign-up as a resident would usually fill it in.
pub fn standard_sign_up(email: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("name", "Mandy Clarke"),
        ("email", email),
        ("place0_postcode", "cb1 1pt"),
        ("place0_label", "Home"),
        ("providers", "cambridgeshire-constabulary"),
        ("providers", "report-fraud"),
        ("message_types", "scam-warning"),
        ("message_types", "crime-update"),
        ("channels", "email"),
        ("email_format", "full"),
    ]
}

/// Reads every file with `extension` (any, for "") in `dir`, waiting (up to 10 s) until there are
/// `count`. More than `count` is a failure: a resident got something they should not have.
pub async fn wait_for_files(dir: &Path, extension: &str, count: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        extension.is_empty() || p.extension().is_some_and(|e| e == extension)
                    })
                    .map(|p| (std::fs::metadata(&p).unwrap().modified().unwrap(), p))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            files.len() <= count,
            "expected {count} files in {}, found {}",
            dir.display(),
            files.len()
        );
        if files.len() == count {
            // Give a file being written a moment to be complete.
            tokio::time::sleep(Duration::from_millis(50)).await;
            files.sort();
            return files
                .into_iter()
                .map(|(_, p)| std::fs::read(p).unwrap())
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "waited 10 s for {count} files in {}, found {}",
            dir.display(),
            files.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An email as it arrived, decoded.
#[derive(Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Email {
    pub fn parse(raw: &[u8]) -> Email {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("a parseable email");
        let headers = message
            .headers()
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(&raw[h.offset_start()..h.offset_end()]);
                (h.name().to_owned(), value.trim().to_owned())
            })
            .collect();
        Email {
            to: message
                .to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message
                .html_part(0)
                .map(|_| message.body_html(0).unwrap_or_default().into_owned()),
            headers,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first link in the plain-text part whose path starts with `prefix` (e.g. "/confirm/").
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(prefix))
            .unwrap_or_else(|| panic!("no {prefix} link in:\n{}", self.text))
            .to_owned()
    }
}

/// The value of a hidden input in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Runs a test body once on SQLite and once on PostgreSQL; with `multi_thread`, on a runtime
/// with several worker threads, as `beacon serve` runs, so that requests sent at once are
/// handled at once (a race a single thread may serialise away).
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:ident, multi_thread) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$body($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$body($crate::helpers::Backend::Postgres).await
            }
        }
    };
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$body($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$body($crate::helpers::Backend::Postgres).await
            }
        }
    };
}
