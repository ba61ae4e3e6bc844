//! Plane geometry on grid metres: the checks a polygon must pass (closed rings, no crossings,
//! an area, holes inside the outline) and the crossing-number test of a point in a ring.

use super::{on_grid, TargetError, MAX_POLYGON_VERTICES};
use crate::geo::grid::bng_to_wgs84;

/// "The outline" or "Hole 2", for messages about a ring.
pub(super) fn ring_name(index: usize) -> String {
    if index == 0 {
        "The outline".to_owned()
    } else {
        format!("Hole {index}")
    }
}

/// Checks a polygon in grid metres: the rules of
/// [`polygon_from_geojson`](super::polygon_from_geojson), for shapes from any source.
pub(super) fn check_polygon(rings: &[Vec<[f64; 2]>]) -> Result<(), TargetError> {
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
pub(super) fn ring_contains(ring: &[[f64; 2]], e: f64, n: f64) -> bool {
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
pub(super) fn crosses(a: [f64; 2], b: [f64; 2], e: f64, n: f64) -> bool {
    if (a[1] > n) == (b[1] > n) {
        return false;
    }
    let at = a[0] + (n - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
    e < at
}
