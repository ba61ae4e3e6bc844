//! The staff home as its readers meet it: alerts with their dates, sent counts and ratings,
//! filtered and a page at a time (imported alerts apart); what waits for approval and which
//! alerts residents replied to; approvers emailed when an alert waits for them, and an alert
//! sent back to its author with a comment.

use crate::alerts::{audited, staff_member};
use crate::delivery::{seed_resident, send_alert_from, wait_for_report, ResidentSpec, FORCE_AREA};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::alert::SignOff;
use beacon::domain::Priority;
use beacon::services::alerts::{self as alert_service, AlertInput};
use beacon::services::staff::Actor;
use beacon::store::{AlertContent, AlertStatus, DynStore, ImportedAlert, NewAlert};
use std::collections::HashSet;
use std::time::Duration;

/// A draft from the organisation `slug`, of the `kind`-th kind of message.
async fn draft(store: &DynStore, slug: &str, title: &str, kind: usize) -> i64 {
    let content = content(store, slug, title, kind).await;
    store
        .insert_alert(&NewAlert {
            content,
            author_staff_id: None,
            api_token_id: None,
            signoff: signoff(),
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now: chrono::Utc::now().timestamp(),
        })
        .await
        .unwrap()
}

async fn content(store: &DynStore, slug: &str, title: &str, kind: usize) -> AlertContent {
    let providers = store.providers().await.unwrap();
    let types = store.message_types().await.unwrap();
    AlertContent {
        provider_id: providers.iter().find(|p| p.slug == slug).unwrap().id,
        message_type_id: types[kind].id,
        priority: Priority::new(3).unwrap(),
        title: title.into(),
        body_markdown: "Lock sheds and garages.".into(),
        sms_text: None,
        target: serde_json::from_str(FORCE_AREA).unwrap(),
        target_description: "Cambridgeshire".into(),
        private: false,
        members: Default::default(),
    }
}

fn signoff() -> SignOff {
    SignOff {
        name: "Sarah Jones".into(),
        organisation: "Cambridgeshire Constabulary".into(),
        role: "PCSO".into(),
        area: "South Cambridgeshire".into(),
    }
}

/// An alert imported from another service's archive, as `beacon import-archive` stores it.
async fn imported(store: &DynStore, title: &str) -> i64 {
    let now = chrono::Utc::now().timestamp();
    store
        .import_alert(&ImportedAlert {
            content: content(store, "cambridgeshire-constabulary", title, 0).await,
            signoff: signoff(),
            sent_at: now - 86_400 * 400,
            listed_at: now - 86_400 * 400,
            imported_from: "eCops email export ecops-2022.txt, line 1".into(),
            imported_provider: None,
            inferred: Vec::new(),
            import_key: title.into(),
            district_codes: Vec::new(),
            now,
        })
        .await
        .unwrap()
        .unwrap()
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The rows of the alerts table: (alert id, the row's text).
fn rows(html: &str) -> Vec<(i64, String)> {
    let table = &html[html
        .find("<table class=\"table\" id=\"alerts\">")
        .expect("the alerts table")..];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let id = row["<td>".len()..row.find("</td>").unwrap()]
                .parse()
                .unwrap();
            (id, row.to_owned())
        })
        .collect()
}

fn ids(html: &str) -> Vec<i64> {
    rows(html).into_iter().map(|(id, _)| id).collect()
}

/// The "Older alerts" link, if the page has one.
fn older(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\">Older alerts</a>")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&amp;", "&"))
}

/// The section of the page with this id.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

