//! District outlines and the towns worth naming on a map, derived from postcode centroids: the
//! map has no boundary files, but it has every postcode of the force area with its district and
//! grid position, and a district is where its postcodes are.
//!
//! The grid is cut into 500 m squares; each square goes to the district most of its postcodes
//! belong to, empty squares to the nearest district within a few squares (and enclosed gaps, such
//! as a fen with no houses, whatever their size), and each district's squares are traced into
//! rings and simplified. Neighbouring districts so share their borders, with no gaps or overlaps.
//! Everything is derived once, from the bundled postcodes, the first time a map asks.

use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use super::districts::bundled_force_postcodes;
use super::places::gazetteer;

/// The side of a square of the grid the outlines are traced on, in metres.
const CELL_M: f64 = 500.0;
/// How many squares an outline reaches beyond its outermost postcodes (along the grid).
const REACH_CELLS: u32 = 4;
/// Stair steps smaller than this are smoothed away when an outline is simplified.
const TOLERANCE_M: f64 = CELL_M;
/// Rings enclosing less than this are specks, left out.
const MIN_RING_AREA_M2: f64 = 4.0 * CELL_M * CELL_M;
/// Postcodes farther than this from every gazetteer place count towards no town.
const TOWN_REACH_M: f64 = 6_000.0;

/// A district's outline: rings of grid points (easting, northing), not repeating the first
/// point at the end; the first ring of an area is its outside, any inside it holes (Cambridge
/// is a hole in South Cambridgeshire), so draw them with the even-odd rule.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictOutline {
    pub code: String,
    pub rings: Vec<Vec<[f64; 2]>>,
    /// (min easting, min northing, max easting, max northing).
    pub bounds: (f64, f64, f64, f64),
}

impl DistrictOutline {
    /// Whether a grid point is inside the outline (even-odd over every ring).
    pub fn contains(&self, easting: f64, northing: f64) -> bool {
        let mut inside = false;
        for ring in &self.rings {
            let mut previous = match ring.last() {
                Some(p) => *p,
                None => continue,
            };
            for &point in ring {
                let ([e1, n1], [e2, n2]) = (previous, point);
                if (n1 > northing) != (n2 > northing)
                    && easting < e1 + (northing - n1) * (e2 - e1) / (n2 - n1)
                {
                    inside = !inside;
                }
                previous = point;
            }
        }
        inside
    }

    /// Whether the outline's bounding box meets a box (min e, min n, max e, max n).
    pub fn meets(&self, (min_e, min_n, max_e, max_n): (f64, f64, f64, f64)) -> bool {
        let (a, b, c, d) = self.bounds;
        a <= max_e && c >= min_e && b <= max_n && d >= min_n
    }
}

/// A gazetteer place and how many postcodes lie around it: the bundled places have no
/// population, and the number of postcodes nearby is a fair measure of a town's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Town {
    pub name: String,
    pub easting: f64,
    pub northing: f64,
    pub postcodes: u32,
}

/// The outlines of every district the bundled postcodes cover, and the towns among them,
/// largest first.
#[derive(Debug, Default)]
pub struct MapContext {
    pub districts: Vec<DistrictOutline>,
    pub towns: Vec<Town>,
}

impl MapContext {
    pub fn district(&self, code: &str) -> Option<&DistrictOutline> {
        self.districts.iter().find(|d| d.code == code)
    }
}

/// The outlines and towns of the bundled force-area postcodes, derived on first use (a fraction
/// of a second; `app::start` asks early so that no sender waits for it).
pub fn bundled() -> &'static MapContext {
    static CONTEXT: OnceLock<MapContext> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let points: Vec<(String, i32, i32)> = bundled_force_postcodes()
            .filter_map(|record| {
                let record = record.ok()?;
                Some((record.district_code?, record.easting?, record.northing?))
            })
            .collect();
        derive(&points)
    })
}

/// Outlines and towns from postcode centroids (district code, easting, northing).
pub fn derive(points: &[(String, i32, i32)]) -> MapContext {
    let Some(raster) = Raster::new(points) else {
        return MapContext::default();
    };
    let districts = raster.outlines();
    let towns = raster.towns();
    MapContext { districts, towns }
}

const EMPTY: u16 = u16::MAX;

