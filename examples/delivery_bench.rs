//! Benchmark: sending an alert to a million residents, end to end. Seeds a database with
//! 1,000,000 active residents at postcodes sampled from the GB postcode file (half inside the
//! force area, half elsewhere), starts Beacon's workers against an SMTP sink, sends a 5 km circle
//! alert and then a force-wide alert, and measures for each:
//!
//! - send → all work recorded: from the alert's transition to queued until `fanout_done_at` is
//!   set (every matching resident has their delivery row);
//! - send → first email at the SMTP server: until the sink counts a message more than it had;
//! - the sustained email rate into the sink, from the first arrival to the last;
//! - peak memory (resident set) while building the audience index and while sending.
//!
//! It prints human-readable lines and, last, one JSON object with the figures, which
//! `scripts/bench-delivery` turns into the table in `docs/benchmarks.md`. Run that script rather
//! than this program: it starts postfix's `smtp-sink`, runs `smtp-source` into the same sink for
//! comparison, and creates and drops the scratch databases.
//!
//! `cargo run --release --example delivery_bench -- --database-url URL --sink-port PORT
//!  --sink-counter FILE [--residents 1000000] [--postcodes ../shared/data/postcodes-gb.csv.gz]
//!  [--connections 8] [--max-send-secs 240] [--sample-email FILE]`
//!
//! The sink is `smtp-sink -c` with its output in FILE: it writes `... mesg=N\r` and flushes each
//! time a message's final dot arrives, so polling the end of FILE (every half millisecond) times
//! each arrival at the server without the sink writing the messages anywhere.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use flate2::bufread::MultiGzDecoder;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use beacon::app::{self, Role};
use beacon::config::{MailTransport, Settings, SmtpTls};
use beacon::delivery::email;
use beacon::domain::alert::SignOff;
use beacon::domain::subscriber::EmailFormat;
use beacon::geo::audience::AudienceQuery;
use beacon::geo::districts::FORCE_DISTRICTS;
use beacon::geo::onspd::{OnspdReader, PostcodeRecord};
use beacon::geo::target::AreaTarget;
use beacon::services::messages::{self, SharedAlert};
use beacon::services::{alerts, delivery, AppContext};
use beacon::store::{
    AlertContent, AlertStatus, AlertTransition, DeliveryTarget, NewAlert, OutboundChannel,
};

const SEED: u64 = 0x00be_ac01_de11;
const POLICE: &str = "cambridgeshire-constabulary";
const CIRCLE: &str = r#"{"include":[{"kind":"circle","easting":545000.0,"northing":258500.0,"radius_m":5000.0,"label":"Cambridge"}]}"#;
const FORCE_AREA: &str = r#"{"include":[{"kind":"force_area"}]}"#;
/// How often the fan-out's completion is looked for in the database.
const RECORDED_POLL: Duration = Duration::from_millis(5);
/// How often the sink's counter is read.
const SINK_POLL: Duration = Duration::from_micros(500);
/// No new message at the sink for this long while some are still due: something is stuck.
const STALL: Duration = Duration::from_secs(30);
/// The window the delivery rate is also reported over, to show whether it holds.
const WINDOW: Duration = Duration::from_secs(10);

/// A body about as long as a real eCops alert (the 2022 export's burglary warning).
const BODY: &str =
    "With the clocks going back and the evenings drawing in, we are urging residents \
to check their home security. Over the last fortnight there have been a number of burglaries and \
attempted break-ins at homes and sheds across the area, most of them after dark while the \
occupants were out.\n\nWith more homes empty after sunset, it is important to make sure yours is \
protected from opportunistic burglars:\n\n- Keep a light on when you go out, or use timer \
switches\n- Lock all windows and doors, even when you are at home\n- Do not leave valuables or \
car keys on display or near the front door\n- Close your blinds and curtains at night\n- Mark \
your tools and lock sheds and garages\n\nIf you see anything suspicious, call **101** or report \
it online; in an emergency always call **999**. You can find more advice on protecting your home \
on our website.";

#[derive(Parser)]
#[command(about = "Times sending an alert to a million residents, into an SMTP sink")]
struct Args {
    /// The database to seed and deliver from (`sqlite://…` or `postgres://…`); must be empty.
    #[arg(long)]
    database_url: String,
    /// The port of `smtp-sink` on 127.0.0.1.
    #[arg(long)]
    sink_port: u16,
    /// The file `smtp-sink -c` writes its running counter to.
    #[arg(long)]
    sink_counter: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    residents: u32,
    #[arg(long, default_value = "../shared/data/postcodes-gb.csv.gz")]
    postcodes: PathBuf,
    /// SMTP connections (`mail.smtp_connections`).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Stop waiting for an alert's emails this long after its first arrived (the rate is then
    /// over what arrived).
    #[arg(long, default_value_t = 240)]
    max_send_secs: u64,
    /// Write one rendered alert email here (LF line endings), for `smtp-source -F`.
    #[arg(long)]
    sample_email: Option<PathBuf>,
    /// Instead of the benchmark: send one force-wide alert through a separate
    /// `beacon serve --role worker` process (this binary), SIGKILL it twice mid-send, and count
    /// the Message-IDs of what arrived. Needs `--sink-dump`.
    #[arg(long, requires = "sink_dump")]
    kill_demo: Option<PathBuf>,
    /// The folder `smtp-sink -d` writes each message into, one file each (for `--kill-demo`).
    #[arg(long)]
    sink_dump: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let started = Instant::now();
    let sample = Sample::draw(&args.postcodes, args.residents)?;
    println!(
        "sampled {} residents from {} (seed {SEED:#x}): odd ids at {} force-area postcodes with a \
         position, even ids at {} elsewhere in GB; {} distinct postcodes, {} rows without a \
         district or position skipped, in {:.1} s",
        thousands(u64::from(args.residents)),
        args.postcodes.display(),
        thousands(sample.force_postcodes),
        thousands(sample.other_postcodes),
        thousands(sample.records.len() as u64),
        thousands(sample.skipped),
        started.elapsed().as_secs_f64()
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args, sample))
}

