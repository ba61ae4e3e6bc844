//! The audience map: an SVG picture of an alert's target and the postcodes it reaches, drawn from
//! British National Grid coordinates with no tiles, scripts, style sheets or external resources,
//! so it can be inlined in a page served under `default-src 'none'; style-src 'self'`. Colours
//! are presentation attributes, which that policy allows, not `style`, which it blocks. Where a
//! deployment has a tile server, the page's script lays tiles beneath it (`static/map-tiles.js`)
//! from the corners' latitude and longitude the SVG carries; the SVG itself stays self-contained.
//!
//! It only draws: the counts and 1 km squares come from an [`AudiencePreview`], the shapes from
//! the [`AreaTarget`], and the context beneath them (the outlines of the districts targeted and
//! of their neighbours, and the names of the largest towns in view) from [`outlines`]. No
//! resident's own position is drawn: only squares with enough residents that none can be picked
//! out (`audience::MIN_SQUARE_RESIDENTS`).

use std::fmt::Write;

use super::audience::{AudiencePreview, GridSquare, MIN_SQUARE_RESIDENTS, SQUARE_M};
use super::districts::{bundled_districts, FORCE_DISTRICTS};
use super::grid::bng_to_wgs84;
use super::outlines::{self, DistrictOutline};
use super::target::{AreaTarget, Shape};
use crate::domain::thousands;

const MIN_WIDTH: u32 = 160;
const MAX_WIDTH: u32 = 2000;
/// The map never shows less than this many metres across, so a single postcode is drawn with
/// its surroundings rather than filling the picture.
const MIN_SPAN_M: f64 = 1_000.0;
/// Height over width stays within these, so a long thin target still gives a usable picture.
const MIN_ASPECT: f64 = 0.6;
const MAX_ASPECT: f64 = 1.4;

// GOV.UK palette: blue for what is targeted, red for what is carved out, near-black squares
// outlined in near-black, each at least 3:1 against the pale background as WCAG asks of
// graphics.
const BACKGROUND: &str = "#f3f2f1";
const INCLUDE: &str = "#1d70b8";
const EXCLUDE: &str = "#d4351c";
const INK: &str = "#0b0c0c";
/// Neighbouring districts: context, drawn faintly.
const NEIGHBOUR: &str = "#505a5f";
const HALO: &str = "#ffffff";

/// At most this many towns are named on a map.
const MAX_TOWNS: usize = 8;

/// Ids of the title and description, for `aria-labelledby`; a page shows one audience map.
const TITLE_ID: &str = "audience-map-title";
const DESC_ID: &str = "audience-map-desc";

/// Residents per square, for the squares' shades: the lowest count of each band and how dark
/// it is drawn.
const BANDS: [(u64, f64); 4] = [
    (MIN_SQUARE_RESIDENTS, 0.15),
    (10, 0.35),
    (50, 0.6),
    (250, 0.85),
];

/// Draws the target and the preview's squares as an SVG `width` pixels wide (clamped to
/// 160–2000), north up, with a scale bar; its title and description give the counts in words
/// for screen readers.
pub fn preview_svg(target: &AreaTarget, preview: &AudiencePreview, width: u32) -> String {
    let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
    let mut extent = Extent::default();
    for shape in target.include.iter().chain(&target.exclude) {
        extent.add_shape(shape);
    }
    for square in &preview.squares {
        let (e, n) = (f64::from(square.easting), f64::from(square.northing));
        extent.add(e, n);
        extent.add(e + f64::from(SQUARE_M), n + f64::from(SQUARE_M));
    }
    extent.add_districts(target);

    let Some(view) = extent.view(f64::from(width)) else {
        return nothing_to_draw(target, preview, width);
    };
    let height = view.height_px;
    let context = Context::in_view(target, &view, width, height);

    let mut svg = String::with_capacity(1024 + preview.squares.len() * 40);
    let (title, desc) = (title(preview), description(target, preview, &context));
    open_svg(&mut svg, &title, &desc, width, height, Some(&view));
    let _ = write!(
        svg,
        r#"<rect class="map-background" width="{width}" height="{height}" fill="{BACKGROUND}"/>"#
    );
    context.draw_outlines(&mut svg, &view);
    for shape in &target.include {
        draw_shape(&mut svg, shape, &view, INCLUDE, false);
    }
    for shape in &target.exclude {
        draw_shape(&mut svg, shape, &view, EXCLUDE, true);
    }
    draw_squares(&mut svg, &preview.squares, &view);
    context.draw_towns(&mut svg, &view);
    draw_scale_bar(&mut svg, &view, width, height);
    draw_north_arrow(&mut svg, width);
    svg.push_str("</svg>");
    svg
}

