//! Benchmark: streams a postcode file (ONSPD layout, plain or gzipped) through `OnspdReader` and
//! prints how many records and errors it saw and how long it took.
//!
//! `cargo run --release --example onspd_stream -- /work/shared/data/postcodes-gb.csv.gz`

use std::path::PathBuf;
use std::time::Instant;

use beacon::geo::onspd::open_path;

fn main() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("usage: onspd_stream <postcodes.csv[.gz]>"))?;

    let start = Instant::now();
    let mut records = 0u64;
    let mut with_location = 0u64;
    let mut errors = 0u64;
    for item in open_path(&path)? {
        match item {
            Ok(record) => {
                records += 1;
                if record.easting.is_some() {
                    with_location += 1;
                }
            }
            Err(err) => {
                // Show the first few so a systematic problem is visible without flooding.
                if errors < 5 {
                    eprintln!("{err}");
                }
                errors += 1;
            }
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{records} records ({with_location} with a location), {errors} errors in {:.2} s",
        elapsed.as_secs_f64()
    );
    Ok(())
}