on_both_backends!(the_home_lists_alerts_filtered_and_paged, home_list_body);
async fn home_list_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.ctx.store;
    let ann = seed_resident(
        store,
        &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
    )
    .await;
    seed_resident(
        store,
        &ResidentSpec::new("bob@example.org", "Bob Lee", "CB2 1TN"),
    )
    .await;
    let (_, lucy) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let (_, ada) = staff_member(
        &app,
        "Ada Admin",
        "cambridgeshire-constabulary",
        (false, false, true, false),
    )
    .await;

    // 30 drafts, an alert sent to both residents, rated and replied to, one imported from an
    // old archive, and one from another organisation.
    let mut drafts = Vec::new();
    for n in 1..=30 {
        let kind = if n % 2 == 0 { 1 } else { 0 };
        drafts.push(
            draft(
                store,
                "cambridgeshire-constabulary",
                &format!("Draft number {n}"),
                kind,
            )
            .await,
        );
    }
    let sent = send_alert_from(
        store,
        "cambridgeshire-constabulary",
        "Shed BURGLARIES in Cambridge",
        3,
        FORCE_AREA,
        false,
    )
    .await;
    wait_for_report(store, sent, 2, 0, Duration::from_secs(20)).await;
    let now = chrono::Utc::now().timestamp();
    assert!(store.rate_alert(sent, ann, true, None, now).await.unwrap());
    assert!(store
        .add_alert_reply(sent, ann, "Mine was broken into too", now)
        .await
        .unwrap());
    let old = imported(store, "Imported burglary appeal").await;
    let council = draft(store, "trading-standards", "Bin collections change", 0).await;

    // Lucy's home says what she may do in words, and lists her organisation's alerts written
    // here, newest first, 25 a page.
    let home = page(&lucy, &app, "/staff").await;
    assert!(
        home.contains("You can write alerts and send them."),
        "{home}"
    );
    assert!(!home.contains("You may: sender"), "{home}");
    assert!(
        !home.contains("Waiting for your approval"),
        "not an approver: {home}"
    );
    let first = rows(&home);
    assert_eq!(first.len(), 25, "{home}");
    assert_eq!(first[0].0, sent);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%-d %b %Y")
        .to_string();
    let row = &first[0].1;
    assert!(row.contains(&format!("Sent {today} ")), "{row}");
    assert!(row.contains("2 residents"), "{row}");
    assert!(row.contains("1 useful, 0 not useful"), "{row}");
    assert!(
        row.contains(&format!("/staff/alerts/{sent}#replies\">1</a>")),
        "{row}"
    );
    assert!(first[1].1.contains("Draft") && first[1].1.contains(&format!("Written {today}")));
    let listed: HashSet<i64> = first.iter().map(|(id, _)| *id).collect();
    assert!(
        !listed.contains(&old),
        "imported alerts are left out by default"
    );
    assert!(!listed.contains(&council), "another organisation's");

    // Replies waiting: the alert, how many, and a link to them.
    let replies = section(&home, "replies-waiting");
    assert!(
        replies.contains("Shed BURGLARIES in Cambridge"),
        "{replies}"
    );
    assert!(replies.contains("1 reply"), "{replies}");
    assert!(
        replies.contains(&format!("/staff/alerts/{sent}#replies")),
        "{replies}"
    );
    assert!(
        !replies.contains("Mine was broken into"),
        "the reply itself is on the alert's page"
    );

    // Paging covers every alert once, in order.
    let mut seen = ids(&home);
    let mut next = older(&home);
    while let Some(link) = next {
        let more = page(&lucy, &app, &link).await;
        assert!(more.contains("Newest alerts"), "{more}");
        seen.extend(ids(&more));
        next = older(&more);
    }
    let mut expected: Vec<i64> = drafts.clone();
    expected.push(sent);
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected);

    // Filters: status, kind, words in the title (any case), imported or not.
    let queued = page(&lucy, &app, "/staff?status=queued").await;
    assert_eq!(ids(&queued), vec![sent]);
    assert!(queued.contains("<option value=\"queued\" selected>Sent</option>"));
    let kinds = app.ctx.store.message_types().await.unwrap();
    let even = page(
        &lucy,
        &app,
        &format!("/staff?kind={}&status=draft", kinds[1].slug),
    )
    .await;
    assert_eq!(ids(&even).len(), 15, "{even}");
    assert!(older(&even).is_none());
    let words = page(&lucy, &app, "/staff?words=burglaries").await;
    assert_eq!(ids(&words), vec![sent]);
    let wildcard = page(&lucy, &app, "/staff?words=%25").await;
    assert!(
        ids(&wildcard).is_empty(),
        "a % is a character, not a wildcard"
    );
    let imports = page(&lucy, &app, "/staff?source=imported").await;
    let imported_rows = rows(&imports);
    assert_eq!(imported_rows.len(), 1);
    assert_eq!(imported_rows[0].0, old);
    assert!(imported_rows[0]
        .1
        .contains("<span class=\"tag\">Imported</span>"));
    assert!(
        !imported_rows[0].1.contains("residents"),
        "sent to nobody here"
    );
    let both = page(&lucy, &app, "/staff?source=all&words=burglar").await;
    assert_eq!(ids(&both), vec![old, sent]);
    // Another organisation cannot be chosen by a sender: the filter is not offered, and asking
    // anyway still lists only her own.
    assert!(!home.contains("id=\"organisation\""));
    let asked = page(&lucy, &app, "/staff?organisation=trading-standards").await;
    assert!(!ids(&asked).contains(&council));

    // An admin sees everyone's, and may narrow to one organisation.
    let admin_home = page(&ada, &app, "/staff").await;
    assert!(admin_home.contains("You can manage staff, organisations and API tokens"));
    assert!(ids(&admin_home).contains(&council));
    let council_only = page(&ada, &app, "/staff?organisation=trading-standards").await;
    assert_eq!(ids(&council_only), vec![council]);
    app.stop().await;
}