/// Squares of the grid, each labelled with a district (an index into `codes`) or empty.
struct Raster {
    codes: Vec<String>,
    min_e: f64,
    min_n: f64,
    cols: usize,
    rows: usize,
    labels: Vec<u16>,
    /// Postcodes in each square.
    counts: Vec<u32>,
}

impl Raster {
    fn new(points: &[(String, i32, i32)]) -> Option<Raster> {
        let (mut min_e, mut min_n, mut max_e, mut max_n) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for &(_, e, n) in points {
            (min_e, min_n) = (min_e.min(e), min_n.min(n));
            (max_e, max_n) = (max_e.max(e), max_n.max(n));
        }
        if min_e > max_e {
            return None;
        }
        // A margin of squares all round, so outlines can reach out and the edge stays empty.
        let margin = f64::from(REACH_CELLS + 1) * CELL_M;
        let min_e = (f64::from(min_e) / CELL_M).floor() * CELL_M - margin;
        let min_n = (f64::from(min_n) / CELL_M).floor() * CELL_M - margin;
        let cols = ((f64::from(max_e) + margin - min_e) / CELL_M).ceil() as usize + 1;
        let rows = ((f64::from(max_n) + margin - min_n) / CELL_M).ceil() as usize + 1;
        // Postcodes beyond a few hundred kilometres of each other are not one map's business.
        if cols.saturating_mul(rows) > 4_000_000 {
            return None;
        }

        let mut codes: Vec<String> = Vec::new();
        let mut code_ids: HashMap<&str, u16> = HashMap::new();
        let mut tally: HashMap<(usize, u16), u32> = HashMap::new();
        let mut counts = vec![0u32; cols * rows];
        for (code, e, n) in points {
            let id = match code_ids.get(code.as_str()) {
                Some(id) => *id,
                None => {
                    let Ok(id) = u16::try_from(codes.len()) else {
                        continue;
                    };
                    if id == EMPTY {
                        continue;
                    }
                    codes.push(code.clone());
                    code_ids.insert(code, id);
                    id
                }
            };
            let col = ((f64::from(*e) - min_e) / CELL_M) as usize;
            let row = ((f64::from(*n) - min_n) / CELL_M) as usize;
            let cell = row * cols + col;
            counts[cell] += 1;
            *tally.entry((cell, id)).or_default() += 1;
        }

        // Each square to the district with most postcodes in it (the lower id on a tie, so the
        // result does not depend on the hash map's order).
        let mut labels = vec![EMPTY; cols * rows];
        let mut best = vec![0u32; cols * rows];
        for ((cell, id), count) in tally {
            if count > best[cell] || (count == best[cell] && id < labels[cell]) {
                best[cell] = count;
                labels[cell] = id;
            }
        }
        let mut raster = Raster {
            codes,
            min_e,
            min_n,
            cols,
            rows,
            labels,
            counts,
        };
        raster.fill_gaps();
        Some(raster)
    }

    fn neighbours(&self, cell: usize) -> impl Iterator<Item = usize> {
        let (cols, rows) = (self.cols, self.rows);
        let (col, row) = (cell % cols, cell / cols);
        [
            (col > 0).then(|| cell - 1),
            (col + 1 < cols).then(|| cell + 1),
            (row > 0).then(|| cell - cols),
            (row + 1 < rows).then(|| cell + cols),
        ]
        .into_iter()
        .flatten()
    }

