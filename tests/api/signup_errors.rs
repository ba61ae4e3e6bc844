//! What a resident is told when the sign-up form or a link cannot be used (issue 19, item 13):
//! a real postcode outside the area is called so, the form allows what the server accepts, the
//! error summary follows the form's order and takes the focus, and a replaced manage link says
//! it was replaced.

use crate::helpers::{standard_sign_up, Backend, TestApp};
use crate::on_both_backends;
use reqwest::StatusCode;

/// The sign-up with `changes` made to the usual answers.
fn sign_up_with<'a>(changes: &[(&'static str, &'a str)]) -> Vec<(&'static str, &'a str)> {
    let mut fields: Vec<(&'static str, &'a str)> = standard_sign_up("mandy@example.org")
        .into_iter()
        .filter(|(key, _)| !changes.iter().any(|(changed, _)| changed == key))
        .collect();
    fields.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
    fields
}

/// The text of the error summary's links, in order.
fn summary_links(html: &str) -> Vec<String> {
    let summary = html
        .split(r#"<div class="error-summary""#)
        .nth(1)
        .expect("an error summary")
        .split("</div>")
        .next()
        .unwrap();
    summary
        .split("<li><a href=\"#")
        .skip(1)
        .map(|item| item.split('"').next().unwrap().to_owned())
        .collect()
}

on_both_backends!(a_postcode_outside_the_area_is_called_so, outside_area_body);
async fn outside_area_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = |postcode: &'static str| {
        let app = &app;
        async move {
            let page = app
                .sign_up(&sign_up_with(&[("place0_postcode", postcode)]))
                .await;
            assert_eq!(
                page.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{postcode}"
            );
            page.text().await.unwrap()
        }
    };
    // Edinburgh: a real postcode of an area this install holds nothing of, wholly Police
    // Scotland's.
    let page = refused("eh1 1yz").await;
    assert!(
        page.contains("The postcode EH1 1YZ is outside the area this service covers, so we cannot send alerts about it. For alerts where it is, look to Police Scotland"),
        "{page}"
    );
    assert!(!page.contains("We cannot find the postcode EH1 1YZ"));
    // Birmingham's area crosses force boundaries: no force is guessed.
    let page = refused("B1 1AA").await;
    assert!(
        page.contains("The postcode B1 1AA is outside the area this service covers, so we cannot send alerts about it. For alerts where it is, look to the police force for that area (police.uk lists them)"),
        "{page}"
    );
    // A postcode of an area it holds that is not among its postcodes is still "not found", as
    // is one of an area that does not exist.
    for (postcode, message) in [
        ("CB1 9ZZ", "We cannot find the postcode CB1 9ZZ: check it"),
        ("ZZ99 9ZZ", "We cannot find the postcode ZZ99 9ZZ: check it"),
    ] {
        let page = refused(postcode).await;
        assert!(page.contains(message), "{page}");
    }
    assert_eq!(app.outbox_count(), 0);
    app.stop().await;

    // With the force configured, the message names it, here and in the postcode API.
    let app = TestApp::spawn_with(backend, |settings| {
        settings.branding.force_name = "Cambridgeshire Constabulary".into();
    })
    .await;
    let page = app
        .sign_up(&sign_up_with(&[("place0_postcode", "EH1 1YZ")]))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(
            "The postcode EH1 1YZ is outside the area Cambridgeshire Constabulary covers"
        ),
        "{page}"
    );
    let api = app.get("/api/v1/postcodes/EH11YZ").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(api
        .text()
        .await
        .unwrap()
        .contains("outside the area Cambridgeshire Constabulary covers"));
    app.stop().await;
}

/// The `maxlength` of the input named `name` on a page.
fn maxlength(html: &str, name: &str) -> usize {
    let input = html
        .split("<input")
        .find(|tag| tag.contains(&format!("name=\"{name}\"")))
        .unwrap_or_else(|| panic!("no input named {name}"));
    input
        .split("maxlength=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name} has no maxlength"))
}

on_both_backends!(the_form_allows_what_the_server_accepts, field_lengths_body);
async fn field_lengths_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = app.get("/").await.text().await.unwrap();
    let name_max = maxlength(&form, "name");
    let label_max = maxlength(&form, "place0_label");
    // As long as the browser lets a resident type is as long as the server takes.
    let name = "N".repeat(name_max);
    let label = "L".repeat(label_max);
    let page = app
        .sign_up(&sign_up_with(&[("name", &name), ("place0_label", &label)]))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Check your email"));
    // And a character more is refused by the server too.
    let longer = "N".repeat(name_max + 1);
    let page = app.sign_up(&sign_up_with(&[("name", &longer)])).await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

on_both_backends!(
    the_error_summary_follows_the_form_and_takes_the_focus,
    error_order_body
);
async fn error_order_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app
        .sign_up(&sign_up_with(&[
            ("email", "not an address"),
            ("mobile", "12345"),
            ("place0_postcode", "EH1 1YZ"),
            ("providers", ""),
        ]))
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = page.text().await.unwrap();
    // In the order of the fields on the page, though the postcode is checked last.
    assert_eq!(
        summary_links(&page),
        ["email", "place-0-postcode", "providers", "mobile"],
        "{page}"
    );
    // The summary comes first in the page and takes the focus, as GOV.UK's does.
    let main = page.split(r#"<main id="main""#).nth(1).unwrap();
    let summary_at = main.find(r#"<div class="error-summary""#).unwrap();
    assert!(summary_at < main.find("<h1>").unwrap());
    assert!(main[summary_at..]
        .split('>')
        .next()
        .unwrap()
        .contains(r#"tabindex="-1" autofocus"#));
    app.stop().await;
}

on_both_backends!(a_replaced_manage_link_says_so, replaced_manage_link_body);
async fn replaced_manage_link_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.signed_up("mandy@example.org").await;
    app.confirm(&first.link("/confirm/")).await;
    let old_manage = first.link("/manage/");
    assert_eq!(app.get(&old_manage).await.status(), StatusCode::OK);

    // Mandy unsubscribes, then signs up again: her links are renewed.
    let unsubscribed = app
        .client
        .post(first.link("/unsubscribe/"))
        .send()
        .await
        .unwrap();
    assert_eq!(unsubscribed.status(), StatusCode::OK);
    let response = app.sign_up(&standard_sign_up("mandy@example.org")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = app.emails(2).await.pop().unwrap();
    app.confirm(&second.link("/confirm/")).await;
    assert_eq!(
        app.get(&second.link("/manage/")).await.status(),
        StatusCode::OK
    );

    let old = app.get(&old_manage).await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    let old = old.text().await.unwrap();
    assert!(
        old.contains("This link has been replaced by a newer one. Use the link in the latest email we sent you, or ask for a new one."),
        "{old}"
    );
    assert!(!old.contains("copied the whole link"), "{old}");
    assert!(old.contains(r#"href="/manage-link""#), "{old}");
    // A link that was never whole still says to check it.
    let tampered = app.get(&format!("{old_manage}x")).await;
    assert_eq!(tampered.status(), StatusCode::NOT_FOUND);
    assert!(tampered
        .text()
        .await
        .unwrap()
        .contains("Check that you copied the whole link"));
    app.stop().await;
}
