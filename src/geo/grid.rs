//! British National Grid coordinates: conversion to WGS84 latitude/longitude (for maps and
//! residents' devices) and back (for shapes senders draw or paste as GeoJSON), and straight-line
//! distance on the grid (for circle-shaped alert targets).
//!
//! The conversion follows the Ordnance Survey's "A guide to coordinate systems in Great Britain":
//! inverse Transverse Mercator on the Airy 1830 ellipsoid gives OSGB36 latitude/longitude, which a
//! 7-parameter Helmert transformation through cartesian coordinates moves onto WGS84. The Helmert
//! step is good to a few metres across Great Britain, plenty for postcode centroids (the OS's
//! centimetre-level OSTN15 grid would need a 15 MB correction file for no practical gain here).

use serde::Serialize;

/// A WGS84 position in decimal degrees (north and east positive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatLon {
    pub latitude: f64,
    pub longitude: f64,
}

/// An ellipsoid by its semi-major and semi-minor axes in metres.
struct Ellipsoid {
    a: f64,
    b: f64,
}

impl Ellipsoid {
    fn e2(&self) -> f64 {
        1.0 - (self.b * self.b) / (self.a * self.a)
    }
}

const AIRY_1830: Ellipsoid = Ellipsoid {
    a: 6_377_563.396,
    b: 6_356_256.909,
};

/// WGS84 and GRS80 differ by a tenth of a millimetre in `b`, irrelevant at this accuracy.
const WGS84: Ellipsoid = Ellipsoid {
    a: 6_378_137.000,
    b: 6_356_752.314_245,
};

// National Grid projection constants (OS guide, table A.1).
const F0: f64 = 0.999_601_271_7;
const LAT0_DEG: f64 = 49.0;
const LON0_DEG: f64 = -2.0;
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;

// OSGB36 -> WGS84 Helmert parameters (OS guide, section 6.6; the inverse of the published
// WGS84 -> OSGB36 set): translations in metres, scale in parts per million, rotations in arc
// seconds, position-vector convention.
const TX: f64 = 446.448;
const TY: f64 = -125.157;
const TZ: f64 = 542.060;
const SCALE_PPM: f64 = -20.4894;
const RX_SEC: f64 = 0.1502;
const RY_SEC: f64 = 0.2470;
const RZ_SEC: f64 = 0.8421;

/// Converts a National Grid easting/northing (metres, OSGB36) to WGS84 latitude/longitude.
///
/// Accurate to a few metres within Great Britain. The input must be a GB grid reference: Northern
/// Ireland postcodes in the ONS directory use the Irish Grid, which this does not handle.
pub fn bng_to_wgs84(easting: f64, northing: f64) -> LatLon {
    let (lat, lon) = grid_to_osgb36(easting, northing);
    let cartesian = geodetic_to_cartesian(&AIRY_1830, lat, lon);
    let shifted = helmert_osgb36_to_wgs84(cartesian);
    let (lat, lon) = cartesian_to_geodetic(&WGS84, shifted);
    LatLon {
        latitude: lat.to_degrees(),
        longitude: lon.to_degrees(),
    }
}

/// Converts WGS84 latitude/longitude (decimal degrees) to a National Grid easting/northing in
/// metres: the inverse of [`bng_to_wgs84`], so shapes drawn on a web map or pasted as GeoJSON can
/// be tested against postcode centroids on the grid.
///
/// Accurate to a few metres within Great Britain, like the forward conversion, and its exact
/// inverse to well under a centimetre anywhere on the grid. Non-finite input gives non-finite
/// output.
pub fn wgs84_to_bng(latitude: f64, longitude: f64) -> (f64, f64) {
    let (e, n) = wgs84_to_bng_series(latitude, longitude);
    // The forward and inverse Transverse Mercator series are truncated differently, so far from
    // the central meridian (the sea off Cornwall or the Hebrides) they disagree by a centimetre. A
    // shape saved in BNG and shown back on a map must not creep, so correct once by how far the
    // series misses on the way back: the error varies slowly, and one step leaves microns.
    let back = bng_to_wgs84(e, n);
    let (back_e, back_n) = wgs84_to_bng_series(back.latitude, back.longitude);
    (e + (e - back_e), n + (n - back_n))
}