    /// Empty squares go to the nearest district up to `REACH_CELLS` away; then gaps that the
    /// districts enclose (not reachable from the edge through empty squares) are filled whatever
    /// their size, so a district has no holes where nobody lives.
    fn fill_gaps(&mut self) {
        let labelled: Vec<usize> = (0..self.labels.len())
            .filter(|&c| self.labels[c] != EMPTY)
            .collect();
        self.grow(labelled, Some(REACH_CELLS));

        let mut outside = vec![false; self.labels.len()];
        let mut queue: VecDeque<usize> = (0..self.labels.len())
            .filter(|&c| {
                let (col, row) = (c % self.cols, c / self.cols);
                (col == 0 || row == 0 || col + 1 == self.cols || row + 1 == self.rows)
                    && self.labels[c] == EMPTY
            })
            .collect();
        for &c in &queue {
            outside[c] = true;
        }
        while let Some(cell) = queue.pop_front() {
            for next in self.neighbours(cell).collect::<Vec<_>>() {
                if !outside[next] && self.labels[next] == EMPTY {
                    outside[next] = true;
                    queue.push_back(next);
                }
            }
        }
        let borders: Vec<usize> = (0..self.labels.len())
            .filter(|&c| {
                self.labels[c] != EMPTY
                    && self
                        .neighbours(c)
                        .any(|n| self.labels[n] == EMPTY && !outside[n])
            })
            .collect();
        // Outside squares are marked so the unlimited growth cannot enter them.
        let mut blocked = std::mem::take(&mut self.labels);
        for (label, out) in blocked.iter_mut().zip(&outside) {
            if *out {
                *label = EMPTY - 1;
            }
        }
        self.labels = blocked;
        self.grow(borders, None);
        for label in &mut self.labels {
            if *label == EMPTY - 1 {
                *label = EMPTY;
            }
        }
    }

    /// Breadth-first growth of labels from `sources` into empty squares, `limit` squares at most.
    fn grow(&mut self, sources: Vec<usize>, limit: Option<u32>) {
        let mut queue: VecDeque<(usize, u32)> = sources.into_iter().map(|c| (c, 0)).collect();
        while let Some((cell, steps)) = queue.pop_front() {
            if limit.is_some_and(|limit| steps >= limit) {
                continue;
            }
            let label = self.labels[cell];
            for next in self.neighbours(cell).collect::<Vec<_>>() {
                if self.labels[next] == EMPTY {
                    self.labels[next] = label;
                    queue.push_back((next, steps + 1));
                }
            }
        }
    }

