//! The target's rules as a sender meets them: circles, districts, GeoJSON, hostile input.

use super::describe::describe_distance;
use super::*;
use crate::geo::grid::wgs84_to_bng;
use serde_json::Value;

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

#[test]
fn a_centre_name_is_one_short_line_of_plain_text() {
    assert_eq!(
        centre_name("  Meldreth, Melbourn \n").unwrap(),
        "Meldreth, Melbourn"
    );
    assert_eq!(centre_name("").unwrap(), "");
    let longest = "x".repeat(MAX_CENTRE_NAME_CHARS);
    assert_eq!(centre_name(&longest).unwrap(), longest);
    assert_eq!(
        centre_name(&"x".repeat(30_000)),
        Err(TargetError::CentreNameTooLong { chars: 30_000 })
    );
    for unprintable in [
        "Melbourn\nBcc: everyone",
        "Melbourn\u{7}",
        "Mel\u{0}bourn",
        "Melbourn\u{1b}[31m",
        "Melbourn\u{2028}Royston",
        "<b>Melbourn</b>",
    ] {
        assert_eq!(
            centre_name(unprintable),
            Err(TargetError::CentreNameUnprintable),
            "{unprintable:?}"
        );
    }
}
