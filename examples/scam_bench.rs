//! How long the scam checker takes: the first call (which trains the word model and compiles the
//! patterns), then thousands of checks of several different messages of about 2,000 characters (a
//! scam text, a courier-fraud account, an ordinary letter, a police warning, a whole email with
//! headers and base64 and quoted-printable parts), after a warm-up.
//!
//! `cargo run --release --example scam_bench [-- --write]`
//!
//! Prints p50, p90, p99 and the maximum per message and overall; `--write` also replaces the
//! "## Scam checker speed" section of `docs/benchmarks.md`.

#[path = "support/docs_section.rs"]
mod docs_section;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use beacon::scams::{self, Channel};

const HEADING: &str = "## Scam checker speed";
const WARM_UP: usize = 200;
const RUNS: usize = 5_000;
const TARGET_CHARS: usize = 2_000;

/// Repeats `paragraph` (with a counter, so no two are identical) up to about 2,000 characters.
fn about_2000_chars(opening: &str, paragraph: &str) -> String {
    let mut text = opening.to_owned();
    let mut n = 1;
    while text.chars().count() + paragraph.chars().count() < TARGET_CHARS {
        text.push_str(&paragraph.replace("{n}", &n.to_string()));
        n += 1;
    }
    text
}

fn messages() -> Vec<(&'static str, Option<Channel>, String)> {
    let scam_text = about_2000_chars(
        "Hi Mum, this is my new number, my phone broke and I dropped it in the toilet. ",
        "Can you text me on WhatsApp? I need to pay an urgent bill today ({n}) and my banking app \
         won't let me in, could you send £1,450 to my friend's account? I'll pay you back \
         tomorrow, don't tell Dad. Pay at evri-redelivery.com or bit.ly/x9{n} within 24 hours. ",
    );
    let courier = about_2000_chars(
        "A man rang saying he was DC Walker from the Met and that my bank had a corrupt cashier. ",
        "He said I must not tell the staff anything, withdraw £4,000 in cash and a courier would \
         come to collect it as evidence (call {n}). He told me to move my savings to a safe \
         account and to buy gold, and to keep it between us. ",
    );
    let ordinary = about_2000_chars(
        "Dear Mrs Patel, thank you for your letter about the allotment on Mill Road. ",
        "The committee met on Tuesday ({n}) and agreed that plot 14 will be yours from April. \
         The rent is £32 a year, payable at the AGM or by cheque to the treasurer, and the key \
         to the gate is with Mr Jones at number 8. We look forward to seeing you there. ",
    );
    let warning = about_2000_chars(
        "We have received reports of residents being targeted by courier fraud. ",
        "Criminals call pretending to be police officers or bank staff ({n}) and ask you to \
         withdraw cash or move money to a safe account. Your bank and the police will never ask \
         you to do this. If you receive a call like this, hang up and report it to Report Fraud \
         on 0300 123 2040. Stay vigilant. Kind regards, PCSO Ward. ",
    );
    let body = about_2000_chars(
        "Your tax refund of £326.80 is waiting. ",
        "Claim your refund within 48 hours (ref {n}) at https://hmrc-refund-claim.top/login or \
         your claim will be cancelled. HMRC Refunds Team. ",
    );
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&body)
    };
    let email = format!(
        "From: HMRC Refunds <refunds@hmrc-gov-uk.info>\r\nTo: resident@example.com\r\n\
         Subject: =?UTF-8?Q?Tax_refund_=E2=80=93_action_required?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {encoded}\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Your tax refund of =C2=A3326.80 \
         is waiting.</p><a href=3D\"https://hmrc-refund-claim.top/login\">Claim now</a>\r\n\
         --b1--\r\n"
    );
    vec![
        ("\"Hi Mum\" text with links", Some(Channel::Sms), scam_text),
        (
            "Courier fraud call, described",
            Some(Channel::Call),
            courier,
        ),
        ("Ordinary letter", None, ordinary),
        ("Police warning about a scam", Some(Channel::Email), warning),
        (
            "Whole email, base64 and quoted-printable",
            Some(Channel::Email),
            email,
        ),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let messages = messages();

    let started = Instant::now();
    let first = scams::check(&messages[0].2, messages[0].1).expect("the first message checks");
    let first_call = started.elapsed();
    assert_eq!(first.verdict, scams::Verdict::Scam);

    for _ in 0..WARM_UP {
        for (_, channel, text) in &messages {
            std::hint::black_box(scams::check(text, *channel).expect("checks"));
        }
    }
    let mut all = Vec::with_capacity(RUNS * messages.len());
    let mut rows = Vec::new();
    for (name, channel, text) in &messages {
        let mut times = Vec::with_capacity(RUNS);
        let mut verdict = String::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let check = scams::check(text, *channel).expect("checks");
            times.push(start.elapsed());
            if verdict.is_empty() {
                verdict = match check.kind {
                    Some(kind) => format!("{} ({})", check.verdict.slug(), kind.slug()),
                    None => check.verdict.slug().to_owned(),
                };
            }
            std::hint::black_box(check);
        }
        all.extend_from_slice(&times);
        times.sort();
        rows.push((*name, text.chars().count(), verdict, times));
    }
    all.sort();

    let mut section = String::new();
    writeln!(section, "{HEADING}\n").unwrap();
    writeln!(
        section,
        "One call of `scams::check` (read the message, decode an email, fold the text, run the \
         signs' automaton, find the links, ask the word model, weigh), in a release build, on one \
         core of this machine ({}). {RUNS} checks of each message after {WARM_UP} rounds of \
         warm-up. The target (issue 15) is under 10 ms at the 99th percentile for a \
         2,000-character message.\n",
        cpu_model().unwrap_or_else(|| "CPU unknown".to_owned())
    )
    .unwrap();
    writeln!(
        section,
        "The first call of a process also trains the word model on the corpus's development split \
         and compiles the patterns: **{} ms**.\n",
        ms(first_call)
    )
    .unwrap();
    writeln!(
        section,
        "| message | characters pasted | verdict | p50 ms | p90 ms | p99 ms | max ms |"
    )
    .unwrap();
    writeln!(section, "| --- | ---: | --- | ---: | ---: | ---: | ---: |").unwrap();
    for (name, chars, verdict, times) in &rows {
        writeln!(
            section,
            "| {name} | {chars} | {verdict} | {} | {} | {} | {} |",
            ms(percentile(times, 50.0)),
            ms(percentile(times, 90.0)),
            ms(percentile(times, 99.0)),
            ms(*times.last().unwrap())
        )
        .unwrap();
    }
    writeln!(
        section,
        "| **all** | | | **{}** | **{}** | **{}** | **{}** |\n",
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 90.0)),
        ms(percentile(&all, 99.0)),
        ms(*all.last().unwrap())
    )
    .unwrap();
    writeln!(
        section,
        "Reproduce with `cargo run --release --example scam_bench -- --write`."
    )
    .unwrap();
    print!("{section}");

    if write {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/benchmarks.md");
        docs_section::write_section(&path, HEADING, &section).expect("docs/benchmarks.md written");
        eprintln!("wrote {HEADING} in {}", path.display());
    }
}

fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))?
        .trim_start_matches([' ', '\t', ':'])
        .trim();
    (!model.is_empty()).then(|| model.to_owned())
}
