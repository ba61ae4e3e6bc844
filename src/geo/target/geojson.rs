//! GeoJSON at the edge: a pasted or drawn polygon read from WGS84 into grid metres, checked,
//! and written back for maps and CAP messages.

use serde_json::Value;

use super::polygon::{check_polygon, ring_name};
use super::{on_grid, Shape, TargetError, GB_LATITUDE, GB_LONGITUDE, MAX_POLYGON_VERTICES};
use crate::geo::grid::{bng_to_wgs84, wgs84_to_bng};

/// Largest GeoJSON text read: 10,000 pretty-printed positions with full precision fit in 1 MB.
const MAX_GEOJSON_BYTES: usize = 5_000_000;

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

/// A shape drawn on the map, as grid points "E,N;E,N;…", as a GeoJSON polygon (closed, in
/// WGS84) to be checked like a pasted one; `None` when the points cannot be read.
pub fn drawn_polygon_geojson(points: &str) -> Option<String> {
    let mut ring: Vec<serde_json::Value> = points
        .split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|point| {
            let (e, n) = point.split_once(',')?;
            let (e, n) = (e.trim().parse::<f64>().ok()?, n.trim().parse::<f64>().ok()?);
            let at = bng_to_wgs84(e, n);
            Some(serde_json::json!([at.longitude, at.latitude]))
        })
        .collect::<Option<Vec<_>>>()?;
    if ring.len() > 10_000 {
        return None;
    }
    ring.push(ring.first()?.clone());
    let geojson = serde_json::json!({ "type": "Polygon", "coordinates": [ring] });
    Some(geojson.to_string())
}
