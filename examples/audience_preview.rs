//! Benchmark: how long the composer's audience preview takes for 1,000,000 residents at postcodes
//! sampled from the GB postcode file, for a district, a 5 km circle, a drawn polygon, the whole
//! force area and a 50 km circle. Prints the figures and writes them to `docs/benchmarks.md`
//! between the `audience-preview` markers, leaving the other sections alone.
//!
//! `cargo run --release --example audience_preview [-- <postcodes.csv.gz> [<benchmarks.md>]]`
//! (defaults: `../shared/data/postcodes-gb.csv.gz` beside the crate, and the crate's
//! `docs/benchmarks.md`). The random choices come from a fixed seed, so runs on the same file are
//! comparable.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use flate2::bufread::MultiGzDecoder;

use beacon::geo::audience::{AudienceEntry, AudienceIndex, AudienceQuery};
use beacon::geo::map::preview_svg;
use beacon::geo::onspd::OnspdReader;
use beacon::geo::target::{AreaTarget, Shape};

const RESIDENTS: i64 = 1_000_000;
const SEED: u64 = 0x00be_ac01_2026;
const RUNS: usize = 20;
const GOAL_MS: f64 = 200.0;

// The alert being previewed: the police (provider 1), message type 1, priority 2.
const PROVIDERS: i64 = 6;
const MESSAGE_TYPES: i64 = 12;
const QUERY_PROVIDER: i64 = 1;
const QUERY_MESSAGE_TYPE: i64 = 1;
const QUERY_PRIORITY: u8 = 2;

const DOCS_START: &str = "<!-- audience-preview:start -->";
const DOCS_END: &str = "<!-- audience-preview:end -->";

fn main() -> anyhow::Result<()> {
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let postcode_path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_root.join("../shared/data/postcodes-gb.csv.gz"));

    let started = Instant::now();
    let postcodes = Postcodes::read(&postcode_path)?;
    println!(
        "read {} postcodes with a district and position ({} rows skipped) in {:.1} s",
        postcodes.places.len(),
        postcodes.skipped,
        started.elapsed().as_secs_f64()
    );

    let entries = residents(&postcodes);
    let places = entries.len();
    let started = Instant::now();
    let index = AudienceIndex::build(entries).context("building the audience index")?;
    let build_time = started.elapsed();
    let memory_mib = index.heap_bytes() as f64 / (1024.0 * 1024.0);
    println!(
        "built the index of {} residents, {} places in {:.2} s; about {memory_mib:.0} MiB",
        index.len(),
        places,
        build_time.as_secs_f64()
    );

    let mut rows = Vec::new();
    for (name, target) in targets() {
        let prepared = target.prepare();
        let query = AudienceQuery {
            target: &prepared,
            provider_id: QUERY_PROVIDER,
            message_type_id: QUERY_MESSAGE_TYPE,
            priority: QUERY_PRIORITY,
            map_squares: true,
            members: None,
        };
        let warm_up = index.preview(&query);
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                // black_box keeps the optimiser from dropping the work.
                std::hint::black_box(index.preview(&query));
                started.elapsed()
            })
            .collect();
        times.sort();
        let started = Instant::now();
        let svg = preview_svg(&target, &warm_up, 640);
        let map_time = started.elapsed();
        let row = Row {
            name,
            residents: warm_up.residents,
            emails: warm_up.emails,
            texts: warm_up.texts,
            districts: warm_up.by_district.len(),
            points: warm_up.squares.len(),
            p50: percentile(&times, 0.50),
            p99: percentile(&times, 0.99),
            max: times.last().copied().unwrap_or_default(),
            svg_kib: svg.len() as f64 / 1024.0,
            svg_ms: ms(map_time),
        };
        println!(
            "{:<44} {:>7} residents {:>7} emails {:>6} texts | p50 {:6.1} ms  p99 {:6.1} ms  max {:6.1} ms | map {} squares, {:.0} KiB in {:.1} ms",
            row.name, row.residents, row.emails, row.texts, row.p50, row.p99, row.max.as_secs_f64() * 1000.0, row.points, row.svg_kib, row.svg_ms
        );
        rows.push(row);
    }

    let section = report(&rows, places, build_time, memory_mib);
    let docs = std::env::args_os()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_root.join("docs/benchmarks.md"));
    write_section(&docs, &section).with_context(|| format!("writing {}", docs.display()))?;
    println!("wrote the figures to {}", docs.display());
    Ok(())
}

/// The postcodes with a district and a position, districts interned.
struct Postcodes {
    districts: Vec<String>,
    /// (district, easting, northing), in file order: alphabetical, so neighbours in the list are
    /// mostly neighbours on the ground.
    places: Vec<(u16, i32, i32)>,
    skipped: u64,
}