/// Draws only the target, on its districts and towns, with no residents: the map of a sent
/// alert's area, whose audience was counted when it was sent.
pub fn area_svg(target: &AreaTarget, width: u32) -> String {
    titled_area_svg(target, width, "Map of the area this alert was sent to")
}

/// The same as [`area_svg`], with its own title (what the map is of, for screen readers).
pub fn titled_area_svg(target: &AreaTarget, width: u32, title: &str) -> String {
    let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
    let mut extent = Extent::default();
    for shape in target.include.iter().chain(&target.exclude) {
        extent.add_shape(shape);
    }
    extent.add_districts(target);
    let Some(view) = extent.view(f64::from(width)) else {
        let height = width / 2;
        let desc = format!("Target: {}.", target.describe(district_namer()));
        let mut svg = String::new();
        open_svg(&mut svg, title, &desc, width, height, None);
        let _ = write!(
            svg,
            r#"<rect width="{width}" height="{height}" fill="{BACKGROUND}"/><text x="{}" y="{}" text-anchor="middle" font-family="sans-serif" font-size="16" fill="{INK}">No area to show</text></svg>"#,
            width / 2,
            height / 2,
        );
        return svg;
    };
    let height = view.height_px;
    let context = Context::in_view(target, &view, width, height);
    let mut desc = format!("Target: {}.", target.describe(district_namer()));
    context.describe(&mut desc);
    desc.push_str(" North is up.");
    let mut svg = String::with_capacity(8192);
    open_svg(&mut svg, title, &desc, width, height, Some(&view));
    let _ = write!(
        svg,
        r#"<rect class="map-background" width="{width}" height="{height}" fill="{BACKGROUND}"/>"#
    );
    context.draw_outlines(&mut svg, &view);
    for shape in &target.include {
        draw_shape(&mut svg, shape, &view, INCLUDE, false);
    }
    for shape in &target.exclude {
        draw_shape(&mut svg, shape, &view, EXCLUDE, true);
    }
    context.draw_towns(&mut svg, &view);
    draw_scale_bar(&mut svg, &view, width, height);
    draw_north_arrow(&mut svg, width);
    svg.push_str("</svg>");
    svg
}

