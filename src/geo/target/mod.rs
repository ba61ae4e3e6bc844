//! Where an alert is aimed: the shapes a sender chooses (the whole force area, districts, a circle
//! round a place, a polygon drawn or pasted as GeoJSON), combined into an include/exclude target,
//! checked once when the sender gives them, and prepared for testing a million postcode centroids
//! quickly. All geometry is on the British National Grid in metres, like the postcode data; GeoJSON
//! (WGS84) is converted at the edge.

mod describe;
mod geojson;
mod polygon;
mod prepared;
#[cfg(test)]
mod tests;

pub use geojson::{drawn_polygon_geojson, polygon_from_geojson, polygon_to_geojson};
pub use prepared::PreparedTarget;

use serde::{Deserialize, Serialize};

use super::districts::FORCE_DISTRICTS;
use polygon::{check_polygon, ring_contains};

/// Largest circle radius: more than any force area needs, small enough that a slip of the finger
/// ("2000 km") does not alert the whole country.
pub const MAX_RADIUS_M: f64 = 200_000.0;

/// Most corners a polygon may have. Drawn shapes have tens; boundary files exported from a GIS
/// have thousands; beyond this the checks below get slow and the shape should be simplified.
pub const MAX_POLYGON_VERTICES: usize = 10_000;

/// Longest name of a circle's centre, in characters: a place or a few ("Meldreth, Melbourn"),
/// read in the target's description by senders and residents.
pub const MAX_CENTRE_NAME_CHARS: usize = 100;

const METRES_PER_MILE: f64 = 1_609.344;

/// Where positions may lie, in WGS84 degrees: Great Britain with its islands and some sea. Used
/// to catch coordinates in the wrong order (latitude first) and shapes drawn in the wrong place.
const GB_LATITUDE: (f64, f64) = (49.0, 61.5);
const GB_LONGITUDE: (f64, f64) = (-9.0, 2.5);

/// The same, loosely, in grid metres: the National Grid's extent, for shapes that arrive already
/// converted (saved targets, the JSON API).
const GRID_EASTING: (f64, f64) = (-100_000.0, 800_000.0);
const GRID_NORTHING: (f64, f64) = (-100_000.0, 1_400_000.0);

/// One shape a sender can aim an alert at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    /// Every district in [`FORCE_DISTRICTS`].
    ForceArea,
    /// Local authority districts by ONS code ("E07000012").
    Districts { codes: Vec<String> },
    /// Everywhere within `radius_m` metres of a grid position; `label` names the centre for people
    /// ("Melbourn", "CB1 1PT").
    Circle {
        easting: f64,
        northing: f64,
        radius_m: f64,
        label: String,
    },
    /// A polygon in BNG metres: the first ring is the outline, any others are holes. Rings are
    /// closed (last position equals the first).
    Polygon { rings: Vec<Vec<[f64; 2]>> },
}

/// An alert's target: residents with a place inside any `include` shape and inside no `exclude`
/// shape ("South Cambridgeshire, excluding 2 km around Royston").
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AreaTarget {
    pub include: Vec<Shape>,
    #[serde(default)]
    pub exclude: Vec<Shape>,
}

/// The unit a sender gave a radius in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceUnit {
    Km,
    Miles,
}

