//! The staff's Reported scams page: the messages residents shared from the scam checker,
//! counted by week, kind and district over the last twelve weeks (bar charts drawn here as
//! inline SVG, each with a table beside it for screen readers), the newest examples, and a
//! button per kind that starts a scam warning about it. For senders and admins; each view is
//! audited.

use super::error::WebResult;
use super::home::short_uk_time;
use super::permission::SenderStaff;
use super::staff::{actor, nav, Nav};
use super::{csrf, views, AppState, ClientIp};
use crate::geo::map::escape;
use crate::services::scam_check::{self, ReportedScams, Tally, WeekCount};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

/// One bar of a chart, and its row of the table beside it.
pub struct Bar {
    pub label: String,
    pub reports: i64,
}

/// A shared message as a row of the newest examples.
struct ExampleRow {
    text: String,
    kind: String,
    verdict: &'static str,
    channel: String,
    district: String,
    name: String,
    when: String,
}

#[derive(Template)]
#[template(path = "staff/reported_scams.html")]
struct ReportedScamsPage {
    nav: Option<Nav>,
    total: i64,
    weeks: Vec<Bar>,
    weeks_chart: String,
    kinds: Vec<Tally>,
    kinds_chart: String,
    districts: Vec<Bar>,
    districts_chart: String,
    examples: Vec<ExampleRow>,
}

/// A horizontal bar chart: a label above each bar, the count at its end. Hidden from screen
/// readers, which read the table beside it.
pub fn bar_chart(bars: &[Bar]) -> String {
    const WIDTH: i64 = 480;
    const ROW: i64 = 44;
    let most = bars.iter().map(|b| b.reports).max().unwrap_or(0).max(1);
    let height = ROW * bars.len().max(1) as i64;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" aria-hidden="true" focusable="false">"#
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = ROW * i as i64;
        let length = (bar.reports * (WIDTH - 60) / most).max(if bar.reports > 0 { 2 } else { 0 });
        svg += &format!(
            r##"<text x="0" y="{}" font-size="14" fill="#0b0c0c">{}</text><rect x="0" y="{}" width="{length}" height="18" fill="#1d70b8"/><text x="{}" y="{}" font-size="14" fill="#0b0c0c">{}</text>"##,
            y + 16,
            escape(&bar.label),
            y + 21,
            length + 6,
            y + 35,
            bar.reports
        );
    }
    svg + "</svg>"
}

fn week_bars(weeks: &[WeekCount]) -> Vec<Bar> {
    weeks
        .iter()
        .map(|w| Bar {
            label: format!("Week of {} ({})", w.starts, w.iso_week),
            reports: w.reports,
        })
        .collect()
}

/// `GET /staff/scams`.
pub async fn page(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let ReportedScams {
        weeks,
        by_kind,
        by_district,
        newest,
    } = scam_check::reported_scams(&ctx, &actor(&staff, &ip)).await?;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let weeks = week_bars(&weeks);
    let kind_bars: Vec<Bar> = by_kind
        .iter()
        .map(|t| Bar {
            label: t.name.clone(),
            reports: t.reports,
        })
        .collect();
    let districts: Vec<Bar> = by_district
        .into_iter()
        .map(|t| Bar {
            label: t.name,
            reports: t.reports,
        })
        .collect();
    let examples = newest
        .into_iter()
        .map(|r| ExampleRow {
            kind: r.kind_name.unwrap_or("None named").to_owned(),
            verdict: r.verdict_words,
            channel: r.channel_label.unwrap_or("Not said").to_owned(),
            district: r.district_name.unwrap_or_else(|| "Not given".to_owned()),
            name: r.report.name.clone().unwrap_or_default(),
            when: short_uk_time(r.report.reported_at),
            text: r.report.text,
        })
        .collect();
    let page = ReportedScamsPage {
        nav: nav(&staff, &csrf),
        total: weeks.iter().map(|w| w.reports).sum(),
        weeks_chart: bar_chart(&weeks),
        weeks,
        kinds_chart: bar_chart(&kind_bars),
        kinds: by_kind,
        districts_chart: bar_chart(&districts),
        districts,
        examples,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_counts_and_labels_are_escaped() {
        let chart = bar_chart(&[
            Bar {
                label: "Hi <Mum>".into(),
                reports: 4,
            },
            Bar {
                label: "Courier".into(),
                reports: 2,
            },
            Bar {
                label: "None".into(),
                reports: 0,
            },
        ]);
        assert!(chart.contains("Hi &lt;Mum&gt;"), "{chart}");
        assert!(chart.contains(r#"width="420""#), "{chart}");
        assert!(chart.contains(r#"width="210""#), "{chart}");
        assert!(chart.contains(r#"width="0""#), "{chart}");
    }
}