/// The districts a target names: (code, excluded).
fn targeted_districts(target: &AreaTarget) -> Vec<(String, bool)> {
    let mut codes = Vec::new();
    for (shapes, excluded) in [(&target.include, false), (&target.exclude, true)] {
        for shape in shapes {
            match shape {
                Shape::ForceArea => {
                    codes.extend(FORCE_DISTRICTS.iter().map(|c| (c.to_string(), excluded)))
                }
                Shape::Districts { codes: named } => {
                    codes.extend(named.iter().map(|c| (c.clone(), excluded)))
                }
                _ => {}
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    codes.retain(|(code, _)| seen.insert(code.clone()));
    codes
}

fn targeted_outlines<'a>(
    named: &'a [(String, bool)],
    known: &'static outlines::MapContext,
) -> impl Iterator<Item = &'static DistrictOutline> + 'a {
    named
        .iter()
        .filter(|(_, excluded)| !excluded)
        .filter_map(move |(code, _)| known.district(code))
}

/// What is drawn beneath and above the target: the outlines of the districts it names (and of
/// the districts it carves out), its neighbours in view, faintly, and the largest towns in view.
struct Context {
    targeted: Vec<&'static DistrictOutline>,
    excluded: Vec<&'static DistrictOutline>,
    neighbours: Vec<&'static DistrictOutline>,
    /// Towns to name: name, x, y in pixels.
    towns: Vec<(&'static str, f64, f64)>,
}

impl Context {
    fn none() -> Context {
        Context {
            targeted: vec![],
            excluded: vec![],
            neighbours: vec![],
            towns: vec![],
        }
    }

    fn in_view(target: &AreaTarget, view: &View, width: u32, height: u32) -> Context {
        let known = outlines::bundled();
        let named = targeted_districts(target);
        let outline = |code: &str| known.district(code);
        let targeted = named
            .iter()
            .filter(|(_, excluded)| !excluded)
            .filter_map(|(code, _)| outline(code))
            .collect();
        let excluded = named
            .iter()
            .filter(|(_, excluded)| *excluded)
            .filter_map(|(code, _)| outline(code))
            .collect();
        let (w, h) = (f64::from(width), f64::from(height));
        let shown = (
            view.min_e,
            view.max_n - h / view.scale,
            view.min_e + w / view.scale,
            view.max_n,
        );
        let neighbours = known
            .districts
            .iter()
            .filter(|d| d.meets(shown) && !named.iter().any(|(code, _)| code == &d.code))
            .collect();

        // The largest towns first, each where its label fits: inside the picture, clear of the
        // north arrow and the scale bar, and of the labels already placed.
        let mut towns: Vec<(&'static str, f64, f64)> = Vec::new();
        let mut taken: Vec<(f64, f64, f64, f64)> =
            vec![(w - 40.0, 0.0, w, 50.0), (0.0, h - 44.0, w * 0.4, h)];
        // The targeted districts' own towns first, then the largest around them.
        let (inside, around): (Vec<_>, Vec<_>) = known.towns.iter().partition(|town| {
            targeted_outlines(&named, known)
                .any(|d: &DistrictOutline| d.contains(town.easting, town.northing))
        });
        for town in inside.into_iter().chain(around) {
            if towns.len() == MAX_TOWNS {
                break;
            }
            let (x, y) = (view.x(town.easting), view.y(town.northing));
            let half = 3.6 * town.name.chars().count() as f64 + 4.0;
            let label = (x - half, y - 19.0, x + half, y + 4.0);
            let fits = label.0 >= 2.0 && label.2 <= w - 2.0 && label.1 >= 2.0 && label.3 <= h - 2.0;
            let clear = taken
                .iter()
                .all(|t| label.2 < t.0 || label.0 > t.2 || label.3 < t.1 || label.1 > t.3);
            if fits && clear {
                taken.push(label);
                towns.push((town.name.as_str(), x, y));
            }
        }
        Context {
            targeted,
            excluded,
            neighbours,
            towns,
        }
    }

    fn draw_outlines(&self, svg: &mut String, view: &View) {
        for district in &self.neighbours {
            let _ = write!(
                svg,
                r#"<path class="neighbour" data-district="{}" d="{}" fill="none" stroke="{NEIGHBOUR}" stroke-opacity="0.6" stroke-width="1" stroke-linejoin="round"/>"#,
                escape(&district.code),
                outline_path(district, view),
            );
        }
        for district in &self.targeted {
            let _ = write!(
                svg,
                r#"<path class="district" data-district="{}" d="{}" fill="{INCLUDE}" fill-opacity="0.08" fill-rule="evenodd" stroke="{INCLUDE}" stroke-width="2" stroke-linejoin="round"/>"#,
                escape(&district.code),
                outline_path(district, view),
            );
        }
        for district in &self.excluded {
            let _ = write!(
                svg,
                r#"<path class="district excluded" data-district="{}" d="{}" fill="{EXCLUDE}" fill-opacity="0.08" fill-rule="evenodd" stroke="{EXCLUDE}" stroke-width="2" stroke-dasharray="8 5" stroke-linejoin="round"/>"#,
                escape(&district.code),
                outline_path(district, view),
            );
        }
    }

    /// Each town as a small square and its name above it, haloed so it reads over dots and lines.
    fn draw_towns(&self, svg: &mut String, _view: &View) {
        if self.towns.is_empty() {
            return;
        }
        let _ = write!(
            svg,
            r#"<g class="towns" font-family="sans-serif" font-size="13" fill="{INK}">"#
        );
        for (name, x, y) in &self.towns {
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="5" height="5" fill="{INK}" stroke="{HALO}" stroke-width="1"/><text class="place" x="{x:.1}" y="{:.1}" text-anchor="middle" stroke="{HALO}" stroke-width="3" stroke-linejoin="round" paint-order="stroke">{}</text>"#,
                x - 2.5,
                y - 2.5,
                y - 6.0,
                escape(name),
            );
        }
        svg.push_str("</g>");
    }

    /// " Outlined: Fenland (targeted); Huntingdonshire and … (neighbouring). Towns named: …."
    fn describe(&self, text: &mut String) {
        let namer = district_namer();
        let names = |districts: &[&DistrictOutline]| {
            list(&districts.iter().map(|d| namer(&d.code)).collect::<Vec<_>>())
        };
        let mut parts = Vec::new();
        if !self.targeted.is_empty() {
            parts.push(format!("{} (targeted)", names(&self.targeted)));
        }
        if !self.excluded.is_empty() {
            parts.push(format!("{} (left out)", names(&self.excluded)));
        }
        if !self.neighbours.is_empty() {
            parts.push(format!("{} (neighbouring)", names(&self.neighbours)));
        }
        if !parts.is_empty() {
            let _ = write!(text, " District outlines: {}.", parts.join("; "));
        }
        if !self.towns.is_empty() {
            let towns: Vec<String> = self.towns.iter().map(|(n, _, _)| n.to_string()).collect();
            let _ = write!(text, " Towns named: {}.", list(&towns));
        }
    }
}

/// "A", "A and B", "A, B and C".
fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn outline_path(district: &DistrictOutline, view: &View) -> String {
    let mut d = String::new();
    for ring in &district.rings {
        for (i, &[e, n]) in ring.iter().enumerate() {
            let command = if i == 0 { 'M' } else { 'L' };
            let _ = write!(d, "{command}{:.1} {:.1}", view.x(e), view.y(n));
        }
        d.push('Z');
    }
    d
}

/// The grid area shown and how it maps to pixels.
struct View {
    min_e: f64,
    max_n: f64,
    /// Pixels per metre, the same both ways so circles stay round.
    scale: f64,
    height_px: u32,
}

impl View {
    fn x(&self, easting: f64) -> f64 {
        (easting - self.min_e) * self.scale
    }

    /// SVG's y grows downwards and northings grow northwards: flip so north is up.
    fn y(&self, northing: f64) -> f64 {
        (self.max_n - northing) * self.scale
    }
}

/// The bounding box of everything to draw; non-finite coordinates are left out.
#[derive(Default)]
struct Extent {
    bounds: Option<(f64, f64, f64, f64)>,
}

impl Extent {
    fn add(&mut self, e: f64, n: f64) {
        if !(e.is_finite() && n.is_finite()) {
            return;
        }
        self.bounds = Some(match self.bounds {
            None => (e, n, e, n),
            Some((min_e, min_n, max_e, max_n)) => {
                (min_e.min(e), min_n.min(n), max_e.max(e), max_n.max(n))
            }
        });
    }

    fn add_shape(&mut self, shape: &Shape) {
        match shape {
            Shape::Circle {
                easting,
                northing,
                radius_m,
                ..
            } if drawable_radius(*radius_m) => {
                self.add(easting - radius_m, northing - radius_m);
                self.add(easting + radius_m, northing + radius_m);
            }
            Shape::Polygon { rings } => {
                for &[e, n] in rings.iter().flatten() {
                    self.add(e, n);
                }
            }
            _ => {}
        }
    }

    /// The outlines of the districts a target names, so a ticked district is in view even
    /// where no resident of it is.
    fn add_districts(&mut self, target: &AreaTarget) {
        let known = outlines::bundled();
        for (code, _) in targeted_districts(target) {
            if let Some(district) = known.district(&code) {
                let (min_e, min_n, max_e, max_n) = district.bounds;
                self.add(min_e, min_n);
                self.add(max_e, max_n);
            }
        }
    }

    /// A view of the extent with a margin, widened or heightened to a usable aspect ratio.
    fn view(&self, width_px: f64) -> Option<View> {
        let (min_e, min_n, max_e, max_n) = self.bounds?;
        let (centre_e, centre_n) = ((min_e + max_e) / 2.0, (min_n + max_n) / 2.0);
        let margin = 0.06 * (max_e - min_e).max(max_n - min_n).max(MIN_SPAN_M);
        let mut span_e = (max_e - min_e + 2.0 * margin).max(MIN_SPAN_M);
        let mut span_n = (max_n - min_n + 2.0 * margin).max(MIN_SPAN_M);
        let aspect = (span_n / span_e).clamp(MIN_ASPECT, MAX_ASPECT);
        // Grow whichever side is short of the aspect ratio; never shrink, or shapes get cut.
        if span_n < span_e * aspect {
            span_n = span_e * aspect;
        } else {
            span_e = span_n / aspect;
        }
        let scale = width_px / span_e;
        if !(scale.is_finite() && scale > 0.0) {
            return None;
        }
        Some(View {
            min_e: centre_e - span_e / 2.0,
            max_n: centre_n + span_n / 2.0,
            scale,
            height_px: (width_px * aspect).round() as u32,
        })
    }
}

fn drawable_radius(radius_m: f64) -> bool {
    radius_m.is_finite() && radius_m > 0.0
}

fn open_svg(svg: &mut String, title: &str, desc: &str, w: u32, h: u32, view: Option<&View>) {
    // The grid mapping rides along as data attributes, so a sender can draw a shape on the map
    // and the page's script can turn the clicks back into grid coordinates; the corners'
    // latitude and longitude let a script lay map tiles beneath it, where a deployment has them.
    let grid = view.map_or_else(String::new, |v| {
        let corner = |x: f64, y: f64| {
            let at = bng_to_wgs84(v.min_e + x / v.scale, v.max_n - y / v.scale);
            format!("{:.6} {:.6}", at.latitude, at.longitude)
        };
        format!(
            r#" data-min-e="{:.1}" data-max-n="{:.1}" data-scale="{:.9}" data-nw="{}" data-ne="{}" data-sw="{}""#,
            v.min_e,
            v.max_n,
            v.scale,
            corner(0.0, 0.0),
            corner(f64::from(w), 0.0),
            corner(0.0, f64::from(h)),
        )
    });
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{TITLE_ID} {DESC_ID}"{grid}><title id="{TITLE_ID}">{}</title><desc id="{DESC_ID}">{}</desc>"#,
        escape(title),
        escape(desc),
    );
}

fn nothing_to_draw(target: &AreaTarget, preview: &AudiencePreview, width: u32) -> String {
    let height = width / 2;
    let mut svg = String::new();
    let (title, desc) = (
        title(preview),
        description(target, preview, &Context::none()),
    );
    open_svg(&mut svg, &title, &desc, width, height, None);
    let _ = write!(
        svg,
        r#"<rect width="{width}" height="{height}" fill="{BACKGROUND}"/><text x="{}" y="{}" text-anchor="middle" font-family="sans-serif" font-size="16" fill="{INK}">{}</text></svg>"#,
        width / 2,
        height / 2,
        if preview.residents == 0 {
            "No matching postcodes to show".to_owned()
        } else {
            format!("No 1 km square with {MIN_SQUARE_RESIDENTS} or more residents to show")
        },
    );
    svg
}

fn draw_shape(svg: &mut String, shape: &Shape, view: &View, colour: &str, dashed: bool) {
    let dash = if dashed {
        r#" stroke-dasharray="8 5""#
    } else {
        ""
    };
    match shape {
        Shape::Circle {
            easting,
            northing,
            radius_m,
            ..
        } if drawable_radius(*radius_m) && easting.is_finite() && northing.is_finite() => {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="{:.1}" fill="{colour}" fill-opacity="0.12" stroke="{colour}" stroke-width="2"{dash}/>"#,
                view.x(*easting),
                view.y(*northing),
                radius_m * view.scale,
            );
        }
        Shape::Polygon { rings } => {
            let mut d = String::new();
            for ring in rings {
                let vertices: Vec<(f64, f64)> = ring
                    .iter()
                    .filter(|[e, n]| e.is_finite() && n.is_finite())
                    .map(|&[e, n]| (view.x(e), view.y(n)))
                    .collect();
                // Fewer than three vertices enclose nothing.
                if vertices.len() < 3 {
                    continue;
                }
                for (i, (x, y)) in vertices.iter().enumerate() {
                    let command = if i == 0 { 'M' } else { 'L' };
                    let _ = write!(d, "{command}{x:.1} {y:.1}");
                }
                d.push('Z');
            }
            if !d.is_empty() {
                // Even-odd, so the holes (the rings after the first) are left unfilled.
                let _ = write!(
                    svg,
                    r#"<path d="{d}" fill="{colour}" fill-opacity="0.12" fill-rule="evenodd" stroke="{colour}" stroke-width="2" stroke-linejoin="round"{dash}/>"#,
                );
            }
        }
        _ => {}
    }
}

/// The squares, one `<path>` per band of residents (`BANDS`), its squares as closed subpaths:
/// a map of thousands of squares stays at a few tens of kilobytes. Each path says which band it
/// is (`data-residents`), never a square's own count.
fn draw_squares(svg: &mut String, squares: &[GridSquare], view: &View) {
    let side = f64::from(SQUARE_M) * view.scale;
    for (band, &(lowest, opacity)) in BANDS.iter().enumerate() {
        let above = BANDS.get(band + 1).map_or(u64::MAX, |&(next, _)| next);
        let mut d = String::new();
        for square in squares
            .iter()
            .filter(|s| (lowest..above).contains(&s.residents))
        {
            // The north-west corner: SVG's y grows downwards.
            let north = f64::from(square.northing) + f64::from(SQUARE_M);
            let _ = write!(
                d,
                "M{:.1} {:.1}h{side:.1}v{side:.1}h{:.1}z",
                view.x(f64::from(square.easting)),
                view.y(north),
                -side,
            );
        }
        if d.is_empty() {
            continue;
        }
        let label = match BANDS.get(band + 1) {
            Some(&(next, _)) => format!("{lowest}-{}", next - 1),
            None => format!("{lowest}+"),
        };
        let _ = write!(
            svg,
            r#"<path data-residents="{label}" fill="{INK}" fill-opacity="{opacity}" stroke="{INK}" stroke-width="1" d="{d}"/>"#
        );
    }
}

/// A bar of a round length (1, 2 or 5 times a power of ten metres) about a quarter of the width,
/// at the bottom left.
fn draw_scale_bar(svg: &mut String, view: &View, width: u32, height: u32) {
    let wanted_m = f64::from(width) / 4.0 / view.scale;
    let Some(length_m) = round_length(wanted_m) else {
        return;
    };
    let bar = length_m * view.scale;
    let (x, y) = (12.0, f64::from(height) - 12.0);
    let _ = write!(
        svg,
        r#"<g stroke="{INK}" stroke-width="2"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="30" fill="{BACKGROUND}" fill-opacity="0.85" stroke="none"/><path fill="none" d="M{x:.1} {:.1}V{y:.1}H{:.1}V{:.1}"/></g><text x="{x:.1}" y="{:.1}" font-family="sans-serif" font-size="13" fill="{INK}">{}</text>"#,
        x - 6.0,
        y - 24.0,
        bar + 12.0,
        y - 6.0,
        x + bar,
        y - 6.0,
        y - 10.0,
        kilometres(length_m),
    );
}

/// The largest 1, 2 or 5 × 10^k metres not above `wanted_m`.
fn round_length(wanted_m: f64) -> Option<f64> {
    if !(wanted_m.is_finite() && wanted_m >= 1.0) {
        return None;
    }
    let power = 10f64.powf(wanted_m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|step| step * power)
        .find(|&length| length <= wanted_m)
}

/// "0.5 km", "1 km", "20 km".
fn kilometres(metres: f64) -> String {
    let km = metres / 1000.0;
    let text = format!("{km:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} km")
}

fn draw_north_arrow(svg: &mut String, width: u32) {
    let x = f64::from(width) - 20.0;
    let _ = write!(
        svg,
        r#"<path d="M{x:.1} 10L{:.1} 30L{x:.1} 25L{:.1} 30Z" fill="{INK}"/><text x="{x:.1}" y="44" text-anchor="middle" font-family="sans-serif" font-size="13" fill="{INK}">N</text>"#,
        x + 7.0,
        x - 7.0,
    );
}

fn title(preview: &AudiencePreview) -> String {
    match preview.residents {
        1 => "Map of the 1 resident this alert reaches".to_owned(),
        n => format!("Map of the {} residents this alert reaches", thousands(n)),
    }
}

fn description(target: &AreaTarget, preview: &AudiencePreview, context: &Context) -> String {
    let mut text = if preview.residents == 0 {
        "No residents would receive this alert.".to_owned()
    } else {
        format!(
            "{} would receive this alert: {} by email and {} by text.",
            residents(preview.residents),
            thousands(preview.emails),
            thousands(preview.texts),
        )
    };
    let _ = write!(text, " Target: {}", target.describe(district_namer()));
    text.push('.');
    if !preview.squares.is_empty() {
        let _ = write!(
            text,
            " Each shaded square is 1 km of the grid where residents it reaches live ({} shown), \
             the darker the more (5 to 9, 10 to 49, 50 to 249, 250 or more); squares with fewer \
             than {MIN_SQUARE_RESIDENTS} are not shown. North is up.",
            thousands(preview.squares.len() as u64)
        );
    }
    context.describe(&mut text);
    text
}

fn residents(count: u64) -> String {
    match count {
        1 => "1 resident".to_owned(),
        n => format!("{} residents", thousands(n)),
    }
}

/// A district's name from the bundled list, or its code when the list does not know it (codes
/// newer than the list).
fn district_namer() -> impl Fn(&str) -> String {
    let districts = bundled_districts();
    move |code: &str| {
        districts
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.name.clone())
            .unwrap_or_else(|| code.to_owned())
    }
}