/// Why a target was refused. The messages are shown to the sender who drew or pasted it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("Choose where the alert is for")]
    NothingIncluded,
    #[error("Choose at least one district")]
    NoDistricts,
    #[error("Enter a radius greater than 0")]
    RadiusNotPositive,
    #[error("The radius must be 200 km (124 miles) or less")]
    RadiusTooLarge,
    #[error("The centre of the circle must be in Great Britain")]
    CentreOutsideGreatBritain,
    #[error(
        "The name of the circle's centre is {chars} characters long: the limit is {limit}",
        limit = MAX_CENTRE_NAME_CHARS
    )]
    CentreNameTooLong { chars: usize },
    #[error(
        "The name of the circle's centre cannot contain line breaks, other control characters, \
         < or >: write it on one line, as a place name"
    )]
    CentreNameUnprintable,
    #[error("The GeoJSON is too large: the limit is 5 MB. Simplify the shape and try again")]
    GeoJsonTooLarge,
    /// Holds serde_json's description, which ends with the line and column.
    #[error("The GeoJSON could not be read: {0}")]
    GeoJsonUnreadable(String),
    /// Holds what was found instead, in words.
    #[error(
        "The GeoJSON must be a Polygon, a Feature with a Polygon geometry, or a \
         FeatureCollection holding one such Feature: {0}"
    )]
    NotAPolygon(String),
    /// Holds where the problem is, in words ("position 3 of the outline is not a pair of numbers").
    #[error("The shape's coordinates could not be read: {0}")]
    BadCoordinates(String),
    #[error(
        "A position is out of range: longitude must be between -180 and 180 and latitude between \
         -90 and 90 (GeoJSON gives longitude first)"
    )]
    OutOfRange,
    /// Holds the offending position as "latitude, longitude".
    #[error(
        "The shape must be in Great Britain, but one corner is at {0} (latitude, longitude). \
         GeoJSON gives longitude first: check the coordinates are not swapped"
    )]
    OutsideGreatBritain(String),
    #[error("The shape has more than 10,000 corners: simplify it and try again")]
    TooManyVertices,
    #[error("The shape has no outline")]
    NoOutline,
    /// Holds the ring's name ("The outline", "Hole 1").
    #[error(
        "{0} has fewer than 4 positions: a shape needs at least 3 corners, with the first \
         repeated at the end"
    )]
    RingTooShort(String),
    #[error("{0} is not closed: its last position must be the same as its first")]
    RingNotClosed(String),
    #[error("The shape crosses itself: draw it again without crossing lines")]
    SelfIntersecting,
    #[error("The shape has no area: draw at least three corners that are not in a line")]
    NoArea,
    #[error("A hole in the shape crosses its outline or another hole: draw it again")]
    HoleCrosses,
    #[error("A hole in the shape must lie inside its outline, and not inside another hole")]
    HoleOutside,
}

// ---------------------------------------------------------------------------------------------
// Making shapes from what a sender gives
// ---------------------------------------------------------------------------------------------

/// The name of a circle's centre as it was given beside a grid position (a suggested area the
/// sender accepted, or the JSON API): trimmed, on one line, without markup, and short enough to
/// read in the target's description. A centre found from a postcode or a place name is named
/// by what was found.
pub fn centre_name(input: &str) -> Result<String, TargetError> {
    let name = input.trim();
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '<' | '>'))
    {
        return Err(TargetError::CentreNameUnprintable);
    }
    let chars = name.chars().count();
    if chars > MAX_CENTRE_NAME_CHARS {
        return Err(TargetError::CentreNameTooLong { chars });
    }
    Ok(name.to_owned())
}

/// A circle of `radius` (in `unit`) round a grid position, as a sender asks for one: "within 5
/// miles of Melbourn".
pub fn circle(
    easting: f64,
    northing: f64,
    radius: f64,
    unit: DistanceUnit,
    label: &str,
) -> Result<Shape, TargetError> {
    let radius_m = match unit {
        DistanceUnit::Km => radius * 1_000.0,
        DistanceUnit::Miles => radius * METRES_PER_MILE,
    };
    check_circle(easting, northing, radius_m)?;
    Ok(Shape::Circle {
        easting,
        northing,
        radius_m,
        label: label.trim().to_owned(),
    })
}

fn check_circle(easting: f64, northing: f64, radius_m: f64) -> Result<(), TargetError> {
    if radius_m.is_nan() || radius_m <= 0.0 {
        return Err(TargetError::RadiusNotPositive);
    }
    // A hair of tolerance so that "124.27 miles" (200 km to the centimetre) is not refused by
    // floating-point rounding.
    if radius_m > MAX_RADIUS_M + 0.01 {
        return Err(TargetError::RadiusTooLarge);
    }
    if !on_grid(easting, northing) {
        return Err(TargetError::CentreOutsideGreatBritain);
    }
    Ok(())
}