impl Postcodes {
    fn read(path: &Path) -> anyhow::Result<Postcodes> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        // Multi-member, as `beacon import-postcodes` reads it, in case the file was written by
        // pigz or joined with cat; a single-member file reads the same.
        let reader = OnspdReader::new(MultiGzDecoder::new(BufReader::new(file)))?;
        let mut postcodes = Postcodes {
            districts: Vec::new(),
            places: Vec::new(),
            skipped: 0,
        };
        let mut district_ids: HashMap<String, u16> = HashMap::new();
        for record in reader {
            let Ok(record) = record else {
                postcodes.skipped += 1;
                continue;
            };
            let (Some(district), Some(easting), Some(northing)) =
                (record.district_code, record.easting, record.northing)
            else {
                postcodes.skipped += 1;
                continue;
            };
            let next_id = postcodes.districts.len();
            let id = match district_ids.get(&district) {
                Some(&id) => id,
                None => {
                    let id = u16::try_from(next_id).context("more than 65,536 districts")?;
                    postcodes.districts.push(district.clone());
                    district_ids.insert(district, id);
                    id
                }
            };
            postcodes.places.push((id, easting, northing));
        }
        anyhow::ensure!(
            !postcodes.places.is_empty(),
            "{} has no postcodes with a district and position",
            path.display()
        );
        Ok(postcodes)
    }
}

/// SplitMix64: tiny, fast and good enough to sample test data; fixed seed, so fixed data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0), by multiply-shift: no modulo bias worth the name at these sizes.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    fn chance(&mut self, probability: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < probability
    }
}

/// A million residents, in id order as the store would return them: each at a uniformly sampled
/// postcode; 15% with a second place and 5% with a second and a third, half of those near the
/// first (a postcode close by in the alphabetical list) and half anywhere. Most choose most
/// providers and message types; 30% take texts.
fn residents(postcodes: &Postcodes) -> Vec<AudienceEntry> {
    let mut rng = SplitMix64(SEED);
    let count = postcodes.places.len();
    let mut entries = Vec::with_capacity(RESIDENTS as usize * 5 / 4);
    for subscriber_id in 1..=RESIDENTS {
        let providers: Vec<i64> = (1..=PROVIDERS)
            .filter(|&id| rng.chance(if id == QUERY_PROVIDER { 0.95 } else { 0.7 }))
            .collect();
        let message_types: Vec<i64> = (1..=MESSAGE_TYPES).filter(|_| rng.chance(0.8)).collect();
        let sms = rng.chance(0.3);
        let email = !sms || rng.chance(0.8);
        let sms_min_priority = 1 + rng.below(5) as u8;

        let first = rng.below(count);
        let mut place_indices = vec![first];
        let extra_places = match rng.below(100) {
            0..=4 => 2,
            5..=19 => 1,
            _ => 0,
        };
        for _ in 0..extra_places {
            let place = if rng.chance(0.5) {
                let offset = rng.below(2_001) as isize - 1_000;
                first.saturating_add_signed(offset).min(count - 1)
            } else {
                rng.below(count)
            };
            place_indices.push(place);
        }
        for place in place_indices {
            let (district, easting, northing) = postcodes.places[place];
            entries.push(AudienceEntry {
                subscriber_id,
                district_code: postcodes.districts[usize::from(district)].clone(),
                easting,
                northing,
                providers: providers.clone(),
                message_types: message_types.clone(),
                email,
                sms,
                sms_min_priority,
            });
        }
    }
    entries
}

fn targets() -> Vec<(&'static str, AreaTarget)> {
    let only = |shape: Shape| AreaTarget {
        include: vec![shape],
        exclude: vec![],
    };
    // A twelve-sided ring about 8 km across around Cambridge, its radius alternating so it is
    // not a regular polygon the test could shortcut.
    let cambridge: Vec<[f64; 2]> = (0..12)
        .map(|i| {
            let angle = f64::from(i) * std::f64::consts::TAU / 12.0;
            let radius = if i % 2 == 0 { 4_200.0 } else { 3_700.0 };
            [
                545_500.0 + radius * angle.cos(),
                258_500.0 + radius * angle.sin(),
            ]
        })
        .collect();
    vec![
        (
            "(a) district E07000012 South Cambridgeshire",
            only(Shape::Districts {
                codes: vec!["E07000012".to_owned()],
            }),
        ),
        (
            "(b) 5 km circle around Melbourn",
            only(Shape::Circle {
                easting: 537_500.0,
                northing: 244_500.0,
                radius_m: 5_000.0,
                label: "Melbourn".to_owned(),
            }),
        ),
        (
            "(c) 12-vertex polygon around Cambridge",
            only(Shape::Polygon {
                rings: vec![cambridge],
            }),
        ),
        ("(d) the whole force area", only(Shape::ForceArea)),
        (
            "(e) 50 km circle around Birmingham",
            only(Shape::Circle {
                easting: 407_000.0,
                northing: 287_000.0,
                radius_m: 50_000.0,
                label: "Birmingham".to_owned(),
            }),
        ),
    ]
}

