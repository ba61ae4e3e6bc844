//! Streaming reader for postcode files in the ONS Postcode Directory (ONSPD) layout: either the
//! full ONSPD CSV (pcd, pcds, doterm, oslaua, oseast1m, ...) or the simple
//! `postcode,district_code,easting,northing` extract, plain or gzipped.
//!
//! Rows are read one at a time into a reused buffer, so the 2.7M-row GB file streams through in
//! seconds without being held in memory. A bad row is reported as an error item and reading goes
//! on, so one broken line does not stop an import.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use csv::ByteRecord;

use crate::domain::postcode::{Postcode, PostcodeError};

/// One postcode from the directory. `district_code` and the coordinates are `None` when the
/// directory has no usable value: non-geographic and withdrawn postcodes, the Channel Islands and
/// Isle of Man, and Northern Ireland (see [`OnspdReader`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeRecord {
    pub postcode: Postcode,
    /// Local authority district (GSS code such as "E07000012"), as of the directory's edition.
    pub district_code: Option<String>,
    /// British National Grid (OSGB36) metres of the postcode centroid.
    pub easting: Option<i32>,
    pub northing: Option<i32>,
    /// The postcode has a termination date: Royal Mail no longer uses it.
    pub terminated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OnspdError {
    #[error("the postcode file has no {column} column; its header is: {found}")]
    MissingColumn { column: &'static str, found: String },
    #[error("line {line} of the postcode file: {reason}")]
    Row { line: u64, reason: String },
    #[error("could not read the postcode file: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not read the postcode file as CSV: {0}")]
    Csv(#[from] csv::Error),
}

// Header names, in order of preference, case-insensitive. ONSPD has all of pcd (7-character
// fixed width), pcd2 (8-character) and pcds (variable): any of them normalises the same way, and
// pcds is preferred as the most readable in error messages. The district column is named after
// the boundary year in recent editions (lad25cd, ...) and oslaua/laua in older ones.
const POSTCODE_COLUMNS: &[&str] = &["postcode", "pcds", "pcd", "pcd2"];
const DISTRICT_COLUMNS: &[&str] = &[
    "district_code",
    "oslaua",
    "lad25cd",
    "lad24cd",
    "lad23cd",
    "lad22cd",
    "lad21cd",
    "laua",
];
const EASTING_COLUMNS: &[&str] = &["easting", "oseast1m"];
const NORTHING_COLUMNS: &[&str] = &["northing", "osnrth1m"];
const TERMINATED_COLUMNS: &[&str] = &["doterm"];
/// ONSPD's positional quality indicator: 9 means "no grid reference available".
const GRID_QUALITY_COLUMNS: &[&str] = &["osgrdind"];

/// ONSPD fills the district of postcodes outside any GB local authority (Channel Islands,
/// Isle of Man, non-geographic) with a country letter and this suffix, e.g. "L99999999".
const PLACEHOLDER_SUFFIX: &[u8] = b"99999999";
const NO_GRID_REFERENCE: &[u8] = b"9";

/// How much of a header or value to quote in an error, so a binary file read by mistake does not
/// produce a megabyte-long message.
const MAX_QUOTED_CHARS: usize = 200;

/// Where each column we use sits in a row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    postcode: usize,
    district: usize,
    easting: usize,
    northing: usize,
    terminated: Option<usize>,
    grid_quality: Option<usize>,
    /// Fewest fields a row needs for the required columns to be present.
    min_fields: usize,
}

/// Reads [`PostcodeRecord`]s from a CSV in the ONSPD layout.
///
/// Northern Ireland (BT) postcodes are given no coordinates: the ONSPD gives their centroids on
/// the Irish Grid, not the British National Grid, and read as BNG they would land in north-west
/// England (BT1 1AA would sit on the Wirral), where a circle alert could wrongly pick them up.
pub struct OnspdReader<R: Read> {
    reader: csv::Reader<LineCounter<R>>,
    columns: Columns,
    record: ByteRecord,
    /// Set after an I/O or CSV-level error: the underlying stream cannot be trusted to go on, and
    /// retrying could repeat the same error forever.
    done: bool,
}

impl<R: Read> OnspdReader<R> {
    /// Reads and checks the header line.
    pub fn new(reader: R) -> Result<Self, OnspdError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            // Short rows are reported per row (below) instead of failing the whole stream.
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(LineCounter::new(reader));
        let columns = find_columns(reader.byte_headers()?)?;
        Ok(OnspdReader {
            reader,
            columns,
            record: ByteRecord::new(),
            done: false,
        })
    }

    /// The 1-based line on which the record just read starts, counting the header as line 1.
    ///
    /// csv's own `Position::line` is off by one in CRLF files (like the ONS extracts) and after
    /// blank lines (rust-csv issues #395 and #208), so count newlines ourselves: the reader's byte
    /// position is just past the record's terminator (or at the end of the data), which puts the
    /// record's last line at the byte before; quoted newlines inside the record lead back to its
    /// first line.
    fn current_line(&mut self) -> u64 {
        let end = self.reader.position().byte();
        let last_line = self.reader.get_mut().line_of(end.saturating_sub(1));
        let quoted_newlines = self
            .record
            .as_slice()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        last_line.saturating_sub(quoted_newlines as u64)
    }

    fn parse_record(&self, line: u64) -> Result<PostcodeRecord, OnspdError> {
        let record = &self.record;
        let columns = &self.columns;
        let row_error = |reason: String| OnspdError::Row { line, reason };

        if record.len() < columns.min_fields {
            return Err(row_error(format!(
                "the row has {} fields but the header needs at least {}",
                record.len(),
                columns.min_fields
            )));
        }
        let field = |index: usize| record.get(index).unwrap_or_default().trim_ascii();

        let postcode = parse_postcode(field(columns.postcode)).map_err(row_error)?;

        let district = field(columns.district);
        let district_code = if district.is_empty() || district.ends_with(PLACEHOLDER_SUFFIX) {
            None
        } else {
            let text = std::str::from_utf8(district)
                .map_err(|_| row_error("the district code is not valid text".to_owned()))?;
            Some(text.to_owned())
        };

        let easting = parse_coordinate(field(columns.easting))
            .map_err(|value| row_error(format!("the easting {value} is not a whole number")))?;
        let northing = parse_coordinate(field(columns.northing))
            .map_err(|value| row_error(format!("the northing {value} is not a whole number")))?;
        let no_grid_reference = columns
            .grid_quality
            .is_some_and(|index| field(index) == NO_GRID_REFERENCE);
        // A position needs both halves; a lone easting is as good as none.
        let (easting, northing) = match (easting, northing) {
            (Some(e), Some(n)) if !no_grid_reference && !is_irish_grid(&postcode) => {
                (Some(e), Some(n))
            }
            _ => (None, None),
        };

        let terminated = columns
            .terminated
            .is_some_and(|index| !field(index).is_empty());

        Ok(PostcodeRecord {
            postcode,
            district_code,
            easting,
            northing,
            terminated,
        })
    }
}

