//! What a resident meets on the public side of the site (issue 19, item 10): a home page that
//! leads somewhere, the privacy notice and accessibility statement, the favicon, the force's
//! branding from the settings, and asking again for a lost manage link.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use reqwest::StatusCode;

/// The site's own links (`href="/…"`) on a page, each once.
fn site_links(html: &str) -> Vec<String> {
    let mut links: Vec<String> = html
        .split("href=\"/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|path| format!("/{path}"))
        .filter(|path| !path.starts_with("/static/"))
        .collect();
    links.sort();
    links.dedup();
    links
}

on_both_backends!(
    the_home_page_leads_to_pages_that_exist,
    home_page_links_body
);
async fn home_page_links_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let home = app.get("/").await.text().await.unwrap();
    let links = site_links(&home);
    for wanted in ["/alerts", "/manage-link", "/privacy", "/accessibility"] {
        assert!(
            links.iter().any(|l| l == wanted),
            "the home page has no link to {wanted}: {links:?}"
        );
    }
    // No dead links: every page the home page points to is there.
    for link in &links {
        let answer = app.get(link).await;
        assert_eq!(answer.status(), StatusCode::OK, "{link}");
    }

    let privacy = app.get("/privacy").await.text().await.unwrap();
    assert!(privacy.contains("<h1>Privacy notice</h1>"), "{privacy}");
    // What the service really does with unconfirmed sign-ups and erased accounts.
    assert!(
        privacy.contains("A sign-up that is never confirmed is deleted after 7 days"),
        "{privacy}"
    );
    assert!(privacy
        .contains("If you delete your account, everything listed above is deleted straight away"));
    assert!(privacy.contains("Information Commissioner"));
    let accessibility = app.get("/accessibility").await.text().await.unwrap();
    assert!(accessibility.contains("<h1>Accessibility statement for Beacon community alerts</h1>"));
    assert!(accessibility.contains("Web Content Accessibility Guidelines version 2.2"));
    assert!(accessibility.contains("axe-core"));

    // The browser's own request for a favicon gets an icon.
    assert!(home.contains(r#"<link rel="icon" href="/static/favicon.svg""#));
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.url().path(), "/static/favicon.svg");
    assert_eq!(
        icon.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml"
    );
    assert!(icon.text().await.unwrap().starts_with("<svg"));
    // Without a logo configured there is none to serve.
    assert_eq!(
        app.get("/branding/logo").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

on_both_backends!(the_forces_branding_comes_from_the_settings, branding_body);
async fn branding_body(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let logo = dir.path().join("crest.svg");
    std::fs::write(&logo, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let logo_file = logo.display().to_string();
    let app = TestApp::spawn_with(backend, move |settings| {
        settings.branding.force_name = "Kent & Medway <b>Police</b>".into();
        settings.branding.service_name = "Kent Alert".into();
        settings.branding.contact_email = "data.protection@kent.police.example".into();
        settings.branding.colour = "#00385f".into();
        settings.branding.logo_file = logo_file;
    })
    .await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("– Kent Alert</title>"), "{home}");
    // Named in the header and the footer, escaped.
    assert!(
        home.contains(
            r#"<span class="site-force">Kent &#38; Medway &#60;b&#62;Police&#60;/b&#62;</span> Kent Alert"#
        ),
        "{home}"
    );
    assert!(!home.contains("<b>Police</b>"));
    assert!(home.contains(r#"<img class="site-logo" src="/branding/logo" alt="">"#));
    let logo = app.get("/branding/logo").await;
    assert_eq!(logo.status(), StatusCode::OK);
    assert_eq!(
        logo.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml"
    );
    let css = app.get("/static/beacon.css").await.text().await.unwrap();
    assert!(
        css.ends_with("\n.site-header { background: #00385f; }\n"),
        "{css}"
    );
    let privacy = app.get("/privacy").await.text().await.unwrap();
    assert!(
        privacy.contains("Kent Alert is run by Kent &#38; Medway"),
        "{privacy}"
    );
    assert!(privacy.contains(
        r#"<a href="mailto:data.protection@kent.police.example">data.protection@kent.police.example</a>"#
    ));
    let accessibility = app.get("/accessibility").await.text().await.unwrap();
    assert!(accessibility.contains("This website is run by Kent &#38; Medway"));
    app.stop().await;
}

/// Asks for the manage link on its page, as a resident does; returns the answer.
async fn ask_for_manage_link(app: &TestApp, email: &str) -> reqwest::Response {
    app.submit("/manage-link", "/manage-link", &[("email", email)])
        .await
}

on_both_backends!(
    a_lost_manage_link_can_be_asked_for_again,
    lost_manage_link_body
);
async fn lost_manage_link_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Mandy signs up and confirms; Pat signs up and never confirms.
    let confirmation = app.signed_up("mandy@example.org").await;
    app.confirm(&confirmation.link("/confirm/")).await;
    let response = app
        .sign_up(&crate::helpers::standard_sign_up("pat@example.org"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.emails(2).await;

    // The home page leads to the form; the answer never says whether an address is signed up.
    let form = app.get("/manage-link").await.text().await.unwrap();
    assert!(form.contains("Get a link to manage your alerts"), "{form}");
    let mut answers = Vec::new();
    for address in ["Mandy@Example.org", "nobody@example.org", "pat@example.org"] {
        let answer = ask_for_manage_link(&app, address).await;
        assert_eq!(answer.status(), StatusCode::OK, "{address}");
        assert_eq!(answer.url().path(), "/manage-link/sent");
        answers.push(answer.text().await.unwrap());
    }
    assert!(
        answers[0].contains("If that address is signed up for alerts, we have sent it an email")
    );
    assert!(answers.iter().all(|a| a == &answers[0]));

    // Only the confirmed resident gets an email, and its link opens her settings.
    let emails = app.emails(3).await;
    let sent = emails
        .iter()
        .find(|e| e.subject == "Your link to manage your Beacon alerts")
        .expect("the manage-link email");
    assert_eq!(sent.to, "mandy@example.org");
    assert!(sent.text.starts_with("Dear Mandy,"), "{}", sent.text);
    let manage = app.get(&sent.link("/manage/")).await;
    assert_eq!(manage.status(), StatusCode::OK);
    assert!(manage
        .text()
        .await
        .unwrap()
        .contains("For mandy@example.org."));

    // An address that is not one is refused, saying why.
    let bad = ask_for_manage_link(&app, "mandy at example").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(
        bad.contains("Enter an email address in the correct format"),
        "{bad}"
    );
    assert_eq!(hidden_value(&bad, "email"), None);
    assert!(bad.contains(r#"value="mandy at example""#));

    // Without the form's token nothing is sent.
    let forged = app
        .client
        .post(app.url("/manage-link"))
        .form(&[("email", "mandy@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // As often as sign-up allows for one address (3 an hour), then refused.
    for _ in 0..2 {
        let answer = ask_for_manage_link(&app, "nobody@example.org").await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let limited = ask_for_manage_link(&app, "nobody@example.org").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited
        .text()
        .await
        .unwrap()
        .contains("Please try again in an hour"));
    // Mandy got the one email she asked for, and nobody else got any.
    assert_eq!(app.emails(3).await.len(), 3);
    app.stop().await;
}