/// WGS84 to the grid by the OS guide's formulas alone: Helmert to OSGB36, then Transverse Mercator.
fn wgs84_to_bng_series(latitude: f64, longitude: f64) -> (f64, f64) {
    let cartesian = geodetic_to_cartesian(&WGS84, latitude.to_radians(), longitude.to_radians());
    let shifted = helmert_wgs84_to_osgb36(cartesian);
    let (lat, lon) = cartesian_to_geodetic(&AIRY_1830, shifted);
    osgb36_to_grid(lat, lon)
}

/// Straight-line distance in metres between two grid positions. The grid's scale factor stays
/// within 0.1% of 1 across GB, so for any radius an alert would use this is the ground distance
/// to within metres, without converting to latitude/longitude.
pub fn grid_distance(e1: f64, n1: f64, e2: f64, n2: f64) -> f64 {
    (e2 - e1).hypot(n2 - n1)
}

/// Inverse Transverse Mercator (OS guide, appendix C.2): grid to OSGB36 latitude/longitude in
/// radians.
fn grid_to_osgb36(easting: f64, northing: f64) -> (f64, f64) {
    let Ellipsoid { a, b } = AIRY_1830;
    let e2 = AIRY_1830.e2();
    let n = (a - b) / (a + b);
    let lat0 = LAT0_DEG.to_radians();
    let lon0 = LON0_DEG.to_radians();

    // Find the latitude whose meridional arc matches the northing. The OS guide iterates until the
    // residual is under 0.01 mm; convergence takes 3-4 rounds, and the cap guards against
    // non-finite input looping forever.
    let mut lat = (northing - N0) / (a * F0) + lat0;
    let mut m = meridional_arc(b, n, lat, lat0);
    for _ in 0..20 {
        let residual = northing - N0 - m;
        if residual.abs() < 0.000_01 {
            break;
        }
        lat += residual / (a * F0);
        m = meridional_arc(b, n, lat, lat0);
    }

    let (sin_lat, cos_lat) = lat.sin_cos();
    let w = 1.0 - e2 * sin_lat * sin_lat;
    let nu = a * F0 / w.sqrt();
    let rho = a * F0 * (1.0 - e2) / w.powf(1.5);
    let eta2 = nu / rho - 1.0;

    let tan = lat.tan();
    let tan2 = tan * tan;
    let tan4 = tan2 * tan2;
    let tan6 = tan4 * tan2;
    let sec = 1.0 / cos_lat;
    let nu3 = nu.powi(3);
    let nu5 = nu.powi(5);
    let nu7 = nu.powi(7);

    let vii = tan / (2.0 * rho * nu);
    let viii = tan / (24.0 * rho * nu3) * (5.0 + 3.0 * tan2 + eta2 - 9.0 * tan2 * eta2);
    let ix = tan / (720.0 * rho * nu5) * (61.0 + 90.0 * tan2 + 45.0 * tan4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu3) * (nu / rho + 2.0 * tan2);
    let xii = sec / (120.0 * nu5) * (5.0 + 28.0 * tan2 + 24.0 * tan4);
    let xiia = sec / (5040.0 * nu7) * (61.0 + 662.0 * tan2 + 1320.0 * tan4 + 720.0 * tan6);

    let de = easting - E0;
    let de2 = de * de;
    let de3 = de2 * de;
    let de4 = de2 * de2;
    let de5 = de4 * de;
    let de6 = de3 * de3;
    let de7 = de6 * de;

    let lat = lat - vii * de2 + viii * de4 - ix * de6;
    let lon = lon0 + x * de - xi * de3 + xii * de5 - xiia * de7;
    (lat, lon)
}

/// Transverse Mercator (OS guide, appendix C.1): OSGB36 latitude/longitude in radians to grid
/// easting and northing.
fn osgb36_to_grid(lat: f64, lon: f64) -> (f64, f64) {
    let Ellipsoid { a, b } = AIRY_1830;
    let e2 = AIRY_1830.e2();
    let n = (a - b) / (a + b);
    let lat0 = LAT0_DEG.to_radians();
    let lon0 = LON0_DEG.to_radians();

    let (sin_lat, cos_lat) = lat.sin_cos();
    let w = 1.0 - e2 * sin_lat * sin_lat;
    let nu = a * F0 / w.sqrt();
    let rho = a * F0 * (1.0 - e2) / w.powf(1.5);
    let eta2 = nu / rho - 1.0;
    let m = meridional_arc(b, n, lat, lat0);

    let cos3 = cos_lat.powi(3);
    let cos5 = cos_lat.powi(5);
    let tan2 = lat.tan().powi(2);
    let tan4 = tan2 * tan2;

    let i = m + N0;
    let ii = nu / 2.0 * sin_lat * cos_lat;
    let iii = nu / 24.0 * sin_lat * cos3 * (5.0 - tan2 + 9.0 * eta2);
    let iiia = nu / 720.0 * sin_lat * cos5 * (61.0 - 58.0 * tan2 + tan4);
    let iv = nu * cos_lat;
    let v = nu / 6.0 * cos3 * (nu / rho - tan2);
    let vi = nu / 120.0 * cos5 * (5.0 - 18.0 * tan2 + tan4 + 14.0 * eta2 - 58.0 * tan2 * eta2);

    let dl = lon - lon0;
    let dl2 = dl * dl;
    let dl3 = dl2 * dl;
    let dl4 = dl2 * dl2;
    let dl5 = dl4 * dl;
    let dl6 = dl3 * dl3;

    let northing = i + ii * dl2 + iii * dl4 + iiia * dl6;
    let easting = E0 + iv * dl + v * dl3 + vi * dl5;
    (easting, northing)
}

