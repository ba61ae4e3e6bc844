//! The demo's contact centre history: past live chats over the last weeks and last month
//! (taken and answered by the demo's operator, most rated, one left while waiting), so the
//! figures and the contact page's response time show something; and a resident's reply to a
//! demo alert about shed break-ins, waiting in the inbox. Made through the store's own steps, at past times.

use crate::domain::conversation::figures::{previous_month, uk_midnight};
use crate::domain::conversation::{Author, ConversationKind};
use crate::domain::subscriber::first_name;
use crate::services::tokens::random_id;
use crate::services::AppContext;
use crate::store::{NewConversation, NewMessage, StaffMember};
use anyhow::Context;

/// A past chat: (days ago, hour (UK), name, topic, the resident's first message, seconds until
/// taken, seconds until first answered, the answer, rating); no answer means the resident left
/// while waiting.
type DemoChat = (
    i64,
    u32,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<(i64, &'static str)>,
    Option<i64>,
);

const DEMO_CHATS: &[DemoChat] = &[
    (1, 9, "Mandy", "Parcel scam", "I've had a text saying I owe £1.45 for a parcel. Is it real?", 8, Some((21, "Hello Mandy, that text is a scam: please don't click the link. You can forward it to 7726.")), Some(5)),
    (1, 19, "", "Noise", "There's loud music from a flat on my road every night after midnight.", 15, Some((33, "Thanks for telling us. Noise is dealt with by the council; I'll give you their link, and if there's any threat to you we can help.")), Some(4)),
    (2, 13, "Kwame", "Bike stolen", "My bike was stolen from outside the station this morning.", 5, Some((18, "I'm sorry to hear that. I can start an online report with you now: do you know the frame number?")), Some(5)),
    (3, 22, "", "Suspicious car", "A car has been parked with its engine running outside the school for an hour.", 40, None, None),
    (4, 11, "Joan", "Doorstep caller", "A man came to my door saying my roof needs urgent work and wants cash today.", 12, Some((26, "Please don't pay him, Joan. Genuine traders don't ask for cash on the doorstep. Is he still there?")), Some(5)),
    (6, 16, "Gareth", "Lost wallet", "I think I dropped my wallet in town. Has anyone handed it in?", 20, Some((45, "Let's check. Lost property is recorded online: I'll send you the link and note your wallet's details.")), Some(3)),
    (9, 10, "Sofia", "Shed break-in", "Someone broke into our shed last night.", 10, Some((29, "Thanks Sofia. I'll make an online report with you now. Was anything taken?")), Some(4)),
    (12, 20, "", "Advice", "How do I report a crime anonymously?", 6, Some((19, "You can report to Crimestoppers on 0800 555 111, or use our online form without giving your name.")), None),
];

/// Chats last calendar month, so the contact page has a figure: (day of the month, hour,
/// seconds until taken, seconds until first answered).
const LAST_MONTH: &[(i64, i64, i64, i64)] = &[
    (3, 10, 9, 24),
    (7, 14, 12, 31),
    (12, 18, 6, 22),
    (18, 9, 15, 35),
    (24, 21, 7, 23),
];

fn message(author: Author, staff_id: Option<i64>, body: &str) -> NewMessage {
    NewMessage {
        author,
        staff_id,
        body: body.to_owned(),
        client_id: None,
        urgent_words: vec![],
    }
}

/// One past chat of the force started at `started`, taken and answered by `operator` after the
/// given seconds (or left while waiting), and rated.
#[allow(clippy::too_many_arguments)]
async fn past_chat(
    ctx: &AppContext,
    provider: i64,
    operator: &StaffMember,
    started: i64,
    name: &str,
    topic: &str,
    opening: &str,
    taken: i64,
    answer: Option<(i64, &str)>,
    rating: Option<i64>,
) -> anyhow::Result<()> {
    let store = &ctx.store;
    let chat = store
        .start_conversation(
            &NewConversation {
                token: random_id(),
                kind: Some(ConversationKind::Chat),
                provider_id: provider,
                first_name: name.to_owned(),
                topic: topic.to_owned(),
                ..NewConversation::default()
            },
            Some(&message(Author::Resident, None, opening)),
            started,
        )
        .await?;
    let Some((answered, answer)) = answer else {
        store
            .close_conversation(chat.id, None, true, started + taken)
            .await?;
        return Ok(());
    };
    store
        .take_conversation(chat.id, operator.id, started + taken)
        .await?;
    let operator_says = message(Author::Operator, Some(operator.id), answer);
    store
        .add_message(chat.id, &operator_says, started + answered)
        .await?;
    let thanks = message(Author::Resident, None, "Thank you, that helps.");
    store
        .add_message(chat.id, &thanks, started + answered + 60)
        .await?;
    store
        .close_conversation(
            chat.id,
            Some("advice-given"),
            false,
            started + answered + 120,
        )
        .await?;
    if let Some(rating) = rating {
        store.rate_conversation(chat.id, rating, None).await?;
    }
    Ok(())
}

/// Seeds the past chats and a resident's reply to the newest demo alert; how many chats.
pub async fn seed(ctx: &AppContext, operator: &StaffMember) -> anyhow::Result<usize> {
    let store = &ctx.store;
    let provider = operator.provider_id;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    for (days_ago, hour, name, topic, opening, taken, answer, rating) in DEMO_CHATS {
        let day = today - chrono::Duration::days(*days_ago);
        let started = uk_midnight(day) + i64::from(*hour) * 3600 + 17 * 60;
        past_chat(
            ctx, provider, operator, started, name, topic, opening, *taken, *answer, *rating,
        )
        .await?;
    }
    let (first, _) = previous_month(today);
    for (day, hour, taken, answered) in LAST_MONTH {
        let started = uk_midnight(first + chrono::Duration::days(day - 1)) + hour * 3600;
        let answer = Some((
            *answered,
            "Hello, thanks for getting in touch. How can I help?",
        ));
        past_chat(
            ctx,
            provider,
            operator,
            started,
            "",
            "Advice",
            "Hi, I need some advice please.",
            *taken,
            answer,
            Some(4),
        )
        .await?;
    }

    // A resident's reply to the force's alert on shed break-ins, waiting for an operator.
    let alerts = store.list_alerts(Some(provider), 100).await?;
    let alert = alerts
        .iter()
        .find(|a| a.content.title.contains("Shed"))
        .or(alerts.first())
        .context("the demo has no alert of the operator's organisation")?;
    let resident = store
        .subscriber_by_email_key("resident1@example.org")
        .await?
        .context("the demo resident resident1@example.org is missing")?;
    let replied = now.timestamp() - 25 * 60;
    let reply = "Thanks for this. Our shed near the cathedral was broken into on Tuesday night \
                 too, but I didn't report it. Should I?";
    store
        .start_conversation(
            &NewConversation {
                token: random_id(),
                kind: Some(ConversationKind::Reply),
                provider_id: alert.content.provider_id,
                alert_id: Some(alert.id),
                subscriber_id: Some(resident.id),
                first_name: first_name(&resident.preferences.name).to_owned(),
                topic: alert.content.title.clone(),
                email: Some(resident.email.to_string()),
                ..NewConversation::default()
            },
            Some(&message(Author::Resident, None, reply)),
            replied,
        )
        .await?;
    Ok(DEMO_CHATS.len() + LAST_MONTH.len())
}
