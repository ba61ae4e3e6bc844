//! `beacon scam-check`: the scam checker on the command line, reading the message from standard
//! input. It needs no database (what the checker knows is in the binary); where the configuration
//! points at an existing database, it also lists the force's own alerts about the scam found.

use crate::app;
use crate::config::Settings;
use crate::services::scam_check::{self, Channel, ScamAnswer, Verdict};
use anyhow::Context;
use std::io::Read;
use std::path::PathBuf;

/// What the subcommand was given.
#[derive(Debug, clap::Args)]
pub struct ScamCheckArgs {
    /// How the message reached you: sms, email, call, doorstep, web or social.
    #[arg(long)]
    channel: Option<String>,
    /// Print the answer as JSON, in the shape `POST /api/v1/scam-check` gives.
    #[arg(long)]
    json: bool,
    /// A Beacon data directory whose database to search for related alerts (by default the
    /// configured one, if it exists).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A database to search for related alerts (`sqlite://…` or `postgres://…`).
    #[arg(long)]
    database_url: Option<String>,
}

/// Reads standard input, checks it, prints the answer. An empty or over-long message is an
/// error (exit status 1) with the checker's own words.
pub async fn run(args: ScamCheckArgs, mut settings: Settings) -> anyhow::Result<()> {
    let channel = match args.channel.as_deref() {
        None => None,
        Some(raw) => Some(Channel::parse(raw).with_context(|| {
            format!("--channel {raw:?} is not one of sms, email, call, doorstep, web, social")
        })?),
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("reading the message from standard input")?;
    // Liberal: a file in another encoding still gets checked, its odd bytes replaced.
    let text = String::from_utf8_lossy(&bytes);
    let mut answer = scam_check::check_offline(&text, channel).map_err(anyhow::Error::msg)?;

    if let Some(dir) = args.data_dir {
        settings.data_dir = dir;
        settings.database_url = String::new();
    }
    if let Some(url) = args.database_url {
        settings.database_url = url;
    }
    let public_url = settings.server.public_url.clone();
    let has_database =
        !settings.database_url.is_empty() || settings.data_dir.join("beacon.db").exists();
    if let (Some(kind), true) = (answer.check.kind, has_database) {
        let ctx = app::context(settings)
            .await
            .context("opening the database to find related alerts")?;
        answer.related_alerts = scam_check::related_alerts(&ctx, kind).await?;
    }

    let link = |path: &str| format!("{}{path}", public_url.trim_end_matches('/'));
    if args.json {
        let json = scam_check::answer_json(&answer, link);
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{}", in_words(&answer, link));
    }
    Ok(())
}

/// The answer as a resident reads it on a terminal.
fn in_words(answer: &ScamAnswer, link: impl Fn(&str) -> String) -> String {
    let check = &answer.check;
    let mut out = String::new();
    let confidence = (check.confidence * 100.0).round();
    let headline = match (check.verdict, check.kind) {
        (Verdict::Scam, Some(kind)) => format!("Scam: {}", kind.name()),
        (Verdict::Scam, None) => "Scam".to_owned(),
        (Verdict::Suspicious, _) => "Suspicious: it has warning signs of a scam".to_owned(),
        (Verdict::NoScamSigns, _) => {
            "No signs of a scam found (if something still feels wrong, trust that)".to_owned()
        }
    };
    out.push_str(&format!("{headline} ({confidence}% sure)\n"));
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            out.push_str(&format!("\n{title}\n"));
            for line in lines {
                out.push_str(&format!("  - {line}\n"));
            }
        }
    };
    section(
        "Signs:",
        check
            .signs
            .iter()
            .map(|sign| {
                let words: Vec<String> = sign
                    .spans
                    .iter()
                    .filter_map(|span| check.text.get(span.clone()))
                    .map(|w| format!("“{}”", w.trim()))
                    .collect();
                if words.is_empty() {
                    sign.says.clone()
                } else {
                    format!("{} ({})", sign.says, words.join(", "))
                }
            })
            .collect(),
    );
    section(
        "What to do now:",
        answer.advice().iter().map(|a| a.to_string()).collect(),
    );
    section(
        "Where to report:",
        answer
            .report_to()
            .into_iter()
            .map(|r| format!("{}. {}", r.who, r.how))
            .collect(),
    );
    section(
        "The force's own alerts about it:",
        answer
            .related_alerts
            .iter()
            .map(|a| format!("{} {}", a.title, link(&a.path)))
            .collect(),
    );
    section("Notes:", check.notes.clone());
    out
}
