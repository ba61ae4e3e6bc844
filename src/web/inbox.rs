//! The operators' inbox pages (`/staff/inbox…`): the list of conversations with presence and
//! "Take next chat", a conversation with its messages, notes and forms (take, transfer, close,
//! block, make a report, canned answers), the organisation's canned answers, the admins' list
//! of escalation phrases. Its live connection is `inbox_live`. Everything works without
//! JavaScript: forms post and redirect. Thin over `services::inbox`.

use super::csrf;
use super::error::WebResult;
use super::flash::{self, Flash};
use super::home::short_uk_time;
use super::permission::{AdminStaff, OperatorStaff};
use super::staff::{actor, nav, Nav};
use super::{views, AppState, ClientIp};
use crate::domain::conversation::{Author, ConversationKind, ConversationState, OUTCOMES};
use crate::services::inbox::{self as service, first_name, InboxError, ReportFromChat};
use crate::services::live::LiveEvent;
use crate::store::{Conversation, InboxRow, Message, StaffMember};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

const INBOX: &str = "/staff/inbox";

/// Every inbox form's fields; each form sends the ones it has.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct InboxForm {
    csrf: String,
    body: String,
    client_id: String,
    outcome: String,
    to: String,
    reason: String,
    canned: String,
    title: String,
    kind: String,
    location: String,
    happened: String,
    description: String,
    available: String,
    capacity: String,
    phrase: String,
}

/// Redirects to `to` with the outcome of an action as the notice.
fn answer(
    ctx: &AppState,
    jar: CookieJar,
    to: &str,
    result: Result<String, InboxError>,
) -> WebResult<Response> {
    match result {
        Ok(notice) => Ok(flash::redirect(ctx, jar, to, Flash::notice(notice))),
        Err(InboxError::Refused(problem)) => {
            Ok(flash::redirect(ctx, jar, to, Flash::notice(problem)))
        }
        Err(InboxError::NotFound) => Ok(not_found()),
        Err(InboxError::Unexpected(error)) => Err(error.into()),
    }
}

fn not_found() -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        views::message_page(
            "Conversation not found",
            &["There is no such conversation in your inbox."],
            Some((INBOX, "Back to the inbox")),
        ),
    )
        .into_response()
}

fn conversation_url(id: i64) -> String {
    format!("{INBOX}/{id}")
}

/// "3 min", "1 h 5 min", "40 s".
fn duration_words(seconds: i64) -> String {
    let seconds = seconds.max(0);
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60)
    }
}

/// Text split into pieces, each marked if it is one of `words` (matched ignoring case, and
/// apostrophes as the escalation check does): shown with `<mark>`, escaped as text.
pub fn highlighted(text: &str, words: &str) -> Vec<(String, bool)> {
    let lower = text.to_ascii_lowercase();
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for word in words.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let word = word.to_ascii_lowercase();
        for variant in [
            word.clone(),
            word.replace('\'', ""),
            word.replace('\'', "\u{2019}"),
        ] {
            let mut from = 0;
            while let Some(at) = lower[from..].find(&variant) {
                let start = from + at;
                let end = start + variant.len();
                if !marks.iter().any(|&(s, e)| start < e && s < end) {
                    marks.push((start, end));
                }
                from = end;
            }
        }
    }
    marks.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = 0;
    for (start, end) in marks {
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            pieces.push((text[at..start].to_owned(), false));
        }
        pieces.push((text[start..end].to_owned(), true));
        at = end;
    }
    if at < text.len() {
        pieces.push((text[at..].to_owned(), false));
    }
    pieces
}

/// A conversation as a row of the list.
struct Row {
    id: i64,
    who: String,
    about: String,
    organisation: String,
    state: &'static str,
    waiting: String,
    operator: String,
    last: String,
    unread: i64,
    urgent: bool,
    words: Vec<String>,
    mine: bool,
    waiting_now: bool,
    reply: bool,
    alert: Option<(i64, String)>,
}

/// Replies to one alert.
struct Thread {
    alert_id: Option<i64>,
    title: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "staff/inbox.html")]