struct Row {
    name: &'static str,
    residents: u64,
    emails: u64,
    texts: u64,
    districts: usize,
    points: usize,
    p50: f64,
    p99: f64,
    max: Duration,
    svg_kib: f64,
    svg_ms: f64,
}

/// Nearest-rank percentile of sorted times, in milliseconds; of 20 runs, p99 is the slowest.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().map(ms).unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(rows: &[Row], places: usize, build_time: Duration, memory_mib: f64) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = total_memory_gib().map_or_else(
        || "unknown memory".to_owned(),
        |gib| format!("{gib:.0} GiB"),
    );
    let cpu = cpu_model().map(|m| format!(" ({m})")).unwrap_or_default();
    // Other work on the machine slows a single-threaded scan directly: say how busy it was.
    let load = load_average()
        .map(|load| format!(", load average {load} while it ran"))
        .unwrap_or_default();
    let slowest = rows.iter().map(|r| r.max).max().unwrap_or_default();
    let verdict = if ms(slowest) < GOAL_MS {
        "every run met it"
    } else {
        "NOT MET by at least one run"
    };

    let mut out = String::new();
    out.push_str(DOCS_START);
    out.push_str("\n## Audience preview for 1,000,000 residents\n\n");
    out.push_str(&wrap(&format!(
        "`cargo run --release --example audience_preview` — builds an `AudienceIndex` of \
         1,000,000 residents ({} places: 20% have two or more, 5% three) at postcodes sampled \
         uniformly from `../shared/data/postcodes-gb.csv.gz`, with random provider and \
         message-type choices (fixed seed), then times `AudienceIndex::preview` for a police \
         alert of type 1 at priority 2, {RUNS} runs per target after a warm-up, on one thread. \
         Goal: under {GOAL_MS:.0} ms; {verdict}. Measured {} on {cores} cores{cpu}, {memory}{load}.",
        thousands(places as u64),
        chrono::Local::now().format("%Y-%m-%d"),
    )));
    out.push_str(&format!(
        "\n\nIndex build: {:.2} s; memory about {memory_mib:.0} MiB.\n\n",
        build_time.as_secs_f64()
    ));
    out.push_str(
        "| target | residents | emails | texts | districts | p50 | p99 | max | map (SVG) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} squares, {:.0} KiB, {:.1} ms |\n",
            row.name,
            thousands(row.residents),
            thousands(row.emails),
            thousands(row.texts),
            row.districts,
            row.p50,
            row.p99,
            ms(row.max),
            thousands(row.points as u64),
            row.svg_kib,
            row.svg_ms,
        ));
    }
    out.push('\n');
    out.push_str(&wrap(&format!(
        "With {RUNS} runs the p99 is the slowest run. Each preview scans every resident (a \
         bitmask test on provider and type, then the target test on each of their places until \
         one matches) and counts its residents per 1 km square for the map (the squares with 5 \
         or more are shown); the last \
         column is `preview_svg` drawing them 640 pixels wide."
    )));
    out.push('\n');
    out.push_str(DOCS_END);
    out.push('\n');
    out
}

/// Replaces the section between the markers, or appends it, keeping everything else.
fn write_section(path: &Path, section: &str) -> std::io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => "# Benchmarks\n".to_owned(),
        Err(err) => return Err(err),
    };
    let updated = match (existing.find(DOCS_START), existing.find(DOCS_END)) {
        (Some(start), Some(end)) if start < end => {
            let mut after = end + DOCS_END.len();
            // The section ends with its own newline.
            if existing[after..].starts_with('\n') {
                after += 1;
            }
            format!("{}{section}{}", &existing[..start], &existing[after..])
        }
        _ => {
            let separator = if existing.ends_with("\n\n") {
                ""
            } else if existing.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{existing}{separator}{section}")
        }
    };
    // Write beside and rename, so a reader never sees half a file.
    let temporary = path.with_extension("md.audience-preview.tmp");
    std::fs::write(&temporary, updated)?;
    std::fs::rename(&temporary, path)
}

fn total_memory_gib() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: f64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / (1024.0 * 1024.0))
}

/// The one-minute load average from `/proc/loadavg`.
fn load_average() -> Option<String> {
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    loadavg.split_whitespace().next().map(str::to_owned)
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

/// Wraps prose at 100 columns, as the rest of `docs/benchmarks.md` is.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line_length = 0;
    for word in text.split_whitespace() {
        let word_length = word.chars().count();
        if line_length > 0 && line_length + 1 + word_length > 100 {
            out.push('\n');
            line_length = 0;
        } else if line_length > 0 {
            out.push(' ');
            line_length += 1;
        }
        out.push_str(word);
        line_length += word_length;
    }
    out
}