/// Meridional arc from the true origin's latitude to `lat` (OS guide, equation C3), in metres.
fn meridional_arc(b: f64, n: f64, lat: f64, lat0: f64) -> f64 {
    let n2 = n * n;
    let n3 = n2 * n;
    let d = lat - lat0;
    let s = lat + lat0;
    b * F0
        * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3.0 * n + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
            + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
            - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
}

/// Latitude/longitude (radians, height zero) to earth-centred cartesian metres (OS guide, B1).
fn geodetic_to_cartesian(ellipsoid: &Ellipsoid, lat: f64, lon: f64) -> [f64; 3] {
    let e2 = ellipsoid.e2();
    let (sin_lat, cos_lat) = lat.sin_cos();
    let (sin_lon, cos_lon) = lon.sin_cos();
    let nu = ellipsoid.a / (1.0 - e2 * sin_lat * sin_lat).sqrt();
    [
        nu * cos_lat * cos_lon,
        nu * cos_lat * sin_lon,
        (1.0 - e2) * nu * sin_lat,
    ]
}

/// The linear part of the Helmert transformation below, as a matrix applied to (x, y, z).
fn helmert_matrix() -> [[f64; 3]; 3] {
    let arcsec = (1.0_f64 / 3600.0).to_radians();
    let s = 1.0 + SCALE_PPM * 1e-6;
    let rx = RX_SEC * arcsec;
    let ry = RY_SEC * arcsec;
    let rz = RZ_SEC * arcsec;
    [[s, -rz, ry], [rz, s, -rx], [-ry, rx, s]]
}

/// The 7-parameter Helmert transformation (OS guide, equation 6.1, small-angle form).
fn helmert_osgb36_to_wgs84([x, y, z]: [f64; 3]) -> [f64; 3] {
    let [r0, r1, r2] = helmert_matrix();
    [
        TX + r0[0] * x + r0[1] * y + r0[2] * z,
        TY + r1[0] * x + r1[1] * y + r1[2] * z,
        TZ + r2[0] * x + r2[1] * y + r2[2] * z,
    ]
}

/// The exact inverse of [`helmert_osgb36_to_wgs84`]. Applying the published parameters with their
/// signs flipped is only a first-order inverse, about 1.5 cm out: enough to make a round trip
/// through both conversions drift, so this inverts the matrix instead (by cofactors; the matrix is
/// within 1e-4 of the identity, so the determinant is never near zero).
fn helmert_wgs84_to_osgb36([x, y, z]: [f64; 3]) -> [f64; 3] {
    let [[a, b, c], [d, e, f], [g, h, i]] = helmert_matrix();
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    let inverse = [
        [e * i - f * h, c * h - b * i, b * f - c * e],
        [f * g - d * i, a * i - c * g, c * d - a * f],
        [d * h - e * g, b * g - a * h, a * e - b * d],
    ];
    let (x, y, z) = (x - TX, y - TY, z - TZ);
    inverse.map(|row| (row[0] * x + row[1] * y + row[2] * z) / det)
}