fn on_grid(easting: f64, northing: f64) -> bool {
    (GRID_EASTING.0..=GRID_EASTING.1).contains(&easting)
        && (GRID_NORTHING.0..=GRID_NORTHING.1).contains(&northing)
}

// ---------------------------------------------------------------------------------------------
// Testing places against a target
// ---------------------------------------------------------------------------------------------

impl Shape {
    /// Whether a place (its district code and grid position) lies in this shape. Circles include
    /// their edge; polygons follow the crossing-number rule with holes excluded.
    pub fn contains(&self, district_code: &str, easting: f64, northing: f64) -> bool {
        match self {
            Shape::ForceArea => FORCE_DISTRICTS.contains(&district_code),
            Shape::Districts { codes } => codes.iter().any(|c| c == district_code),
            Shape::Circle {
                easting: ce,
                northing: cn,
                radius_m,
                ..
            } => {
                let (de, dn) = (easting - ce, northing - cn);
                de * de + dn * dn <= radius_m * radius_m
            }
            // Even-odd over all rings: a point in a hole crosses the hole's edge once more.
            Shape::Polygon { rings } => {
                rings
                    .iter()
                    .filter(|ring| ring_contains(ring, easting, northing))
                    .count()
                    % 2
                    == 1
            }
        }
    }

    /// The grid box (min easting, min northing, max easting, max northing) the shape lies in, or
    /// `None` for district-based shapes, whose extent only the postcode data knows.
    pub fn bounding_box(&self) -> Option<[f64; 4]> {
        match self {
            Shape::ForceArea | Shape::Districts { .. } => None,
            Shape::Circle {
                easting,
                northing,
                radius_m,
                ..
            } => Some([
                easting - radius_m,
                northing - radius_m,
                easting + radius_m,
                northing + radius_m,
            ]),
            Shape::Polygon { rings } => {
                let mut points = rings.first()?.iter();
                let &[e, n] = points.next()?;
                let mut bbox = [e, n, e, n];
                for &[e, n] in points {
                    bbox = [
                        bbox[0].min(e),
                        bbox[1].min(n),
                        bbox[2].max(e),
                        bbox[3].max(n),
                    ];
                }
                Some(bbox)
            }
        }
    }
}

impl AreaTarget {
    /// Whether a place lies in the target: in at least one included shape and in no excluded one.
    /// For one-off checks; to test many places, [`prepare`](Self::prepare) the target first.
    pub fn contains(&self, district_code: &str, easting: f64, northing: f64) -> bool {
        self.include
            .iter()
            .any(|shape| shape.contains(district_code, easting, northing))
            && !self
                .exclude
                .iter()
                .any(|shape| shape.contains(district_code, easting, northing))
    }

    /// The grid box around the included shapes (min easting, min northing, max easting, max
    /// northing), to narrow a database query; `None` when nothing is included or any included
    /// shape is district-based.
    pub fn bounding_box(&self) -> Option<[f64; 4]> {
        let mut boxes = self.include.iter().map(Shape::bounding_box);
        let mut bbox = boxes.next()??;
        for other in boxes {
            let [a, b, c, d] = other?;
            bbox = [
                bbox[0].min(a),
                bbox[1].min(b),
                bbox[2].max(c),
                bbox[3].max(d),
            ];
        }
        bbox.iter().all(|x| x.is_finite()).then_some(bbox)
    }

    /// Checks a target that arrived already built (the JSON API, a saved draft) by the rules a
    /// sender's own input meets: something included, districts named, circles and polygons valid.
    pub fn validate(&self) -> Result<(), TargetError> {
        if self.include.is_empty() {
            return Err(TargetError::NothingIncluded);
        }
        for shape in self.include.iter().chain(&self.exclude) {
            match shape {
                Shape::ForceArea => {}
                Shape::Districts { codes } => {
                    if codes.iter().all(|c| c.trim().is_empty()) {
                        return Err(TargetError::NoDistricts);
                    }
                }
                Shape::Circle {
                    easting,
                    northing,
                    radius_m,
                    ..
                } => check_circle(*easting, *northing, *radius_m)?,
                Shape::Polygon { rings } => check_polygon(rings)?,
            }
        }
        Ok(())
    }
}