async fn run(args: Args, sample: Sample) -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        database_url: args.database_url.clone(),
        secret_key: "delivery-benchmark-secret-key-0123456789".into(),
        ..Settings::default()
    };
    settings.server.public_url = "https://alerts.beacon.invalid".into();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = args.sink_port;
    settings.mail.smtp_tls = SmtpTls::None;
    settings.mail.smtp_connections = args.connections;
    let ctx = app::context(settings).await?;
    let backend = ctx.store.backend();
    let db = Db::open(&args.database_url).await?;

    let started = Instant::now();
    let seeded = seed(&ctx, &db, &sample).await?;
    drop(sample);
    let seed_secs = started.elapsed().as_secs_f64();
    println!(
        "{backend}: seeded {} active residents (email only, police alerts of every message type) \
         and {} postcodes in {seed_secs:.1} s ({})",
        thousands(seeded.residents),
        thousands(seeded.postcodes),
        seeded.steps
    );

    if let (Some(beacon), Some(dump)) = (&args.kill_demo, &args.sink_dump) {
        return kill_demo::run(&ctx, &db, &args, beacon, dump, seed_secs).await;
    }

    // A running server has the index warm; build it first so the figures are the send's.
    let rss_before_index = memory::current_kib();
    memory::reset_peak();
    let started = Instant::now();
    let index = alerts::audience_index(&ctx)
        .await
        .map_err(|e| anyhow::anyhow!("building the audience index: {e:?}"))?;
    let index_secs = started.elapsed().as_secs_f64();
    let index_peak_kib = memory::peak_kib();
    println!(
        "{backend}: audience index of {} residents, {} places built in {index_secs:.2} s \
         (peak resident memory {} MiB, {} MiB before)",
        thousands(index.len() as u64),
        thousands(index.places() as u64),
        mib(index_peak_kib),
        mib(rss_before_index),
    );

    let sink = SinkWatch::start(args.sink_counter.clone());
    let running = app::start(ctx.clone(), Role::Worker).await?;
    // Give back what the index build freed, so the peak while sending is the sending's own.
    memory::release_freed();
    memory::reset_peak();
    let rss_before_send = memory::current_kib();
    let max_send = Duration::from_secs(args.max_send_secs);
    let mut figures = Vec::new();
    for (name, target) in [
        ("5 km circle around Cambridge", CIRCLE),
        ("whole force area", FORCE_AREA),
    ] {
        let alert = send_and_watch(&ctx, &db, &sink, name, target, max_send).await?;
        println!(
            "{backend}: {name}: {} emails; send → all recorded {:.0} ms; send → first email at \
             the sink {:.0} ms; {} emails arrived at {:.0}/s{}; {} marked sent, {} pending, {} \
             failed",
            thousands(alert.emails),
            alert.recorded_ms,
            alert.first_email_ms.unwrap_or(f64::NAN),
            thousands(alert.arrived),
            alert.emails_per_sec,
            if alert.capped {
                " (stopped waiting)"
            } else {
                ""
            },
            thousands(alert.sent),
            thousands(alert.pending),
            thousands(alert.failed),
        );
        println!(
            "{backend}: {name}: emails/s in each {} s from the first: {}",
            WINDOW.as_secs(),
            alert
                .windows
                .iter()
                .map(|n| format!("{:.0}", *n as f64 / WINDOW.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(" ")
        );
        figures.push(alert);
    }
    let send_peak_kib = memory::peak_kib();
    let table_stats = db.table_stats().await?;
    if let Some(stats) = &table_stats {
        println!("{backend}: the deliveries table after sending: {stats}");
    }
    running.stop().await?;
    sink.stop();

    // Where the fan-out's time goes, measured again piece by piece with the workers stopped.
    let parts = fanout_parts(&ctx, &db, &index).await?;
    println!(
        "{backend}: fan-out parts: subscribers_marker {:.0} ms; index scan {:.0} ms (circle), \
         {:.0} ms (force area); a force-wide fan-out with no email worker running {:.0} ms",
        parts.marker_ms, parts.circle_scan_ms, parts.force_scan_ms, parts.force_alone_ms
    );

    let sample_bytes = match &args.sample_email {
        Some(path) => Some(write_sample_email(&ctx, figures[1].alert_id, path).await?),
        None => None,
    };
    if let (Some(bytes), Some(path)) = (sample_bytes, &args.sample_email) {
        println!(
            "{backend}: a rendered alert email is {bytes} bytes; one written to {}",
            path.display()
        );
    }
    let (render_whole_us, render_template_us) = render_cost(&ctx, figures[1].alert_id).await?;
    println!(
        "{backend}: rendering one email on one core: {render_whole_us:.1} µs whole, \
         {render_template_us:.1} µs from the alert's template"
    );
    println!(
        "{backend}: peak resident memory while sending {} MiB ({} MiB when the first alert was \
         sent); of the whole run {} MiB",
        mib(send_peak_kib),
        mib(rss_before_send),
        mib(memory::whole_peak_kib())
    );

    let report = serde_json::json!({
        "backend": backend,
        "residents": seeded.residents,
        "postcodes": seeded.postcodes,
        "connections": args.connections,
        "seed_secs": seed_secs,
        "index_secs": index_secs,
        "index_peak_mib": mib(index_peak_kib),
        "send_peak_mib": mib(send_peak_kib),
        "whole_peak_mib": mib(memory::whole_peak_kib()),
        "email_bytes": sample_bytes,
        "render_whole_us": render_whole_us,
        "render_template_us": render_template_us,
        "marker_ms": parts.marker_ms,
        "circle_scan_ms": parts.circle_scan_ms,
        "force_scan_ms": parts.force_scan_ms,
        "force_alone_ms": parts.force_alone_ms,
        "alerts": figures.iter().map(|a| serde_json::json!({
            "name": a.name,
            "emails": a.emails,
            "recorded_ms": a.recorded_ms,
            "first_email_ms": a.first_email_ms,
            "all_arrived_ms": a.all_arrived_ms,
            "arrived": a.arrived,
            "emails_per_sec": a.emails_per_sec,
            "capped": a.capped,
            "sent": a.sent,
            "pending": a.pending,
            "failed": a.failed,
            "window_secs": WINDOW.as_secs(),
            "windows": a.windows,
        })).collect::<Vec<_>>(),
        "deliveries_table": table_stats,
    });
    println!("{report}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Residents
// ---------------------------------------------------------------------------------------------

/// The residents' postcodes: resident `i + 1` lives at `records[residents[i]]`.
struct Sample {
    records: Vec<PostcodeRecord>,
    residents: Vec<u32>,
    force_postcodes: u64,
    other_postcodes: u64,
    skipped: u64,
}

impl Sample {
    /// Reads the file twice rather than holding 2.7 million postcodes: once to count the
    /// postcodes with a district and position in and out of the force area, once to keep only
    /// the ones drawn. Odd resident ids live in the force area, even ones elsewhere.
    fn draw(path: &Path, residents: u32) -> anyhow::Result<Sample> {
        let mut counts = [0u64; 2];
        let mut skipped = 0;
        for_each_place(path, |_, class| counts[class] += 1, &mut skipped)?;
        anyhow::ensure!(
            counts.iter().all(|&n| n > 0),
            "{} needs postcodes both in and out of the force area",
            path.display()
        );
        let mut rng = StdRng::seed_from_u64(SEED);
        let drawn: Vec<(usize, u64)> = (0..residents)
            .map(|i| {
                let class = if i % 2 == 0 { FORCE } else { OTHER };
                (class, rng.gen_range(0..counts[class]))
            })
            .collect();
        let mut wanted: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
        for &(class, k) in &drawn {
            wanted[class].push(k);
        }
        for list in &mut wanted {
            list.sort_unstable();
            list.dedup();
        }
        let mut records = Vec::with_capacity(wanted[0].len() + wanted[1].len());
        let mut slots: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        let mut seen = [0u64; 2];
        let mut next = [0usize; 2];
        let mut ignored = 0;
        for_each_place(
            path,
            |record, class| {
                let k = seen[class];
                seen[class] += 1;
                if wanted[class].get(next[class]) == Some(&k) {
                    next[class] += 1;
                    slots[class].push(records.len() as u32);
                    records.push(record);
                }
            },
            &mut ignored,
        )?;
        anyhow::ensure!(
            seen == counts,
            "{} changed while it was read",
            path.display()
        );
        let residents = drawn
            .iter()
            .map(|&(class, k)| {
                let position = wanted[class]
                    .binary_search(&k)
                    .expect("drawn from the list");
                slots[class][position]
            })
            .collect();
        Ok(Sample {
            records,
            residents,
            force_postcodes: counts[FORCE],
            other_postcodes: counts[OTHER],
            skipped,
        })
    }
}

const FORCE: usize = 0;
const OTHER: usize = 1;

/// Calls `each` with every postcode that has a district and a position, and whether it is in
/// the force area; counts the rest in `skipped`.
fn for_each_place(
    path: &Path,
    mut each: impl FnMut(PostcodeRecord, usize),
    skipped: &mut u64,
) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = OnspdReader::new(MultiGzDecoder::new(BufReader::new(file)))?;
    for record in reader {
        match record {
            Ok(record)
                if record.district_code.is_some()
                    && record.easting.is_some()
                    && record.northing.is_some() =>
            {
                let in_force = FORCE_DISTRICTS.contains(&record.district_code.as_deref().unwrap());
                each(record, if in_force { FORCE } else { OTHER });
            }
            _ => *skipped += 1,
        }
    }
    Ok(())
}

struct Seeded {
    residents: u64,
    postcodes: u64,
    /// How long each part took, in words.
    steps: String,
}

/// Stores the drawn postcodes through the store, and the residents with plain SQL: the
/// subscribers, their choices (the police, every message type) generated by the database, their
/// places bound in batches.
async fn seed(ctx: &AppContext, db: &Db, sample: &Sample) -> anyhow::Result<Seeded> {
    let mut laps = Laps::start();
    for batch in sample.records.chunks(20_000) {
        ctx.store
            .upsert_postcodes(batch)
            .await
            .context("storing the sampled postcodes")?;
    }
    laps.lap("postcodes");
    let police = ctx
        .store
        .providers()
        .await?
        .into_iter()
        .find(|p| p.slug == POLICE)
        .context("the police provider is seeded")?
        .id;
    let n = i64::try_from(sample.residents.len())?;
    let now = chrono::Utc::now().timestamp();
    let postcode = |i: usize| {
        sample.records[sample.residents[i] as usize]
            .postcode
            .as_str()
    };
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let series =
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) ";
            sqlx::query(&format!(
                "{series}INSERT INTO subscribers (id, public_id, name, email, email_key, status, \
                 channel_email, channel_sms, sms_min_priority, email_format, created_at, \
                 confirmed_at, updated_at) \
                 SELECT i, printf('bench%012d', i), 'Resident ' || i, \
                 'resident' || i || '@bench.invalid', 'resident' || i || '@bench.invalid', \
                 'active', 1, 0, 3, 'full', $2, $2, $2 FROM n"
            ))
            .bind(n)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            laps.lap("subscribers");
            sqlx::query(&format!(
                "{series}INSERT INTO subscriber_providers (subscriber_id, provider_id) \
                 SELECT i, $2 FROM n"
            ))
            .bind(n)
            .bind(police)
            .execute(&mut *tx)
            .await?;
            laps.lap("providers");
            sqlx::query(&format!(
                "{series}INSERT INTO subscriber_message_types (subscriber_id, message_type_id) \
                 SELECT n.i, m.id FROM n CROSS JOIN message_types m ORDER BY n.i, m.id"
            ))
            .bind(n)
            .execute(&mut *tx)
            .await?;
            laps.lap("message types");
            // Two bound parameters a row, well under SQLite's 32,766.
            for start in (0..sample.residents.len()).step_by(10_000) {
                let end = (start + 10_000).min(sample.residents.len());
                let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO subscriber_places (subscriber_id, position, postcode) ",
                );
                insert.push_values(start..end, |mut row, i| {
                    row.push_bind(i as i64 + 1).push("0").push_bind(postcode(i));
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            laps.lap("places");
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            // The rows are consistent by construction: where allowed (a superuser), skip the
            // foreign-key triggers, a check per row of the eight million choices.
            let superuser: bool =
                sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                    .fetch_one(&mut *tx)
                    .await?;
            if superuser {
                sqlx::query("SET LOCAL session_replication_role = replica")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO subscribers (id, public_id, name, email, email_key, status, \
                 channel_email, channel_sms, sms_min_priority, email_format, created_at, \
                 confirmed_at, updated_at) \
                 SELECT i, 'bench' || lpad(i::text, 12, '0'), 'Resident ' || i, \
                 'resident' || i || '@bench.invalid', 'resident' || i || '@bench.invalid', \
                 'active', TRUE, FALSE, 3, 'full', $2, $2, $2 FROM generate_series(1, $1) AS i",
            )
            .bind(n)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            laps.lap("subscribers");
            sqlx::query(
                "INSERT INTO subscriber_providers (subscriber_id, provider_id) \
                 SELECT i, $2 FROM generate_series(1, $1) AS i",
            )
            .bind(n)
            .bind(police)
            .execute(&mut *tx)
            .await?;
            laps.lap("providers");
            sqlx::query(
                "INSERT INTO subscriber_message_types (subscriber_id, message_type_id) \
                 SELECT i, m.id FROM generate_series(1, $1) AS i CROSS JOIN message_types m \
                 ORDER BY i, m.id",
            )
            .bind(n)
            .execute(&mut *tx)
            .await?;
            laps.lap("message types");
            for start in (0..sample.residents.len()).step_by(100_000) {
                let end = (start + 100_000).min(sample.residents.len());
                let ids: Vec<i64> = (start..end).map(|i| i as i64 + 1).collect();
                let postcodes: Vec<&str> = (start..end).map(postcode).collect();
                sqlx::query(
                    "INSERT INTO subscriber_places (subscriber_id, position, postcode) \
                     SELECT id, 0, postcode FROM UNNEST($1::bigint[], $2::text[]) AS p (id, postcode)",
                )
                .bind(&ids)
                .bind(&postcodes)
                .execute(&mut *tx)
                .await?;
            }
            laps.lap("places");
            sqlx::query("SELECT setval('subscribers_id_seq', $1)")
                .bind(n)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            // A server that gained a million residents over time would have had them vacuumed
            // and analysed long ago: do it now, so that autovacuum does not start on the new
            // rows in the middle of the measurement, and the planner does not plan for the
            // empty tables it last saw. And written out: the seeding's gigabyte of WAL would
            // otherwise be checkpointed in the middle of the sends.
            sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
            sqlx::query("CHECKPOINT").execute(pool).await?;
            laps.lap("vacuum and checkpoint");
        }
    }
    Ok(Seeded {
        residents: n as u64,
        postcodes: sample.records.len() as u64,
        steps: laps.describe(),
    })
}

// ---------------------------------------------------------------------------------------------
// Sending and watching
// ---------------------------------------------------------------------------------------------

struct AlertFigures {
    name: &'static str,
    alert_id: i64,
    emails: u64,
    recorded_ms: f64,
    first_email_ms: Option<f64>,
    all_arrived_ms: Option<f64>,
    arrived: u64,
    emails_per_sec: f64,
    capped: bool,
    sent: u64,
    pending: u64,
    failed: u64,
    /// Emails that arrived at the sink in each `WINDOW` from the first.
    windows: Vec<u64>,
}

/// Writes an alert as a police sender would, sends it as the senders' workflow does (the
/// transition to queued, then waking the fan-out), and times what follows.
async fn send_and_watch(
    ctx: &AppContext,
    db: &Db,
    sink: &SinkWatch,
    name: &'static str,
    target_json: &str,
    max_send: Duration,
) -> anyhow::Result<AlertFigures> {
    let alert_id = insert_alert(ctx, name, target_json).await?;
    let baseline = sink.arm();
    let sent_at = Instant::now();
    queue(ctx, alert_id).await?;
    ctx.fanout_wakeup.notify_one();

    while !db.fanout_done(alert_id).await? {
        tokio::time::sleep(RECORDED_POLL).await;
    }
    let recorded = sent_at.elapsed();
    let emails = db.email_deliveries(alert_id).await?;

    let target = baseline + emails;
    let mut capped = false;
    // Messages arrived in each WINDOW from the first arrival, to show whether the rate holds.
    let mut windows = Vec::new();
    let mut counted = baseline;
    loop {
        let state = sink.state();
        if let Some(first) = state.first_at {
            while first + WINDOW * (windows.len() as u32 + 1) <= Instant::now() {
                windows.push(state.count - counted);
                counted = state.count;
            }
        }
        if state.count >= target {
            break;
        }
        if state.changed_at.elapsed() > STALL && sent_at.elapsed() > STALL {
            eprintln!(
                "{name}: no email for {} s with {} still due; giving up",
                STALL.as_secs(),
                target - state.count
            );
            capped = true;
            break;
        }
        if state
            .first_at
            .is_some_and(|first| first.elapsed() > max_send)
        {
            capped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let state = sink.state();
    let arrived = state.count.saturating_sub(baseline);
    let first_email = state.first_at.map(|first| first - sent_at);
    let emails_per_sec = match state.first_at {
        Some(first) if arrived > 1 && state.changed_at > first => {
            (arrived - 1) as f64 / (state.changed_at - first).as_secs_f64()
        }
        _ => 0.0,
    };
    // The database may be told of the last sends a moment after they arrive: give it that
    // moment before counting, so that a difference left is a real one.
    let settle_until = Instant::now() + Duration::from_secs(10);
    while !capped && db.pending_emails(alert_id).await? > 0 && Instant::now() < settle_until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = ctx.store.delivery_report(alert_id).await?;
    Ok(AlertFigures {
        name,
        alert_id,
        emails,
        recorded_ms: ms(recorded),
        first_email_ms: first_email.map(ms),
        all_arrived_ms: (!capped && arrived > 0).then(|| ms(state.changed_at - sent_at)),
        arrived,
        emails_per_sec,
        capped,
        sent: report.email.sent as u64,
        pending: report.email.pending as u64,
        failed: report.email.failed as u64,
        windows,
    })
}

/// Sends a drafted alert as the send button does: the transition to queued.
async fn queue(ctx: &AppContext, alert_id: i64) -> anyhow::Result<()> {
    let queued = ctx
        .store
        .transition_alert(
            alert_id,
            &[AlertStatus::Draft],
            AlertStatus::Queued,
            &AlertTransition::default(),
            chrono::Utc::now().timestamp(),
        )
        .await?;
    anyhow::ensure!(queued, "alert {alert_id} was not a draft");
    Ok(())
}

async fn insert_alert(ctx: &AppContext, name: &str, target_json: &str) -> anyhow::Result<i64> {
    let police = ctx
        .store
        .providers()
        .await?
        .into_iter()
        .find(|p| p.slug == POLICE)
        .context("the police provider is seeded")?;
    let message_type = ctx
        .store
        .message_types()
        .await?
        .into_iter()
        .next()
        .context("message types are seeded")?;
    Ok(ctx
        .store
        .insert_alert(&NewAlert {
            content: AlertContent {
                provider_id: police.id,
                message_type_id: message_type.id,
                priority: beacon::domain::Priority::new(2)?,
                title: "Burglary warning as the clocks go back".into(),
                body_markdown: BODY.into(),
                sms_text: None,
                target: serde_json::from_str(target_json)?,
                target_description: name.into(),
                private: false,
                members: Default::default(),
            },
            author_staff_id: None,
            api_token_id: None,
            signoff: SignOff {
                name: "Grace Corney".into(),
                organisation: "Cambridgeshire Constabulary".into(),
                role: "Communications Assistant".into(),
                area: "Cambridgeshire".into(),
            },
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now: chrono::Utc::now().timestamp(),
        })
        .await?)
}

struct FanoutParts {
    marker_ms: f64,
    circle_scan_ms: f64,
    force_scan_ms: f64,
    /// A third, force-wide alert expanded by `fanout_once` with nothing else running.
    force_alone_ms: f64,
}

/// The parts of a fan-out that are not database writes: the check that the index is current
/// (a query over every resident) and the scans of the index for each alert's audience; then a
/// whole fan-out with the workers stopped, for the writes without contention.
async fn fanout_parts(
    ctx: &AppContext,
    db: &Db,
    index: &beacon::geo::audience::AudienceIndex,
) -> anyhow::Result<FanoutParts> {
    let started = Instant::now();
    ctx.store.subscribers_marker().await?;
    let marker_ms = ms(started.elapsed());
    let police = ctx
        .store
        .providers()
        .await?
        .into_iter()
        .find(|p| p.slug == POLICE)
        .context("the police provider is seeded")?
        .id;
    let message_type = ctx.store.message_types().await?[0].id;
    let scan = |target_json: &str| -> anyhow::Result<f64> {
        let target: AreaTarget = serde_json::from_str(target_json)?;
        let prepared = target.prepare();
        let query = AudienceQuery {
            target: &prepared,
            provider_id: police,
            message_type_id: message_type,
            priority: 2,
            map_squares: false,
            members: None,
        };
        let started = Instant::now();
        std::hint::black_box(index.matches_from(&query, 0, usize::MAX));
        Ok(ms(started.elapsed()))
    };
    let circle_scan_ms = scan(CIRCLE)?;
    let force_scan_ms = scan(FORCE_AREA)?;

    let alert_id = insert_alert(ctx, "whole force area, again", FORCE_AREA).await?;
    let started = Instant::now();
    queue(ctx, alert_id).await?;
    while !db.fanout_done(alert_id).await? {
        anyhow::ensure!(
            delivery::fanout_once(ctx).await?,
            "the fan-out found no alert to expand"
        );
    }
    Ok(FanoutParts {
        marker_ms,
        circle_scan_ms,
        force_scan_ms,
        force_alone_ms: ms(started.elapsed()),
    })
}

/// Renders the alert's email for resident 1 as the email worker does, and writes it with LF
/// line endings (`smtp-source -F` adds the CR); returns its size on the wire.
async fn write_sample_email(ctx: &AppContext, alert_id: i64, path: &Path) -> anyhow::Result<usize> {
    let shared = SharedAlert::new(stored_alert(ctx, alert_id).await?);
    let (bytes, _) = messages::resident_alert_email_bytes(
        ctx,
        &shared,
        &bench_target(alert_id, 1),
        &ctx.settings.mail.from,
        None,
    )?;
    let text = String::from_utf8(bytes.clone()).context("the email is not UTF-8")?;
    std::fs::write(path, text.replace("\r\n", "\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(bytes.len())
}

/// What rendering one resident's email costs on one core, in µs: rendered whole (the letter's
/// templates, then lettre encoding the bodies), and filled in from the alert's email template
/// as the workers do.
async fn render_cost(ctx: &AppContext, alert_id: i64) -> anyhow::Result<(f64, f64)> {
    const EMAILS: i64 = 20_000;
    let shared = SharedAlert::new(stored_alert(ctx, alert_id).await?);
    let from = &ctx.settings.mail.from;
    let started = Instant::now();
    for id in 1..=EMAILS {
        let message = messages::resident_alert_email(ctx, &shared, &bench_target(alert_id, id))?;
        std::hint::black_box(email::formatted(from, &message, None)?);
    }
    let whole = started.elapsed().as_secs_f64() * 1e6 / EMAILS as f64;
    let started = Instant::now();
    for id in 1..=EMAILS {
        let target = bench_target(alert_id, id);
        std::hint::black_box(messages::resident_alert_email_bytes(
            ctx, &shared, &target, from, None,
        )?);
    }
    let templated = started.elapsed().as_secs_f64() * 1e6 / EMAILS as f64;
    Ok((whole, templated))
}

async fn stored_alert(ctx: &AppContext, alert_id: i64) -> anyhow::Result<beacon::store::Alert> {
    ctx.store.alert(alert_id).await?.context("the alert exists")
}

/// Resident `id` as the benchmark seeds them, as a claimed delivery of `alert_id`.
fn bench_target(alert_id: i64, id: i64) -> DeliveryTarget {
    DeliveryTarget {
        id,
        alert_id,
        subscriber_id: id,
        channel: OutboundChannel::Email,
        attempts: 1,
        gateway_id: None,
        lease_until: 0,
        name: format!("Resident {id}"),
        email: format!("resident{id}@bench.invalid"),
        mobile: None,
        public_id: format!("bench{id:012}"),
        token_version: 1,
        email_format: EmailFormat::Full,
        wants_channel: true,
        quiet_hours: None,
    }
}

// ---------------------------------------------------------------------------------------------
// The database, directly: seeding and the cheap polls the figures need
// ---------------------------------------------------------------------------------------------

enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    async fn open(url: &str) -> anyhow::Result<Db> {
        use std::str::FromStr;
        Ok(if url.starts_with("sqlite:") {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .busy_timeout(Duration::from_secs(30));
            Db::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?,
            )
        } else {
            Db::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await?,
            )
        })
    }

    async fn fanout_done(&self, alert_id: i64) -> anyhow::Result<bool> {
        const SQL: &str = "SELECT fanout_done_at IS NOT NULL FROM alerts WHERE id = $1";
        Ok(match self {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(alert_id)
                    .fetch_one(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(alert_id)
                    .fetch_one(pool)
                    .await?
            }
        })
    }

    async fn pending_emails(&self, alert_id: i64) -> anyhow::Result<u64> {
        const SQL: &str = "SELECT COUNT(*) FROM deliveries \
                           WHERE alert_id = $1 AND channel = 'email' AND state = 'pending'";
        let n: i64 = match self {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(alert_id)
                    .fetch_one(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(alert_id)
                    .fetch_one(pool)
                    .await?
            }
        };
        Ok(n as u64)
    }

    /// PostgreSQL's own account of the deliveries table: updates, how many were HOT (no new
    /// index entries), dead rows waiting for vacuum, vacuums run, and the table's size.
    async fn table_stats(&self) -> anyhow::Result<Option<String>> {
        let Db::Postgres(pool) = self else {
            return Ok(None);
        };
        let row: (i64, i64, i64, i64, i64, String, String) = sqlx::query_as(
            "SELECT n_tup_upd, n_tup_hot_upd, n_live_tup, n_dead_tup, \
             autovacuum_count + vacuum_count, pg_size_pretty(pg_relation_size(relid)), \
             pg_size_pretty(pg_indexes_size(relid)) \
             FROM pg_stat_user_tables WHERE relname = 'deliveries'",
        )
        .fetch_one(pool)
        .await?;
        Ok(Some(format!(
            "{} row updates ({} of them HOT), {} live and {} dead rows, vacuumed {} times, table {}, indexes {}",
            thousands(row.0 as u64),
            thousands(row.1 as u64),
            thousands(row.2 as u64),
            thousands(row.3 as u64),
            row.4,
            row.5,
            row.6
        )))
    }

    async fn email_deliveries(&self, alert_id: i64) -> anyhow::Result<u64> {
        const SQL: &str =
            "SELECT COUNT(*) FROM deliveries WHERE alert_id = $1 AND channel = 'email'";
        let n: i64 = match self {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(alert_id)
                    .fetch_one(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(alert_id)
                    .fetch_one(pool)
                    .await?
            }
        };
        Ok(n as u64)
    }
}

// ---------------------------------------------------------------------------------------------
// The sink's counter
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct SinkState {
    /// Messages the sink has taken since it started.
    count: u64,
    /// When `count` last changed.
    changed_at: Instant,
    /// The count when the current alert was sent.
    baseline: u64,
    /// When the first message after the baseline arrived.
    first_at: Option<Instant>,
}

/// Follows `smtp-sink -c`'s counter from a thread of its own, so that the time of the first
/// arrival does not wait for the async runtime, busy with the workers being measured.
struct SinkWatch {
    state: Arc<Mutex<SinkState>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SinkWatch {
    fn start(path: PathBuf) -> SinkWatch {
        let state = Arc::new(Mutex::new(SinkState {
            count: read_sink_count(&path),
            changed_at: Instant::now(),
            baseline: u64::MAX,
            first_at: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let count = read_sink_count(&path);
                    let now = Instant::now();
                    let mut state = state.lock().unwrap();
                    if count != state.count {
                        state.count = count;
                        state.changed_at = now;
                        if state.first_at.is_none() && count > state.baseline {
                            state.first_at = Some(now);
                        }
                    }
                    drop(state);
                    std::thread::sleep(SINK_POLL);
                }
            })
        };
        SinkWatch {
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Starts watching for the next alert's first message; returns the count it starts from.
    fn arm(&self) -> u64 {
        let mut state = self.state.lock().unwrap();
        state.baseline = state.count;
        state.first_at = None;
        state.count
    }

    fn state(&self) -> SinkState {
        *self.state.lock().unwrap()
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The last complete `mesg=N` in the counter file (each update ends in `\r`); 0 before any.
fn read_sink_count(path: &Path) -> u64 {
    let Ok(mut file) = File::open(path) else {
        return 0;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return 0;
    };
    let mut tail = Vec::with_capacity(160);
    if file.seek(SeekFrom::Start(len.saturating_sub(160))).is_err()
        || file.read_to_end(&mut tail).is_err()
    {
        return 0;
    }
    let text = String::from_utf8_lossy(&tail);
    text.rsplit('\r')
        .filter_map(|update| update.rsplit_once("mesg=").map(|(_, n)| n))
        .find_map(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Small things
// ---------------------------------------------------------------------------------------------

/// The process's resident memory from `/proc/self/status`; the peak can be reset (Linux ≥ 4.0)
/// so that each phase's peak is its own.
mod memory {
    /// Hands the heap's free pages back to the system (glibc keeps them otherwise), so that the
    /// resident set is what is in use.
    pub fn release_freed() {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            extern "C" {
                fn malloc_trim(pad: usize) -> std::os::raw::c_int;
            }
            // SAFETY: malloc_trim only returns free memory of glibc's own heap to the system.
            unsafe {
                malloc_trim(0);
            }
        }
    }

    use std::sync::atomic::{AtomicU64, Ordering};

    /// The highest peak of the windows already closed by `reset_peak`.
    static EARLIER_PEAK: AtomicU64 = AtomicU64::new(0);

    /// Starts a new window for `peak_kib`, remembering the old window's peak for
    /// `whole_peak_kib` (the kernel's own lifetime maximum, `getrusage`'s, no longer holds after
    /// a reset, so `/usr/bin/time` cannot be asked).
    pub fn reset_peak() {
        EARLIER_PEAK.fetch_max(peak_kib(), Ordering::Relaxed);
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    /// The peak of the whole run so far.
    pub fn whole_peak_kib() -> u64 {
        EARLIER_PEAK.load(Ordering::Relaxed).max(peak_kib())
    }

    pub fn peak_kib() -> u64 {
        field("VmHWM:")
    }

    pub fn current_kib() -> u64 {
        field("VmRSS:")
    }

    fn field(name: &str) -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

/// Times consecutive steps.
struct Laps {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Laps {
    fn start() -> Laps {
        Laps {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.laps.push((name, now - self.last));
        self.last = now;
    }

    fn describe(&self) -> String {
        self.laps
            .iter()
            .map(|(name, d)| format!("{name} {:.1} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn mib(kib: u64) -> u64 {
    (kib + 512) / 1024
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Killed mid-send: exactly once at full size
// ---------------------------------------------------------------------------------------------

/// The exactly-once demonstration at full size (`--kill-demo`): one force-wide alert sent by a
/// separate `beacon serve --role worker` process, which is killed with SIGKILL twice while it
/// sends and started again each time; then every message the SMTP server took is read back and
/// counted by Message-ID. The integration tests do the same with 1,500 residents.
mod kill_demo {
    use super::*;
    use std::collections::HashMap;
    use std::process::{Child, Command, Stdio};

    /// The worker is killed when these shares of the alert's emails have arrived.
    const KILL_AT: [f64; 2] = [0.2, 0.6];
    /// The worker's lease on what it claimed: how long a dead worker's claims wait before the
    /// next one takes them (Beacon's default is 120 s; an operator may shorten it so).
    const LEASE_SECS: i64 = 10;
    /// `mail.smtp_timeout_secs`: at most half the lease, less two seconds (`config`).
    const SMTP_TIMEOUT_SECS: i64 = 3;
    /// Longest the demonstration waits for the last email.
    const DEADLINE: Duration = Duration::from_secs(900);

    pub async fn run(
        ctx: &AppContext,
        db: &Db,
        args: &Args,
        beacon: &Path,
        dump: &Path,
        seed_secs: f64,
    ) -> anyhow::Result<()> {
        let backend = ctx.store.backend();
        let data_dir = tempfile::tempdir()?;
        let start_worker = || {
            worker(
                beacon,
                &args.database_url,
                data_dir.path(),
                args.sink_port,
                args.connections,
                &ctx.settings.secret_key,
            )
        };
        let sink = SinkWatch::start(args.sink_counter.clone());
        let baseline = sink.arm();
        let alert_id = insert_alert(ctx, "whole force area", FORCE_AREA).await?;
        let sent_at = Instant::now();
        queue(ctx, alert_id).await?;
        let mut child = start_worker()?;

        // The worker records the work, then sends; the kills are timed by what has arrived.
        while !db.fanout_done(alert_id).await? {
            anyhow::ensure!(sent_at.elapsed() < DEADLINE, "the fan-out did not finish");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let emails = db.email_deliveries(alert_id).await?;
        println!(
            "{backend}: {} emails recorded {:.1} s after the send",
            thousands(emails),
            sent_at.elapsed().as_secs_f64()
        );
        let mut kills = Vec::new();
        for share in KILL_AT {
            let due = (emails as f64 * share) as u64;
            while sink.state().count - baseline < due {
                let state = sink.state();
                anyhow::ensure!(
                    state.changed_at.elapsed() < STALL || sent_at.elapsed() < STALL,
                    "no email arrived at the sink for {} s (is smtp-sink running?)",
                    STALL.as_secs()
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            child.kill()?;
            let arrived = sink.state().count - baseline;
            println!(
                "{backend}: killed the worker with SIGKILL after {:.1} s, {} emails at the server; \
                 started another",
                sent_at.elapsed().as_secs_f64(),
                thousands(arrived)
            );
            kills.push(arrived);
            child = start_worker()?;
        }
        while db.pending_emails(alert_id).await? > 0 {
            anyhow::ensure!(sent_at.elapsed() < DEADLINE, "emails still pending");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let recorded_all = sent_at.elapsed();
        // Anything still on its way reaches the server before the count.
        let mut last = sink.state().count;
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = sink.state().count;
            if now == last {
                break;
            }
            last = now;
        }
        child.kill()?;
        sink.stop();

        let report = ctx.store.delivery_report(alert_id).await?;
        let counted = count_message_ids(dump)?;
        let messages: usize = counted.values().sum();
        let repeated = counted.values().filter(|&&n| n > 1).count();
        let missing = emails.saturating_sub(counted.len() as u64);
        let verdict = if repeated == 0 && missing == 0 && messages as u64 == emails {
            "every resident's email arrived exactly once"
        } else {
            "NOT exactly once"
        };
        println!(
            "{backend}: {} messages at the server, {} distinct Message-IDs for {} residents: {} \
             sent more than once, {} missing; the store counts {} sent, {} pending, {} failed; all \
             recorded as sent {:.1} s after the send: {verdict}",
            thousands(messages as u64),
            thousands(counted.len() as u64),
            thousands(emails),
            repeated,
            missing,
            thousands(report.email.sent as u64),
            thousands(report.email.pending as u64),
            thousands(report.email.failed as u64),
            recorded_all.as_secs_f64()
        );
        let line = format!(
            "| {backend} | {} | {} | {} | {} | {} | {} | {:.0} s | {verdict} |",
            thousands(emails),
            kills
                .iter()
                .map(|n| thousands(*n))
                .collect::<Vec<_>>()
                .join(", "),
            thousands(messages as u64),
            thousands(counted.len() as u64),
            repeated,
            missing,
            recorded_all.as_secs_f64(),
        );
        // For scripts/demo-kill-delivery, which puts the rows in docs/benchmarks.md.
        println!("row: {line}");
        println!("seeded in {seed_secs:.1} s");
        anyhow::ensure!(
            repeated == 0 && missing == 0,
            "{backend}: not exactly once: {repeated} repeated, {missing} missing"
        );
        Ok(())
    }

    /// A worker process, killed when dropped too, so that none outlives a demonstration that
    /// stopped early.
    struct Worker(Child);

    impl Worker {
        /// SIGKILL: the worker gets no chance to finish or record anything.
        fn kill(&mut self) -> std::io::Result<()> {
            self.0.kill()?;
            self.0.wait().map(drop)
        }
    }

    impl Drop for Worker {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// `beacon serve --role worker` on the demonstration's database, sending to the sink.
    fn worker(
        beacon: &Path,
        database_url: &str,
        data_dir: &Path,
        sink_port: u16,
        connections: usize,
        secret_key: &str,
    ) -> anyhow::Result<Worker> {
        Command::new(beacon)
            .args(["serve", "--role", "worker"])
            .env("BEACON_DATABASE_URL", database_url)
            .env("BEACON_DATA_DIR", data_dir)
            .env("BEACON_SECRET_KEY", secret_key)
            .env("BEACON_SERVER__PUBLIC_URL", "https://alerts.beacon.invalid")
            .env("BEACON_MAIL__TRANSPORT", "smtp")
            .env("BEACON_MAIL__SMTP_HOST", "127.0.0.1")
            .env("BEACON_MAIL__SMTP_PORT", sink_port.to_string())
            .env("BEACON_MAIL__SMTP_TLS", "none")
            .env("BEACON_MAIL__SMTP_CONNECTIONS", connections.to_string())
            .env("BEACON_DELIVERY__LEASE_SECS", LEASE_SECS.to_string())
            // A worker starts a message only if its claim outlasts a whole SMTP timeout (twice,
            // counting the mark): loopback answers at once, so a short timeout keeps that true.
            .env(
                "BEACON_MAIL__SMTP_TIMEOUT_SECS",
                SMTP_TIMEOUT_SECS.to_string(),
            )
            // Warnings, but not the slow statements a worker busy on two cores logs.
            .env("BEACON_LOG__FILTER", "warn,sqlx::query=error")
            .stdout(Stdio::null())
            .spawn()
            .map(Worker)
            .with_context(|| format!("starting {}", beacon.display()))
    }

    /// How many times each Message-ID arrived, from the files `smtp-sink -d` wrote (the
    /// message's header after the sink's own `X-` lines).
    fn count_message_ids(dir: &Path) -> anyhow::Result<HashMap<String, usize>> {
        let mut counts = HashMap::new();
        for entry in std::fs::read_dir(dir)? {
            let text = std::fs::read(entry?.path())?;
            let text = String::from_utf8_lossy(&text);
            let mut header = text.split("\n").take_while(|line| !line.trim().is_empty());
            let id = header.find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| value.trim().to_owned())
            });
            if let Some(id) = id {
                *counts.entry(id).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }
}
