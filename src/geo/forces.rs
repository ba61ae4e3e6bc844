//! Which police force to look to for a postcode area, for a resident whose postcode is outside
//! the area an install covers. Only areas that lie wholly within one force are listed: many
//! areas cross force boundaries (`CB`, `PE`, `SG`, `B`, `L`…), and for those no force is named
//! rather than a wrong one.

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
}
