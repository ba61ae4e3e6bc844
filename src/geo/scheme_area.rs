//! Where a Neighbourhood Watch scheme is: a polygon drawn on the map or pasted as GeoJSON
//! (checked like an alert's: closed, not crossing itself, in Great Britain), or the postcodes
//! of its streets; whether a resident's place is in it, and how a map draws it.

use super::target::{polygon_from_geojson, Shape, TargetError};
use serde::{Deserialize, Serialize};

/// Where a scheme is: a polygon on the British National Grid (metres), or the postcodes of the
/// streets it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchemeArea {
    Polygon {
        rings: Vec<Vec<[f64; 2]>>,
    },
    Postcodes {
        postcodes: Vec<String>,
        /// The middle of the postcodes' centroids, for the directory's map.
        #[serde(default)]
        centre: Option<[f64; 2]>,
    },
}

impl SchemeArea {
    /// Whether a place (its postcode, and its grid position when known) is in the scheme.
    pub fn covers(&self, postcode: &str, at: Option<(f64, f64)>) -> bool {
        match self {
            SchemeArea::Postcodes { postcodes, .. } => postcodes.iter().any(|p| p == postcode),
            SchemeArea::Polygon { .. } => match (self.shape(), at) {
                (Some(shape), Some((e, n))) => shape.contains("", e, n),
                _ => false,
            },
        }
    }

    /// The area as a target shape, for `covers`: only a polygon is one.
    pub fn shape(&self) -> Option<Shape> {
        match self {
            SchemeArea::Polygon { rings } => Some(Shape::Polygon {
                rings: rings.clone(),
            }),
            SchemeArea::Postcodes { .. } => None,
        }
    }

    /// The area as a map draws it: the polygon, or a small circle round the postcodes' middle.
    pub fn map_shape(&self, label: &str) -> Option<Shape> {
        match self {
            SchemeArea::Polygon { .. } => self.shape(),
            SchemeArea::Postcodes {
                centre: Some([easting, northing]),
                ..
            } => Some(Shape::Circle {
                easting: *easting,
                northing: *northing,
                radius_m: 300.0,
                label: label.to_owned(),
            }),
            SchemeArea::Postcodes { centre: None, .. } => None,
        }
    }

    /// In words, for lists: "12 postcodes" or "an area drawn on the map".
    pub fn describe(&self) -> String {
        match self {
            SchemeArea::Postcodes { postcodes, .. } if postcodes.len() == 1 => {
                format!("the postcode {}", postcodes[0])
            }
            SchemeArea::Postcodes { postcodes, .. } => {
                format!("{} postcodes", postcodes.len())
            }
            SchemeArea::Polygon { .. } => "an area drawn on the map".to_owned(),
        }
    }

    /// The area as the `schemes` table keeps it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a scheme area is plain data that always serialises")
    }
}

impl TryFrom<String> for SchemeArea {
    type Error = serde_json::Error;

    fn try_from(json: String) -> Result<SchemeArea, serde_json::Error> {
        serde_json::from_str(&json)
    }
}

/// A polygon pasted as GeoJSON, or drawn on the map as grid points, checked like an alert's
/// (closed, not crossing itself, in Great Britain).
pub fn polygon_area(geojson: &str) -> Result<SchemeArea, TargetError> {
    match polygon_from_geojson(geojson)? {
        Shape::Polygon { rings } => Ok(SchemeArea::Polygon { rings }),
        _ => Err(TargetError::NoOutline),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polygon_area_covers_places_inside_it_and_a_list_its_postcodes() {
        let area = SchemeArea::Polygon {
            rings: vec![vec![
                [0.0, 0.0],
                [1000.0, 0.0],
                [1000.0, 1000.0],
                [0.0, 1000.0],
                [0.0, 0.0],
            ]],
        };
        assert!(area.covers("CB1 1AA", Some((500.0, 500.0))));
        assert!(!area.covers("CB1 1AA", Some((1500.0, 500.0))));
        assert!(!area.covers("CB1 1AA", None));
        let list = SchemeArea::Postcodes {
            postcodes: vec!["CB1 1AA".into()],
            centre: None,
        };
        assert!(list.covers("CB1 1AA", None));
        assert!(!list.covers("CB1 1AB", Some((500.0, 500.0))));
    }

    #[test]
    fn a_crossing_shape_and_one_outside_great_britain_are_refused() {
        let bowtie = r#"{"type":"Polygon","coordinates":[[[0.1,52.1],[0.2,52.2],[0.2,52.1],[0.1,52.2],[0.1,52.1]]]}"#;
        assert_eq!(polygon_area(bowtie), Err(TargetError::SelfIntersecting));
        let paris =
            r#"{"type":"Polygon","coordinates":[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]]}"#;
        assert!(matches!(
            polygon_area(paris),
            Err(TargetError::OutsideGreatBritain(_))
        ));
    }
}
