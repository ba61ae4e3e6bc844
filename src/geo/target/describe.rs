//! A target in words, for the composer, the approval screen and the audit log.

use super::{AreaTarget, Shape, METRES_PER_MILE};

impl AreaTarget {
    /// The target in words, for the composer, the approval screen and the audit log: "Within 5 km
    /// of Melbourn; South Cambridgeshire; excluding Cambridge". `district_name` turns a district
    /// code into its name.
    pub fn describe(&self, district_name: impl Fn(&str) -> String) -> String {
        if self.include.is_empty() {
            return "Nowhere: no area has been chosen".to_owned();
        }
        let mut parts: Vec<String> = self
            .include
            .iter()
            .map(|shape| describe_shape(shape, &district_name, false))
            .collect();
        parts.extend(
            self.exclude
                .iter()
                .map(|shape| format!("excluding {}", describe_shape(shape, &district_name, true))),
        );
        let text = parts.join("; ");
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }
}

/// One shape in words. `excluded` phrases circles for after "excluding".
fn describe_shape(
    shape: &Shape,
    district_name: &impl Fn(&str) -> String,
    excluded: bool,
) -> String {
    match shape {
        Shape::ForceArea => "the whole force area".to_owned(),
        Shape::Districts { codes } => {
            let names: Vec<String> = codes.iter().map(|code| district_name(code)).collect();
            match names.as_slice() {
                [] => "no districts".to_owned(),
                [only] => only.clone(),
                [init @ .., last] => format!("{} and {last}", init.join(", ")),
            }
        }
        Shape::Circle {
            radius_m, label, ..
        } => {
            let centre = if label.trim().is_empty() {
                "a chosen point"
            } else {
                label.trim()
            };
            if excluded {
                format!("{} around {centre}", describe_distance(*radius_m))
            } else {
                format!("within {} of {centre}", describe_distance(*radius_m))
            }
        }
        Shape::Polygon { .. } => "an area drawn on the map".to_owned(),
    }
}

/// A radius as the sender most likely gave it: "5 km", "3 miles", "500 m".
pub(super) fn describe_distance(metres: f64) -> String {
    let whole_or_tenths = |x: f64| {
        let rounded = (x * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 {
            format!("{rounded:.0}")
        } else {
            format!("{rounded:.1}")
        }
    };
    let km = metres / 1_000.0;
    let miles = metres / METRES_PER_MILE;
    let is_round = |x: f64| ((x * 2.0).round() - x * 2.0).abs() < 1e-6;
    if metres < 1_000.0 {
        format!("{metres:.0} m")
    } else if is_round(km) || !is_round(miles) {
        format!("{} km", whole_or_tenths(km))
    } else if (miles - 1.0).abs() < 1e-6 {
        "1 mile".to_owned()
    } else {
        format!("{} miles", whole_or_tenths(miles))
    }
}
