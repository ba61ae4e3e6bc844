//! Benchmark: live chat under load, across two web processes on PostgreSQL. Makes a fresh
//! database (`beacon_bench_chat`, dropped afterwards), starts two `beacon serve --role web`
//! processes on it (A and B), and then, as residents and operators would:
//!
//! - makes 50 operators of the chat organisation through the staff services (created, enrolled
//!   with a password and an authenticator secret), each signed in over HTTP on one of the two
//!   processes with a current TOTP code, set available for 20 chats at once (the inbox's
//!   presence form) and with the inbox's WebSocket open;
//! - starts 1,000 chats over HTTP (the chat form), alternately on A and B, each with its
//!   resident's WebSocket open on that process;
//! - has each chat taken (the inbox's take form) by an operator signed in on the *other*
//!   process, 20 per operator, so that every message crosses from one process to the other;
//! - for 60 seconds, each side of each chat writes a message at random, every 5 seconds on
//!   average (exponential gaps: a Poisson process), each carrying the time it was sent; the
//!   other side's WebSocket notes when it arrives.
//!
//! Prints delivery latency each way (p50, p90, p99, max), messages a second, messages lost, the
//! servers' memory per open connection (VmRSS from `/proc/<pid>/status` before and after the
//! connections open, over their number) and the CPU each part used; with `--write-docs FILE`,
//! also writes them between the `chat` markers of FILE. Run it through `scripts/bench-chat`.
//!
//! The processes run with settings a load test needs (as environment variables, also in the
//! docs): more connections than the default 1,024 (`BEACON_SERVER__MAX_CONNECTIONS`), and chat
//! limits per address raised (`BEACON_CHAT__CHATS_PER_HOUR`, `BEACON_CHAT__MESSAGES_PER_MINUTE`),
//! since every simulated resident comes from 127.0.0.1.
//!
//! `cargo run --release --example chat_bench -- [--chats 1000] [--operators 50] [--capacity 20]
//!  [--seconds 60] [--mean-gap 5] [--postgres-url URL] [--beacon target/release/beacon]
//!  [--write-docs docs/benchmarks.md]`

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::cookie::{CookieStore, Jar};
use sqlx::Connection;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_util::sync::CancellationToken;

#[allow(dead_code)] // Its `write_section` finds a section by heading; this one has markers.
#[path = "support/docs_section.rs"]
mod docs_section;

use beacon::config::Settings;
use beacon::domain::staff::StaffInput;
use beacon::services::staff::{self as staff_service, Actor};
use beacon::services::AppContext;

const SCRATCH_DATABASE: &str = "beacon_bench_chat";
const SECRET_KEY: &str = "chat-bench-secret-chat-bench-secret-0000";
const PASSWORD: &str = "a long and memorable password for the bench";
/// Requests of the set-up (sign-ins, chats started, taken) in flight at once.
const SETUP_AT_ONCE: usize = 16;
/// How long after the last message is sent the bench waits for the last to arrive.
const GRACE: Duration = Duration::from_secs(5);
const GOAL: Duration = Duration::from_millis(100);
/// Settings every web process of the bench runs with, as environment variables.
const LOAD_SETTINGS: &[(&str, &str)] = &[
    ("BEACON_SERVER__MAX_CONNECTIONS", "4096"),
    ("BEACON_CHAT__CHATS_PER_HOUR", "1000000"),
    ("BEACON_CHAT__MESSAGES_PER_MINUTE", "1000"),
];