struct InboxPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    admin: bool,
    available: bool,
    capacity: i64,
    open_chats: i64,
    offer: Option<Row>,
    urgent: Vec<Row>,
    waiting: Vec<Row>,
    open: Vec<Row>,
    threads: Vec<Thread>,
    closed: Vec<Row>,
}

pub(super) fn who(conversation: &Conversation) -> String {
    if conversation.first_name.trim().is_empty() {
        "Resident".to_owned()
    } else {
        conversation.first_name.clone()
    }
}

fn row(
    r: &InboxRow,
    staff: &StaffMember,
    titles: &std::collections::BTreeMap<i64, String>,
    now: i64,
) -> Row {
    let c = &r.conversation;
    let alert = c.alert_id.map(|id| {
        (
            id,
            titles
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("Alert {id}")),
        )
    });
    let reply = c.kind() == ConversationKind::Reply;
    Row {
        id: c.id,
        who: who(c),
        about: if c.topic.trim().is_empty() {
            if reply {
                "A reply to an alert".to_owned()
            } else {
                "(not said)".to_owned()
            }
        } else {
            c.topic.clone()
        },
        organisation: c.provider_name.clone(),
        state: match c.state() {
            ConversationState::Waiting => "Waiting",
            ConversationState::Open => "Open",
            ConversationState::Closed => "Closed",
        },
        waiting: if c.state() == ConversationState::Waiting {
            duration_words(now - c.queued_at)
        } else {
            String::new()
        },
        operator: c.operator_name.clone().unwrap_or_default(),
        last: short_uk_time(c.last_message_at),
        unread: r.unread,
        urgent: c.urgent,
        words: c
            .urgent_words
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
        mine: c.operator_id == Some(staff.id),
        waiting_now: c.state() == ConversationState::Waiting,
        reply,
        alert,
    }
}

