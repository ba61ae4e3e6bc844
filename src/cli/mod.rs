//! The `beacon` command line: `serve`, `demo`, `migrate`, `import-postcodes`, `import-archive`,
//! `scam-check`, `config` and `admin …`. Each subcommand loads the layered configuration and
//! calls into `app` or `services`.

use crate::app::{self, Role};
use crate::config::Settings;
use crate::domain::staff::StaffInput;
use crate::domain::subscriber::{Place, Preferences};
use crate::domain::{catalogue, Postcode, Priority};
use crate::services::staff::{self as staff_service, Actor, StaffAdminError};
use crate::services::{postcodes, tokens::random_id, AppContext};
use crate::store::{self, NewSubscriber, SubscriberStatus};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

mod demo_chats;
mod demo_reports;
mod demo_schemes;
mod demo_surveys;
mod scam_check;

#[derive(Debug, Parser)]
#[command(
    name = "beacon",
    version,
    about = "Community alerts for police forces and their partners"
)]
pub struct Cli {
    /// A TOML configuration file; `BEACON_*` environment variables override it.
    #[arg(long, global = true, env = "BEACON_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server and the background workers.
    Serve {
        /// Run only the web server or only the workers (for several processes on PostgreSQL).
        #[arg(long, value_enum, default_value = "all")]
        role: Role,
    },
    /// Start afresh in a demo data directory with demo residents, mail and texts to files.
    Demo {
        /// The demo's data directory; it is wiped and recreated each time.
        #[arg(long, default_value = "beacon-demo")]
        data_dir: PathBuf,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Keep the demo in this database instead of SQLite in the data directory (an empty
        /// PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/beacon_demo): the demo
        /// seeds it, so give it one made for the purpose.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Apply database migrations, seed the catalogue and load the bundled postcodes, then exit.
    Migrate,
    /// Load postcodes from a CSV in the ONS Postcode Directory layout (optionally .gz).
    ImportPostcodes {
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import alerts from other services' archives (eCops email or bulletin exports, police
    /// news articles in Markdown) into the public archive, as sent to nobody.
    ImportArchive {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The files' format (detected from each file by default).
        #[arg(long, value_enum)]
        format: Option<crate::import::Format>,
        /// Show what would be stored, and store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also write the report as JSON to this file ("-": standard output, instead of text).
        #[arg(long)]
        json: Option<PathBuf>,
        /// The provider (slug) that "The Police" and alerts naming no provider are filed under;
        /// by default the force, the first provider in the catalogue.
        #[arg(long)]
        police_provider: Option<String>,
        /// The date (YYYY-MM-DD) for alerts whose source gives none; by default today.
        #[arg(long)]
        undated_date: Option<chrono::NaiveDate>,
    },
    /// Check a message for signs of a scam: paste it on standard input. Works with no database;
    /// with one, it also lists the force's own alerts about the scam found.
    ScamCheck(scam_check::ScamCheckArgs),
    /// Print the effective configuration, with secrets redacted.
    Config,
    /// Operators' commands.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Add a member of staff and print the one-time link with which they set their password
    /// and authenticator app (use it to bootstrap the first admin).
    CreateStaff {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Their role, as it signs off alerts ("Communications Assistant").
        #[arg(long)]
        role_title: String,
        /// Their area ("Peterborough and Fenland").
        #[arg(long, default_value = "")]
        area: String,
        /// Their organisation's slug (`beacon admin providers` lists them).
        #[arg(long, default_value = "cambridgeshire-constabulary")]
        provider: String,
        /// May compose and send alerts for their organisation.
        #[arg(long)]
        send: bool,
        /// Their alerts need someone else's approval.
        #[arg(long)]
        needs_approval: bool,
        /// May approve other people's alerts.
        #[arg(long)]
        approve: bool,
        /// May manage staff and read the audit log.
        #[arg(long)]
        admin: bool,
        /// May triage online reports (THRIVE) as a contact operator.
        #[arg(long)]
        operate: bool,
        /// May review assessed reports (record crimes, allocate, close).
        #[arg(long)]
        review: bool,
    },
    /// The organisations (providers) alerts come from, with their slugs.
    Providers,
    /// The code an authenticator app would show now for a secret (for the demo's accounts).
    TotpCode {
        /// The base32 secret.
        secret: String,
    },
    /// Counts of residents, postcodes and queued messages.
    Stats,
    /// Delete sign-ups never confirmed within the configured number of days.
    PurgeUnconfirmed,
}

pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings =
        Settings::load(cli.config.as_deref()).context("loading the configuration")?;
    if let Command::Demo {
        data_dir,
        bind,
        database_url,
    } = &cli.command
    {
        settings = demo_settings(settings, data_dir, bind, database_url.as_deref());
    }
    crate::telemetry::init(&settings.log);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(cli.command, settings))
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { role } => serve(settings, role).await,
        Command::Demo { data_dir, .. } => demo(settings, &data_dir).await,
        Command::Migrate => {
            let ctx = app::context(settings).await?;
            println!(
                "Database ready ({}): {} postcodes.",
                ctx.store.backend(),
                ctx.store.postcode_count().await?
            );
            Ok(())
        }
        Command::ImportPostcodes { file, json } => {
            let store = store::connect(&settings.database_url()).await?;
            let report = postcodes::import_file(store, &file, !json).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "Imported {} postcodes from {} in {:.1} s; {} rows could not be read.",
                    report.stored,
                    file.display(),
                    report.seconds,
                    report.rejected
                );
                for reject in &report.rejects {
                    println!("  {reject}");
                }
                if report.rejected > report.rejects.len() as u64 {
                    println!(
                        "  … and {} more",
                        report.rejected - report.rejects.len() as u64
                    );
                }
            }
            Ok(())
        }
        Command::ImportArchive {
            files,
            format,
            dry_run,
            json,
            police_provider,
            undated_date,
        } => {
            let options = crate::services::import::ImportOptions {
                format,
                dry_run,
                police_provider,
                undated: undated_date,
            };
            import_archive(settings, &files, &options, json.as_deref()).await
        }
        Command::ScamCheck(args) => scam_check::run(args, settings).await,
        Command::Config => {
            print!("{}", toml::to_string(&settings.redacted())?);
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::TotpCode { secret },
        } => {
            // Needs no database: it only computes.
            println!("{}", staff_service::current_code(&secret)?);
            Ok(())
        }
        Command::Admin { command } => {
            let ctx = app::context(settings).await?;
            match command {
                AdminCommand::CreateStaff {
                    email,
                    name,
                    role_title,
                    area,
                    provider,
                    send,
                    needs_approval,
                    approve,
                    admin,
                    operate,
                    review,
                } => {
                    let input = StaffInput {
                        email,
                        name,
                        role_title,
                        area_label: area,
                        provider,
                        send,
                        approve,
                        admin,
                        needs_approval,
                        operate,
                        review,
                        coordinate: false,
                    };
                    let actor = Actor {
                        staff: None,
                        ip: "command line",
                    };
                    match staff_service::create_staff(&ctx, &actor, &input).await {
                        Ok((staff, link)) => {
                            println!(
                                "Added {} ({}; {}).",
                                staff.name,
                                staff.provider_name,
                                staff.permissions.describe()
                            );
                            println!("Send them this link to set their password and authenticator app (it works once, for 72 hours):");
                            println!("  {link}");
                        }
                        Err(StaffAdminError::Invalid(errors)) => {
                            for error in errors.iter() {
                                eprintln!("{}: {}", error.field, error.message);
                            }
                            anyhow::bail!("the staff member was not added");
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                AdminCommand::Providers => {
                    for provider in ctx.store.providers().await? {
                        println!("{:<32} {}", provider.slug, provider.name);
                    }
                }
                AdminCommand::TotpCode { .. } => unreachable!("handled above"),
                AdminCommand::Stats => {
                    let store = &ctx.store;
                    println!("backend:                {}", store.backend());
                    println!("postcodes:              {}", store.postcode_count().await?);
                    for status in [
                        SubscriberStatus::Active,
                        SubscriberStatus::Pending,
                        SubscriberStatus::Unsubscribed,
                    ] {
                        println!(
                            "residents {:<13} {}",
                            format!("{}:", status.as_str()),
                            store.count_subscribers(status).await?
                        );
                    }
                    let queue = store.outbound_counts().await?;
                    println!("messages waiting:       {}", queue.waiting);
                    println!("messages sent:          {}", queue.sent);
                    println!("messages failed:        {}", queue.failed);
                }
                AdminCommand::PurgeUnconfirmed => {
                    let days = ctx.settings.limits.pending_signup_days;
                    let cutoff = chrono::Utc::now().timestamp() - days * 86_400;
                    let purged = ctx.store.purge_pending(cutoff).await?;
                    println!("Deleted {purged} sign-ups unconfirmed for more than {days} days.");
                }
            }
            Ok(())
        }
    }
}

async fn serve(settings: Settings, role: Role) -> anyhow::Result<()> {
    let ctx = app::context(settings).await?;
    let running = app::start(ctx, role).await?;
    app::shutdown_signal().await;
    running.stop().await
}

fn demo_settings(
    mut settings: Settings,
    data_dir: &std::path::Path,
    bind: &str,
    database_url: Option<&str>,
) -> Settings {
    settings.data_dir = data_dir.to_path_buf();
    settings.database_url = database_url.unwrap_or_default().to_owned();
    settings.server.bind = bind.to_owned();
    settings.server.public_url = format!("http://{bind}");
    // The demo is plain HTTP on loopback: a Secure cookie would never come back.
    settings.server.secure_cookies = false;
    settings.mail.transport = crate::config::MailTransport::File;
    settings.mail.outbox_dir = String::new();
    settings.sms.outbox_dir = String::new();
    settings
}

/// Marks a directory as the demo's own, so `demo` only ever wipes what it made.
const DEMO_MARKER: &str = ".beacon-demo";

async fn demo(settings: Settings, data_dir: &std::path::Path) -> anyhow::Result<()> {
    if data_dir.exists() {
        anyhow::ensure!(
            data_dir.join(DEMO_MARKER).exists(),
            "{} exists and is not a Beacon demo directory: choose another with --data-dir",
            data_dir.display()
        );
        std::fs::remove_dir_all(data_dir)
            .with_context(|| format!("clearing {}", data_dir.display()))?;
    }
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(
        data_dir.join(DEMO_MARKER),
        "made by `beacon demo`; wiped at its next start\n",
    )?;
    let ctx = app::context(settings).await?;
    let residents = seed_demo_residents(&ctx.store).await?;
    let staff = seed_demo_staff(&ctx).await?;
    let history = seed_demo_history(&ctx).await?;
    let member = |name: &str| staff.iter().find(|s| s.0 == name).map(|s| &s.4);
    let (Some(operator), Some(reviewer)) = (member("Priya Shah"), member("Tom Reed")) else {
        anyhow::bail!("the demo's operator and reviewer were not added");
    };
    let reports = demo_reports::seed(&ctx, operator, reviewer).await?;
    let chats = demo_chats::seed(&ctx, operator).await?;
    let sergeant = member("Sam Patel").context("the demo's sergeant was not added")?;
    let (survey, answers) = demo_surveys::seed(&ctx, sergeant, residents).await?;
    let (coordinators, to_join) =
        demo_schemes::seed(&ctx, sergeant, residents, DEMO_PASSWORD).await?;
    let running = app::start(ctx.clone(), Role::All).await?;
    println!();
    let address = running.address.context("the demo serves the web")?;
    println!("Beacon demo is running at http://{address}");
    println!(
        "  {residents} demo residents in Cambridgeshire, {} postcodes loaded",
        ctx.store.postcode_count().await?
    );
    println!("  Sign up with a Cambridgeshire postcode such as CB1 1PT, PE1 1HQ or SG8 6DP.");
    println!(
        "  Report a non-emergency at http://{address}/report ({reports} demo reports wait for staff at /staff/reports)."
    );
    println!(
        "  {chats} past web chats make the figures at /staff/inbox/figures and on /contact; a resident's reply to an alert waits in the inbox."
    );
    println!(
        "  A survey of local priorities has {answers} answers: results by district at http://{address}/surveys/{survey}/results (staff: /staff/surveys)."
    );
    println!(
        "  Neighbourhood Watch schemes at http://{address}/schemes (staff: /staff/schemes; coordinators: /staff/coordinate)."
    );
    for (scheme, postcode) in &to_join {
        println!(
            "  Sign up with {postcode} to join {scheme} from your manage page; its coordinators (below) accept you and write to you."
        );
    }
    println!(
        "  Browse and search {history} earlier alerts at http://{address}/alerts (feeds at /feeds/all.atom)."
    );
    println!(
        "  Emails land in {}",
        ctx.settings.email_outbox_dir().display()
    );
    println!(
        "  Texts land in  {}",
        ctx.settings.sms_outbox_dir().display()
    );
    println!();
    println!("Staff sign in at http://{address}/staff/sign-in with a password and an authenticator code.");
    println!("Add the key to an authenticator app, or print the current code with");
    println!("`cargo run -- admin totp-code KEY`:");
    for (name, email, permissions, secret, _) in staff.iter().chain(&coordinators) {
        println!("  {name} ({permissions})");
        println!("    email {email}   password {DEMO_PASSWORD}   key {secret}");
    }
    println!();
    println!("  Press Ctrl-C to stop.");
    println!();
    app::shutdown_signal().await;
    running.stop().await
}

/// The demo staff's password: the demo is for trying Beacon out, never for real alerts.
const DEMO_PASSWORD: &str = "beacon-demo-password";

/// Demo staff, enrolled with known passwords and authenticator keys (a real install enrols
/// each member through their own one-time link). Returns name, email, permissions and key.
async fn seed_demo_staff(
    ctx: &AppContext,
) -> anyhow::Result<Vec<(String, String, String, String, store::StaffMember)>> {
    let people = [
        (
            "Lucy Ward",
            "lucy.ward@cambs.police.example",
            "Communications Assistant",
            "Peterborough and Fenland",
            (true, false, false, false),
        ),
        (
            "Sam Patel",
            "sam.patel@cambs.police.example",
            "Neighbourhood Sergeant",
            "South Cambridgeshire",
            (true, true, false, false),
        ),
        (
            "Jo Bailey",
            "jo.bailey@cambs.police.example",
            "Police Community Support Officer",
            "Cambridge",
            (true, false, false, true),
        ),
        (
            "Priya Shah",
            "priya.shah@cambs.police.example",
            "Contact Operator",
            "Force Control Room",
            (false, false, false, false),
        ),
        (
            "Tom Reed",
            "tom.reed@cambs.police.example",
            "Investigation Management Unit",
            "Force-wide",
            (false, false, false, false),
        ),
        (
            "Alex Morgan",
            "alex.morgan@cambs.police.example",
            "Digital Communications Manager",
            "Force-wide",
            (true, true, true, false),
        ),
    ];
    let actor = Actor {
        staff: None,
        ip: "beacon demo",
    };
    let mut made = Vec::new();
    for (name, email, role, area, (send, approve, admin, needs_approval)) in people {
        let input = StaffInput {
            email: email.into(),
            name: name.into(),
            role_title: role.into(),
            area_label: area.into(),
            provider: "cambridgeshire-constabulary".into(),
            send,
            approve,
            admin,
            needs_approval,
            operate: name == "Priya Shah",
            review: name == "Tom Reed",
            ..StaffInput::default()
        };
        let (staff, _link) = staff_service::create_staff(ctx, &actor, &input)
            .await
            .map_err(|e| anyhow::anyhow!("adding demo staff: {e}"))?;
        let secret = staff_service::new_totp_secret();
        staff_service::enrol_for_demo(ctx, &staff, DEMO_PASSWORD, &secret).await?;
        made.push((
            staff.name.clone(),
            staff.email.to_string(),
            staff.permissions.describe(),
            secret,
            staff,
        ));
    }
    Ok(made)
}

/// How many demo residents: enough for the audience preview to show a spread.
const DEMO_RESIDENTS: usize = 800;

/// Earlier alerts for the demo's archive: (days ago, provider, message type, priority, title,
/// body, target), written in the manner of the alerts Cambridgeshire residents receive today.
const DEMO_HISTORY: &[(i64, &str, &str, i64, &str, &str, &str)] = &[
    (2, "cambridgeshire-constabulary", "crime-prevention", 3, "Burglary warning as the clocks go back",
     "With darker evenings, burglars look for homes left in darkness.\n\n- Use timer switches on lamps\n- Lock doors and windows, even when you are in\n- Keep keys away from the letterbox\n\nReport suspicious behaviour on 101 or online.",
     r#"{"include":[{"kind":"force_area"}]}"#),
    (3, "cambridgeshire-constabulary", "scam-warning", 2, "Beware “Hi Mum” texts from a new number",
     "Residents across the county have received WhatsApp messages and texts that begin \"Hi Mum\" or \"Hi Dad\", from a new number, saying the sender's phone is broken and asking for money to be sent urgently.\n\nIf you get one, **call your son or daughter on the number you already have** before doing anything. Do not send money. Forward the text to 7726, and if you have paid, call your bank on 159.",
     r#"{"include":[{"kind":"force_area"}]}"#),
    (5, "report-fraud", "scam-warning", 2, "Courier fraud: calls from fake police officers",
     "Fraudsters are phoning residents pretending to be police officers or bank staff and asking them to withdraw cash or hand over cards to a courier.\n\nYour bank and the police will **never** ask you to do this. Hang up, wait five minutes and call 159 from another phone.",
     r#"{"include":[{"kind":"force_area"}]}"#),
    (9, "cambridgeshire-constabulary", "crime-update", 2, "Catalytic converter thefts in Meldreth and Melbourn",
     "There have been a number of catalytic converter thefts in Meldreth and Melbourn over the past week.\n\n- Park in a garage or a well-lit area\n- Report anything suspicious on 101",
     r#"{"include":[{"kind":"circle","easting":538800.0,"northing":245200.0,"radius_m":4000.0,"label":"Meldreth"}]}"#),
    (14, "trading-standards", "scam-warning", 3, "Rogue traders offering roof and driveway work",
     "Doorstep callers in Fenland have been offering cheap roof repairs and driveway cleaning, then demanding large sums.\n\nNever agree to work on the doorstep. Use a trusted trader scheme and get three quotes.",
     r#"{"include":[{"kind":"districts","codes":["E07000010"]}]}"#),
    (20, "cambridgeshire-fire-and-rescue", "crime-prevention", 3, "Charging e-bikes and e-scooters safely",
     "Fires caused by e-bike and e-scooter batteries are rising.\n\n- Charge them while you are awake and at home\n- Use the charger that came with the battery\n- Fit a smoke alarm where you charge them",
     r#"{"include":[{"kind":"force_area"}]}"#),
    (27, "cambridgeshire-constabulary", "appeal", 2, "Appeal for witnesses after a collision in Peterborough",
     "We are appealing for witnesses after a collision on Lincoln Road, Peterborough, on Saturday evening. Anyone with dashcam footage is asked to contact us quoting incident 412.",
     r#"{"include":[{"kind":"districts","codes":["E06000031"]}]}"#),
    (34, "report-fraud", "scam-warning", 3, "Ticket fraud ahead of summer concerts",
     "Only buy tickets from the venue's box office, the official promoter or a well-known ticketing site. Avoid paying by bank transfer, and be wary of deals that seem too good to be true.",
     r#"{"include":[{"kind":"force_area"}]}"#),
    (41, "neighbourhood-watch", "community-news", 4, "New Neighbourhood Watch scheme in Histon",
     "Residents in Histon and Impington have started a Neighbourhood Watch scheme. Join them at the village hall on Thursday at 7pm to find out more.",
     r#"{"include":[{"kind":"circle","easting":543700.0,"northing":263800.0,"radius_m":2000.0,"label":"Histon"}]}"#),
    (48, "cambridgeshire-constabulary", "crime-update", 3, "Shed and garage break-ins around Ely",
     "Several sheds and garages have been broken into around Ely, with bikes and power tools taken.\n\n- Lock sheds and garages\n- Mark your tools with your postcode\n- Register bikes on BikeRegister",
     r#"{"include":[{"kind":"districts","codes":["E07000009"]}]}"#),
    (55, "cambridgeshire-constabulary", "newsletter", 5, "Web chat and online reports",
     "In September our average response time on live web chat was just 27 seconds. Web chat operators can give advice, answer questions and take crime reports around the clock, often without the wait of a phone call.",
     r#"{"include":[{"kind":"force_area"}]}"#),
];

/// `beacon import-archive`: every file is read before anything is stored, so a missing file
/// stops the import at once; then each is imported with a progress bar and reported. Fails
/// (after storing what could be read) if any alert could not be read.
async fn import_archive(
    settings: Settings,
    files: &[PathBuf],
    options: &crate::services::import::ImportOptions,
    json: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use crate::services::import::{import_bytes, FileReport};
    let mut contents = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        // The name, not the path: it is shown on the public archive.
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string());
        contents.push((label, bytes));
    }
    let ctx = app::context(settings).await?;
    let text = json != Some(std::path::Path::new("-"));
    let mut reports: Vec<FileReport> = Vec::new();
    for (label, bytes) in &contents {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg} {wide_bar} {pos}/{len} alerts ({eta} left)",
            )
            .context("the progress template")?,
        );
        bar.set_message(label.clone());
        let report = import_bytes(&ctx, label, bytes, options, &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
        bar.finish_and_clear();
        if text {
            print_import_report(&report);
        }
        reports.push(report);
    }
    let unreadable: usize = reports.iter().map(|r| r.unreadable.len()).sum();
    if let Some(path) = json {
        let totals = serde_json::json!({
            "found": reports.iter().map(|r| r.found).sum::<usize>(),
            "stored": reports.iter().map(|r| r.stored).sum::<usize>(),
            "duplicates": reports.iter().map(|r| r.duplicates).sum::<usize>(),
            "unreadable": unreadable,
        });
        let document = serde_json::to_string_pretty(&serde_json::json!({
            "dry_run": options.dry_run,
            "totals": totals,
            "files": reports,
        }))?;
        if text {
            std::fs::write(path, document + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
        } else {
            println!("{document}");
        }
    }
    anyhow::ensure!(
        unreadable == 0,
        "{unreadable} alert(s) could not be read (listed above with their lines); the rest {}",
        if options.dry_run {
            "would be stored"
        } else {
            "were stored"
        }
    );
    Ok(())
}

fn print_import_report(report: &crate::services::import::FileReport) {
    use crate::services::import::Outcome;
    let format = report
        .format
        .map(|f| f.describe())
        .unwrap_or("unknown format");
    println!("{} ({format})", report.file);
    println!(
        "  {} found: {} {}, {} already stored, {} could not be read",
        report.found,
        if report.dry_run {
            report
                .alerts
                .iter()
                .filter(|a| a.outcome == Outcome::WouldStore)
                .count()
        } else {
            report.stored
        },
        if report.dry_run {
            "would be stored"
        } else {
            "stored"
        },
        report.duplicates,
        report.unreadable.len()
    );
    for alert in &report.alerts {
        // Each alert is listed when trying an import; a real one lists only what was inferred
        // about how a part was read, and what went wrong.
        if !report.dry_run {
            for note in &alert.notes {
                println!("  line {}: “{}”: {note}", alert.line, alert.title);
            }
            continue;
        }
        let outcome = match alert.outcome {
            Outcome::Stored => "stored",
            Outcome::WouldStore => "would store",
            Outcome::Duplicate => "already stored",
        };
        let mut details = vec![
            alert.provider.clone(),
            alert.message_type.clone(),
            alert.date.clone(),
        ];
        if let Some(original) = &alert.original_provider {
            details.push(format!("source's provider: {original}"));
        }
        if !alert.places.is_empty() {
            details.push(format!("places: {}", alert.places.join(", ")));
        }
        if !alert.inferred.is_empty() {
            details.push(format!("inferred: {}", alert.inferred.join(", ")));
        }
        println!(
            "  line {}: {outcome} “{}” ({})",
            alert.line,
            alert.title,
            details.join("; ")
        );
        for note in &alert.notes {
            println!("    read so: {note}");
        }
    }
    for problem in &report.unreadable {
        println!(
            "  line {}: could not be read: {}",
            problem.line, problem.reason
        );
    }
    for warning in &report.warnings {
        println!("  line {}: note: {}", warning.line, warning.reason);
    }
}

/// Confirmed demo residents at real force-area postcodes, spread evenly through the bundled
/// file: names and addresses are made up (example.org), choices vary, a third get texts.
/// The demo's archive: earlier alerts, recorded as sent on their days but delivered to nobody
/// (the demo's residents did not exist then). Returns how many.
async fn seed_demo_history(ctx: &AppContext) -> anyhow::Result<usize> {
    let store = &ctx.store;
    let providers = store.providers().await?;
    let types = store.message_types().await?;
    let now = chrono::Utc::now().timestamp();
    for (days_ago, provider, message_type, priority, title, body, target) in DEMO_HISTORY {
        let provider = providers
            .iter()
            .find(|p| p.slug == *provider)
            .with_context(|| format!("the demo needs the provider {provider}"))?;
        let message_type = types
            .iter()
            .find(|t| t.slug == *message_type)
            .with_context(|| format!("the demo needs the message type {message_type}"))?;
        let area: crate::geo::target::AreaTarget = serde_json::from_str(target)?;
        let districts = store.districts().await?;
        let description = area.describe(|code| {
            districts
                .iter()
                .find(|d| d.code == code)
                .and_then(|d| d.name.clone())
                .unwrap_or_else(|| code.to_owned())
        });
        let sent_at = now - days_ago * 86_400 - 3_600 * (days_ago % 7);
        let id = store
            .insert_alert(&store::NewAlert {
                content: store::AlertContent {
                    provider_id: provider.id,
                    message_type_id: message_type.id,
                    priority: Priority::new(*priority)?,
                    title: (*title).to_owned(),
                    body_markdown: (*body).to_owned(),
                    sms_text: None,
                    target: serde_json::from_str(target)?,
                    target_description: description,
                    private: false,
                    members: Default::default(),
                },
                author_staff_id: None,
                api_token_id: None,
                signoff: crate::domain::alert::SignOff {
                    name: "Lucy Ward".into(),
                    organisation: provider.name.clone(),
                    role: "Communications Assistant".into(),
                    area: "Cambridgeshire".into(),
                },
                needs_approval: false,
                follows_alert_id: None,
                follow_up: None,
                now: sent_at,
            })
            .await?;
        store.archive_alert(id, sent_at, None).await?;
        let alert = store.alert(id).await?.context("a demo alert vanished")?;
        crate::services::delivery::record_alert_districts(ctx, &alert).await?;
    }
    Ok(DEMO_HISTORY.len())
}

async fn seed_demo_residents(store: &store::DynStore) -> anyhow::Result<usize> {
    const FIRST: &[&str] = &[
        "Mandy", "Tom", "Priya", "Gareth", "Ellen", "Kwame", "Sofia", "Dave", "Aisha", "Joan",
    ];
    const LAST: &[&str] = &[
        "Clarke", "Okafor", "Shah", "Hughes", "Marsh", "Mensah", "Rossi", "Brown", "Khan", "Taylor",
    ];
    let postcodes: Vec<Postcode> = crate::geo::districts::bundled_force_postcodes()
        .filter_map(Result::ok)
        .filter(|r| {
            r.easting.is_some()
                && r.district_code
                    .as_deref()
                    .is_some_and(|d| crate::geo::districts::FORCE_DISTRICTS.contains(&d))
        })
        .map(|r| r.postcode)
        .collect();
    anyhow::ensure!(
        !postcodes.is_empty(),
        "the bundled postcodes have no force-area places"
    );
    let step = (postcodes.len() / DEMO_RESIDENTS).max(1);
    let now = chrono::Utc::now().timestamp();
    let mut made = 0;
    for (n, postcode) in postcodes
        .iter()
        .step_by(step)
        .take(DEMO_RESIDENTS)
        .enumerate()
    {
        let name = format!(
            "{} {}",
            FIRST[n % FIRST.len()],
            LAST[(n / FIRST.len()) % LAST.len()]
        );
        let email = format!("resident{n}@example.org");
        let sms = n % 3 == 0;
        // Most choose everything; every fourth leaves out newsletters and community news.
        let message_types = catalogue::MESSAGE_TYPES
            .iter()
            .filter(|m| n % 4 != 0 || !matches!(m.slug, "newsletter" | "community-news"))
            .map(|m| m.slug.to_owned())
            .collect();
        let preferences = Preferences {
            name,
            mobile: sms
                .then(|| crate::domain::MobileNumber::parse(&format!("07700 9{:05}", n % 100_000)))
                .transpose()?,
            places: vec![Place {
                postcode: postcode.clone(),
                label: Some("Home".into()),
            }],
            providers: catalogue::PROVIDERS
                .iter()
                .map(|p| p.slug.to_owned())
                .collect(),
            message_types,
            email: true,
            sms,
            sms_min_priority: Priority::new(2)?,
            quiet_hours: None,
            email_format: Default::default(),
        };
        let nonce = random_id();
        let new = NewSubscriber {
            public_id: random_id(),
            email: crate::domain::EmailAddress::parse(&email)?,
            email_key: email,
            preferences,
            confirm_nonce: nonce.clone(),
            now,
        };
        let id = store.insert_pending_subscriber(&new, None).await?;
        store.confirm_subscriber(id, &nonce, now).await?;
        if sms {
            store.confirm_mobile(id, now).await?;
        }
        made += 1;
    }
    Ok(made)
}
