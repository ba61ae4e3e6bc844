//! Where an alert is aimed: the shapes a sender chooses (the whole force area, districts, a circle
//! round a place, a polygon drawn or pasted as GeoJSON), combined into an include/exclude target,
//! checked once when the sender gives them, and prepared for testing a million postcode centroids
//! quickly. All geometry is on the British National Grid in metres, like the postcode data; GeoJSON
//! (WGS84) is converted at the edge.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::districts::FORCE_DISTRICTS;
use super::grid::{bng_to_wgs84, wgs84_to_bng};

/// Largest circle radius: more than any force area needs, small enough that a slip of the finger
/// ("2000 km") does not alert the whole country.
pub const MAX_RADIUS_M: f64 = 200_000.0;

/// Most corners a polygon may have. Drawn shapes have tens; boundary files exported from a GIS
/// have thousands; beyond this the checks below get slow and the shape should be simplified.
pub const MAX_POLYGON_VERTICES: usize = 10_000;

/// Largest GeoJSON text read: 10,000 pretty-printed positions with full precision fit in 1 MB.
const MAX_GEOJSON_BYTES: usize = 5_000_000;

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

/// Reads a polygon from GeoJSON (RFC 7946): a Polygon geometry, a Feature whose geometry is a
/// Polygon, or a FeatureCollection holding exactly one such Feature. Positions are WGS84
/// `[longitude, latitude]` (a third, altitude, is ignored) and become grid metres.
///
/// The shape is refused, with a message saying why, unless every ring has at least four positions
/// and is closed, every position is in Great Britain, the outline does not cross itself and has
/// an area, and any holes lie inside it. Winding order is not checked: RFC 7946 asks writers for
/// anticlockwise outlines but tells readers not to rely on it.
pub fn polygon_from_geojson(text: &str) -> Result<Shape, TargetError> {
    if text.len() > MAX_GEOJSON_BYTES {
        return Err(TargetError::GeoJsonTooLarge);
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| TargetError::GeoJsonUnreadable(e.to_string()))?;
    let coordinates = polygon_coordinates(&value)?;
    let rings = read_rings(coordinates)?;
    check_polygon(&rings)?;
    Ok(Shape::Polygon { rings })
}

/// The `coordinates` of the one Polygon in a GeoJSON document.
fn polygon_coordinates(value: &Value) -> Result<&Value, TargetError> {
    let kind = geojson_type(value)?;
    match kind {
        "Polygon" => value
            .get("coordinates")
            .ok_or_else(|| TargetError::NotAPolygon("the Polygon has no coordinates".into())),
        "Feature" => feature_polygon(value),
        "FeatureCollection" => {
            let features = value
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    TargetError::NotAPolygon("the FeatureCollection has no features".into())
                })?;
            match features.as_slice() {
                [feature] if geojson_type(feature)? == "Feature" => feature_polygon(feature),
                [_] => Err(TargetError::NotAPolygon(
                    "the FeatureCollection holds something other than a Feature".into(),
                )),
                many => Err(TargetError::NotAPolygon(format!(
                    "the FeatureCollection has {} features, not one",
                    many.len()
                ))),
            }
        }
        "MultiPolygon" => Err(TargetError::NotAPolygon(
            "this is a MultiPolygon: send one area at a time".into(),
        )),
        other => Err(TargetError::NotAPolygon(format!(
            "this is a {}",
            echo(other)
        ))),
    }
}

fn feature_polygon(feature: &Value) -> Result<&Value, TargetError> {
    match feature.get("geometry") {
        Some(geometry) if !geometry.is_null() => match geojson_type(geometry)? {
            "Polygon" => geometry
                .get("coordinates")
                .ok_or_else(|| TargetError::NotAPolygon("the Polygon has no coordinates".into())),
            "MultiPolygon" => Err(TargetError::NotAPolygon(
                "the Feature's geometry is a MultiPolygon: send one area at a time".into(),
            )),
            other => Err(TargetError::NotAPolygon(format!(
                "the Feature's geometry is a {}",
                echo(other)
            ))),
        },
        _ => Err(TargetError::NotAPolygon(
            "the Feature has no geometry".into(),
        )),
    }
}

fn geojson_type(value: &Value) -> Result<&str, TargetError> {
    if !value.is_object() {
        return Err(TargetError::NotAPolygon(
            "this is not a GeoJSON object".into(),
        ));
    }
    value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| TargetError::NotAPolygon("there is no \"type\"".into()))
}

/// At most 40 characters of something hostile input chose, for an error message.
fn echo(text: &str) -> String {
    let mut shown: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if text.chars().count() > 40 {
        shown.push('…');
    }
    shown
}

/// "The outline" or "Hole 2", for messages about a ring.
fn ring_name(index: usize) -> String {
    if index == 0 {
        "The outline".to_owned()
    } else {
        format!("Hole {index}")
    }
}

/// Reads GeoJSON Polygon coordinates into rings of grid positions, checking each position.
fn read_rings(coordinates: &Value) -> Result<Vec<Vec<[f64; 2]>>, TargetError> {
    let bad = |what: String| TargetError::BadCoordinates(what);
    let rings = coordinates
        .as_array()
        .ok_or_else(|| bad("they are not a list of rings".into()))?;
    if rings.is_empty() {
        return Err(TargetError::NoOutline);
    }
    let total: usize = rings
        .iter()
        .map(|ring| ring.as_array().map_or(0, Vec::len))
        .sum();
    if total > MAX_POLYGON_VERTICES {
        return Err(TargetError::TooManyVertices);
    }

    let mut out = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let positions = ring.as_array().ok_or_else(|| {
            bad(format!(
                "{} is not a list of positions",
                ring_name(r).to_lowercase()
            ))
        })?;
        let mut grid_ring = Vec::with_capacity(positions.len());
        for (p, position) in positions.iter().enumerate() {
            let not_numbers = || {
                bad(format!(
                    "position {} of {} is not a pair of numbers",
                    p + 1,
                    ring_name(r).to_lowercase()
                ))
            };
            let (longitude, latitude) = match position.as_array().map(Vec::as_slice) {
                Some([lon, lat, ..]) => (
                    lon.as_f64().ok_or_else(not_numbers)?,
                    lat.as_f64().ok_or_else(not_numbers)?,
                ),
                _ => return Err(not_numbers()),
            };
            if !((-180.0..=180.0).contains(&longitude) && (-90.0..=90.0).contains(&latitude)) {
                return Err(TargetError::OutOfRange);
            }
            if !((GB_LATITUDE.0..=GB_LATITUDE.1).contains(&latitude)
                && (GB_LONGITUDE.0..=GB_LONGITUDE.1).contains(&longitude))
            {
                return Err(TargetError::OutsideGreatBritain(format!(
                    "{latitude}, {longitude}"
                )));
            }
            let (easting, northing) = wgs84_to_bng(latitude, longitude);
            grid_ring.push([easting, northing]);
        }
        out.push(grid_ring);
    }
    Ok(out)
}

