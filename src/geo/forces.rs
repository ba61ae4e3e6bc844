//! The UK's postcode areas, and which police force to look to for one, for a resident whose
//! postcode is outside the area an install covers. Only areas that lie wholly within one force are listed: many
//! areas cross force boundaries (`CB`, `PE`, `SG`, `B`, `L`…), and for those no force is named
//! rather than a wrong one.

/// Every postcode area in the ONS Postcode Directory (`../shared/data/postcodes-gb.csv.gz`): the
/// 121 of the UK and those of Guernsey, Jersey and the Isle of Man. `ZZ` (the NHS's pseudo
/// postcodes) is not one.
const POSTCODE_AREAS: [&str; 124] = [
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF", "CH",
    "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
    "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR", "HS",
    "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL",
    "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX",
    "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL", "SM",
    "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW",
    "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
];

/// Whether `area` (the letters of an outward code) is a real postcode area.
pub fn is_postcode_area(area: &str) -> bool {
    POSTCODE_AREAS.contains(&area)
}

/// (postcode areas, the force that polices all of them).
const FORCES: &[(&[&str], &str)] = &[
    (
        &[
            "AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "ZE",
        ],
        "Police Scotland",
    ),
    (&["BT"], "the Police Service of Northern Ireland"),
    (
        &["E", "N", "NW", "SE", "SW", "W", "WC"],
        "the Metropolitan Police",
    ),
    (&["M"], "Greater Manchester Police"),
    (&["PL", "TQ", "TR"], "Devon and Cornwall Police"),
    (&["GY"], "the States of Guernsey Police"),
    (&["JE"], "the States of Jersey Police"),
    (&["IM"], "the Isle of Man Constabulary"),
];

/// The force for every postcode of `area` (the letters of an outward code), if it is one force.
pub fn force_for_area(area: &str) -> Option<&'static str> {
    FORCES
        .iter()
        .find(|(areas, _)| areas.contains(&area))
        .map(|(_, force)| *force)
}

#[cfg(test)]
mod tests {
    use super::force_for_area;

    #[test]
    fn areas_within_one_force_name_it_and_areas_across_forces_name_none() {
        assert_eq!(force_for_area("EH"), Some("Police Scotland"));
        assert_eq!(force_for_area("SW"), Some("the Metropolitan Police"));
        assert_eq!(
            force_for_area("BT"),
            Some("the Police Service of Northern Ireland")
        );
        // Edinburgh's EH is not London's E.
        assert_eq!(force_for_area("E"), Some("the Metropolitan Police"));
        // Split between forces: no force is guessed.
        for area in ["CB", "PE", "SG", "B", "L", "EC", "TD", "CF"] {
            assert_eq!(force_for_area(area), None, "{area}");
        }
    }

    #[test]
    fn every_area_a_force_is_named_for_is_a_real_one() {
        for (areas, _) in super::FORCES {
            for area in *areas {
                assert!(super::is_postcode_area(area), "{area}");
            }
        }
        assert!(!super::is_postcode_area("ZZ"));
    }
}
