//! Local authority districts and the data bundled into the binary: district names (2021
//! boundaries), the six districts of Cambridgeshire Constabulary's force area, and the postcodes
//! of that area, so a fresh install works without downloading the ONS Postcode Directory.

use flate2::read::GzDecoder;
use serde::Serialize;

use super::onspd::OnspdReader;

/// A lower-tier local authority with its upper-tier (county) authority. Only the code is certain:
/// district codes newer than the bundled 2021 list (2023 reorganisations) have no names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct District {
    pub code: String,
    pub name: Option<String>,
    pub county_code: Option<String>,
    pub county_name: Option<String>,
}

/// Cambridgeshire Constabulary's force area: Cambridge, East Cambridgeshire, Fenland,
/// Huntingdonshire, South Cambridgeshire and Peterborough. Keep in step with
/// `scripts/derive-force-postcodes.py`.
pub const FORCE_DISTRICTS: [&str; 6] = [
    "E07000008",
    "E07000009",
    "E07000010",
    "E07000011",
    "E07000012",
    "E06000031",
];

const BUNDLED_DISTRICTS_CSV: &str = include_str!("../../data/local-authorities-2021.csv");
const BUNDLED_FORCE_POSTCODES_GZ: &[u8] =
    include_bytes!("../../data/cambridgeshire-postcodes.csv.gz");

/// The districts of England and Wales (2021 boundaries) from `data/local-authorities-2021.csv`.
pub fn bundled_districts() -> Vec<District> {
    // The file is compiled in and checked by the tests below, so a failure here is a build
    // defect, not something a user can cause.
    parse_districts(BUNDLED_DISTRICTS_CSV).expect("the bundled district list is valid CSV")
}

/// The postcodes of the force area (and the rest of the CB and PE postcode areas) from
/// `data/cambridgeshire-postcodes.csv.gz`, derived by `scripts/derive-force-postcodes.py`.
pub fn bundled_force_postcodes() -> OnspdReader<GzDecoder<&'static [u8]>> {
    // As above: compiled-in data whose header the tests check.
    OnspdReader::new(GzDecoder::new(BUNDLED_FORCE_POSTCODES_GZ))
        .expect("the bundled force postcodes have a valid header")
}

/// Parses `district_code,district_name,county_code,county_name` rows; empty values become
/// `None`, and rows without a code are skipped.
fn parse_districts(csv_text: &str) -> Result<Vec<District>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut districts = Vec::new();
    for record in reader.records() {
        let record = record?;
        let value = |index: usize| {
            record
                .get(index)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(code) = value(0) else { continue };
        districts.push(District {
            code,
            name: value(1),
            county_code: value(2),
            county_name: value(3),
        });
    }
    Ok(districts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::postcode::Postcode;
    use std::collections::HashSet;

    #[test]
    fn bundled_districts_are_complete() {
        let districts = bundled_districts();
        assert_eq!(districts.len(), 331);
        let south_cambs = districts
            .iter()
            .find(|d| d.code == "E07000012")
            .expect("South Cambridgeshire is listed");
        assert_eq!(
            south_cambs,
            &District {
                code: "E07000012".to_owned(),
                name: Some("South Cambridgeshire".to_owned()),
                county_code: Some("E10000003".to_owned()),
                county_name: Some("Cambridgeshire".to_owned()),
            }
        );
        // Quoted names with commas survive, and the CRLF line ends leave no stray '\r'.
        let hull = districts
            .iter()
            .find(|d| d.code == "E06000010")
            .expect("Hull is listed");
        assert_eq!(hull.name.as_deref(), Some("Kingston upon Hull, City of"));
        assert!(districts
            .iter()
            .all(|d| d.county_name.as_deref().is_some_and(|n| !n.ends_with('\r'))));
    }

    #[test]
    fn every_force_district_is_named() {
        let districts = bundled_districts();
        for code in FORCE_DISTRICTS {
            let district = districts
                .iter()
                .find(|d| d.code == code)
                .unwrap_or_else(|| panic!("{code} is in the bundled list"));
            assert!(district.name.is_some(), "{code}");
        }
    }

    #[test]
    fn parse_districts_turns_empty_values_into_none() {
        let districts = parse_districts(
            "district_code,district_name,county_code,county_name\n\
             E06000099,,,\n\
             ,Nowhere,,\n",
        )
        .expect("valid CSV");
        assert_eq!(
            districts,
            vec![District {
                code: "E06000099".to_owned(),
                name: None,
                county_code: None,
                county_name: None,
            }]
        );
    }

    #[test]
    fn bundled_force_postcodes_cover_the_force_area() {
        let mut count = 0;
        let mut districts_seen = HashSet::new();
        let mut sg8 = None;
        let mut without_location = 0;
        for record in bundled_force_postcodes() {
            let record = record.expect("every bundled row is valid");
            count += 1;
            if let Some(code) = &record.district_code {
                districts_seen.insert(code.clone());
            }
            if record.easting.is_none() {
                without_location += 1;
            }
            if record.postcode.as_str() == "SG8 6DP" {
                sg8 = Some(record);
            }
        }
        assert!(count > 50_000, "only {count} postcodes");
        for code in FORCE_DISTRICTS {
            assert!(districts_seen.contains(code), "no postcodes in {code}");
        }
        // Postcodes outside CB/PE are included when their district is in the force area: SG8 6DP
        // (near Royston) is in South Cambridgeshire.
        let sg8 = sg8.expect("SG8 6DP is bundled");
        assert_eq!(sg8.district_code.as_deref(), Some("E07000012"));
        assert_eq!((sg8.easting, sg8.northing), (Some(537974), Some(243805)));
        // Non-geographic and withdrawn postcodes are kept, without a location.
        assert!(without_location > 0);
    }

    #[test]
    fn bundled_force_postcodes_are_sorted_and_unique() {
        let postcodes: Vec<Postcode> = bundled_force_postcodes()
            .map(|r| r.expect("valid row").postcode)
            .collect();
        assert!(postcodes.windows(2).all(|w| w[0] < w[1]));
    }
}