/// Checks a polygon in grid metres: the rules of [`polygon_from_geojson`], for shapes from any
/// source.
fn check_polygon(rings: &[Vec<[f64; 2]>]) -> Result<(), TargetError> {
    if rings.is_empty() {
        return Err(TargetError::NoOutline);
    }
    if rings.iter().map(Vec::len).sum::<usize>() > MAX_POLYGON_VERTICES {
        return Err(TargetError::TooManyVertices);
    }
    let mut open_rings: Vec<Vec<[f64; 2]>> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        if let Some(&[e, n]) = ring.iter().find(|&&[e, n]| !on_grid(e, n)) {
            let position = bng_to_wgs84(e, n);
            return Err(TargetError::OutsideGreatBritain(format!(
                "{:.4}, {:.4}",
                position.latitude, position.longitude
            )));
        }
        if ring.len() < 4 {
            return Err(TargetError::RingTooShort(ring_name(r)));
        }
        if ring.first() != ring.last() {
            return Err(TargetError::RingNotClosed(ring_name(r)));
        }
        // Drawing tools often repeat a corner (a double click); that is not a crossing.
        let mut open: Vec<[f64; 2]> = Vec::with_capacity(ring.len());
        for &point in ring.iter().take(ring.len() - 1) {
            if open.last() != Some(&point) {
                open.push(point);
            }
        }
        if open.len() > 1 && open.first() == open.last() {
            open.pop();
        }
        if open.len() < 3 || in_a_line(&open) {
            return Err(TargetError::NoArea);
        }
        open_rings.push(open);
    }

    if let Some((a, b)) = first_crossing(&open_rings) {
        return Err(if a == 0 && b == 0 {
            TargetError::SelfIntersecting
        } else {
            TargetError::HoleCrosses
        });
    }
    // Only now is the area meaningful: the two halves of a figure of eight cancel out.
    if open_rings.iter().any(|ring| ring_area(ring).abs() < 1.0) {
        return Err(TargetError::NoArea);
    }

    // With no crossings, a hole is wholly inside or wholly outside any other ring, so one corner
    // tells which.
    if let Some((outline, holes)) = open_rings.split_first() {
        for (h, hole) in holes.iter().enumerate() {
            let Some(&[e, n]) = hole.first() else {
                continue;
            };
            let in_outline = ring_contains(outline, e, n);
            let in_other_hole = holes
                .iter()
                .enumerate()
                .any(|(o, other)| o != h && ring_contains(other, e, n));
            if !in_outline || in_other_hole {
                return Err(TargetError::HoleOutside);
            }
        }
    }
    Ok(())
}

/// Whether every corner lies within half a metre of one straight line: a "shape" with no inside,
/// which would otherwise be reported as doubling back on itself.
fn in_a_line(ring: &[[f64; 2]]) -> bool {
    let Some(&a) = ring.first() else {
        return true;
    };
    let distance = |p: [f64; 2]| (p[0] - a[0]).hypot(p[1] - a[1]);
    let Some(&b) = ring
        .iter()
        .max_by(|p, q| distance(**p).total_cmp(&distance(**q)))
    else {
        return true;
    };
    let length = distance(b);
    if length.is_nan() || length == 0.0 {
        return true;
    }
    ring.iter().all(|&p| (orient(a, b, p) / length).abs() < 0.5)
}

/// Signed area of an open ring (shoelace formula), square metres.
fn ring_area(ring: &[[f64; 2]]) -> f64 {
    let Some(&last) = ring.last() else {
        return 0.0;
    };
    let mut previous = last;
    let mut twice = 0.0;
    for &point in ring {
        twice += previous[0] * point[1] - point[0] * previous[1];
        previous = point;
    }
    twice / 2.0
}

/// One edge of an open ring, for the crossing search.
struct Segment {
    ring: usize,
    index: usize,
    a: [f64; 2],
    b: [f64; 2],
    min_e: f64,
    max_e: f64,
    min_n: f64,
    max_n: f64,
}

/// The rings (outline 0, holes 1..) of the first two edges found to touch or cross, other than
/// neighbours on the same ring meeting at their shared corner; `None` when the rings are simple
/// and apart. Edges are swept in order of their west end, so only edges overlapping east-west
/// are compared: near-linear for real shapes, quadratic only for pathological ones (and those
/// are capped at [`MAX_POLYGON_VERTICES`]).
fn first_crossing(rings: &[Vec<[f64; 2]>]) -> Option<(usize, usize)> {
    let mut segments = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        let count = ring.len();
        for (i, &a) in ring.iter().enumerate() {
            let b = *ring.get((i + 1) % count)?;
            segments.push(Segment {
                ring: r,
                index: i,
                a,
                b,
                min_e: a[0].min(b[0]),
                max_e: a[0].max(b[0]),
                min_n: a[1].min(b[1]),
                max_n: a[1].max(b[1]),
            });
        }
        // A spike (A to B and straight back to A) has no crossing proper, but the line doubles
        // back on itself: treat it as one.
        for i in 0..count {
            let (Some(a), Some(v), Some(b)) = (
                ring.get(i),
                ring.get((i + 1) % count),
                ring.get((i + 2) % count),
            ) else {
                continue;
            };
            let (d1, d2) = ([v[0] - a[0], v[1] - a[1]], [b[0] - v[0], b[1] - v[1]]);
            let cross = d1[0] * d2[1] - d1[1] * d2[0];
            let dot = d1[0] * d2[0] + d1[1] * d2[1];
            if cross == 0.0 && dot < 0.0 {
                return Some((r, r));
            }
        }
    }
    segments.sort_by(|s, t| s.min_e.total_cmp(&t.min_e));

    for (i, s) in segments.iter().enumerate() {
        for t in segments.iter().skip(i + 1) {
            if t.min_e > s.max_e {
                break;
            }
            if t.min_n > s.max_n || t.max_n < s.min_n {
                continue;
            }
            if s.ring == t.ring {
                let count = rings.get(s.ring).map_or(0, Vec::len);
                let gap = s.index.abs_diff(t.index);
                if gap == 1 || gap + 1 == count {
                    continue;
                }
            }
            if segments_touch(s.a, s.b, t.a, t.b) {
                return Some((s.ring, t.ring));
            }
        }
    }
    None
}

/// Twice the signed area of triangle abc: positive when c is left of a->b.
fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

