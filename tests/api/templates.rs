//! Senders keep alert templates for their organisation (issue 19, item 1): saved from the
//! alert being written, an alert started from one with its fields filled in, changed, renamed
//! and deleted; another organisation's sender is refused, audited, and bad input changes
//! nothing.

use crate::alerts::{alert_fields, audited, compose, staff_member, THEFTS};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::store::AlertTemplate;

const TEXT: &str = "Catalytic converter thefts in Meldreth: park in a garage if you can.";

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> reqwest::Response {
    browser.get(app.url(path)).send().await.unwrap()
}

async fn text(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    page(app, browser, path).await.text().await.unwrap()
}

/// Posts `fields` to `path` with the CSRF token from the page at `form` (none if it has none).
async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    form: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = hidden_value(&text(app, browser, form).await, "csrf").unwrap_or_default();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(app.url(path)).form(&all).send().await.unwrap()
}

async fn templates(app: &TestApp) -> Vec<AlertTemplate> {
    app.ctx.store.list_templates(None).await.unwrap()
}

/// A template's own form, filled in.
fn template_fields<'a>(
    name: &'a str,
    title: &'a str,
    priority: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("template_name", name),
        ("provider", "cambridgeshire-constabulary"),
        ("message_type", "crime-update"),
        ("priority", priority),
        ("title", title),
        ("body", THEFTS),
        ("sms_text", TEXT),
    ]
}