impl<R: Read> Iterator for OnspdReader<R> {
    type Item = Result<PostcodeRecord, OnspdError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {
                let line = self.current_line();
                Some(self.parse_record(line))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(err) => {
                self.done = true;
                Some(Err(err.into()))
            }
        }
    }
}

/// Passes bytes through from the file to the CSV parser, noting where the newlines are so that a
/// record's line number can be worked out from its byte offset.
struct LineCounter<R> {
    inner: R,
    /// Bytes passed through so far.
    offset: u64,
    /// Offsets of newlines passed through but not yet behind a queried offset, oldest first. The
    /// parser reads at most a buffer ahead, so this holds a few thousand entries at most.
    pending: VecDeque<u64>,
    /// Newlines before the last queried offset.
    passed: u64,
}

impl<R> LineCounter<R> {
    fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            passed: 0,
        }
    }

    /// The 1-based line holding the byte at `offset`. Offsets must not go backwards between calls,
    /// which holds because the parser only moves forward.
    fn line_of(&mut self, offset: u64) -> u64 {
        while self
            .pending
            .front()
            .is_some_and(|&newline| newline < offset)
        {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let start = self.offset;
        self.pending.extend(
            buf[..n]
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| start + i as u64),
        );
        self.offset += n as u64;
        Ok(n)
    }
}