on_both_backends!(approvers_are_told_and_can_send_back, approval_body);
async fn approval_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (junior, junior_browser) = staff_member(
        &app,
        "Junior Sender",
        "cambridgeshire-constabulary",
        (true, false, false, true),
    )
    .await;
    let (_, sam) = staff_member(
        &app,
        "Sam Patel",
        "cambridgeshire-constabulary",
        (false, true, false, false),
    )
    .await;
    let (_, lucy) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let (_, other) = staff_member(
        &app,
        "Olive Other",
        "trading-standards",
        (false, true, false, false),
    )
    .await;
    staff_member(
        &app,
        "Ada Admin",
        "cambridgeshire-constabulary",
        (false, false, true, false),
    )
    .await;
    let input = AlertInput {
        provider: "cambridgeshire-constabulary".into(),
        message_type: "appeal".into(),
        priority: "3".into(),
        title: "Appeal for witnesses".into(),
        body: "Did you see anything?".into(),
        force_area: Some("on".into()),
        ..AlertInput::default()
    };
    let by_junior = Actor {
        staff: Some(&junior),
        ip: "t",
    };
    let id = alert_service::save_draft(&app.ctx, &by_junior, &input)
        .await
        .unwrap();
    let alert_path = format!("/staff/alerts/{id}");
    let nothing_waits = page(&sam, &app, "/staff").await;
    assert!(section(&nothing_waits, "waiting-approval").contains("Nothing is waiting"));

    // The junior asks for approval: Sam, the organisation's approver, is emailed, and nobody
    // else (not the other organisation's approver, not the admin while an approver exists).
    let page_html = page(&junior_browser, &app, &alert_path).await;
    let csrf = hidden_value(&page_html, "csrf").unwrap();
    let submitted = junior_browser
        .post(app.url(&format!("{alert_path}/submit")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let emails = app.emails(1).await;
    app.wait_until_sent().await;
    assert_eq!(app.outbox_count(), 1, "one approver told");
    let told = &emails[0];
    assert_eq!(told.to, "sam.patel@staff.example");
    assert_eq!(
        told.subject,
        "Waiting for your approval: Appeal for witnesses"
    );
    assert!(
        told.text.contains("Junior Sender has asked"),
        "{}",
        told.text
    );
    assert!(
        told.link(&alert_path).ends_with(&alert_path),
        "{}",
        told.text
    );
    assert!(
        !told.text.contains("@example.org"),
        "nothing about residents"
    );

    // Sam's home lists it as waiting for his approval; the junior's does not.
    let sam_home = page(&sam, &app, "/staff").await;
    assert!(
        sam_home.contains("You can approve other people")
            && sam_home.contains("or send them back with what to change.")
    );
    let waiting = section(&sam_home, "waiting-approval");
    assert!(
        waiting.contains("Appeal for witnesses") && waiting.contains("Junior Sender"),
        "{waiting}"
    );
    let junior_home = page(&junior_browser, &app, "/staff").await;
    assert!(
        junior_home.contains("(they need approval first)"),
        "{junior_home}"
    );
    assert!(!junior_home.contains("Waiting for your approval"));

    // Only an approver of its organisation may send it back, and not its author.
    let send_back = |browser: reqwest::Client, comment: String| {
        let app = &app;
        let alert_path = alert_path.clone();
        async move {
            // Any staff page carries the form token (the sign-out button's).
            let html = page(&browser, app, "/staff").await;
            let csrf = hidden_value(&html, "csrf").unwrap();
            browser
                .post(app.url(&format!("{alert_path}/send-back")))
                .form(&[("csrf", csrf.as_str()), ("comment", comment.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    for (who, browser) in [
        ("junior", &junior_browser),
        ("lucy", &lucy),
        ("other", &other),
    ] {
        let refused = send_back(browser.clone(), "Change it".into()).await;
        assert_eq!(refused.status(), 403, "{who}");
    }
    assert!(
        audited(&app, "send-back", true).await.len() >= 2,
        "refusals audited"
    );
    let page_for_lucy = page(&lucy, &app, &alert_path).await;
    assert!(!page_for_lucy.contains("Send back to the author"));

    // The comment is required, and at most 1,000 characters; a refusal changes nothing.
    let empty = send_back(sam.clone(), "   ".into()).await;
    assert_eq!(empty.status(), 422);
    assert!(empty
        .text()
        .await
        .unwrap()
        .contains("Say what the author should change"));
    let long = send_back(sam.clone(), "x".repeat(1_001)).await;
    assert_eq!(long.status(), 422);
    let long = long.text().await.unwrap();
    assert!(
        long.contains("1,000 characters or fewer: it has 1001"),
        "{long}"
    );
    assert!(
        long.contains(&"x".repeat(1_001)),
        "the comment is given back"
    );
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(alert.status, AlertStatus::AwaitingApproval);

    // Sent back: a draft again, the comment on its page (escaped) and in the author's email.
    let comment = "Name the road <b>please</b> & say when it happened.";
    let sent_back = send_back(sam.clone(), comment.into()).await;
    assert_eq!(sent_back.status(), 200);
    assert!(sent_back.url().as_str().ends_with("?done=sent-back"));
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(alert.status, AlertStatus::Draft);
    let seen = page(&junior_browser, &app, &alert_path).await;
    let note = &seen[seen.find("id=\"sent-back\"").expect("the comment is shown")..];
    assert!(note.contains("Sam Patel sent this alert back"), "{note}");
    assert!(
        note.contains("Name the road &#60;b&#62;please&#60;/b&#62; &#38; say when it happened."),
        "{note}"
    );
    assert!(!note.contains("<b>"), "escaped");
    assert!(
        seen.contains("Ask for approval"),
        "the author may ask again"
    );
    let emails = app.emails(2).await;
    let to_author = emails
        .iter()
        .find(|e| e.to == "junior.sender@staff.example")
        .expect("the author is emailed");
    assert_eq!(
        to_author.subject,
        "Sent back for changes: Appeal for witnesses"
    );
    assert!(to_author.text.contains(comment), "{}", to_author.text);
    assert!(to_author
        .text
        .contains("Sam Patel has sent your alert back"));
    assert!(audited(&app, "send-back", false)
        .await
        .iter()
        .any(|d| d.contains("Name the road")));

    // No longer waiting, it cannot be sent back again.
    let again = send_back(sam.clone(), "And again".into()).await;
    assert_eq!(again.status(), 409);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("Only an alert waiting for approval"));
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(alert.returned_comment.as_deref(), Some(comment));

    // Asked again, the approver is told again, and reads the earlier comment beside it.
    let html = page(&junior_browser, &app, &alert_path).await;
    let csrf = hidden_value(&html, "csrf").unwrap();
    let asked_again = junior_browser
        .post(app.url(&format!("{alert_path}/submit")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(asked_again.status(), 200);
    let emails = app.emails(3).await;
    assert_eq!(
        emails
            .iter()
            .filter(|e| e.to == "sam.patel@staff.example")
            .count(),
        2
    );
    let for_sam = page(&sam, &app, &alert_path).await;
    assert!(
        for_sam.contains("Sent back for changes earlier"),
        "{for_sam}"
    );
    assert!(for_sam.contains("Send back to the author"));
    app.stop().await;
}