/// Cartesian metres back to latitude/longitude in radians (OS guide, B2-B4), iterating latitude
/// to well under a millimetre.
fn cartesian_to_geodetic(ellipsoid: &Ellipsoid, [x, y, z]: [f64; 3]) -> (f64, f64) {
    let e2 = ellipsoid.e2();
    let lon = y.atan2(x);
    let p = x.hypot(y);
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let sin_lat = lat.sin();
        let nu = ellipsoid.a / (1.0 - e2 * sin_lat * sin_lat).sqrt();
        let next = (z + e2 * nu * sin_lat).atan2(p);
        let converged = (next - lat).abs() < 1e-12;
        lat = next;
        if converged {
            break;
        }
    }
    (lat, lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Great-circle distance in metres on a sphere of the Earth's mean radius: ample for telling
    /// whether two positions a few metres apart agree.
    fn haversine_m(a: LatLon, b: LatLon) -> f64 {
        const R: f64 = 6_371_008.8;
        let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (b.longitude - a.longitude).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * R * h.sqrt().asin()
    }

    /// Real postcode centroids from /work/shared/data/postcodes-gb.csv.gz, with reference
    /// positions from PROJ 9.1.1, produced by
    /// `echo "E N" | cs2cs -f %.7f EPSG:27700 EPSG:4326`.
    /// Without the OSTN15 grid file installed, PROJ picks the EPSG "OSGB36 to WGS 84 (6)" Helmert
    /// transformation, so these check the same method through an independent implementation.
    const REFERENCE: [(&str, f64, f64, f64, f64); 12] = [
        ("CB1 1PT", 545968.0, 258276.0, 52.2033883, 0.1345818), // Cambridge
        ("PE1 1XX", 519468.0, 298572.0, 52.5718584, -0.2386279), // Peterborough
        ("PE29 1AA", 524708.0, 273183.0, 52.3425536, -0.1708310), // Huntingdon
        ("TR19 7AA", 134340.0, 25043.0, 50.0660274, -5.7136391), // Cornwall, near Land's End
        ("PL1 1AA", 247546.0, 55353.0, 50.3782620, -4.1455061), // Plymouth
        ("ZE2 9DA", 451547.0, 1192248.0, 60.6103167, -1.0602935), // Shetland (Yell)
        ("KW1 4YA", 335295.0, 954660.0, 58.4753510, -3.1111141), // Highlands (Wick)
        ("CT16 1AA", 631467.0, 142191.0, 51.1321899, 1.3070012), // Kent (Dover)
        ("TN1 1AA", 558300.0, 139100.0, 51.1293062, 0.2609356), // Kent (Tunbridge Wells)
        ("LL65 1AA", 224466.0, 383035.0, 53.3150692, -4.6364717), // Wales (Holyhead)
        ("SA62 6AA", 191992.0, 218005.0, 51.8218488, -5.0196327), // Wales (Pembrokeshire)
        ("NE1 7RA", 424621.0, 564606.0, 54.9754622, -1.6168846), // Newcastle
    ];

    #[test]
    fn matches_proj_for_real_postcodes() {
        for (postcode, e, n, lat, lon) in REFERENCE {
            let got = bng_to_wgs84(e, n);
            let expected = LatLon {
                latitude: lat,
                longitude: lon,
            };
            let error = haversine_m(got, expected);
            assert!(
                error < 10.0,
                "{postcode}: got {got:?}, PROJ says {expected:?}, {error:.2} m apart"
            );
            // Same method as PROJ, so in practice the agreement is far tighter than 10 m; a
            // regression in a series term would show up here before it breaks the 10 m bound.
            assert!(error < 1.0, "{postcode}: {error:.3} m from PROJ");
        }
    }

    /// Gazetteer places and the postcodes above, with grid references from PROJ 9.1.1, produced
    /// by `echo "LAT LON" | cs2cs -f %.3f EPSG:4326 EPSG:27700`. cs2cs takes EPSG:4326 in the
    /// EPSG axis order, latitude first: "0.13 52.20" gives a point thousands of kilometres away.
    /// Points must lie in the area of use of the Helmert transformation PROJ picks (onshore GB
    /// and near it): at sea north of Shetland (61N 0.9W) PROJ chooses another one, 130 m apart.
    const REFERENCE_GRID: [(&str, f64, f64, f64, f64); 11] = [
        ("CB1 1PT", 52.2033883, 0.1345818, 545968.003, 258275.996),
        ("PE1 1XX", 52.5718584, -0.2386279, 519467.999, 298571.997),
        ("TR19 7AA", 50.0660274, -5.7136391, 134340.004, 25043.004),
        ("ZE2 9DA", 60.6103167, -1.0602935, 451547.001, 1192248.002),
        ("CT16 1AA", 51.1321899, 1.3070012, 631466.998, 142190.995),
        ("LL65 1AA", 53.3150692, -4.6364717, 224466.000, 383034.999),
        ("Melbourn", 52.08128, 0.01514, 538183.759, 244462.486),
        ("March", 52.55131, 0.08828, 541686.859, 296877.783),
        ("York", 53.95763, -1.08271, 460287.608, 451671.648),
        (
            "west of the Scilly Isles",
            49.95,
            -6.3,
            91648.850,
            14401.706,
        ),
        ("Lerwick", 60.155, -1.145, 447567.418, 1141475.594),
    ];

    #[test]
    fn wgs84_to_bng_matches_proj() {
        for (place, lat, lon, e, n) in REFERENCE_GRID {
            let (got_e, got_n) = wgs84_to_bng(lat, lon);
            let error = grid_distance(got_e, got_n, e, n);
            assert!(
                error < 1.0,
                "{place}: got {got_e:.3} {got_n:.3}, PROJ says {e} {n}, {error:.3} m apart"
            );
        }
    }

    #[test]
    fn wgs84_to_bng_inverts_bng_to_wgs84() {
        // A grid over all of GB, from the Scillies to Shetland, and the PROJ points above.
        let mut worst: f64 = 0.0;
        for e in (0..=700_000).step_by(25_000) {
            for n in (0..=1_250_000).step_by(25_000) {
                let (e, n) = (f64::from(e), f64::from(n));
                let p = bng_to_wgs84(e, n);
                let (back_e, back_n) = wgs84_to_bng(p.latitude, p.longitude);
                worst = worst.max(grid_distance(e, n, back_e, back_n));
            }
        }
        for (_, _, _, e, n) in REFERENCE_GRID {
            let p = bng_to_wgs84(e, n);
            let (back_e, back_n) = wgs84_to_bng(p.latitude, p.longitude);
            worst = worst.max(grid_distance(e, n, back_e, back_n));
        }
        assert!(worst < 0.01, "round trip drifts by up to {worst} m");
    }

    #[test]
    fn wgs84_to_bng_of_non_finite_input_is_non_finite() {
        let (e, n) = wgs84_to_bng(f64::NAN, 0.0);
        assert!(!e.is_finite() || !n.is_finite());
        let (e, n) = wgs84_to_bng(f64::INFINITY, f64::NEG_INFINITY);
        assert!(!e.is_finite() || !n.is_finite());
    }

    #[test]
    fn true_origin_maps_to_49n_2w_before_the_datum_shift() {
        let (lat, lon) = grid_to_osgb36(E0, N0);
        assert!((lat.to_degrees() - LAT0_DEG).abs() < 1e-9);
        assert!((lon.to_degrees() - LON0_DEG).abs() < 1e-9);
    }

    #[test]
    fn os_guide_worked_example() {
        // OS guide, appendix C.2 worked example: 651409.903 E, 313177.270 N is
        // 52°39'27.2531"N 1°43'4.5177"E on OSGB36.
        let (lat, lon) = grid_to_osgb36(651_409.903, 313_177.270);
        let expected_lat = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let expected_lon = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        assert!(
            (lat.to_degrees() - expected_lat).abs() < 1e-7,
            "{}",
            lat.to_degrees()
        );
        assert!(
            (lon.to_degrees() - expected_lon).abs() < 1e-7,
            "{}",
            lon.to_degrees()
        );
    }

    #[test]
    fn non_finite_input_does_not_hang() {
        let p = bng_to_wgs84(f64::NAN, f64::INFINITY);
        assert!(!p.latitude.is_finite() || !p.longitude.is_finite());
    }

    #[test]
    fn grid_distance_is_euclidean() {
        assert_eq!(grid_distance(0.0, 0.0, 3.0, 4.0), 5.0);
        assert_eq!(grid_distance(545968.0, 258276.0, 545968.0, 258276.0), 0.0);
        assert_eq!(
            grid_distance(519468.0, 298572.0, 545968.0, 258276.0),
            grid_distance(545968.0, 258276.0, 519468.0, 298572.0)
        );
    }

    #[test]
    fn grid_distance_agrees_with_the_ground_distance() {
        // Cambridge (CB1 1PT) to Peterborough (PE1 1XX). The ellipsoidal distance between their
        // PROJ positions above comes from
        // `echo "52.2033883 0.1345818 52.5718584 -0.2386279" | geod +ellps=WGS84 -I +units=m`.
        let ground = 48_236.232;
        let grid = grid_distance(545968.0, 258276.0, 519468.0, 298572.0);
        assert!((grid - ground).abs() / ground < 0.001, "{grid} vs {ground}");
    }
}
