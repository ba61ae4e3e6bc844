//! Messages to and from Neighbourhood Watch schemes at their edges: a member's reply to a
//! coordinator's message reaches the coordinators (and no inbox), while a reply to the police's
//! alert to a scheme's members reaches the force's inbox (and no volunteer); a double press
//! sends a coordinator's message once; a follow-up keeps the original's members; a proposal
//! staff closed cannot be reopened unverified; a coordinator whose permission is taken away
//! gets nothing more.

use crate::alerts::staff_member;
use crate::delivery::{seed_resident, wait_for_report, ResidentSpec};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::schemes::{all_emails, coordinator, open_scheme, post, to, visit};
use beacon::domain::scheme::{SchemeStatus, Standing};
use beacon::geo::scheme_area::SchemeArea;
use beacon::services::alerts::{self, AlertAction};
use beacon::services::staff::Actor;
use beacon::store::{JoinRequest, NewScheme};
use reqwest::StatusCode;
use std::time::Duration;

const CAMBS: &str = "cambridgeshire-constabulary";
const MELDRETH: &str = "SG8 6DP";

on_both_backends!(replies_go_to_whoever_wrote_and_nothing_is_sent_twice, body);
async fn body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (lucy_staff, lucy) =
        staff_member(&app, "Lucy Ward", CAMBS, (true, false, false, false)).await;
    let scheme = open_scheme(&app, "Meldreth Watch", "E07000012", &[MELDRETH]).await;
    let (margaret, mbrowser) = coordinator(&app, "Margaret Ellis", scheme).await;
    let ann = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ann@example.org", "Ann Jones", MELDRETH),
    )
    .await;
    let now = chrono::Utc::now().timestamp();
    app.ctx
        .store
        .request_membership(scheme, ann, &JoinRequest::default(), now)
        .await
        .unwrap();
    let request = app.ctx.store.scheme_memberships(scheme).await.unwrap()[0].id;
    app.ctx
        .store
        .decide_membership(scheme, request, true, margaret.id, now)
        .await
        .unwrap();

    // Two presses at once: one message.
    let page = format!("/staff/coordinate/{scheme}");
    let (_, html) = visit(&app, &mbrowser, &page).await;
    let csrf = hidden_value(&html, "csrf").unwrap();
    let presses = (0..2).map(|_| {
        mbrowser
            .post(app.url(&format!("{page}/message")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("title", "Parcel thefts"),
                ("body", "Ask a neighbour to take parcels in."),
            ])
            .send()
    });
    let mut said = Vec::new();
    for answer in futures_util::future::join_all(presses).await {
        said.push(answer.unwrap().text().await.unwrap());
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM alerts").await,
        1,
        "{said:?}"
    );
    assert!(
        said.iter().any(|p| p.contains("it is not sent twice")),
        "{said:?}"
    );
    let coordinators_message: i64 = app.count("SELECT MAX(id) FROM alerts").await;
    wait_for_report(
        &app.ctx.store,
        coordinators_message,
        1,
        0,
        Duration::from_secs(10),
    )
    .await;

    // The police write to the scheme's members: Ann's reply to that goes to the force's
    // inbox, not to the volunteers.
    let input = alerts::AlertInput {
        provider: CAMBS.into(),
        message_type: "crime-prevention".into(),
        priority: "3".into(),
        title: "Bike marking for Watch members".into(),
        body: "Bring your bike to the station on Saturday.".into(),
        force_area: Some("on".into()),
        members: format!("scheme:{scheme}"),
        ..alerts::AlertInput::default()
    };
    let by_lucy = Actor {
        staff: Some(&lucy_staff),
        ip: "test",
    };
    let police = alerts::save_draft(&app.ctx, &by_lucy, &input)
        .await
        .unwrap();
    for action in [AlertAction::Submit, AlertAction::SendNow] {
        let alert = app.ctx.store.alert(police).await.unwrap().unwrap();
        alerts::act(&app.ctx, &by_lucy, &alert, action)
            .await
            .unwrap();
    }
    wait_for_report(&app.ctx.store, police, 1, 0, Duration::from_secs(10)).await;
    let emails = all_emails(&app).await;
    let ann_got = to(&emails, "ann@example.org");
    let reply_to = |title: &str| {
        ann_got
            .iter()
            .find(|e| e.subject.contains(title))
            .unwrap_or_else(|| panic!("Ann got {title}"))
            .link("/reply/")
    };
    let resident = TestApp::client();
    let reply = |link: String, words: &'static str| {
        let resident = &resident;
        let app = &app;
        async move {
            let (_, form) = visit(app, resident, &link).await;
            let csrf = hidden_value(&form, "csrf").unwrap();
            let answer = resident
                .post(&link)
                .form(&[("csrf", csrf.as_str()), ("body", words)])
                .send()
                .await
                .unwrap();
            (form, answer.text().await.unwrap())
        }
    };
    let (form, said) = reply(reply_to("Bike marking"), "Can I bring two bikes?").await;
    assert!(form.contains("our contact centre"), "{form}");
    assert!(said.contains("Your reply has been sent"), "{said}");
    assert_eq!(app.count("SELECT COUNT(*) FROM conversations").await, 1);
    let (form, said) = reply(reply_to("Parcel thefts"), "Mine went missing too.").await;
    assert!(
        form.contains("coordinators of the Neighbourhood Watch scheme"),
        "{form}"
    );
    assert!(said.contains("We emailed it to the scheme"), "{said}");
    assert_eq!(app.count("SELECT COUNT(*) FROM conversations").await, 1);
    let emails = all_emails(&app).await;
    let to_margaret = to(&emails, "margaret.ellis@nhw.example");
    assert!(to_margaret
        .iter()
        .any(|e| e.text.contains("Mine went missing too.")));
    assert!(!to_margaret.iter().any(|e| e.text.contains("two bikes")));

    // A follow-up to the police's alert keeps it to the scheme's members, off the archive.
    let (_, follow_up) = visit(&app, &lucy, &format!("/staff/alerts/new?follows={police}")).await;
    assert!(
        follow_up.contains(&format!("<option value=\"scheme:{scheme}\" selected>")),
        "{follow_up}"
    );
    assert!(follow_up.contains("id=\"private\" name=\"private\" type=\"checkbox\" value=\"on\" aria-describedby=\"private-hint\" checked"), "{follow_up}");

    // Once the coordinate permission is taken away, no more mail about the scheme.
    app.ctx
        .store
        .update_staff(
            margaret.id,
            &beacon::domain::staff::StaffDetails {
                email: margaret.email.clone(),
                name: margaret.name.clone(),
                role_title: margaret.role_title.clone(),
                area_label: margaret.area_label.clone(),
                provider_slug: "neighbourhood-watch".into(),
                permissions: beacon::domain::staff::Permissions::default(),
            },
            margaret.provider_id,
            true,
            now,
        )
        .await
        .unwrap();
    let contact = post(
        &app,
        &resident,
        &format!("/schemes/{scheme}"),
        &format!("/schemes/{scheme}/contact"),
        &[
            ("name", "Jo"),
            ("email", "jo@example.org"),
            ("message", "When do you meet?"),
        ],
    )
    .await;
    assert_eq!(contact.status(), StatusCode::BAD_REQUEST);
    assert!(contact
        .text()
        .await
        .unwrap()
        .contains("no coordinator to read messages"));

    // A proposal staff closed cannot be reopened unverified.
    let proposal = app
        .ctx
        .store
        .insert_scheme(
            &NewScheme {
                name: "Spam Watch".into(),
                district_code: "E07000012".into(),
                area: SchemeArea::Postcodes {
                    postcodes: vec![MELDRETH.into()],
                    centre: None,
                },
                description: String::new(),
                status: SchemeStatus::Proposed,
                standing: Standing::SelfDeclared,
                standing_by: None,
                proposer_name: "X".into(),
                proposer_email: "x@example.org".into(),
            },
            now,
        )
        .await
        .unwrap();
    let staff_page = format!("/staff/schemes/{proposal}");
    post(
        &app,
        &lucy,
        &staff_page,
        &format!("{staff_page}/status"),
        &[("action", "close")],
    )
    .await;
    let reopened = post(
        &app,
        &lucy,
        &staff_page,
        &format!("{staff_page}/status"),
        &[("action", "reopen")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(reopened.contains("cannot be reopened"), "{reopened}");
    let scheme_now = app.ctx.store.scheme(proposal).await.unwrap().unwrap();
    assert_eq!(scheme_now.status, SchemeStatus::Closed);
    app.stop().await;
}
