//! The audience map: an SVG picture of an alert's target and the postcodes it reaches, drawn from
//! British National Grid coordinates with no tiles, scripts, style sheets or external resources,
//! so it can be inlined in a page served under `default-src 'none'; style-src 'self'`. Colours
//! are presentation attributes, which that policy allows, not `style`, which it blocks.
//!
//! It only draws: the counts and 1 km squares come from an [`AudiencePreview`], the shapes from
//! the [`AreaTarget`]; district and force-area shapes have no outline here, so their squares show
//! the area. No resident's own position is drawn: only squares with enough residents that none
//! can be picked out (`audience::MIN_SQUARE_RESIDENTS`).

use std::fmt::Write;

use super::audience::{AudiencePreview, GridSquare, MIN_SQUARE_RESIDENTS, SQUARE_M};
use super::districts::bundled_districts;
use super::target::{AreaTarget, Shape};

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

    let Some(view) = extent.view(f64::from(width)) else {
        return nothing_to_draw(target, preview, width);
    };
    let height = view.height_px;

    let mut svg = String::with_capacity(1024 + preview.squares.len() * 40);
    open_svg(&mut svg, target, preview, width, height, Some(&view));
    let _ = write!(
        svg,
        r#"<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>"#
    );
    for shape in &target.include {
        draw_shape(&mut svg, shape, &view, INCLUDE, false);
    }
    for shape in &target.exclude {
        draw_shape(&mut svg, shape, &view, EXCLUDE, true);
    }
    draw_squares(&mut svg, &preview.squares, &view);
    draw_scale_bar(&mut svg, &view, width, height);
    draw_north_arrow(&mut svg, width);
    svg.push_str("</svg>");
    svg
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

fn open_svg(
    svg: &mut String,
    target: &AreaTarget,
    preview: &AudiencePreview,
    w: u32,
    h: u32,
    view: Option<&View>,
) {
    // The grid mapping rides along as data attributes, so a sender can draw a shape on the map
    // and the page's script can turn the clicks back into grid coordinates.
    let grid = view.map_or_else(String::new, |v| {
        format!(
            r#" data-min-e="{:.1}" data-max-n="{:.1}" data-scale="{:.9}""#,
            v.min_e, v.max_n, v.scale
        )
    });
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{TITLE_ID} {DESC_ID}"{grid}><title id="{TITLE_ID}">{}</title><desc id="{DESC_ID}">{}</desc>"#,
        escape(&title(preview)),
        escape(&description(target, preview)),
    );
}

fn nothing_to_draw(target: &AreaTarget, preview: &AudiencePreview, width: u32) -> String {
    let height = width / 2;
    let mut svg = String::new();
    open_svg(&mut svg, target, preview, width, height, None);
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

fn description(target: &AreaTarget, preview: &AudiencePreview) -> String {
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

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Escapes text for SVG content and attributes, dropping characters XML cannot hold at all
/// (most control characters), which escaping cannot make valid.
fn escape(text: &str) -> String {
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
        assert!(desc.ends_with("Target: Within 5 km of Melbourn. Each shaded square is 1 km of the grid where residents it reaches live (2 shown), the darker the more (5 to 9, 10 to 49, 50 to 249, 250 or more); squares with fewer than 5 are not shown. North is up."), "{desc}");

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
        // The excluded circle is drawn, dashed; the districts have no outline of their own.
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
                Shape::ForceArea,
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
            assert!(svg.contains("Target: The whole force area;"));
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