#[derive(Parser, Clone)]
#[command(about = "Live chat under load: two web processes on PostgreSQL")]
struct Args {
    /// Chats open at once.
    #[arg(long, default_value_t = 1_000)]
    chats: usize,
    /// Operators answering them (half signed in on each process).
    #[arg(long, default_value_t = 50)]
    operators: usize,
    /// Chats each operator takes at most.
    #[arg(long, default_value_t = 20)]
    capacity: usize,
    /// Length of the measured run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Average seconds between two messages from one side of a chat.
    #[arg(long, default_value_t = 5.0)]
    mean_gap: f64,
    /// The PostgreSQL server to create the scratch database on.
    #[arg(
        long,
        env = "BEACON_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// The `beacon` program to run (default: the one built beside this program).
    #[arg(long)]
    beacon: Option<PathBuf>,
    /// Write the figures between the `chat` markers of this file.
    #[arg(long)]
    write_docs: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.operators >= 2 && args.operators.is_multiple_of(2),
        "--operators must be even (half on each process)"
    );
    ensure!(
        args.operators * args.capacity >= args.chats,
        "{} operators taking {} chats each cannot answer {} chats",
        args.operators,
        args.capacity,
        args.chats
    );
    let beacon = match &args.beacon {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("this program is not in a target folder")?
            .join("beacon"),
    };
    ensure!(
        beacon.exists(),
        "{} not found: build it (cargo build --release --bin beacon) or pass --beacon",
        beacon.display()
    );

    let admin = args.postgres_url.clone();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .context("connecting to PostgreSQL (set BEACON_TEST_POSTGRES_URL)")?;
    let drop = format!("DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)");
    sqlx::query(&drop).execute(&mut conn).await?;
    sqlx::query(&format!("CREATE DATABASE {SCRATCH_DATABASE}"))
        .execute(&mut conn)
        .await?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await?;
    let (base, _) = admin
        .rsplit_once('/')
        .context("a database URL has a path")?;
    let database_url = format!("{base}/{SCRATCH_DATABASE}");
    let server = format!(
        "PostgreSQL {}",
        version.split_whitespace().next().unwrap_or("")
    );

    let outcome = run(&args, &beacon, &database_url).await;
    sqlx::query(&drop).execute(&mut conn).await?;
    let figures = outcome?;

    let section = docs_section::wrap_prose(&section(&args, &figures, &server));
    println!("{section}");
    if let Some(path) = &args.write_docs {
        write_section(path, &section)?;
        eprintln!("wrote the chat section of {}", path.display());
    }
    Ok(())
}