/// Escapes text for SVG content and attributes, dropping characters XML cannot hold at all
/// (most control characters), which escaping cannot make valid. Any inline SVG uses it (the
/// staff's bar charts too).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A preview whose squares (south-west corners) have these many residents each.
    fn reach(residents: u64, squares: Vec<(i32, i32, u64)>) -> AudiencePreview {
        AudiencePreview {
            residents,
            emails: residents.saturating_sub(1),
            texts: 1,
            by_district: vec![],
            squares: squares
                .into_iter()
                .map(|(easting, northing, residents)| GridSquare {
                    easting,
                    northing,
                    residents,
                })
                .collect(),
            elapsed: Duration::ZERO,
        }
    }

    fn melbourn_circle(label: &str) -> Shape {
        Shape::Circle {
            easting: 537_500.0,
            northing: 244_500.0,
            radius_m: 5_000.0,
            label: label.to_owned(),
        }
    }

    /// Everything between `start` and the next `end` after it.
    fn between<'a>(svg: &'a str, start: &str, end: &str) -> &'a str {
        let from = svg.find(start).expect("start") + start.len();
        let to = from + svg[from..].find(end).expect("end");
        &svg[from..to]
    }

    #[test]
    fn a_circle_target_is_drawn_round_with_its_squares_north_up() {
        let target = AreaTarget {
            include: vec![melbourn_circle("Melbourn")],
            exclude: vec![],
        };
        // Residents in the square at the centre, and in one 4 km north of it.
        let svg = preview_svg(
            &target,
            &reach(1234, vec![(537_000, 244_000, 7), (537_000, 248_000, 60)]),
            600,
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="audience-map-title audience-map-desc""#));
        assert_eq!(
            between(&svg, "<title id=\"audience-map-title\">", "</title>"),
            "Map of the 1,234 residents this alert reaches"
        );
        let desc = between(&svg, "<desc id=\"audience-map-desc\">", "</desc>");
        assert!(
            desc.contains(
                "1,234 residents would receive this alert: 1,233 by email and 1 by text."
            ),
            "{desc}"
        );
        assert!(desc.contains("Target: Within 5 km of Melbourn. Each shaded square is 1 km of the grid where residents it reaches live (2 shown), the darker the more (5 to 9, 10 to 49, 50 to 249, 250 or more); squares with fewer than 5 are not shown. North is up."), "{desc}");
        // Around it, South Cambridgeshire's outline and a town or two, faintly, and named.
        assert!(svg.contains(r#"<path class="neighbour" data-district="E07000012""#));
        assert!(
            desc.contains("District outlines: South Cambridgeshire and Uttlesford (neighbouring)."),
            "{desc}"
        );
        assert!(svg.contains(r#"<text class="place""#));

        // The circle fills most of the width and stays round: r is in pixels, on one scale.
        let r: f64 = between(&svg, " r=\"", "\"").parse().unwrap();
        assert!((200.0..300.0).contains(&r), "r = {r}");
        // Each square in its band, the northern one drawn above (smaller y) the centre's, both
        // 1 km wide on the map's scale (5 km is r).
        let y = |d: &str| -> f64 { d[1..].split(['h', ' ']).nth(1).unwrap().parse().unwrap() };
        let centre = between(&svg, "data-residents=\"5-9\"", "/>");
        let north = between(&svg, "data-residents=\"50-249\"", "/>");
        let (centre, north) = (between(centre, "d=\"", "\""), between(north, "d=\"", "\""));
        assert!(y(north) < y(centre) - 100.0, "{north} {centre}");
        let side: f64 = between(centre, "h", "v").parse().unwrap();
        assert!((side - r / 5.0).abs() < 0.2, "{side} {r}");
        assert!(!svg.contains("data-residents=\"10-49\""));
        assert!(
            svg.contains(">2 km</text>") || svg.contains(">5 km</text>"),
            "scale bar"
        );
    }

    #[test]
    fn district_targets_show_only_their_squares_and_name_the_districts() {
        let target = AreaTarget {
            include: vec![Shape::Districts {
                codes: vec!["E07000012".to_owned(), "E07000008".to_owned()],
            }],
            exclude: vec![melbourn_circle("")],
        };
        let svg = preview_svg(
            &target,
            &reach(300, vec![(545_000, 258_000, 250), (537_000, 244_000, 50)]),
            400,
        );
        let desc = between(&svg, "<desc id=\"audience-map-desc\">", "</desc>");
        assert!(
            desc.contains(
                "Target: South Cambridgeshire and Cambridge; excluding 5 km around a chosen point."
            ),
            "{desc}"
        );
        // Both districts are outlined, with their neighbours faintly, and the description
        // names them and the towns shown.
        for code in ["E07000012", "E07000008"] {
            assert!(
                svg.contains(&format!(r#"<path class="district" data-district="{code}""#)),
                "{code}"
            );
        }
        assert!(svg.contains(r#"<path class="neighbour" data-district="E07000011""#));
        assert!(
            desc.contains("District outlines: South Cambridgeshire and Cambridge (targeted);"),
            "{desc}"
        );
        assert!(desc.contains("Huntingdonshire"), "{desc}");
        assert!(desc.contains("Towns named: Cambridge"), "{desc}");
        assert!(svg.contains(">Cambridge</text>"));
        // The excluded circle is drawn, dashed.
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("stroke-dasharray"));
        let squares = between(&svg, "data-residents=\"50-249\"", "/>")
            .matches('M')
            .count()
            + between(&svg, "data-residents=\"250+\"", "/>")
                .matches('M')
                .count();
        assert_eq!(squares, 2);
    }

    #[test]
    fn a_ticked_district_with_nobody_in_it_is_still_drawn() {
        // Fenland, ticked, with no resident there: the map shows Fenland, not an empty grey box.
        let target = AreaTarget {
            include: vec![Shape::Districts {
                codes: vec!["E07000010".to_owned()],
            }],
            exclude: vec![],
        };
        for svg in [
            preview_svg(&target, &reach(0, vec![]), 640),
            area_svg(&target, 640),
        ] {
            assert!(!svg.contains("No matching postcodes"));
            let path = between(
                &svg,
                r#"<path class="district" data-district="E07000010" d=""#,
                "\"",
            );
            assert!(path.starts_with('M') && path.ends_with('Z'), "{path}");
            let desc = between(&svg, "<desc id=\"audience-map-desc\">", "</desc>");
            assert!(desc.contains("Target: Fenland."), "{desc}");
            assert!(
                desc.contains("District outlines: Fenland (targeted); "),
                "{desc}"
            );
            for town in ["Wisbech", "March"] {
                assert!(svg.contains(&format!(">{town}</text>")), "{town}");
                assert!(desc.contains(town), "{desc}");
            }
        }
        let sent = area_svg(&target, 640);
        assert!(sent.contains("Map of the area this alert was sent to"));
        assert!(!sent.contains("data-residents"), "no residents' squares");
    }

    #[test]
    fn a_polygon_with_a_hole_is_one_even_odd_path() {
        let square = |size: f64| {
            vec![
                [545_000.0 - size, 258_000.0 - size],
                [545_000.0 + size, 258_000.0 - size],
                [545_000.0 + size, 258_000.0 + size],
                [545_000.0 - size, 258_000.0 + size],
            ]
        };
        let target = AreaTarget {
            include: vec![Shape::Polygon {
                rings: vec![square(4_000.0), square(1_000.0), vec![[f64::NAN, 1.0]]],
            }],
            exclude: vec![],
        };
        let svg = preview_svg(&target, &reach(0, vec![]), 500);
        let path = between(&svg, "<path d=\"", "\"");
        assert_eq!(path.matches('M').count(), 2);
        assert_eq!(path.matches('Z').count(), 2);
        assert!(svg.contains(r#"fill-rule="evenodd""#));
        assert!(svg
            .contains("No residents would receive this alert. Target: An area drawn on the map."));
    }

    #[test]
    fn text_from_senders_is_escaped() {
        let target = AreaTarget {
            include: vec![melbourn_circle("<script>alert('x')</script> & \"co\"\u{0}")],
            exclude: vec![],
        };
        let svg = preview_svg(&target, &reach(1, vec![]), 300);
        assert!(!svg.contains("<script"));
        assert!(
            svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;")
        );
        assert!(!svg.contains('\u{0}'));
        assert!(svg.contains("Map of the 1 resident this alert reaches"));
    }

    #[test]
    fn nothing_drawable_still_gives_a_described_picture() {
        let nowhere = AreaTarget {
            include: vec![
                Shape::Districts {
                    codes: vec!["E09999999".to_owned()],
                },
                Shape::Circle {
                    easting: f64::INFINITY,
                    northing: 0.0,
                    radius_m: f64::NAN,
                    label: String::new(),
                },
            ],
            exclude: vec![],
        };
        for width in [0, 1, 600, u32::MAX] {
            let svg = preview_svg(&nowhere, &reach(0, vec![]), width);
            assert!(svg.contains("No matching postcodes to show"));
            assert!(svg.contains("Target: E09999999;"), "{svg}");
            assert!(svg.ends_with("</svg>"));
        }
        // Residents, but no square with enough of them: said so.
        let svg = preview_svg(&nowhere, &reach(3, vec![]), 300);
        assert!(svg.contains("No 1 km square with 5 or more residents to show"));
        // A single square, or squares at the edges of the i32 range, draw without trouble.
        for squares in [
            vec![(0, 0, 5)],
            vec![(i32::MIN, i32::MIN, 5), (i32::MAX - 999, i32::MAX - 999, 9)],
        ] {
            let svg = preview_svg(&nowhere, &reach(10, squares), 300);
            // The description may repeat the sender's odd radius; the drawing must not.
            let drawing = between(&svg, "</desc>", "</svg>");
            assert!(drawing.contains("data-residents=\"5-9\""));
            assert!(
                !drawing.contains("NaN") && !drawing.contains("inf"),
                "{drawing}"
            );
        }
    }

    #[test]
    fn scale_bars_have_round_lengths() {
        assert_eq!(round_length(7_300.0), Some(5_000.0));
        assert_eq!(round_length(1_999.0), Some(1_000.0));
        assert_eq!(round_length(450.0), Some(200.0));
        assert_eq!(round_length(0.5), None);
        assert_eq!(round_length(f64::NAN), None);
        assert_eq!(kilometres(500.0), "0.5 km");
        assert_eq!(kilometres(20_000.0), "20 km");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