/// `GET /staff/inbox`: the list.
pub async fn list(
    State(ctx): State<AppState>,
    OperatorStaff(staff): OperatorStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let view = match service::inbox(&ctx, &staff).await {
        Ok(view) => view,
        Err(error) => return Err(anyhow::anyhow!(error.to_string()).into()),
    };
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let now = chrono::Utc::now().timestamp();
    let mut page = InboxPage {
        nav: nav(&staff, &csrf),
        csrf,
        notice: flash.notice,
        admin: staff.permissions.admin,
        available: view.presence.available,
        capacity: view.presence.capacity,
        open_chats: view.open_chats,
        offer: None,
        urgent: Vec::new(),
        waiting: Vec::new(),
        open: Vec::new(),
        threads: Vec::new(),
        closed: Vec::new(),
    };
    let mut others = Vec::new();
    for r in &view.rows {
        let shown = row(r, &staff, &view.alert_titles, now);
        if view.offer == Some(shown.id) {
            page.offer = Some(row(r, &staff, &view.alert_titles, now));
        }
        match r.conversation.state() {
            ConversationState::Closed => page.closed.push(shown),
            _ if shown.urgent => page.urgent.push(shown),
            _ if shown.reply => {
                let alert_id = r.conversation.alert_id;
                match page.threads.iter_mut().find(|t| t.alert_id == alert_id) {
                    Some(thread) => thread.rows.push(shown),
                    None => page.threads.push(Thread {
                        alert_id,
                        title: shown
                            .alert
                            .as_ref()
                            .map_or_else(|| "An alert".to_owned(), |(_, t)| t.clone()),
                        rows: vec![shown],
                    }),
                }
            }
            ConversationState::Waiting => page.waiting.push(shown),
            ConversationState::Open if shown.mine => page.open.push(shown),
            ConversationState::Open => others.push(shown),
        }
    }
    page.open.extend(others);
    page.closed.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /staff/inbox/presence`: available or away, and capacity.
pub async fn presence(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(INBOX));
    }
    let available = form.available == "yes";
    let result =
        service::set_presence(&ctx, &actor(&staff, &ip), &staff, available, &form.capacity)
            .await
            .map(|()| {
                if available {
                    format!(
                        "You are available, for up to {} chats at once.",
                        form.capacity.trim()
                    )
                } else {
                    "You are away: no chats will be offered to you.".to_owned()
                }
            });
    answer(&ctx, jar, INBOX, result)
}

/// `POST /staff/inbox/take-next`.
pub async fn take_next(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(INBOX));
    }
    match service::take_next(&ctx, &actor(&staff, &ip), &staff).await {
        Ok(c) => {
            let to = conversation_url(c.id);
            Ok(flash::redirect(
                &ctx,
                jar,
                &to,
                Flash::notice(format!("You have taken the chat with {}.", who(&c))),
            ))
        }
        Err(error) => answer(&ctx, jar, INBOX, Err(error)),
    }
}

/// A message as the conversation page shows it.
struct MessageRow {
    id: i64,
    class: &'static str,
    by: String,
    note: bool,
    at: String,
    pieces: Vec<(String, bool)>,
}

fn message_name(message: &Message, conversation: &Conversation) -> String {
    match message.author() {
        Author::Resident => who(conversation),
        Author::Operator | Author::Note => message
            .staff_name
            .as_deref()
            .map(first_name)
            .unwrap_or_else(|| "Operator".to_owned()),
        Author::System => "Beacon".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "staff/inbox_conversation.html")]
struct ConversationPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    id: i64,
    who: String,
    about: String,
    organisation: String,
    state: &'static str,
    state_slug: &'static str,
    reply: bool,
    alert: Option<(i64, String)>,
    urgent: bool,
    words: Vec<String>,
    operator: String,
    mine: bool,
    email: bool,
    report: Option<String>,
    messages: Vec<MessageRow>,
    last_id: i64,
    canned: Vec<(i64, String, String)>,
    transfer_to: Vec<(i64, String)>,
    outcomes: Vec<(&'static str, &'static str)>,
    kinds: Vec<(String, String)>,
    resident_text: String,
}

/// `GET /staff/inbox/{id}`: a conversation.
pub async fn show(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let actor = actor(&staff, &ip);
    let c = match service::conversation_for(&ctx, &actor, &staff, id).await {
        Ok(c) => c,
        Err(InboxError::NotFound) => return Ok(not_found()),
        Err(error) => return Err(anyhow::anyhow!(error.to_string()).into()),
    };
    let _ = service::seen(&ctx, &staff).await;
    let messages = service::messages(&ctx, id, 0).await?;
    let last_id = messages.last().map_or(0, |m| m.id);
    if c.operator_id == Some(staff.id) && last_id > c.operator_read {
        service::mark_read(&ctx, id, last_id).await?;
        ctx.live
            .publish(LiveEvent::Read {
                conversation: id,
                resident: false,
                message: last_id,
            })
            .await;
    }
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let alert = match c.alert_id {
        Some(alert_id) => Some((alert_id, service::alert_title(&ctx, alert_id).await?)),
        None => None,
    };
    let loads = service::operator_loads(&ctx, c.provider_id).await?;
    let report = match c.report_id {
        Some(report_id) => service::report_reference(&ctx, report_id).await?,
        None => None,
    };
    let kinds = crate::services::reports::kinds(&ctx)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?
        .into_iter()
        .map(|k| (k.code, k.name))
        .collect();
    let page = ConversationPage {
        nav: nav(&staff, &csrf),
        csrf,
        notice: flash.notice,
        id,
        who: who(&c),
        about: c.topic.clone(),
        organisation: c.provider_name.clone(),
        state: match c.state() {
            ConversationState::Waiting => "Waiting for an operator",
            ConversationState::Open => "Open",
            ConversationState::Closed => "Closed",
        },
        state_slug: c.state().as_str(),
        reply: c.kind() == ConversationKind::Reply,
        alert,
        urgent: c.urgent,
        words: c
            .urgent_words
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
        operator: c.operator_name.clone().unwrap_or_default(),
        mine: c.operator_id == Some(staff.id),
        email: c.email.as_deref().is_some_and(|e| !e.is_empty()),
        report,
        messages: messages
            .iter()
            .map(|m| MessageRow {
                id: m.id,
                class: m.author().as_str(),
                by: message_name(m, &c),
                note: m.author() == Author::Note,
                at: short_uk_time(m.created_at),
                pieces: if m.author() == Author::Resident {
                    highlighted(&m.body, &c.urgent_words)
                } else {
                    vec![(m.body.clone(), false)]
                },
            })
            .collect(),
        last_id,
        canned: service::canned_answers(&ctx, &staff)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?
            .into_iter()
            .filter(|a| a.provider_id == c.provider_id)
            .map(|a| (a.id, a.title, a.body))
            .collect(),
        transfer_to: loads
            .into_iter()
            .filter(|l| l.staff_id != staff.id && l.open_chats < l.capacity)
            .map(|l| {
                (
                    l.staff_id,
                    format!("{} ({} of {} chats)", l.name, l.open_chats, l.capacity),
                )
            })
            .collect(),
        outcomes: OUTCOMES.to_vec(),
        kinds,
        resident_text: service::resident_text(&messages),
    };
    Ok((jar, views::render(&page)).into_response())
}

macro_rules! conversation_action {
    ($name:ident, |$ctx:ident, $actor:ident, $staff:ident, $id:ident, $form:ident| $body:expr) => {
        pub async fn $name(
            State($ctx): State<AppState>,
            ClientIp(ip): ClientIp,
            OperatorStaff($staff): OperatorStaff,
            Path($id): Path<i64>,
            jar: CookieJar,
            Form($form): Form<InboxForm>,
        ) -> WebResult<Response> {
            let to = conversation_url($id);
            if !csrf::verify(&$ctx, &jar, &$form.csrf) {
                return Ok(views::form_expired(&to));
            }
            let $actor = actor(&$staff, &ip);
            let result: Result<String, InboxError> = $body;
            answer(&$ctx, jar, &to, result)
        }
    };
}

conversation_action!(take, |ctx, actor, staff, id, form| service::take(
    &ctx, &actor, &staff, id
)
.await
.map(|c| format!("You have taken the conversation with {}.", who(&c))));

conversation_action!(send, |ctx, actor, staff, id, form| {
    let client_id = (!form.client_id.is_empty()).then_some(form.client_id.as_str());
    service::send(&ctx, &actor, &staff, id, &form.body, client_id, false)
        .await
        .map(|_| "Sent.".to_owned())
});

conversation_action!(note, |ctx, actor, staff, id, form| {
    let client_id = (!form.client_id.is_empty()).then_some(form.client_id.as_str());
    service::send(&ctx, &actor, &staff, id, &form.body, client_id, true)
        .await
        .map(|_| "Note added: it is not shown to the resident.".to_owned())
});

conversation_action!(use_canned, |ctx, actor, staff, id, form| {
    match form.canned.trim().parse::<i64>() {
        Ok(canned) => service::send_canned(&ctx, &actor, &staff, id, canned)
            .await
            .map(|_| "Sent.".to_owned()),
        Err(_) => Err(InboxError::Refused("Choose a canned answer".into())),
    }
});

conversation_action!(transfer, |ctx, actor, staff, id, form| service::transfer(
    &ctx,
    &actor,
    &staff,
    id,
    form.to.trim()
)
.await
.map(|done| format!("{done}.")));

conversation_action!(close, |ctx, actor, staff, id, form| service::close(
    &ctx,
    &actor,
    &staff,
    id,
    form.outcome.trim()
)
.await
.map(|()| "The conversation has ended.".to_owned()));

conversation_action!(block, |ctx, actor, staff, id, form| service::block(
    &ctx,
    &actor,
    &staff,
    id,
    &form.reason
)
.await
.map(
    |()| "This person is blocked from chatting, and the chat has ended.".to_owned()
));

conversation_action!(report, |ctx, actor, staff, id, form| {
    let input = ReportFromChat {
        kind: form.kind.clone(),
        location: form.location.clone(),
        happened: form.happened.clone(),
        description: form.description.clone(),
    };
    service::make_report(&ctx, &actor, &staff, id, &input)
        .await
        .map(|reference| {
            format!("Report {reference} made; its link has been sent to the resident.")
        })
});

#[derive(Template)]
#[template(path = "staff/inbox_canned.html")]
struct CannedPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    answers: Vec<(i64, String, String)>,
}

const CANNED: &str = "/staff/inbox/canned";

/// `GET /staff/inbox/canned`: the organisation's canned answers, each editable.
pub async fn canned_list(
    State(ctx): State<AppState>,
    OperatorStaff(staff): OperatorStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let answers = service::canned_answers(&ctx, &staff)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = CannedPage {
        nav: nav(&staff, &csrf),
        csrf,
        notice: flash.notice,
        answers: answers
            .into_iter()
            .map(|a| (a.id, a.title, a.body))
            .collect(),
    };
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /staff/inbox/canned`: a new canned answer.
pub async fn canned_add(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(CANNED));
    }
    let result = service::add_canned(&ctx, &actor(&staff, &ip), &staff, &form.title, &form.body)
        .await
        .map(|()| format!("Added \u{201c}{}\u{201d}.", form.title.trim()));
    answer(&ctx, jar, CANNED, result)
}