    /// Every district's squares traced into rings: each square's sides that face another
    /// district (or nothing) become edges running with the district on their left, and the
    /// edges are chained into loops.
    fn outlines(&self) -> Vec<DistrictOutline> {
        type Vertex = (u32, u32);
        let mut edges: Vec<HashMap<Vertex, Vec<Vertex>>> = vec![HashMap::new(); self.codes.len()];
        let label_at = |col: i64, row: i64| -> u16 {
            if col < 0 || row < 0 || col >= self.cols as i64 || row >= self.rows as i64 {
                EMPTY
            } else {
                self.labels[row as usize * self.cols + col as usize]
            }
        };
        for row in 0..self.rows {
            for col in 0..self.cols {
                let label = self.labels[row * self.cols + col];
                if label == EMPTY {
                    continue;
                }
                let (c, r) = (col as i64, row as i64);
                let (x, y) = (col as u32, row as u32);
                let sides = [
                    ((c, r - 1), (x, y), (x + 1, y)),
                    ((c + 1, r), (x + 1, y), (x + 1, y + 1)),
                    ((c, r + 1), (x + 1, y + 1), (x, y + 1)),
                    ((c - 1, r), (x, y + 1), (x, y)),
                ];
                for ((nc, nr), from, to) in sides {
                    if label_at(nc, nr) != label {
                        edges[label as usize].entry(from).or_default().push(to);
                    }
                }
            }
        }

        let mut outlines = Vec::new();
        for (id, mut from) in edges.into_iter().enumerate() {
            let mut rings = Vec::new();
            while let Some(&start) = from.keys().next() {
                let mut ring = vec![start];
                let mut at = start;
                while let Some(nexts) = from.get_mut(&at) {
                    let Some(next) = nexts.pop() else { break };
                    if nexts.is_empty() {
                        from.remove(&at);
                    }
                    if next == start {
                        break;
                    }
                    ring.push(next);
                    at = next;
                }
                let metres: Vec<[f64; 2]> = ring
                    .iter()
                    .map(|&(x, y)| {
                        [
                            self.min_e + f64::from(x) * CELL_M,
                            self.min_n + f64::from(y) * CELL_M,
                        ]
                    })
                    .collect();
                if area(&metres).abs() < MIN_RING_AREA_M2 {
                    continue;
                }
                let simplified = simplify(&metres, TOLERANCE_M);
                if simplified.len() >= 3 {
                    rings.push(simplified);
                }
            }
            if rings.is_empty() {
                continue;
            }
            // Largest ring first: a district's main area before its islands and holes.
            rings.sort_by(|a, b| area(b).abs().total_cmp(&area(a).abs()));
            let bounds = rings.iter().flatten().fold(
                (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
                |(a, b, c, d), &[e, n]| (a.min(e), b.min(n), c.max(e), d.max(n)),
            );
            outlines.push(DistrictOutline {
                code: self.codes[id].clone(),
                rings,
                bounds,
            });
        }
        outlines.sort_by(|a, b| a.code.cmp(&b.code));
        outlines
    }

    /// The gazetteer's places among the postcodes, largest first. Each square's postcodes count
    /// towards the place nearest it (within `TOWN_REACH_M`), so a village on a city's edge
    /// gets its own streets and not the city's.
    fn towns(&self) -> Vec<Town> {
        let (max_e, max_n) = (
            self.min_e + self.cols as f64 * CELL_M,
            self.min_n + self.rows as f64 * CELL_M,
        );
        let places: Vec<_> = gazetteer()
            .iter()
            .filter(|p| {
                (self.min_e..max_e).contains(&p.easting)
                    && (self.min_n..max_n).contains(&p.northing)
            })
            .collect();
        let mut sizes = vec![0u32; places.len()];
        for (cell, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let e = self.min_e + ((cell % self.cols) as f64 + 0.5) * CELL_M;
            let n = self.min_n + ((cell / self.cols) as f64 + 0.5) * CELL_M;
            let nearest = places
                .iter()
                .enumerate()
                .map(|(i, p)| (i, (p.easting - e).hypot(p.northing - n)))
                .filter(|&(_, d)| d <= TOWN_REACH_M)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = nearest {
                sizes[i] += count;
            }
        }
        let mut towns: Vec<Town> = places
            .iter()
            .zip(sizes)
            .filter(|&(_, postcodes)| postcodes > 0)
            .map(|(place, postcodes)| Town {
                name: place.name.clone(),
                easting: place.easting,
                northing: place.northing,
                postcodes,
            })
            .collect();
        towns.sort_by(|a, b| b.postcodes.cmp(&a.postcodes).then(a.name.cmp(&b.name)));
        towns
    }
}

/// Twice-signed shoelace area halved: positive when the ring runs anticlockwise.
fn area(ring: &[[f64; 2]]) -> f64 {
    let mut sum = 0.0;
    for (i, [e1, n1]) in ring.iter().enumerate() {
        let [e2, n2] = ring[(i + 1) % ring.len()];
        sum += e1 * n2 - e2 * n1;
    }
    sum / 2.0
}

/// Douglas–Peucker on a closed ring: split at the first point and the point farthest from it,
/// simplify each half as a line.
fn simplify(ring: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
    if ring.len() < 4 {
        return ring.to_vec();
    }
    let first = ring[0];
    let far = (1..ring.len())
        .max_by(|&a, &b| {
            let da = (ring[a][0] - first[0]).hypot(ring[a][1] - first[1]);
            let db = (ring[b][0] - first[0]).hypot(ring[b][1] - first[1]);
            da.total_cmp(&db)
        })
        .unwrap_or(1);
    let mut closed = ring.to_vec();
    closed.push(first);
    let mut keep = vec![false; closed.len()];
    keep[0] = true;
    keep[far] = true;
    keep[closed.len() - 1] = true;
    let mut stack = vec![(0, far), (far, closed.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut worst, mut worst_distance) = (a, 0.0);
        for i in a + 1..b {
            let d = distance_to_segment(closed[i], closed[a], closed[b]);
            if d > worst_distance {
                (worst, worst_distance) = (i, d);
            }
        }
        if worst_distance > tolerance {
            keep[worst] = true;
            stack.push((a, worst));
            stack.push((worst, b));
        }
    }
    closed.pop();
    closed
        .into_iter()
        .zip(keep)
        .filter_map(|(point, kept)| kept.then_some(point))
        .collect()
}

fn distance_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length2 = dx * dx + dy * dy;
    if length2 == 0.0 {
        return (p[0] - a[0]).hypot(p[1] - a[1]);
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2).clamp(0.0, 1.0);
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FENLAND: &str = "E07000010";
    const CAMBRIDGE: &str = "E07000008";
    const SOUTH_CAMBS: &str = "E07000012";