/// Opens a postcode file, gunzipping it when the name ends in `.gz` or the content starts with
/// the gzip magic bytes (a downloaded file is not always named for what it is).
pub fn open_path(path: &Path) -> Result<OnspdReader<Box<dyn Read + Send>>, OnspdError> {
    from_reader(File::open(path)?, path)
}

/// Reads postcode records from any byte stream (a file behind a progress bar, say), gunzipping
/// as `open_path` does; `name` is the file's name, for its extension.
pub fn from_reader(
    input: impl Read + Send + 'static,
    name: &Path,
) -> Result<OnspdReader<Box<dyn Read + Send>>, OnspdError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let named_gz = name
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gz"));
    let gzip_magic = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read + Send> = if named_gz || gzip_magic {
        // Multi-member so files joined with `cat a.gz b.gz` or written by pigz read in full.
        Box::new(flate2::bufread::MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    OnspdReader::new(reader)
}

fn find_columns(header: &ByteRecord) -> Result<Columns, OnspdError> {
    let names: Vec<Vec<u8>> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // Files saved by spreadsheet tools often begin with a UTF-8 byte order mark.
            let name = if i == 0 {
                name.strip_prefix(b"\xef\xbb\xbf").unwrap_or(name)
            } else {
                name
            };
            name.trim_ascii().to_ascii_lowercase()
        })
        .collect();
    let find = |candidates: &[&str]| {
        candidates
            .iter()
            .find_map(|c| names.iter().position(|n| n == c.as_bytes()))
    };
    let require = |candidates: &[&str], column: &'static str| {
        find(candidates).ok_or_else(|| OnspdError::MissingColumn {
            column,
            found: quote_header(header),
        })
    };

    let postcode = require(POSTCODE_COLUMNS, "postcode (postcode, pcds, pcd or pcd2)")?;
    let district = require(
        DISTRICT_COLUMNS,
        "district (district_code, oslaua, lad25cd, lad24cd, lad23cd, lad22cd, lad21cd or laua)",
    )?;
    let easting = require(EASTING_COLUMNS, "easting (easting or oseast1m)")?;
    let northing = require(NORTHING_COLUMNS, "northing (northing or osnrth1m)")?;
    let min_fields = 1 + postcode.max(district).max(easting).max(northing);
    Ok(Columns {
        postcode,
        district,
        easting,
        northing,
        terminated: find(TERMINATED_COLUMNS),
        grid_quality: find(GRID_QUALITY_COLUMNS),
        min_fields,
    })
}

fn parse_postcode(raw: &[u8]) -> Result<Postcode, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the postcode is not valid text".to_owned())?;
    Postcode::parse(text).map_err(|err| match err {
        PostcodeError::Empty => "the postcode is empty".to_owned(),
        PostcodeError::TooLong | PostcodeError::Malformed(_) => {
            format!("{} is not a valid postcode", quote(raw))
        }
    })
}

/// An empty value is "no coordinate"; anything else must be an integer (ONSPD zero-pads some
/// northings, e.g. "0801193", which parses fine). On failure, returns the quoted value.
fn parse_coordinate(raw: &[u8]) -> Result<Option<i32>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    std::str::from_utf8(raw)
        .ok()
        .and_then(|text| text.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| quote(raw))
}

/// Northern Ireland's postcode area is BT, and only BT.
fn is_irish_grid(postcode: &Postcode) -> bool {
    postcode.as_str().starts_with("BT")
}

/// A value for an error message: lossily decoded, capped, and in quotes.
fn quote(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut quoted: String = text.chars().take(MAX_QUOTED_CHARS).collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        quoted.push('…');
    }
    format!("“{quoted}”")
}

