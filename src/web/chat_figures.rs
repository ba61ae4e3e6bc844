//! The contact centre's figures: the operators' dashboard (`/staff/inbox/figures`: first
//! response, waiting, abandoned chats, chats by hour and by day, ratings, with charts and the
//! tables they draw) and the public contact page (`/contact`: how to reach the force, with last
//! month's response time on web chat). Thin over `services::chat_figures`.

use super::csrf;
use super::error::WebResult;
use super::permission::OperatorStaff;
use super::reported_scams::{bar_chart, Bar};
use super::staff::{nav, Nav};
use super::{views, AppState};
use crate::domain::conversation::figures::{seconds_words, ChatFigures, Durations};
use crate::services::chat_figures::{self, DASHBOARD_DAYS};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

/// A row of the times table: what, chats counted, median, 90th percentile, average.
struct TimeRow {
    what: &'static str,
    count: usize,
    median: String,
    p90: String,
    average: String,
}

fn time_row(what: &'static str, times: &Durations) -> TimeRow {
    let words = |s: Option<i64>| s.map_or_else(|| "–".to_owned(), seconds_words);
    TimeRow {
        what,
        count: times.count,
        median: words(times.median),
        p90: words(times.p90),
        average: words(times.average),
    }
}

#[derive(Template)]
#[template(path = "staff/chat_figures.html")]
struct FiguresPage {
    nav: Option<Nav>,
    organisation: String,
    days: i64,
    chats: usize,
    abandoned: usize,
    times: Vec<TimeRow>,
    hours: Vec<Bar>,
    hours_chart: String,
    days_bars: Vec<Bar>,
    days_chart: String,
    rated: i64,
    /// "4.2 out of 5", or "–".
    average_rating: String,
    stars: Vec<Bar>,
    stars_chart: String,
}

/// `GET /staff/inbox/figures`: the figures of the operator's organisation's live chats.
pub async fn figures(
    State(ctx): State<AppState>,
    OperatorStaff(staff): OperatorStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let ChatFigures {
        chats,
        first_response,
        waiting,
        abandoned,
        by_hour,
        by_day,
        ratings,
    } = chat_figures::dashboard(&ctx, staff.provider_id).await?;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let hours: Vec<Bar> = by_hour
        .into_iter()
        .enumerate()
        .map(|(hour, n)| Bar {
            label: format!("{hour:02}:00 to {hour:02}:59"),
            reports: n,
        })
        .collect();
    let days_bars: Vec<Bar> = by_day
        .into_iter()
        .map(|(day, n)| Bar {
            label: day.format("%a %-d %b").to_string(),
            reports: n,
        })
        .collect();
    let stars: Vec<Bar> = ratings
        .per_star
        .iter()
        .enumerate()
        .map(|(i, n)| Bar {
            label: if i == 0 {
                "1 star".to_owned()
            } else {
                format!("{} stars", i + 1)
            },
            reports: *n,
        })
        .collect();
    let page = FiguresPage {
        nav: nav(&staff, &csrf),
        organisation: staff.provider_name.clone(),
        days: DASHBOARD_DAYS,
        chats,
        abandoned,
        times: vec![
            time_row("First response (from starting the chat)", &first_response),
            time_row("Waiting (until an operator took the chat)", &waiting),
        ],
        hours_chart: bar_chart(&hours),
        hours,
        days_chart: bar_chart(&days_bars),
        days_bars,
        rated: ratings.count,
        average_rating: ratings
            .average
            .map_or_else(|| "–".to_owned(), |a| format!("{a:.1} out of 5")),
        stars_chart: bar_chart(&stars),
        stars,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "pages/contact.html")]
struct ContactPage {
    figure: Option<String>,
}

/// `GET /contact`: how to reach the force, and how soon web chats were answered last month.
pub async fn contact(State(ctx): State<AppState>) -> WebResult<Response> {
    let figure = chat_figures::public_figure(&ctx).await?;
    Ok(views::render(&ContactPage { figure }))
}
