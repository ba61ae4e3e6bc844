//! A target made ready for testing a million postcode centroids: districts sorted, circles
//! squared, polygon edges filed in east-west bands.

use super::polygon::crosses;
use super::{AreaTarget, Shape};
use crate::geo::districts::FORCE_DISTRICTS;

impl AreaTarget {
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