on_both_backends!(
    senders_keep_templates_for_their_organisation,
    templates_body
);
async fn templates_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let constabulary = "cambridgeshire-constabulary";
    let (_, lucy) =
        staff_member(&app, "Lucy Ward", constabulary, (true, false, false, false)).await;
    let (_, olly) = staff_member(
        &app,
        "Olly Other",
        "cambridgeshire-fire-and-rescue",
        (true, false, false, false),
    )
    .await;
    let (_, alex) = staff_member(
        &app,
        "Alex Admin",
        "report-fraud",
        (false, false, true, false),
    )
    .await;

    // Lucy writes an alert and keeps it as a template; she goes on writing it.
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.extend([
        ("sms_text", TEXT),
        ("template_name", "Catalytic converters"),
    ]);
    let saved = compose(&app, &lucy, "template", &fields).await;
    assert_eq!(saved.status(), 200);
    let saved = saved.text().await.unwrap();
    assert!(
        saved.contains("Saved as the template “Catalytic converters”, under Templates."),
        "{saved}"
    );
    assert!(saved.contains("value=\"Catalytic converter thefts\""));
    let kept = templates(&app).await;
    assert_eq!(kept.len(), 1);
    let id = kept[0].id;
    assert_eq!(kept[0].content.name, "Catalytic converters");
    assert_eq!(kept[0].content.title, "Catalytic converter thefts");
    assert_eq!(kept[0].content.body_markdown, THEFTS);
    assert_eq!(kept[0].content.sms_text.as_deref(), Some(TEXT));
    assert_eq!(kept[0].content.priority.level(), 2);
    assert_eq!(kept[0].message_type_name, "Crime update");
    assert_eq!(audited(&app, "template-new", false).await.len(), 1);
    // No alert was saved by it.
    assert!(app
        .ctx
        .store
        .list_alerts(None, 10)
        .await
        .unwrap()
        .is_empty());

    // Bad input is refused with what is wrong, and nothing is kept: no name, no title, a name
    // already used in the organisation (in any case).
    let mut bad = alert_fields("", THEFTS);
    bad.push(("template_name", " "));
    let refused = compose(&app, &lucy, "template", &bad).await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("Enter a name for the template"),
        "{refused}"
    );
    assert!(refused.contains("Enter a title"), "{refused}");
    let mut again = alert_fields("Other words", THEFTS);
    again.push(("template_name", "catalytic CONVERTERS"));
    let refused = compose(&app, &lucy, "template", &again).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains(
        "Cambridgeshire Constabulary already has a template called “catalytic CONVERTERS”"
    ));
    assert_eq!(templates(&app).await, kept);

    // The list names it for Lucy; Olly, of another organisation, does not see it.
    let list = text(&app, &lucy, "/staff/templates").await;
    assert!(list.contains("<td>Catalytic converters</td>"), "{list}");
    assert!(list.contains(&format!("href=\"/staff/alerts/new?template={id}\"")));
    let theirs = text(&app, &olly, "/staff/templates").await;
    assert!(!theirs.contains("Catalytic converters"), "{theirs}");
    assert!(theirs.contains("There are no templates yet."));
    // The admin sees every organisation's, each named.
    let all = text(&app, &alex, "/staff/templates").await;
    assert!(
        all.contains("<td>Catalytic converters</td><td>Cambridgeshire Constabulary</td>"),
        "{all}"
    );

    // A new alert's form offers it to start from, and an alert started from it comes with its
    // fields filled in.
    let blank = text(&app, &lucy, "/staff/alerts/new").await;
    assert!(
        blank.contains(&format!(
            "<option value=\"{id}\">Catalytic converters</option>"
        )),
        "{blank}"
    );
    let form = text(&app, &lucy, &format!("/staff/alerts/new?template={id}")).await;
    assert!(
        form.contains("Written from the template “Catalytic converters”"),
        "{form}"
    );
    assert!(form.contains(
        "name=\"title\" type=\"text\" maxlength=\"300\" value=\"Catalytic converter thefts\""
    ));
    assert!(form
        .contains("Park in a garage if you can\n- Report anything suspicious on 101</textarea>"));
    assert!(form.contains(&format!("{TEXT}</textarea>")));
    assert!(form.contains("<option value=\"crime-update\" selected>"));
    assert!(form.contains("<option value=\"2\" selected>"));
    assert!(form.contains("<option value=\"cambridgeshire-constabulary\" selected>"));

    // Olly may not use, see, change or delete it; each refusal is audited.
    for path in [
        format!("/staff/alerts/new?template={id}"),
        format!("/staff/templates/{id}"),
    ] {
        assert_eq!(page(&app, &olly, &path).await.status(), 403, "{path}");
    }
    let path = format!("/staff/templates/{id}");
    let hijack = template_fields("Hijacked", "Hijacked", "1");
    let own_list = "/staff/templates";
    assert_eq!(
        post(&app, &olly, own_list, &path, &hijack).await.status(),
        403
    );
    let delete = format!("/staff/templates/{id}/delete");
    assert_eq!(
        post(&app, &olly, own_list, &delete, &[]).await.status(),
        403
    );
    assert_eq!(templates(&app).await, kept);
    for action in ["template-use", "template-edit", "template-delete"] {
        assert!(
            !audited(&app, action, true).await.is_empty(),
            "{action} refusal not audited"
        );
    }

    // Lucy changes it: bad input first, which changes nothing.
    let form = text(&app, &lucy, &path).await;
    assert!(
        form.contains("<h1>Change the template “Catalytic converters”</h1>"),
        "{form}"
    );
    assert!(form.contains("value=\"Catalytic converters\""));
    let long = "A".repeat(151);
    let bad = template_fields("Vehicle crime", &long, "1");
    let refused = post(&app, &lucy, &path, &path, &bad).await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("There is a problem"), "{refused}");
    assert!(refused.contains("150 characters"), "{refused}");
    assert_eq!(templates(&app).await, kept);

    // Renamed and made urgent: saved, and the list says so.
    let changed = template_fields("Vehicle crime", "Vehicle crime in the villages", "1");
    let saved = post(&app, &lucy, &path, &path, &changed).await;
    assert_eq!(saved.url().path(), "/staff/templates");
    let list = saved.text().await.unwrap();
    assert!(
        list.contains("The template “Vehicle crime” is saved."),
        "{list}"
    );
    assert!(list.contains("<td>Vehicle crime</td>"));
    assert!(!list.contains("Catalytic converters"));
    let now = templates(&app).await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].content.name, "Vehicle crime");
    assert_eq!(now[0].content.title, "Vehicle crime in the villages");
    assert_eq!(now[0].content.priority.level(), 1);
    let edits = audited(&app, "template-edit", false).await;
    assert_eq!(
        edits,
        vec!["“Vehicle crime”, renamed from “Catalytic converters”"]
    );

    // Deleted: gone from the list and the store.
    let deleted = post(&app, &lucy, "/staff/templates", &delete, &[]).await;
    assert_eq!(deleted.url().path(), "/staff/templates");
    let list = deleted.text().await.unwrap();
    assert!(
        list.contains("The template “Vehicle crime” is deleted."),
        "{list}"
    );
    assert!(list.contains("There are no templates yet."));
    assert!(templates(&app).await.is_empty());
    assert_eq!(audited(&app, "template-delete", false).await.len(), 1);
    assert_eq!(
        page(&app, &lucy, &format!("/staff/alerts/new?template={id}"))
            .await
            .status(),
        404
    );
    app.stop().await;
}