fn quote_header(header: &ByteRecord) -> String {
    let joined = header
        .iter()
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(",");
    quote(joined.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(csv: &str) -> Vec<Result<PostcodeRecord, OnspdError>> {
        OnspdReader::new(csv.as_bytes())
            .expect("header is valid")
            .collect()
    }

    fn ok_records(csv: &str) -> Vec<PostcodeRecord> {
        read_all(csv)
            .into_iter()
            .map(|r| r.expect("row is valid"))
            .collect()
    }

    fn pc(s: &str) -> Postcode {
        Postcode::parse(s).expect("valid test postcode")
    }

    #[test]
    fn reads_the_simple_layout() {
        let records = ok_records(
            "postcode,district_code,easting,northing\n\
             CB1 1PT,E07000008,545968,258276\n\
             PE291AA,E07000011,524708,273183\n\
             GY1 1AA,L99999999,,\n\
             SG8 6DP,E07000012,537974,243805\n\
             ZZ9 9ZZ,,,\n",
        );
        assert_eq!(
            records,
            vec![
                PostcodeRecord {
                    postcode: pc("CB1 1PT"),
                    district_code: Some("E07000008".to_owned()),
                    easting: Some(545968),
                    northing: Some(258276),
                    terminated: false,
                },
                PostcodeRecord {
                    postcode: pc("PE29 1AA"),
                    district_code: Some("E07000011".to_owned()),
                    easting: Some(524708),
                    northing: Some(273183),
                    terminated: false,
                },
                PostcodeRecord {
                    postcode: pc("GY1 1AA"),
                    district_code: None,
                    easting: None,
                    northing: None,
                    terminated: false,
                },
                PostcodeRecord {
                    postcode: pc("SG8 6DP"),
                    district_code: Some("E07000012".to_owned()),
                    easting: Some(537974),
                    northing: Some(243805),
                    terminated: false,
                },
                PostcodeRecord {
                    postcode: pc("ZZ9 9ZZ"),
                    district_code: None,
                    easting: None,
                    northing: None,
                    terminated: false,
                },
            ]
        );
    }

    /// A cut-down ONSPD extract: the real column order, with columns we do not use in between.
    const ONSPD_LIKE: &str = "\
pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,ctry\r
CB1 1PT,CB1  1PT,CB1 1PT,198001,,E10000003,E58000100,E07000008,E05013050,E43000042,0,545968,0258276,1,E92000001\r
AB1 0AA,AB1  0AA,AB1 0AA,198001,199606,S99999999,S99999999,S12000033,S13002843,S99999999,0,385386,0801193,1,S92000003\r
IM1 1AA,IM1  1AA,IM1 1AA,198001,,M99999999,M99999999,M99999999,M99999999,M99999999,0,,,9,M83000003\r
PE1 1XX,PE1  1XX,PE1 1XX,200212,202001,E99999999,E99999999,E06000031,E05010812,E43000016,1,519468,298572,9,E92000001\r
BT1 1AA,BT1  1AA,BT1 1AA,198001,,N99999999,N99999999,N09000003,N08000312,N99999999,0,334316,374675,1,N92000002\r
";

    #[test]
    fn reads_the_onspd_layout() {
        let records = ok_records(ONSPD_LIKE);
        assert_eq!(records.len(), 5);

        assert_eq!(records[0].postcode, pc("CB1 1PT"));
        assert_eq!(records[0].district_code.as_deref(), Some("E07000008"));
        assert_eq!(
            (records[0].easting, records[0].northing),
            (Some(545968), Some(258276))
        );
        assert!(!records[0].terminated);

        // A non-empty doterm means terminated; zero-padded northings are fine.
        assert_eq!(records[1].postcode, pc("AB1 0AA"));
        assert!(records[1].terminated);
        assert_eq!(records[1].northing, Some(801193));

        // Placeholder district and no location.
        assert_eq!(records[2].postcode, pc("IM1 1AA"));
        assert_eq!(records[2].district_code, None);
        assert_eq!((records[2].easting, records[2].northing), (None, None));

        // Grid quality 9 ("no grid reference") discards the coordinates it came with.
        assert_eq!(records[3].postcode, pc("PE1 1XX"));
        assert!(records[3].terminated);
        assert_eq!(records[3].district_code.as_deref(), Some("E06000031"));
        assert_eq!((records[3].easting, records[3].northing), (None, None));

        // Northern Ireland keeps its district but its Irish Grid coordinates are not BNG.
        assert_eq!(records[4].district_code.as_deref(), Some("N09000003"));
        assert_eq!((records[4].easting, records[4].northing), (None, None));
    }

    #[test]
    fn prefers_pcds_and_matches_headers_case_insensitively() {
        let records = ok_records(
            "\u{feff}PCD,PCDS,LAD23CD,OSEAST1M,OSNRTH1M\n\
             \"AB1 0AA\",\"AB1 0AB\",S12000033,385386,801193\n",
        );
        assert_eq!(records[0].postcode, pc("AB1 0AB"));
        assert_eq!(records[0].district_code.as_deref(), Some("S12000033"));
        assert!(!records[0].terminated, "no doterm column means live");
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_reading_goes_on() {
        let results = read_all(
            "postcode,district_code,easting,northing\n\
             CB1 1PT,E07000008,545968,258276\n\
             <script>,E07000008,1,2\n\
             CB2 1TN,E07000008,54x,258000\n\
             CB2 1TP,E07000008,545000,\n\
             CB3 0AA,E07000008\n\
             ,E07000008,1,2\n\
             NPT 0AD,W06000022,331400,188200\n\
             CB4 1AA,E07000008,546000,260000\n",
        );
        let summary: Vec<Result<String, (u64, String)>> = results
            .into_iter()
            .map(|r| match r {
                Ok(rec) => Ok(rec.postcode.to_string()),
                Err(OnspdError::Row { line, reason }) => Err((line, reason)),
                Err(other) => panic!("unexpected error {other:?}"),
            })
            .collect();
        assert_eq!(summary.len(), 8);
        assert_eq!(summary[0], Ok("CB1 1PT".to_owned()));
        assert_eq!(
            summary[1],
            Err((3, "“<script>” is not a valid postcode".to_owned()))
        );
        assert_eq!(
            summary[2],
            Err((4, "the easting “54x” is not a whole number".to_owned()))
        );
        // A lone coordinate is not an error, just no location.
        assert_eq!(summary[3], Ok("CB2 1TP".to_owned()));
        assert!(matches!(&summary[4], Err((6, reason)) if reason.contains("fields")));
        assert_eq!(summary[5], Err((7, "the postcode is empty".to_owned())));
        assert!(matches!(&summary[6], Err((8, _))));
        assert_eq!(summary[7], Ok("CB4 1AA".to_owned()));
    }

    /// Lines of the error rows in `csv`, whose bad rows all have the postcode "BAD".
    fn error_lines(csv: &str) -> Vec<u64> {
        read_all(csv)
            .into_iter()
            .filter_map(|r| match r {
                Err(OnspdError::Row { line, .. }) => Some(line),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn line_numbers_are_exact_whatever_the_line_endings() {
        let header = "postcode,district_code,easting,northing";
        let good = "CB1 1PT,E07000008,545968,258276";
        let bad = "BAD,E07000008,1,2";
        for eol in ["\n", "\r\n"] {
            let csv = [header, good, bad, good, bad].join(eol) + eol;
            assert_eq!(error_lines(&csv), vec![3, 5], "{eol:?}");
            // The last row may lack its line end.
            let csv = [header, good, bad, good, bad].join(eol);
            assert_eq!(
                error_lines(&csv),
                vec![3, 5],
                "{eol:?} without a final line end"
            );
            // Blank lines are skipped but still counted.
            let csv = [header, "", good, "", "", bad, good, bad].join(eol) + eol;
            assert_eq!(error_lines(&csv), vec![6, 8], "{eol:?} with blank lines");
        }
        // A quoted field spanning lines: the row is reported at the line where it starts.
        let csv = format!(
            "{header}\n\"CB1\n1PT\",E07000008,1,2\n{bad}\n\"BAD\r\n\",E07000008,1,2\n{bad}\n"
        );
        assert_eq!(error_lines(&csv), vec![4, 5, 7]);
    }

    #[test]
    fn line_numbers_stay_right_across_read_buffers() {
        // Far more rows than one 64 KB read holds, with bad rows spread through.
        let mut csv = String::from("postcode,district_code,easting,northing\r\n");
        let mut expected = Vec::new();
        for line in 2..=50_000u64 {
            if line % 9_973 == 0 {
                csv.push_str("BAD,E07000008,1,2\r\n");
                expected.push(line);
            } else {
                csv.push_str("CB1 1PT,E07000008,545968,258276\r\n");
            }
        }
        assert_eq!(error_lines(&csv), expected);
    }

    #[test]
    fn row_error_message_names_the_line() {
        let err = read_all("postcode,district_code,easting,northing\nX,E1,1,2\n")
            .pop()
            .expect("one item")
            .expect_err("bad postcode");
        assert_eq!(
            err.to_string(),
            "line 2 of the postcode file: “X” is not a valid postcode"
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let err = OnspdReader::new("pcd,oslaua,oseast1m\nCB1 1PT,E07000008,1\n".as_bytes())
            .err()
            .expect("no northing column");
        match err {
            OnspdError::MissingColumn { column, found } => {
                assert!(column.starts_with("northing"), "{column}");
                assert_eq!(found, "“pcd,oslaua,oseast1m”");
            }
            other => panic!("expected MissingColumn, got {other:?}"),
        }
        assert!(matches!(
            OnspdReader::new("".as_bytes()),
            Err(OnspdError::MissingColumn { .. })
        ));
        assert!(matches!(
            OnspdReader::new("district_code,easting,northing\n".as_bytes()),
            Err(OnspdError::MissingColumn { column, .. }) if column.starts_with("postcode")
        ));
    }

    #[test]
    fn header_only_file_has_no_records() {
        assert!(read_all("postcode,district_code,easting,northing\n").is_empty());
    }

    #[test]
    fn open_path_reads_plain_and_gzipped_files() {
        let csv = "postcode,district_code,easting,northing\nCB1 1PT,E07000008,545968,258276\n";
        let dir = tempfile::tempdir().expect("temp dir");

        let plain = dir.path().join("plain.csv");
        std::fs::write(&plain, csv).expect("write");

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(csv.as_bytes()).expect("compress");
        let gz = gz.finish().expect("compress");
        let named = dir.path().join("named.csv.gz");
        std::fs::write(&named, &gz).expect("write");
        // Gzipped content without the .gz name is recognised by its magic bytes.
        let unnamed = dir.path().join("download.csv");
        std::fs::write(&unnamed, &gz).expect("write");

        for path in [plain, named, unnamed] {
            let records: Vec<_> = open_path(&path)
                .expect("opens")
                .collect::<Result<_, _>>()
                .expect("valid rows");
            assert_eq!(records.len(), 1, "{}", path.display());
            assert_eq!(records[0].postcode, pc("CB1 1PT"));
        }

        let missing = dir.path().join("missing.csv");
        assert!(matches!(open_path(&missing), Err(OnspdError::Io(_))));
    }

    #[test]
    fn corrupt_gzip_yields_one_error_and_stops() {
        let csv = "postcode,district_code,easting,northing\n".to_owned()
            + &"CB1 1PT,E07000008,545968,258276\n".repeat(10_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(csv.as_bytes()).expect("compress");
        let mut gz = gz.finish().expect("compress");
        // Cut the stream short so the failure happens mid-file, after the header.
        let len = gz.len();
        gz.truncate(len / 2);
        let reader =
            OnspdReader::new(flate2::read::GzDecoder::new(gz.as_slice())).expect("header reads");
        let results: Vec<_> = reader.collect();
        let errors = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(errors, 1, "one error, then the iterator ends");
        assert!(results.last().is_some_and(|r| r.is_err()));
    }
}