    fn bundled_points(code: &str) -> Vec<(f64, f64)> {
        bundled_force_postcodes()
            .filter_map(|r| {
                let r = r.ok()?;
                (r.district_code.as_deref() == Some(code))
                    .then(|| Some((f64::from(r.easting?), f64::from(r.northing?))))?
            })
            .collect()
    }

    #[test]
    fn fenland_is_outlined_around_its_postcodes_in_a_few_hundred_points() {
        let context = bundled();
        let fenland = context.district(FENLAND).expect("Fenland is outlined");
        let points = bundled_points(FENLAND);
        let inside = points
            .iter()
            .filter(|(e, n)| fenland.contains(*e, *n))
            .count();
        assert!(
            inside * 100 >= points.len() * 98,
            "{inside} of {} Fenland postcodes inside",
            points.len()
        );
        // Its towns are inside; Cambridge, Peterborough and King's Lynn are not.
        for (e, n) in [
            (546_300.0, 309_600.0),
            (541_700.0, 296_300.0),
            (539_300.0, 285_900.0),
        ] {
            assert!(fenland.contains(e, n), "({e}, {n})");
        }
        for (e, n) in [
            (545_000.0, 258_500.0),
            (519_000.0, 298_800.0),
            (562_000.0, 320_000.0),
        ] {
            assert!(!fenland.contains(e, n), "({e}, {n})");
        }
        // Closed, simplified rings: no repeated points, far fewer corners than squares' sides.
        let corners: usize = fenland.rings.iter().map(Vec::len).sum();
        assert!((20..600).contains(&corners), "{corners} corners");
        for ring in &fenland.rings {
            assert!(ring.len() >= 3);
            assert_ne!(ring.first(), ring.last(), "rings do not repeat their start");
            assert!(ring.windows(2).all(|w| w[0] != w[1]));
        }
    }

    #[test]
    fn cambridge_is_a_hole_in_south_cambridgeshire() {
        let context = bundled();
        let market_square = (545_000.0, 258_400.0);
        let cambridge = context.district(CAMBRIDGE).expect("Cambridge is outlined");
        let south = context
            .district(SOUTH_CAMBS)
            .expect("South Cambs is outlined");
        assert!(cambridge.contains(market_square.0, market_square.1));
        assert!(!south.contains(market_square.0, market_square.1));
        // Melbourn is South Cambridgeshire's.
        assert!(south.contains(537_500.0, 244_500.0));
        assert!(!cambridge.contains(537_500.0, 244_500.0));
    }

    #[test]
    fn the_largest_towns_come_first() {
        let towns = &bundled().towns;
        let top: Vec<&str> = towns.iter().take(4).map(|t| t.name.as_str()).collect();
        assert!(top.contains(&"Cambridge"), "{top:?}");
        assert!(top.contains(&"Peterborough"), "{top:?}");
        let wisbech = towns.iter().position(|t| t.name == "Wisbech").unwrap();
        let small = towns.iter().position(|t| t.name == "Thornhaugh").unwrap();
        assert!(wisbech < small);
    }

    #[test]
    fn a_gap_enclosed_by_a_district_is_filled_and_specks_are_dropped() {
        // A ring of postcodes 10 km across around an empty middle, and one stray postcode far off.
        let mut points = Vec::new();
        for i in 0..40 {
            let angle = f64::from(i) * std::f64::consts::TAU / 40.0;
            let (e, n) = (
                500_000.0 + 5_000.0 * angle.cos(),
                300_000.0 + 5_000.0 * angle.sin(),
            );
            points.push(("X".to_owned(), e as i32, n as i32));
        }
        let context = derive(&points);
        let x = context.district("X").expect("outlined");
        assert_eq!(x.rings.len(), 1, "one ring, no hole: {:?}", x.rings.len());
        assert!(x.contains(500_000.0, 300_000.0));
        assert!(!x.contains(510_000.0, 300_000.0));
        assert!(derive(&[]).districts.is_empty());
    }

    #[test]
    fn simplifying_keeps_corners_and_drops_steps() {
        let square = vec![
            [0.0, 0.0],
            [500.0, 0.0],
            [1000.0, 0.0],
            [1000.0, 1000.0],
            [0.0, 1000.0],
        ];
        assert_eq!(simplify(&square, 10.0).len(), 4);
        assert!(area(&square) > 0.0);
    }
}