/// `POST /staff/inbox/canned/{id}`: a canned answer changed.
pub async fn canned_edit(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(CANNED));
    }
    let result = service::edit_canned(
        &ctx,
        &actor(&staff, &ip),
        &staff,
        id,
        &form.title,
        &form.body,
    )
    .await
    .map(|()| format!("Saved \u{201c}{}\u{201d}.", form.title.trim()));
    answer(&ctx, jar, CANNED, result)
}

/// `POST /staff/inbox/canned/{id}/delete`.
pub async fn canned_delete(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(CANNED));
    }
    let result = service::delete_canned(&ctx, &actor(&staff, &ip), &staff, id)
        .await
        .map(|()| "Deleted.".to_owned());
    answer(&ctx, jar, CANNED, result)
}

#[derive(Template)]
#[template(path = "staff/escalation.html")]
struct EscalationPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    phrases: Vec<String>,
}

const ESCALATION: &str = "/staff/admin/escalation";

/// `GET /staff/admin/escalation`: the phrases that make a conversation urgent.
pub async fn escalation(
    State(ctx): State<AppState>,
    AdminStaff(staff): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let phrases = service::escalation_phrases(&ctx).await?;
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = EscalationPage {
        nav: nav(&staff, &csrf),
        csrf,
        notice: flash.notice,
        phrases,
    };
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /staff/admin/escalation`: a phrase added.
pub async fn escalation_add(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    AdminStaff(staff): AdminStaff,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(ESCALATION));
    }
    let result = service::add_phrase(&ctx, &actor(&staff, &ip), &form.phrase)
        .await
        .map(|(phrase, added)| {
            if added {
                format!("Added \u{201c}{phrase}\u{201d}.")
            } else {
                format!("\u{201c}{phrase}\u{201d} was already in the list.")
            }
        });
    answer(&ctx, jar, ESCALATION, result)
}

/// `POST /staff/admin/escalation/remove`: a phrase removed.
pub async fn escalation_remove(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    AdminStaff(staff): AdminStaff,
    jar: CookieJar,
    Form(form): Form<InboxForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(ESCALATION));
    }
    let result = service::remove_phrase(&ctx, &actor(&staff, &ip), &form.phrase)
        .await
        .map(|removed| {
            if removed {
                format!("Removed \u{201c}{}\u{201d}.", form.phrase)
            } else {
                "That phrase was not in the list.".to_owned()
            }
        });
    answer(&ctx, jar, ESCALATION, result)
}

#[cfg(test)]
mod tests {
    use super::highlighted;

    #[test]
    fn escalation_words_are_marked_whatever_their_case_or_apostrophe() {
        assert_eq!(
            highlighted("Help ME, hes outside <b>", "help me, he's outside"),
            vec![
                ("Help ME".to_owned(), true),
                (", ".to_owned(), false),
                ("hes outside".to_owned(), true),
                (" <b>".to_owned(), false),
            ]
        );
        assert_eq!(
            highlighted("nothing here", "knife"),
            vec![("nothing here".to_owned(), false)]
        );
        assert_eq!(
            highlighted("Café knife", "knife")[1],
            ("knife".to_owned(), true)
        );
    }
}