/// Whether p, known to be in line with a-b, lies on the segment.
fn within(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether segments p1-p2 and q1-q2 share any point.
fn segments_touch(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    let opposite = |x: f64, y: f64| (x > 0.0 && y < 0.0) || (x < 0.0 && y > 0.0);
    if opposite(d1, d2) && opposite(d3, d4) {
        return true;
    }
    (d1 == 0.0 && within(q1, q2, p1))
        || (d2 == 0.0 && within(q1, q2, p2))
        || (d3 == 0.0 && within(p1, p2, q1))
        || (d4 == 0.0 && within(p1, p2, q2))
}

/// Crossing-number test of one ring, open or closed: the edge back to the start is included
/// (and has no length if the ring is closed).
fn ring_contains(ring: &[[f64; 2]], e: f64, n: f64) -> bool {
    let Some(&last) = ring.last() else {
        return false;
    };
    let mut inside = false;
    let mut previous = last;
    for &point in ring {
        if crosses(previous, point, e, n) {
            inside = !inside;
        }
        previous = point;
    }
    inside
}

/// Whether the edge a-b crosses the ray running east from (e, n). Half-open in northing, so a
/// ray through a corner counts it once.
#[inline]
fn crosses(a: [f64; 2], b: [f64; 2], e: f64, n: f64) -> bool {
    if (a[1] > n) == (b[1] > n) {
        return false;
    }
    let at = a[0] + (n - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
    e < at
}

/// Writes a polygon back as a GeoJSON Polygon geometry in WGS84 (for maps and CAP messages), with
/// positions to 7 decimal places (about a centimetre). `None` for other shapes, or for a polygon
/// with positions off the grid.
pub fn polygon_to_geojson(shape: &Shape) -> Option<Value> {
    let Shape::Polygon { rings } = shape else {
        return None;
    };
    let round = |x: f64| (x * 1e7).round() / 1e7;
    let mut out = Vec::with_capacity(rings.len());
    for ring in rings {
        let mut positions = Vec::with_capacity(ring.len());
        for &[e, n] in ring {
            if !on_grid(e, n) {
                return None;
            }
            let position = bng_to_wgs84(e, n);
            let (lon, lat) = (round(position.longitude), round(position.latitude));
            if !(lon.is_finite() && lat.is_finite()) {
                return None;
            }
            positions.push(serde_json::json!([lon, lat]));
        }
        out.push(Value::Array(positions));
    }
    Some(serde_json::json!({ "type": "Polygon", "coordinates": out }))
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

    /// The target made ready for testing many places quickly: see [`PreparedTarget`].
    pub fn prepare(&self) -> PreparedTarget {
        PreparedTarget {
            include: self.include.iter().map(PreparedShape::new).collect(),
            exclude: self.exclude.iter().map(PreparedShape::new).collect(),
        }
    }

    /// Like [`prepare`](Self::prepare), with district membership worked out in advance for each
    /// district in `district_table`, so that [`PreparedTarget::contains_indexed`] can be given a
    /// place's position in that table instead of its code: for callers that hold districts as
    /// small integers.
    pub fn prepare_indexed<S: AsRef<str>>(&self, district_table: &[S]) -> PreparedTarget {
        let mut prepared = self.prepare();
        for shape in prepared
            .include
            .iter_mut()
            .chain(prepared.exclude.iter_mut())
        {
            if let PreparedShape::Districts { codes, by_index } = shape {
                *by_index = district_table
                    .iter()
                    .map(|code| {
                        codes
                            .binary_search_by(|c| c.as_str().cmp(code.as_ref()))
                            .is_ok()
                    })
                    .collect();
            }
        }
        prepared
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
fn describe_distance(metres: f64) -> String {
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

/// A target made ready for testing a million places: district codes in a sorted list, circles as
/// squared radii with their boxes, polygons with their box and their edges filed in east-west
/// bands, so a place is compared only with the few edges at its own northing.
#[derive(Debug, Clone)]
pub struct PreparedTarget {
    include: Vec<PreparedShape>,
    exclude: Vec<PreparedShape>,
}

#[derive(Debug, Clone)]
enum PreparedShape {
    Districts {
        codes: Vec<String>,
        /// Membership by position in the caller's district table (see `prepare_indexed`); empty
        /// unless prepared that way.
        by_index: Vec<bool>,
    },
    Circle {
        easting: f64,
        northing: f64,
        radius_squared: f64,
        bbox: [f64; 4],
    },
    Polygon(BandedPolygon),
}

impl PreparedShape {
    fn new(shape: &Shape) -> PreparedShape {
        match shape {
            Shape::ForceArea => PreparedShape::districts(FORCE_DISTRICTS.iter().copied()),
            Shape::Districts { codes } => {
                PreparedShape::districts(codes.iter().map(String::as_str))
            }
            Shape::Circle {
                easting,
                northing,
                radius_m,
                ..
            } => PreparedShape::Circle {
                easting: *easting,
                northing: *northing,
                radius_squared: radius_m * radius_m,
                bbox: shape.bounding_box().unwrap_or([f64::NAN; 4]),
            },
            Shape::Polygon { rings } => PreparedShape::Polygon(BandedPolygon::new(rings)),
        }
    }

    fn districts<'a>(codes: impl Iterator<Item = &'a str>) -> PreparedShape {
        let mut codes: Vec<String> = codes.map(str::to_owned).collect();
        codes.sort();
        codes.dedup();
        PreparedShape::Districts {
            codes,
            by_index: Vec::new(),
        }
    }

    #[inline]
    fn contains(&self, district: District<'_>, e: f64, n: f64) -> bool {
        match self {
            PreparedShape::Districts { codes, by_index } => match district {
                District::Code(code) => codes.iter().any(|c| c == code),
                District::Index(index) => by_index.get(index).copied().unwrap_or(false),
            },
            PreparedShape::Circle {
                easting,
                northing,
                radius_squared,
                bbox,
            } => {
                in_box(bbox, e, n) && {
                    let (de, dn) = (e - easting, n - northing);
                    de * de + dn * dn <= *radius_squared
                }
            }
            PreparedShape::Polygon(polygon) => polygon.contains(e, n),
        }
    }
}

#[derive(Clone, Copy)]
enum District<'a> {
    Code(&'a str),
    Index(usize),
}

/// `false` for NaN as well as for points outside.
#[inline]
fn in_box(bbox: &[f64; 4], e: f64, n: f64) -> bool {
    e >= bbox[0] && n >= bbox[1] && e <= bbox[2] && n <= bbox[3]
}

impl PreparedTarget {
    /// Whether a place lies in the target: in at least one included shape and in no excluded one.
    #[inline]
    pub fn contains(&self, district_code: &str, easting: f64, northing: f64) -> bool {
        self.test(District::Code(district_code), easting, northing)
    }

    /// As [`contains`](Self::contains), with the place's district given by its position in the
    /// table passed to [`AreaTarget::prepare_indexed`]. With a target prepared by plain
    /// [`AreaTarget::prepare`], or an index outside the table, the place is in no district.
    #[inline]
    pub fn contains_indexed(&self, district_index: usize, easting: f64, northing: f64) -> bool {
        self.test(District::Index(district_index), easting, northing)
    }

    #[inline]
    fn test(&self, district: District<'_>, e: f64, n: f64) -> bool {
        self.include.iter().any(|s| s.contains(district, e, n))
            && !self.exclude.iter().any(|s| s.contains(district, e, n))
    }
}

/// A polygon's edges filed by northing: band `k` holds every edge whose northing range overlaps
/// `[min_n + k·height, min_n + (k+1)·height]`. The crossing-number test only counts edges that
/// span the place's northing, and all of those are in the place's band.
#[derive(Debug, Clone)]
struct BandedPolygon {
    bbox: [f64; 4],
    band_height: f64,
    bands: Vec<Vec<[f64; 4]>>,
}

impl BandedPolygon {
    fn new(rings: &[Vec<[f64; 2]>]) -> BandedPolygon {
        let mut edges: Vec<[f64; 4]> = Vec::new();
        for ring in rings {
            let Some(&last) = ring.last() else { continue };
            let mut previous = last;
            for &point in ring {
                if previous != point {
                    edges.push([previous[0], previous[1], point[0], point[1]]);
                }
                previous = point;
            }
        }
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for &[e1, n1, e2, n2] in &edges {
            bbox = [
                bbox[0].min(e1.min(e2)),
                bbox[1].min(n1.min(n2)),
                bbox[2].max(e1.max(e2)),
                bbox[3].max(n1.max(n2)),
            ];
        }
        // About four edges a band keeps each test to a handful of edges without a band list
        // larger than the polygon.
        let band_count = (edges.len() / 4).clamp(1, 4_096);
        let span = bbox[3] - bbox[1];
        let band_height = if span.is_finite() && span > 0.0 {
            span / band_count as f64
        } else {
            1.0
        };
        let mut polygon = BandedPolygon {
            bbox,
            band_height,
            bands: vec![Vec::new(); band_count],
        };
        for edge in edges {
            let low = polygon.band(edge[1].min(edge[3]));
            let high = polygon.band(edge[1].max(edge[3]));
            for band in polygon.bands.iter_mut().take(high + 1).skip(low) {
                band.push(edge);
            }
        }
        polygon
    }

    /// The band a northing falls in, clamped to the bands there are. Monotonic in `n`, which is
    /// all the filing above relies on.
    #[inline]
    fn band(&self, n: f64) -> usize {
        let index = ((n - self.bbox[1]) / self.band_height).floor();
        // `as` saturates (and maps NaN to 0), so no input can index out of range.
        (index.max(0.0) as usize).min(self.bands.len().saturating_sub(1))
    }

    #[inline]
    fn contains(&self, e: f64, n: f64) -> bool {
        if !in_box(&self.bbox, e, n) {
            return false;
        }
        let Some(edges) = self.bands.get(self.band(n)) else {
            return false;
        };
        let mut inside = false;
        for &[e1, n1, e2, n2] in edges {
            if crosses([e1, n1], [e2, n2], e, n) {
                inside = !inside;
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Grid positions of some force-area places (from the gazetteer, via `wgs84_to_bng`).
    const MELBOURN: (f64, f64) = (538_184.0, 244_462.0);
    const MELDRETH: (f64, f64) = (537_692.0, 245_840.0);
    const ROYSTON: (f64, f64) = (535_700.0, 240_800.0);
    const CAMBRIDGE_CENTRE: (f64, f64) = (545_300.0, 258_400.0);

    const SOUTH_CAMBS: &str = "E07000012";
    const CAMBRIDGE: &str = "E07000008";

    fn district_name(code: &str) -> String {
        match code {
            SOUTH_CAMBS => "South Cambridgeshire".into(),
            CAMBRIDGE => "Cambridge".into(),
            "E07000010" => "Fenland".into(),
            other => other.into(),
        }
    }

    /// A square of `half` degrees round a position, as GeoJSON, anticlockwise.
    fn square_geojson(lat: f64, lon: f64, half: f64) -> String {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}}"#,
            w = lon - half,
            e = lon + half,
            s = lat - half,
            n = lat + half
        )
    }

    fn five_km_round_melbourn() -> Shape {
        circle(MELBOURN.0, MELBOURN.1, 5.0, DistanceUnit::Km, "Melbourn").unwrap()
    }

    // --- Circles ----------------------------------------------------------------------------

    #[test]
    fn a_circle_takes_km_or_miles() {
        let Shape::Circle {
            radius_m, label, ..
        } = five_km_round_melbourn()
        else {
            panic!("not a circle");
        };
        assert_eq!((radius_m, label.as_str()), (5_000.0, "Melbourn"));
        let Ok(Shape::Circle { radius_m, .. }) = circle(
            MELBOURN.0,
            MELBOURN.1,
            3.0,
            DistanceUnit::Miles,
            " Melbourn ",
        ) else {
            panic!("not a circle");
        };
        assert!((radius_m - 4_828.032).abs() < 1e-6);
    }

    #[test]
    fn a_circle_needs_a_sensible_radius() {
        let (e, n) = MELBOURN;
        for radius in [0.0, -1.0, f64::NAN, f64::NEG_INFINITY] {
            assert_eq!(
                circle(e, n, radius, DistanceUnit::Km, "x"),
                Err(TargetError::RadiusNotPositive)
            );
        }
        assert_eq!(
            TargetError::RadiusNotPositive.to_string(),
            "Enter a radius greater than 0"
        );
        assert!(circle(e, n, 200.0, DistanceUnit::Km, "x").is_ok());
        assert!(circle(e, n, 124.0, DistanceUnit::Miles, "x").is_ok());
        for (radius, unit) in [
            (200.1, DistanceUnit::Km),
            (125.0, DistanceUnit::Miles),
            (f64::INFINITY, DistanceUnit::Km),
        ] {
            assert_eq!(
                circle(e, n, radius, unit, "x"),
                Err(TargetError::RadiusTooLarge)
            );
        }
        assert_eq!(
            TargetError::RadiusTooLarge.to_string(),
            "The radius must be 200 km (124 miles) or less"
        );
        assert_eq!(
            circle(f64::NAN, n, 5.0, DistanceUnit::Km, "x"),
            Err(TargetError::CentreOutsideGreatBritain)
        );
    }

    // --- Targets ----------------------------------------------------------------------------

    #[test]
    fn a_place_is_in_the_target_when_included_and_not_excluded() {
        let target = AreaTarget {
            include: vec![
                five_km_round_melbourn(),
                Shape::Districts {
                    codes: vec![CAMBRIDGE.into()],
                },
            ],
            exclude: vec![circle(ROYSTON.0, ROYSTON.1, 2.0, DistanceUnit::Km, "Royston").unwrap()],
        };
        let prepared = target.prepare();
        let cases = [
            (
                SOUTH_CAMBS,
                MELDRETH,
                true,
                "Meldreth, 1.5 km from Melbourn",
            ),
            (
                SOUTH_CAMBS,
                (538_184.0, 249_500.0),
                false,
                "just over 5 km north",
            ),
            (CAMBRIDGE, CAMBRIDGE_CENTRE, true, "in Cambridge"),
            (
                SOUTH_CAMBS,
                ROYSTON,
                false,
                "in the excluded circle round Royston",
            ),
            (
                "E07000099",
                (536_500.0, 242_500.0),
                false,
                "inside 2 km of Royston",
            ),
            (
                "E07000099",
                (540_500.0, 245_000.0),
                true,
                "out of district but in the circle",
            ),
        ];
        for (district, (e, n), expected, why) in cases {
            assert_eq!(target.contains(district, e, n), expected, "{why}");
            assert_eq!(
                prepared.contains(district, e, n),
                expected,
                "{why} (prepared)"
            );
        }
    }

    #[test]
    fn the_force_area_is_its_six_districts() {
        let target = AreaTarget {
            include: vec![Shape::ForceArea],
            exclude: vec![Shape::Districts {
                codes: vec![CAMBRIDGE.into()],
            }],
        };
        let prepared = target.prepare();
        for code in FORCE_DISTRICTS {
            let expected = code != CAMBRIDGE;
            assert_eq!(target.contains(code, 0.0, 0.0), expected, "{code}");
            assert_eq!(prepared.contains(code, 0.0, 0.0), expected, "{code}");
        }
        assert!(!target.contains("E07000099", MELBOURN.0, MELBOURN.1));
        assert!(!prepared.contains("", MELBOURN.0, MELBOURN.1));
    }

    #[test]
    fn an_indexed_target_agrees_with_codes() {
        let table = ["E07000099", SOUTH_CAMBS, CAMBRIDGE, "E07000010"];
        let target = AreaTarget {
            include: vec![Shape::ForceArea],
            exclude: vec![Shape::Districts {
                codes: vec!["E07000010".into()],
            }],
        };
        let indexed = target.prepare_indexed(&table);
        let plain = target.prepare();
        for (index, code) in table.iter().enumerate() {
            assert_eq!(
                indexed.contains_indexed(index, 0.0, 0.0),
                plain.contains(code, 0.0, 0.0),
                "{code}"
            );
        }
        assert!(!indexed.contains_indexed(99, 0.0, 0.0));
        assert!(!plain.contains_indexed(1, 0.0, 0.0));
    }

    #[test]
    fn an_empty_target_contains_nothing() {
        let target = AreaTarget::default();
        assert!(!target.contains(SOUTH_CAMBS, MELBOURN.0, MELBOURN.1));
        assert!(!target
            .prepare()
            .contains(SOUTH_CAMBS, MELBOURN.0, MELBOURN.1));
        assert_eq!(target.validate(), Err(TargetError::NothingIncluded));
    }

    #[test]
    fn bounding_boxes_need_geometric_shapes() {
        let circle_only = AreaTarget {
            include: vec![five_km_round_melbourn()],
            exclude: vec![Shape::ForceArea],
        };
        assert_eq!(
            circle_only.bounding_box(),
            Some([533_184.0, 239_462.0, 543_184.0, 249_462.0])
        );
        let with_district = AreaTarget {
            include: vec![five_km_round_melbourn(), Shape::ForceArea],
            exclude: vec![],
        };
        assert_eq!(with_district.bounding_box(), None);
        assert_eq!(AreaTarget::default().bounding_box(), None);
        let polygon = polygon_from_geojson(&square_geojson(52.08, 0.02, 0.01)).unwrap();
        let both = AreaTarget {
            include: vec![five_km_round_melbourn(), polygon],
            exclude: vec![],
        };
        let [min_e, min_n, max_e, max_n] = both.bounding_box().unwrap();
        assert!(min_e <= 533_184.0 && min_n <= 239_462.0);
        assert!(max_e >= 543_184.0 && max_n >= 249_462.0);
    }

    #[test]
    fn a_target_is_described_in_words() {
        let target = AreaTarget {
            include: vec![
                five_km_round_melbourn(),
                Shape::Districts {
                    codes: vec![SOUTH_CAMBS.into()],
                },
            ],
            exclude: vec![Shape::Districts {
                codes: vec![CAMBRIDGE.into()],
            }],
        };
        assert_eq!(
            target.describe(district_name),
            "Within 5 km of Melbourn; South Cambridgeshire; excluding Cambridge"
        );
        let target = AreaTarget {
            include: vec![
                Shape::ForceArea,
                Shape::Districts {
                    codes: vec![SOUTH_CAMBS.into(), CAMBRIDGE.into(), "E07000010".into()],
                },
                Shape::Polygon { rings: vec![] },
            ],
            exclude: vec![
                circle(ROYSTON.0, ROYSTON.1, 3.0, DistanceUnit::Miles, "Royston").unwrap(),
                circle(ROYSTON.0, ROYSTON.1, 0.5, DistanceUnit::Km, "").unwrap(),
            ],
        };
        assert_eq!(
            target.describe(district_name),
            "The whole force area; South Cambridgeshire, Cambridge and Fenland; an area drawn on \
             the map; excluding 3 miles around Royston; excluding 500 m around a chosen point"
        );
    }

    #[test]
    fn distances_read_as_the_sender_gave_them() {
        assert_eq!(describe_distance(5_000.0), "5 km");
        assert_eq!(describe_distance(2_500.0), "2.5 km");
        assert_eq!(describe_distance(METRES_PER_MILE), "1 mile");
        assert_eq!(describe_distance(10.0 * METRES_PER_MILE), "10 miles");
        assert_eq!(describe_distance(1.5 * METRES_PER_MILE), "1.5 miles");
        assert_eq!(describe_distance(1_234.0), "1.2 km");
        assert_eq!(describe_distance(750.0), "750 m");
    }

    #[test]
    fn targets_round_trip_through_json() {
        let target = AreaTarget {
            include: vec![
                Shape::ForceArea,
                five_km_round_melbourn(),
                polygon_from_geojson(&square_geojson(52.08, 0.02, 0.01)).unwrap(),
            ],
            exclude: vec![Shape::Districts {
                codes: vec![CAMBRIDGE.into()],
            }],
        };
        let json = serde_json::to_value(&target).unwrap();
        assert_eq!(
            json["include"][0],
            serde_json::json!({"kind": "force_area"})
        );
        assert_eq!(json["include"][1]["kind"], "circle");
        assert_eq!(json["exclude"][0]["codes"][0], CAMBRIDGE);
        let back: AreaTarget = serde_json::from_value(json).unwrap();
        assert_eq!(back, target);
        assert_eq!(back.validate(), Ok(()));
    }

    #[test]
    fn validation_catches_shapes_that_bypassed_the_composer() {
        let bad_circle = AreaTarget {
            include: vec![Shape::Circle {
                easting: MELBOURN.0,
                northing: MELBOURN.1,
                radius_m: 900_000.0,
                label: "x".into(),
            }],
            exclude: vec![],
        };
        assert_eq!(bad_circle.validate(), Err(TargetError::RadiusTooLarge));
        let no_districts = AreaTarget {
            include: vec![Shape::Districts { codes: vec![] }],
            exclude: vec![],
        };
        assert_eq!(no_districts.validate(), Err(TargetError::NoDistricts));
        let bow_tie = AreaTarget {
            include: vec![Shape::Polygon {
                rings: vec![vec![
                    [0.0, 0.0],
                    [1_000.0, 1_000.0],
                    [1_000.0, 0.0],
                    [0.0, 1_000.0],
                    [0.0, 0.0],
                ]],
            }],
            exclude: vec![],
        };
        assert_eq!(bow_tie.validate(), Err(TargetError::SelfIntersecting));
    }

    // --- GeoJSON ----------------------------------------------------------------------------

    #[test]
    fn a_geojson_polygon_becomes_grid_metres() {
        let shape = polygon_from_geojson(&square_geojson(52.08128, 0.01514, 0.01)).unwrap();
        let Shape::Polygon { rings } = &shape else {
            panic!("not a polygon");
        };
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].len(), 5);
        assert_eq!(rings[0].first(), rings[0].last());
        let target = AreaTarget {
            include: vec![shape.clone()],
            exclude: vec![],
        };
        assert!(target.contains("", MELBOURN.0, MELBOURN.1));
        assert!(!target.contains("", ROYSTON.0, ROYSTON.1));
        // A 0.02-degree square at 52N is about 1,370 m east-west and 2,225 m north-south (the
        // grid is turned a degree or two from true north here, so its box is a little larger).
        let side = |i: usize| {
            let ([e1, n1], [e2, n2]) = (rings[0][i], rings[0][i + 1]);
            (e2 - e1).hypot(n2 - n1)
        };
        assert!((side(0) - 1_370.0).abs() < 10.0, "{}", side(0));
        assert!((side(1) - 2_225.0).abs() < 10.0, "{}", side(1));
    }

    #[test]
    fn a_feature_or_a_collection_of_one_is_accepted() {
        let polygon = square_geojson(52.08, 0.02, 0.01);
        let feature =
            format!(r#"{{"type":"Feature","properties":{{"name":"x"}},"geometry":{polygon}}}"#);
        let collection = format!(r#"{{"type":"FeatureCollection","features":[{feature}]}}"#);
        let expected = polygon_from_geojson(&polygon).unwrap();
        assert_eq!(polygon_from_geojson(&feature), Ok(expected.clone()));
        assert_eq!(polygon_from_geojson(&collection), Ok(expected));
    }

    #[test]
    fn other_geojson_is_refused_saying_what_it_is() {
        let polygon = square_geojson(52.08, 0.02, 0.01);
        let feature = format!(r#"{{"type":"Feature","geometry":{polygon}}}"#);
        let cases = [
            (
                format!(r#"{{"type":"FeatureCollection","features":[{feature},{feature}]}}"#),
                "the FeatureCollection has 2 features, not one",
            ),
            (
                r#"{"type":"FeatureCollection","features":[]}"#.to_owned(),
                "the FeatureCollection has 0 features, not one",
            ),
            (
                r#"{"type":"Point","coordinates":[0.1,52.1]}"#.to_owned(),
                "this is a Point",
            ),
            (
                r#"{"type":"MultiPolygon","coordinates":[]}"#.to_owned(),
                "this is a MultiPolygon: send one area at a time",
            ),
            (
                r#"{"type":"Feature","geometry":null}"#.to_owned(),
                "the Feature has no geometry",
            ),
            (r#"{"coordinates":[]}"#.to_owned(), "there is no \"type\""),
            ("[1,2,3]".to_owned(), "this is not a GeoJSON object"),
            (
                r#"{"type":"Polygon"}"#.to_owned(),
                "the Polygon has no coordinates",
            ),
        ];
        for (input, detail) in cases {
            assert_eq!(
                polygon_from_geojson(&input),
                Err(TargetError::NotAPolygon(detail.to_owned())),
                "{input}"
            );
        }
    }

    #[test]
    fn unreadable_geojson_says_where() {
        let error = polygon_from_geojson(r#"{"type": "Polygon", "coordinates": [[[0.1, 52.1],]]}"#)
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("The GeoJSON could not be read: "),
            "{message}"
        );
        assert!(message.contains("line 1 column"), "{message}");
    }

    #[test]
    fn rings_must_be_long_enough_and_closed() {
        let short = r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.0],[0.0,52.0]]]}"#;
        assert_eq!(
            polygon_from_geojson(short),
            Err(TargetError::RingTooShort("The outline".into()))
        );
        let open =
            r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.0],[0.1,52.1],[0.0,52.1]]]}"#;
        assert_eq!(
            polygon_from_geojson(open),
            Err(TargetError::RingNotClosed("The outline".into()))
        );
        assert_eq!(
            TargetError::RingNotClosed("The outline".into()).to_string(),
            "The outline is not closed: its last position must be the same as its first"
        );
    }

    #[test]
    fn positions_must_be_in_great_britain() {
        // New York, and Melbourn with latitude and longitude swapped.
        for input in [
            square_geojson(40.7, -74.0, 0.01),
            r#"{"type":"Polygon","coordinates":[[[52.0,0.0],[52.1,0.0],[52.1,0.1],[52.0,0.0]]]}"#
                .to_owned(),
        ] {
            let error = polygon_from_geojson(&input).unwrap_err();
            assert!(
                matches!(error, TargetError::OutsideGreatBritain(_)),
                "{error}"
            );
            assert!(error.to_string().contains("must be in Great Britain"));
        }
        let input =
            r#"{"type":"Polygon","coordinates":[[[0.0,95.0],[0.1,52.0],[0.1,52.1],[0.0,95.0]]]}"#;
        assert_eq!(polygon_from_geojson(input), Err(TargetError::OutOfRange));
    }

    #[test]
    fn a_shape_that_crosses_itself_is_refused() {
        let bow_tie = r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.1],[0.1,52.0],[0.0,52.1],[0.0,52.0]]]}"#;
        assert_eq!(
            polygon_from_geojson(bow_tie),
            Err(TargetError::SelfIntersecting)
        );
        assert_eq!(
            TargetError::SelfIntersecting.to_string(),
            "The shape crosses itself: draw it again without crossing lines"
        );
        // A figure of eight through one shared corner touches itself: also refused.
        let touching = r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.0],[0.05,52.05],[0.1,52.1],[0.0,52.1],[0.05,52.05],[0.0,52.0]]]}"#;
        assert_eq!(
            polygon_from_geojson(touching),
            Err(TargetError::SelfIntersecting)
        );
        // A spike out and straight back along the same line.
        let spike = r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.0],[0.2,52.0],[0.1,52.0],[0.1,52.1],[0.0,52.0]]]}"#;
        assert_eq!(
            polygon_from_geojson(spike),
            Err(TargetError::SelfIntersecting)
        );
    }

    #[test]
    fn a_repeated_corner_is_not_a_crossing() {
        let doubled = r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.0],[0.1,52.0],[0.1,52.1],[0.0,52.1],[0.0,52.0]]]}"#;
        assert!(polygon_from_geojson(doubled).is_ok());
    }

    #[test]
    fn a_shape_without_area_is_refused() {
        let there_and_back =
            r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.0],[0.0,52.0],[0.0,52.0]]]}"#;
        assert_eq!(
            polygon_from_geojson(there_and_back),
            Err(TargetError::NoArea)
        );
        // Three corners in a straight line on the grid. (A line of latitude is not one: it is
        // slightly curved on the grid, so it gives a very thin but real shape.)
        let line = AreaTarget {
            include: vec![Shape::Polygon {
                rings: vec![vec![
                    [500_000.0, 200_000.0],
                    [501_000.0, 200_000.0],
                    [502_000.0, 200_000.0],
                    [500_000.0, 200_000.0],
                ]],
            }],
            exclude: vec![],
        };
        assert_eq!(line.validate(), Err(TargetError::NoArea));
        let point =
            r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.0,52.0],[0.0,52.0],[0.0,52.0]]]}"#;
        assert_eq!(polygon_from_geojson(point), Err(TargetError::NoArea));
        assert_eq!(
            polygon_from_geojson(r#"{"type":"Polygon","coordinates":[]}"#),
            Err(TargetError::NoOutline)
        );
    }

    /// A square outline 0.2 degrees across round 52.1N 0.1E with the given holes.
    fn with_holes(holes: &[&str]) -> String {
        let mut rings = vec!["[[0.0,52.0],[0.2,52.0],[0.2,52.2],[0.0,52.2],[0.0,52.0]]"];
        rings.extend_from_slice(holes);
        format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            rings.join(",")
        )
    }

    #[test]
    fn holes_are_left_out_of_the_shape() {
        let hole = "[[0.05,52.05],[0.05,52.15],[0.15,52.15],[0.15,52.05],[0.05,52.05]]";
        let shape = polygon_from_geojson(&with_holes(&[hole])).unwrap();
        let target = AreaTarget {
            include: vec![shape],
            exclude: vec![],
        };
        let prepared = target.prepare();
        let (in_hole_e, in_hole_n) = wgs84_to_bng(52.1, 0.1);
        let (in_ring_e, in_ring_n) = wgs84_to_bng(52.02, 0.1);
        assert!(!target.contains("", in_hole_e, in_hole_n));
        assert!(!prepared.contains("", in_hole_e, in_hole_n));
        assert!(target.contains("", in_ring_e, in_ring_n));
        assert!(prepared.contains("", in_ring_e, in_ring_n));
    }

    #[test]
    fn holes_must_lie_inside_and_not_cross() {
        let outside = "[[0.3,52.05],[0.3,52.15],[0.35,52.15],[0.3,52.05]]";
        assert_eq!(
            polygon_from_geojson(&with_holes(&[outside])),
            Err(TargetError::HoleOutside)
        );
        let crossing = "[[0.1,52.1],[0.3,52.1],[0.3,52.15],[0.1,52.1]]";
        assert_eq!(
            polygon_from_geojson(&with_holes(&[crossing])),
            Err(TargetError::HoleCrosses)
        );
        let big = "[[0.02,52.02],[0.02,52.18],[0.18,52.18],[0.18,52.02],[0.02,52.02]]";
        let small = "[[0.05,52.05],[0.05,52.1],[0.1,52.1],[0.05,52.05]]";
        assert_eq!(
            polygon_from_geojson(&with_holes(&[big, small])),
            Err(TargetError::HoleOutside)
        );
    }

    #[test]
    fn too_many_corners_are_refused() {
        let mut ring: Vec<String> = (0..10_001)
            .map(|i| {
                format!(
                    "[{},{}]",
                    0.1 * (f64::from(i) / 10_001.0 * 6.2).cos(),
                    52.0 + 0.1 * (f64::from(i) / 10_001.0 * 6.2).sin()
                )
            })
            .collect();
        ring.push(ring[0].clone());
        let input = format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            ring.join(",")
        );
        assert_eq!(
            polygon_from_geojson(&input),
            Err(TargetError::TooManyVertices)
        );
    }

    #[test]
    fn a_detailed_shape_is_checked_quickly_and_tested_exactly() {
        // A 5,000-corner star round Melbourn: valid, and the banded test agrees with the plain one.
        let corners = 5_000;
        let mut ring: Vec<String> = (0..corners)
            .map(|i| {
                let angle = f64::from(i) / f64::from(corners) * std::f64::consts::TAU;
                let radius = if i % 2 == 0 { 0.05 } else { 0.03 };
                format!(
                    "[{},{}]",
                    0.015 + radius * angle.cos(),
                    52.08 + radius * angle.sin()
                )
            })
            .collect();
        ring.push(ring[0].clone());
        let input = format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            ring.join(",")
        );
        let shape = polygon_from_geojson(&input).unwrap();
        let target = AreaTarget {
            include: vec![shape],
            exclude: vec![],
        };
        let prepared = target.prepare();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut inside = 0;
        for _ in 0..5_000 {
            let e = MELBOURN.0 + (rng.unit() - 0.5) * 8_000.0;
            let n = MELBOURN.1 + (rng.unit() - 0.5) * 12_000.0;
            let expected = target.contains("", e, n);
            assert_eq!(prepared.contains("", e, n), expected, "{e} {n}");
            inside += usize::from(expected);
        }
        assert!(inside > 1_000, "{inside}");
    }

    #[test]
    fn polygons_go_back_to_geojson() {
        let input = square_geojson(52.08128, 0.01514, 0.01);
        let shape = polygon_from_geojson(&input).unwrap();
        let geojson = polygon_to_geojson(&shape).unwrap();
        let original: Value = serde_json::from_str(&input).unwrap();
        assert_eq!(geojson["type"], "Polygon");
        let (got, want) = (
            geojson["coordinates"][0].as_array().unwrap(),
            original["coordinates"][0].as_array().unwrap(),
        );
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            for axis in 0..2 {
                let diff = g[axis].as_f64().unwrap() - w[axis].as_f64().unwrap();
                assert!(diff.abs() < 1e-7, "{g} vs {w}");
            }
        }
        // And reading it back gives the same shape, to the centimetre.
        let again = polygon_from_geojson(&geojson.to_string()).unwrap();
        let (Shape::Polygon { rings: a }, Shape::Polygon { rings: b }) = (&shape, &again) else {
            panic!("not polygons");
        };
        for (p, q) in a[0].iter().zip(&b[0]) {
            assert!((p[0] - q[0]).abs() < 0.02 && (p[1] - q[1]).abs() < 0.02);
        }
        assert_eq!(polygon_to_geojson(&Shape::ForceArea), None);
        assert_eq!(polygon_to_geojson(&five_km_round_melbourn()), None);
    }

    // --- Hostile input ----------------------------------------------------------------------

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
        }

        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn hostile_geojson_is_refused_without_panicking() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let deep_object = r#"{"type":"Polygon","coordinates":"#.to_owned() + &deep + "}";
        let cases = [
            "",
            "null",
            "{}",
            "\"Polygon\"",
            r#"{"type":7}"#,
            r#"{"type":"Polygon","coordinates":null}"#,
            r#"{"type":"Polygon","coordinates":[[]]}"#,
            r#"{"type":"Polygon","coordinates":[[[]]]}"#,
            r#"{"type":"Polygon","coordinates":[[["0","52"],["1","52"],["1","53"],["0","52"]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[1e308,1e308],[0,52],[0,53],[1e308,1e308]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[1e400,52],[0,52],[0,53],[1e400,52]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[NaN,52],[0,52],[0,53],[NaN,52]]]}"#,
            r#"{"type":"Feature","geometry":{"type":"Feature","geometry":{}}}"#,
            r#"{"type":"FeatureCollection","features":{"a":1}}"#,
            r#"{"type":"FeatureCollection","features":[7]}"#,
            &deep,
            &deep_object,
        ];
        for input in cases {
            assert!(polygon_from_geojson(input).is_err(), "{input:.80}");
        }
        // Altitudes and any further numbers in a position are ignored, as RFC 7946 allows.
        let with_altitude =
            r#"{"type":"Polygon","coordinates":[[[0,52,1,2,3],[0.1,52],[0.1,52.1],[0,52,9]]]}"#;
        assert!(polygon_from_geojson(with_altitude).is_ok());
        let long_type = format!(r#"{{"type":"{}"}}"#, "x".repeat(10_000));
        let message = polygon_from_geojson(&long_type).unwrap_err().to_string();
        assert!(message.len() < 300, "{message}");
    }

    #[test]
    fn random_geojson_never_panics() {
        let pieces = [
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"type\"",
            "\"Polygon\"",
            "\"Feature\"",
            "\"FeatureCollection\"",
            "\"coordinates\"",
            "\"geometry\"",
            "\"features\"",
            "0.1",
            "52.1",
            "-1e9",
            "1e308",
            "null",
            "true",
            "\"x\"",
            " ",
        ];
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for _ in 0..400 {
            let mut input = String::new();
            for _ in 0..rng.below(80) {
                input.push_str(pieces[rng.below(pieces.len())]);
            }
            let _ = polygon_from_geojson(&input);
        }
    }

    #[test]
    fn random_polygons_never_panic_and_checks_agree() {
        let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
        for round in 0..400 {
            let corners = 3 + rng.below(12);
            // Random positions round Cambridge, sometimes wildly off, sometimes repeated.
            let mut ring: Vec<[f64; 2]> = (0..corners)
                .map(|_| match rng.below(20) {
                    0 => [rng.unit() * 400.0 - 200.0, rng.unit() * 200.0 - 100.0],
                    1 => [0.1, 52.2],
                    _ => [0.1 + rng.unit() * 0.2 - 0.1, 52.2 + rng.unit() * 0.2 - 0.1],
                })
                .collect();
            if round % 7 != 0 {
                ring.push(ring[0]);
            }
            let text = serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string();
            let Ok(shape) = polygon_from_geojson(&text) else {
                continue;
            };
            // A polygon that passed the checks is simple: the plain and banded tests agree, and
            // it survives a round trip through JSON.
            let target = AreaTarget {
                include: vec![shape.clone()],
                exclude: vec![],
            };
            assert_eq!(target.validate(), Ok(()));
            let prepared = target.prepare();
            let [min_e, min_n, max_e, max_n] = shape.bounding_box().unwrap();
            for _ in 0..50 {
                let e = min_e + (max_e - min_e) * (rng.unit() * 1.2 - 0.1);
                let n = min_n + (max_n - min_n) * (rng.unit() * 1.2 - 0.1);
                assert_eq!(target.contains("", e, n), prepared.contains("", e, n));
            }
            assert!(polygon_to_geojson(&shape).is_some());
        }
    }

    #[test]
    fn deserialised_nonsense_never_panics() {
        let shapes = [
            Shape::Polygon { rings: vec![] },
            Shape::Polygon {
                rings: vec![vec![]],
            },
            Shape::Polygon {
                rings: vec![vec![[f64::NAN, f64::NAN]; 5]],
            },
            Shape::Polygon {
                rings: vec![vec![[f64::MAX, f64::MIN], [f64::MIN, f64::MAX], [0.0, 0.0]]],
            },
            Shape::Circle {
                easting: f64::NAN,
                northing: 0.0,
                radius_m: f64::INFINITY,
                label: String::new(),
            },
            Shape::Districts { codes: vec![] },
        ];
        for shape in shapes {
            let target = AreaTarget {
                include: vec![shape.clone()],
                exclude: vec![shape.clone()],
            };
            let prepared = target.prepare();
            for (e, n) in [
                (0.0, 0.0),
                (f64::NAN, 1.0),
                (f64::INFINITY, f64::NEG_INFINITY),
            ] {
                let _ = target.contains("E07000012", e, n);
                let _ = prepared.contains("E07000012", e, n);
                let _ = prepared.contains_indexed(usize::MAX, e, n);
            }
            let _ = target.validate();
            let _ = target.bounding_box();
            let _ = target.describe(district_name);
            let _ = polygon_to_geojson(&shape);
        }
    }
}
