//! British National Grid coordinates: conversion to WGS84 latitude/longitude (for maps and
//! residents' devices) and straight-line distance on the grid (for circle-shaped alert targets).
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

/// The 7-parameter Helmert transformation (OS guide, equation 6.1, small-angle form).
fn helmert_osgb36_to_wgs84([x, y, z]: [f64; 3]) -> [f64; 3] {
    let arcsec = (1.0_f64 / 3600.0).to_radians();
    let s = 1.0 + SCALE_PPM * 1e-6;
    let rx = RX_SEC * arcsec;
    let ry = RY_SEC * arcsec;
    let rz = RZ_SEC * arcsec;
    [
        TX + s * x - rz * y + ry * z,
        TY + rz * x + s * y - rx * z,
        TZ - ry * x + rx * y + s * z,
    ]
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