/// What a run measured.
struct Figures {
    /// Microseconds from sending to arriving, resident → operator and operator → resident.
    to_operator: Vec<u64>,
    to_resident: Vec<u64>,
    sent_to_operator: u64,
    sent_to_resident: u64,
    seconds: f64,
    /// Per process: (VmRSS before the connections opened, after they opened, after the run) in
    /// KiB, and connections open on it.
    memory: Vec<(u64, u64, u64, usize)>,
    /// CPU seconds per second during the run: each web process, PostgreSQL, this program.
    cores: Vec<f64>,
    postgres_cores: f64,
    bench_cores: f64,
    /// How long the set-up steps took: operators signed in, chats started, chats taken.
    setup: Vec<(&'static str, Duration)>,
}

async fn run(args: &Args, beacon: &Path, database_url: &str) -> anyhow::Result<Figures> {
    // The database made ready (migrations, postcodes, kinds of report) before the processes
    // start, as `beacon migrate` is run before a deployment's processes.
    let scratch = tempfile::tempdir()?;
    let mut settings = Settings {
        data_dir: scratch.path().join("bench"),
        database_url: database_url.to_owned(),
        secret_key: SECRET_KEY.into(),
        ..Settings::default()
    };
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.secure_cookies = false;
    eprintln!("preparing the database");
    let ctx = beacon::app::context(settings).await?;
    // A third web process of the same deployment, in this program, where the operators sign in:
    // a sign-in hashes with Argon2 (19 MiB each), which would blur the measured processes'
    // memory. Its session cookie is for 127.0.0.1, so it is sent to A and B as well.
    let sign_in = beacon::app::start(ctx.clone(), beacon::app::Role::Web).await?;
    let sign_in_address = sign_in.address.context("a web role listens")?.to_string();
    let processes = [
        WebProcess::start(beacon, database_url, &scratch.path().join("a")).await?,
        WebProcess::start(beacon, database_url, &scratch.path().join("b")).await?,
    ];
    eprintln!(
        "web processes A (pid {}) at {} and B (pid {}) at {}",
        processes[0].pid, processes[0].address, processes[1].pid, processes[1].address
    );
    let mut setup = Vec::new();

    // Operators, half signed in on each process.
    let started = Instant::now();
    let provider = beacon::services::chat::chat_provider(&ctx)
        .await
        .map_err(|e| anyhow::anyhow!("the organisation that answers chats: {e}"))?;
    let mut operators = Vec::new();
    for n in 0..args.operators {
        operators.push(Operator::make(&ctx, &provider.slug, n).await?);
    }
    let gate = Arc::new(Semaphore::new(SETUP_AT_ONCE));
    let mut signing_in = tokio::task::JoinSet::new();
    for (n, operator) in operators.into_iter().enumerate() {
        let process = processes[n % 2].address.clone();
        let (gate, capacity, sign_in) = (gate.clone(), args.capacity, sign_in_address.clone());
        signing_in.spawn(async move {
            let _turn = gate.acquire().await?;
            let operator = operator.sign_in(&sign_in, &process, n % 2).await?;
            operator.set_available(capacity).await?;
            anyhow::Ok((n, operator))
        });
    }
    let mut operators: Vec<Operator> = {
        let mut signed_in: Vec<(usize, Operator)> = Vec::new();
        while let Some(done) = signing_in.join_next().await {
            signed_in.push(done??);
        }
        signed_in.sort_by_key(|(n, _)| *n);
        signed_in.into_iter().map(|(_, o)| o).collect()
    };
    setup.push(("operators signed in and available", started.elapsed()));
    eprintln!("{} operators signed in", operators.len());

    // Residents start their chats, alternately on A and B.
    let started = Instant::now();
    let mut starting = tokio::task::JoinSet::new();
    for n in 0..args.chats {
        let process = processes[n % 2].address.clone();
        let gate = gate.clone();
        let ctx = ctx.clone();
        starting.spawn(async move {
            let _turn = gate.acquire().await?;
            let chat = Chat::start(&ctx, &process, n).await?;
            anyhow::Ok(chat)
        });
    }
    let mut chats: Vec<Chat> = Vec::new();
    while let Some(done) = starting.join_next().await {
        chats.push(done??);
    }
    chats.sort_by_key(|c| c.n);
    setup.push(("chats started", started.elapsed()));
    eprintln!("{} chats started", chats.len());

    // Memory before any live connection opens (a moment after the last request, so that what
    // the requests used is given back).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory_before: Vec<u64> = processes.iter().map(|p| rss_kib(p.pid)).collect();
    let started = Instant::now();
    let clock = Instant::now();
    let stop = CancellationToken::new();
    let tally = Arc::new(Tally::default());

    // The operators' inboxes open, and the residents' chats.
    let mut sockets = tokio::task::JoinSet::new();
    let mut inboxes = Vec::new();
    for operator in &mut operators {
        let socket = operator
            .browser
            .websocket(&format!("http://{}/staff/inbox/live", operator.process))
            .await?;
        let (outgoing, queue) = mpsc::channel::<String>(256);
        let mine = Arc::new(Mutex::new(HashMap::<i64, ()>::new()));
        let reader = InboxReader {
            mine: mine.clone(),
            tally: tally.clone(),
            clock,
        };
        sockets.spawn(drive(socket, queue, stop.clone(), move |frame| {
            reader.heard(frame)
        }));
        inboxes.push((outgoing, mine));
    }

    let opened = Arc::new(AtomicUsize::new(0));
    let mut residents = Vec::new();
    for chat in &chats {
        let socket = Browser::new()
            .websocket(&format!(
                "http://{}/chat/{}/live",
                processes[chat.n % 2].address,
                chat.token
            ))
            .await?;
        let (outgoing, queue) = mpsc::channel::<String>(64);
        let mut reader = ResidentReader {
            tally: tally.clone(),
            clock,
            opened: opened.clone(),
            open: false,
        };
        sockets.spawn(drive(socket, queue, stop.clone(), move |frame| {
            reader.heard(frame)
        }));
        residents.push(outgoing);
    }
    setup.push(("live connections open", started.elapsed()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory_open: Vec<u64> = processes.iter().map(|p| rss_kib(p.pid)).collect();
    eprintln!("{} live connections open", operators.len() + chats.len());

    // Operators on the other process take them, up to their capacity each.
    let started = Instant::now();
    let per_process = operators.len() / 2;
    // Each operator's form token, read once from their inbox (as one page's forms share it).
    let mut tokens = Vec::new();
    for operator in &operators {
        tokens.push(
            operator
                .browser
                .form_token(&format!("http://{}/staff/inbox", operator.process))
                .await?,
        );
    }
    let mut owner = Vec::with_capacity(chats.len());
    let mut taking = tokio::task::JoinSet::new();
    for chat in &chats {
        let other = 1 - chat.n % 2;
        let operator = other + 2 * ((chat.n / 2) % per_process);
        owner.push(operator);
        inboxes[operator]
            .1
            .lock()
            .unwrap()
            .insert(chat.conversation, ());
        let browser = operators[operator].browser.clone();
        let (process, id, gate) = (
            operators[operator].process.clone(),
            chat.conversation,
            gate.clone(),
        );
        let csrf = tokens[operator].clone();
        taking.spawn(async move {
            let _turn = gate.acquire().await?;
            browser
                .post(&format!("http://{process}/staff/inbox/{id}/take"), &csrf)
                .await
        });
    }
    while let Some(done) = taking.join_next().await {
        let response = done??;
        ensure!(
            response.status().is_redirection(),
            "taking a chat: {}",
            response.status()
        );
    }
    // Every resident has been told their chat is open.
    let deadline = Instant::now() + Duration::from_secs(120);
    while opened.load(Ordering::Relaxed) < chats.len() {
        ensure!(
            Instant::now() < deadline,
            "only {} of {} residents were told their chat was taken",
            opened.load(Ordering::Relaxed),
            chats.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    setup.push(("chats taken (residents told)", started.elapsed()));
    eprintln!("every chat taken");

    // The run: each side of each chat writes every `mean_gap` seconds on average.
    eprintln!(
        "writing for {} s: {} chats, a message from each side every {} s on average",
        args.seconds, args.chats, args.mean_gap
    );
    let ticks_before: Vec<u64> = processes.iter().map(|p| cpu_ticks(p.pid)).collect();
    let postgres_before = postgres_ticks();
    let bench_before = cpu_ticks(std::process::id());
    let run_started = Instant::now();
    let window = Duration::from_secs(args.seconds);
    let mut writers = tokio::task::JoinSet::new();
    for (chat, resident) in chats.iter().zip(&residents) {
        let operator = &inboxes[owner[chat.n]].0;
        for side in [Side::Resident, Side::Operator] {
            let outgoing = match side {
                Side::Resident => resident.clone(),
                Side::Operator => operator.clone(),
            };
            let (conversation, n, tally) = (chat.conversation, chat.n, tally.clone());
            let mut rng = StdRng::seed_from_u64((n as u64) << 1 | side as u64);
            let mean_gap = args.mean_gap;
            writers.spawn(async move {
                let mut count = 0u64;
                loop {
                    let gap = -mean_gap * (1.0 - rng.gen::<f64>()).ln();
                    tokio::time::sleep(Duration::from_secs_f64(gap)).await;
                    if run_started.elapsed() >= window {
                        break;
                    }
                    count += 1;
                    let sent = clock.elapsed().as_micros();
                    let body = format!("bench {n} {count} {sent}");
                    let frame = match side {
                        Side::Resident => serde_json::json!({
                            "type": "send", "body": body, "client_id": format!("r{n}-{count}")
                        }),
                        Side::Operator => serde_json::json!({
                            "type": "send", "conversation": conversation, "body": body,
                            "client_id": format!("o{n}-{count}")
                        }),
                    };
                    if outgoing.send(frame.to_string()).await.is_err() {
                        break;
                    }
                    tally.sent(side);
                }
            });
        }
    }
    while writers.join_next().await.is_some() {}
    let seconds = run_started.elapsed().as_secs_f64();
    tokio::time::sleep(GRACE).await;
    let cores_of = |before: u64, after: u64| (after - before) as f64 / ticks_per_second() / seconds;
    let cores: Vec<f64> = processes
        .iter()
        .zip(&ticks_before)
        .map(|(p, before)| cores_of(*before, cpu_ticks(p.pid)))
        .collect();
    let postgres_cores = cores_of(postgres_before, postgres_ticks());
    let bench_cores = cores_of(bench_before, cpu_ticks(std::process::id()));
    let memory_after: Vec<u64> = processes.iter().map(|p| rss_kib(p.pid)).collect();
    stop.cancel();
    while sockets.join_next().await.is_some() {}

    let connections: Vec<usize> = (0..2)
        .map(|p| {
            chats.iter().filter(|c| c.n % 2 == p).count()
                + operators.iter().filter(|o| o.on == p).count()
        })
        .collect();
    let memory = (0..2)
        .map(|p| {
            (
                memory_before[p],
                memory_open[p],
                memory_after[p],
                connections[p],
            )
        })
        .collect();
    let tally = Arc::try_unwrap(tally).map_err(|_| anyhow::anyhow!("a socket still runs"))?;
    drop(processes);
    sign_in.stop().await?;
    Ok(Figures {
        to_operator: tally.to_operator.into_inner().unwrap(),
        to_resident: tally.to_resident.into_inner().unwrap(),
        sent_to_operator: tally.sent_by_resident.load(Ordering::Relaxed),
        sent_to_resident: tally.sent_by_operator.load(Ordering::Relaxed),
        seconds,
        memory,
        cores,
        postgres_cores,
        bench_cores,
        setup,
    })
}

/// Which side of a chat wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Resident = 0,
    Operator = 1,
}

/// Messages sent, and the latencies of those that arrived, each way.
#[derive(Default)]
struct Tally {
    sent_by_resident: AtomicU64,
    sent_by_operator: AtomicU64,
    to_operator: Mutex<Vec<u64>>,
    to_resident: Mutex<Vec<u64>>,
}

impl Tally {
    fn sent(&self, side: Side) {
        match side {
            Side::Resident => &self.sent_by_resident,
            Side::Operator => &self.sent_by_operator,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// A bench message arrived on the other side: its latency from the time in its body.
    fn arrived(&self, to: Side, body: &str, clock: Instant) {
        let Some(sent) = body
            .strip_prefix("bench ")
            .and_then(|rest| rest.split(' ').nth(2))
            .and_then(|micros| micros.parse::<u64>().ok())
        else {
            return;
        };
        let now = clock.elapsed().as_micros() as u64;
        let list = match to {
            Side::Operator => &self.to_operator,
            Side::Resident => &self.to_resident,
        };
        list.lock().unwrap().push(now.saturating_sub(sent));
    }
}

/// What an operator's inbox connection hears: residents' messages in the chats they took.
struct InboxReader {
    mine: Arc<Mutex<HashMap<i64, ()>>>,
    tally: Arc<Tally>,
    clock: Instant,
}

impl InboxReader {
    fn heard(&self, text: &str) {
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        if frame["type"] != "message" || frame["author"] != "resident" {
            return;
        }
        let conversation = frame["conversation"].as_i64().unwrap_or_default();
        if self.mine.lock().unwrap().contains_key(&conversation) {
            let body = frame["body"].as_str().unwrap_or_default();
            self.tally.arrived(Side::Operator, body, self.clock);
        }
    }
}

/// What a resident's chat connection hears: the operator's messages, and the chat's state.
struct ResidentReader {
    tally: Arc<Tally>,
    clock: Instant,
    /// Residents told their chat is open (taken by an operator).
    opened: Arc<AtomicUsize>,
    open: bool,
}

impl ResidentReader {
    fn heard(&mut self, text: &str) {
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        match frame["type"].as_str() {
            Some("message") if frame["author"] == "operator" => {
                let body = frame["body"].as_str().unwrap_or_default();
                self.tally.arrived(Side::Resident, body, self.clock);
            }
            Some("state") if frame["state"] == "open" && !self.open => {
                self.open = true;
                self.opened.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Carries one WebSocket until `stop`: frames from `outgoing` sent, text frames received handed
/// to `heard` as they arrive.
async fn drive(
    mut socket: Socket,
    mut outgoing: mpsc::Receiver<String>,
    stop: CancellationToken,
    mut heard: impl FnMut(&str) + Send + 'static,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            Some(text) = outgoing.recv() => {
                if socket.send(Frame::Text(text.into())).await.is_err() {
                    eprintln!("a WebSocket closed while sending");
                    return;
                }
            }
            frame = socket.next() => match frame {
                Some(Ok(Frame::Text(text))) => heard(text.as_str()),
                Some(Ok(Frame::Close(_))) | Some(Err(_)) | None => {
                    eprintln!("a WebSocket was closed by the server");
                    return;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket.close(None).await;
}

/// A browser: its cookies kept where a WebSocket request can send them too.
#[derive(Clone)]
struct Browser {
    client: reqwest::Client,
    /// The same browser, not following redirects: a form's answer without the page after it.
    no_follow: reqwest::Client,
    cookies: Arc<Jar>,
}

impl Browser {
    fn new() -> Browser {
        let cookies = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(cookies.clone())
            .build()
            .expect("an HTTP client");
        let no_follow = reqwest::Client::builder()
            .cookie_provider(cookies.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Browser {
            client,
            no_follow,
            cookies,
        }
    }

    /// Fills in and sends the form on `page` (its CSRF token added); the response, redirects
    /// followed.
    async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<reqwest::Response> {
        let html = self.client.get(page).send().await?.text().await?;
        let csrf = hidden_value(&html, "csrf").with_context(|| format!("no form on {page}"))?;
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        Ok(self.client.post(action).form(&form).send().await?)
    }

    /// The CSRF token of the form on `page`.
    async fn form_token(&self, page: &str) -> anyhow::Result<String> {
        let html = self.client.get(page).send().await?.text().await?;
        hidden_value(&html, "csrf").with_context(|| format!("no form on {page}"))
    }

    /// Sends a form with a CSRF token already read; the answer (a redirect), not followed.
    async fn post(&self, action: &str, csrf: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .no_follow
            .post(action)
            .form(&[("csrf", csrf)])
            .send()
            .await?)
    }

    /// Opens a WebSocket to `url` (an `http://` address) with this browser's cookies.
    async fn websocket(&self, url: &str) -> anyhow::Result<Socket> {
        let http: reqwest::Url = url.parse()?;
        let mut request = url.replacen("http://", "ws://", 1).into_client_request()?;
        if let Some(cookies) = self.cookies.cookies(&http) {
            request.headers_mut().insert("cookie", cookies);
        }
        let origin = format!("http://{}", http.authority());
        request.headers_mut().insert("origin", origin.parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(socket)
    }
}

fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// An operator of the chat organisation, and their browser.
struct Operator {
    email: String,
    secret: String,
    browser: Browser,
    /// Where they are signed in: the process's address, and which (0 for A, 1 for B).
    process: String,
    on: usize,
}

impl Operator {
    /// Creates and enrols operator `n` (as an admin would, and as they would on the enrolment
    /// page, through the staff services).
    async fn make(ctx: &AppContext, provider: &str, n: usize) -> anyhow::Result<Operator> {
        let email = format!("operator{n}@staff.example");
        let input = StaffInput {
            email: email.clone(),
            name: format!("Operator {n}"),
            role_title: "Contact Operator".into(),
            area_label: "Force control room".into(),
            provider: provider.to_owned(),
            operate: true,
            ..StaffInput::default()
        };
        let actor = Actor {
            staff: None,
            ip: "chat-bench",
        };
        let (staff, _) = staff_service::create_staff(ctx, &actor, &input)
            .await
            .map_err(|e| anyhow::anyhow!("creating {email}: {e}"))?;
        let secret = staff_service::new_totp_secret();
        staff_service::enrol_for_demo(ctx, &staff, PASSWORD, &secret).await?;
        Ok(Operator {
            email,
            secret,
            browser: Browser::new(),
            process: String::new(),
            on: 0,
        })
    }

    /// Signs in on the sign-in page at `sign_in` with a current authenticator code, to work on
    /// `process`.
    async fn sign_in(
        mut self,
        sign_in: &str,
        process: &str,
        on: usize,
    ) -> anyhow::Result<Operator> {
        let page = format!("http://{sign_in}/staff/sign-in");
        let code = staff_service::current_code(&self.secret)?;
        let response = self
            .browser
            .submit(
                &page,
                &page,
                &[
                    ("email", &self.email),
                    ("password", PASSWORD),
                    ("code", &code),
                ],
            )
            .await?;
        if response.url().path() != "/staff" {
            bail!("{} could not sign in", self.email);
        }
        self.process = process.to_owned();
        self.on = on;
        Ok(self)
    }

    /// Available, for `capacity` chats at once (the inbox's presence form).
    async fn set_available(&self, capacity: usize) -> anyhow::Result<()> {
        let capacity = capacity.to_string();
        let response = self
            .browser
            .submit(
                &format!("http://{}/staff/inbox", self.process),
                &format!("http://{}/staff/inbox/presence", self.process),
                &[("available", "yes"), ("capacity", &capacity)],
            )
            .await?;
        ensure!(
            response.status().is_success(),
            "setting {} available: {}",
            self.email,
            response.status()
        );
        Ok(())
    }
}

/// A resident's chat.
struct Chat {
    n: usize,
    token: String,
    conversation: i64,
}

impl Chat {
    /// Starts chat `n` on the chat page of `process`, as a resident does.
    async fn start(ctx: &AppContext, process: &str, n: usize) -> anyhow::Result<Chat> {
        let page = format!("http://{process}/chat");
        let browser = Browser::new();
        let name = format!("Resident{n}");
        let response = browser
            .submit(
                &page,
                &page,
                &[
                    ("first_name", &name),
                    ("topic", "A question about a scam call"),
                ],
            )
            .await?;
        let token = response
            .url()
            .path()
            .strip_prefix("/chat/")
            .map(str::to_owned)
            .with_context(|| format!("chat {n} did not start: {}", response.status()))?;
        let conversation = ctx
            .store
            .conversation_by_token(&token)
            .await?
            .context("a started chat is stored")?
            .id;
        Ok(Chat {
            n,
            token,
            conversation,
        })
    }
}

/// One `beacon serve --role web` process; stopped when dropped.
struct WebProcess {
    child: Child,
    address: String,
    pid: u32,
}

impl WebProcess {
    async fn start(beacon: &Path, database_url: &str, data_dir: &Path) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let address = format!("127.0.0.1:{port}");
        let mut child = Command::new(beacon)
            .args(["serve", "--role", "web"])
            .env("BEACON_DATABASE_URL", database_url)
            .env("BEACON_DATA_DIR", data_dir)
            .env("BEACON_SECRET_KEY", SECRET_KEY)
            .env("BEACON_SERVER__BIND", &address)
            .env("BEACON_SERVER__PUBLIC_URL", format!("http://{address}"))
            .env("BEACON_SERVER__SECURE_COOKIES", "false")
            .env("BEACON_LOG__FILTER", "warn")
            .envs(LOAD_SETTINGS.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", beacon.display()))?;
        let ready = format!("http://{address}/readyz");
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Some(status) = child.try_wait()? {
                bail!("a web process exited ({status}) before it was ready");
            }
            if let Ok(response) = client.get(&ready).send().await {
                if response.status().is_success() {
                    let pid = child.id();
                    return Ok(WebProcess {
                        child,
                        address,
                        pid,
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        bail!("a web process was not ready within a minute")
    }
}

impl Drop for WebProcess {
    fn drop(&mut self) {
        // SIGTERM, as a deployment stops it, then SIGKILL if it has not stopped in 10 s.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's resident memory (VmRSS), in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU clock ticks (user and system) a process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // After the ")" that ends the command's name: utime and stime are the 12th and 13th fields.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// CPU clock ticks used by every PostgreSQL server process on the machine.
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .map(cpu_ticks)
        .sum()
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// p50, p90, p99 and max of microsecond latencies, as durations.
fn percentiles(latencies: &mut [u64]) -> [Duration; 4] {
    latencies.sort_unstable();
    let at = |q: f64| {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        Duration::from_micros(latencies[i])
    };
    [at(0.50), at(0.90), at(0.99), at(1.0)]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The section of `docs/benchmarks.md`, with its markers.
fn section(args: &Args, figures: &Figures, server: &str) -> String {
    let mut to_operator = figures.to_operator.clone();
    let mut to_resident = figures.to_resident.clone();
    let rows = [
        (
            "resident → operator",
            percentiles(&mut to_operator),
            figures.sent_to_operator,
            to_operator.len() as u64,
        ),
        (
            "operator → resident",
            percentiles(&mut to_resident),
            figures.sent_to_resident,
            to_resident.len() as u64,
        ),
    ];
    let mut table = String::from(
        "| direction | sent | arrived | p50 | p90 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (what, [p50, p90, p99, max], sent, arrived) in &rows {
        table.push_str(&format!(
            "| {what} | {} | {} | {} | {} | {} | {} |\n",
            thousands(*sent),
            thousands(*arrived),
            ms(*p50),
            ms(*p90),
            ms(*p99),
            ms(*max)
        ));
    }
    let mut memory = String::from(
        "| process | connections | VmRSS before | with the connections open | after the run | per connection |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (p, (before, open, after, connections)) in figures.memory.iter().enumerate() {
        let per = (*open as f64 - *before as f64) / *connections as f64;
        memory.push_str(&format!(
            "| {} | {} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {per:.0} KiB |\n",
            ["A", "B"][p],
            thousands(*connections as u64),
            *before as f64 / 1024.0,
            *open as f64 / 1024.0,
            *after as f64 / 1024.0,
        ));
    }
    let arrived = (figures.to_operator.len() + figures.to_resident.len()) as u64;
    let sent = figures.sent_to_operator + figures.sent_to_resident;
    let worst_p99 = rows.iter().map(|r| r.1[2]).max().unwrap_or_default();
    let goal = if worst_p99 < GOAL {
        format!("met ({} at worst)", ms(worst_p99))
    } else {
        format!("**not met** ({} at worst)", ms(worst_p99))
    };
    let setup = figures
        .setup
        .iter()
        .map(|(what, took)| format!("{what} {:.1} s", took.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ");
    let settings = LOAD_SETTINGS
        .iter()
        .map(|(k, v)| format!("`{k}={v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let date = chrono::Utc::now().format("%Y-%m-%d");
    format!(
        "<!-- chat:start -->\n\
## Live chat across two web processes\n\
\n\
`scripts/bench-chat` (release build of `examples/chat_bench.rs`): two `beacon serve --role web` \
processes (A and B) on a fresh {server} database (`{SCRATCH_DATABASE}`, dropped afterwards); \
{operators} operators made through the staff services, signed in over HTTP with a current TOTP code, \
half on each process, each available for {capacity} chats (the inbox's presence form) with the \
inbox's WebSocket open; {chats} chats started with the chat form, alternately on A and B, each \
resident's WebSocket open on its process; each chat taken (the take form) by an operator signed in on \
the *other* process, so every message crosses between the processes through PostgreSQL's \
LISTEN/NOTIFY. Then for {seconds} s each side of each chat wrote a message every {gap} s on average \
(exponential gaps), carrying the time it was sent; latency is until the other side's WebSocket \
delivered it to the client. The processes ran with {settings}: every simulated resident comes from \
127.0.0.1, and 1,000 WebSockets are more than the default 1,024 connections allow with the rest. \
Set-up: {setup}. Goal: p99 under 100 ms at {chats} chats — {goal}. Measured {date} on {cores} \
cores ({cpu}), the web processes, PostgreSQL and this program sharing them; load average {load} at \
the end.\n\
\n\
{table}\n\
{rate:.0} messages a second delivered ({arrived} of {sent} sent, {lost} lost). CPU during the run, \
in cores: A {a_cores:.2}, B {b_cores:.2}, PostgreSQL {pg_cores:.2}, the simulated clients \
{bench_cores:.2}.\n\
\n\
Memory: each process's VmRSS (`/proc/<pid>/status`) before any live connection opened (operators \
signed in, chats started over HTTP), once every WebSocket was open (before the chats were taken), \
and after the run; per connection is the growth while they opened over the WebSockets on that \
process (the residents' and the operators', each a task with its buffers and its subscription to \
the process's events).\n\
\n\
{memory}<!-- chat:end -->",
        operators = args.operators,
        capacity = args.capacity,
        chats = thousands(args.chats as u64),
        seconds = args.seconds,
        gap = args.mean_gap,
        rate = arrived as f64 / figures.seconds,
        arrived = thousands(arrived),
        sent = thousands(sent),
        lost = thousands(sent.saturating_sub(arrived)),
        a_cores = figures.cores[0],
        b_cores = figures.cores[1],
        pg_cores = figures.postgres_cores,
        bench_cores = figures.bench_cores,
    )
}

/// Replaces the text between the `chat` markers of `path`, or appends it with its markers; the
/// rest of the file is left as it is.
fn write_section(path: &Path, section: &str) -> anyhow::Result<()> {
    const START: &str = "<!-- chat:start -->";
    const END: &str = "<!-- chat:end -->";
    let text = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let updated = match (text.find(START), text.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{section}{}", &text[..start], &text[end + END.len()..])
        }
        _ => format!("{}\n\n{section}\n", text.trim_end()),
    };
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}
