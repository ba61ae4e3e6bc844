//! Open311 GeoReport v2 as an integrator meets it: services and their definitions in JSON and
//! XML (valid, by xmllint), a request posted with an Open311 key and then published without a
//! word of personal data and with its place blurred, the sensitive and the anonymous never
//! published, keys that are not Open311 keys refused, bad input answered with the spec's error
//! list, and two Open311 clients from PyPI that someone else wrote doing the same.

use crate::alerts::staff_member;
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use beacon::services::api_tokens;
use beacon::services::open311::{self, blurred};
use beacon::services::staff::Actor;
use beacon::store::{NewReport, Report, TokenScope};
use reqwest::StatusCode;
use serde_json::Value;

const ORG: &str = "cambridgeshire-constabulary";

/// The app, an Open311 key and an alerts token of the constabulary.
async fn open311_app(backend: Backend) -> (TestApp, String, String) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.branding.force_name = "Cambridgeshire Constabulary".into();
    })
    .await;
    // As at start (`app::context`): the bundled kinds of report.
    beacon::services::reports::seed_kinds(&*app.ctx.store)
        .await
        .unwrap();
    let (admin, _) = staff_member(&app, "Alex Morgan", ORG, (false, false, true, false)).await;
    let by_admin = Actor {
        staff: Some(&admin),
        ip: "test",
    };
    let key = api_tokens::create_for(&app.ctx, &by_admin, ORG, "FixMyStreet", TokenScope::Open311)
        .await
        .unwrap();
    let alerts = api_tokens::create(&app.ctx, &by_admin, ORG, "Case system")
        .await
        .unwrap();
    (app, key, alerts)
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

/// The document is well-formed XML (xmllint), with this root element.
fn assert_xml(document: &str, root: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint must be installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(document.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{document}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        document.contains(&format!("<{root}>")),
        "no <{root}> in {document}"
    );
}

async fn xml(app: &TestApp, path: &str, root: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    let status = response.status();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    let document = response.text().await.unwrap();
    assert_xml(&document, root);
    (status, document)
}

/// The descriptions of a JSON error list, checking each has the status as its code.
fn error_list(status: StatusCode, body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("not an error list: {body}"))
        .iter()
        .map(|error| {
            assert_eq!(error["code"], status.as_u16(), "{body}");
            error["description"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A report of criminal damage to a car in Cambridge, as an Open311 client posts it.
fn car_damage(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", "criminal-damage"),
        ("lat", "52.2053"),
        ("long", "0.1218"),
        (
            "description",
            "Jo Bloggs from 12 Mill Road keyed my car outside the Grafton Centre.",
        ),
        ("attribute[damaged]", "vehicle"),
        ("attribute[damage_cost]", "350"),
        ("first_name", "Priya"),
        ("last_name", "Raman"),
        ("email", "priya.raman@example.com"),
        ("phone", "07700 900982"),
    ]
}

async fn stored(app: &TestApp, reference: &str) -> Report {
    app.ctx
        .store
        .report_by_reference(reference)
        .await
        .unwrap()
        .expect("the report is stored")
}

async fn report_count(app: &TestApp) -> usize {
    let filter = beacon::store::ReportFilter {
        limit: 1000,
        ..Default::default()
    };
    app.ctx.store.find_reports(&filter).await.unwrap().len()
}

on_both_backends!(open311_lists_services_and_definitions, services_body);
async fn services_body(backend: Backend) {
    let (app, _, _) = open311_app(backend).await;

    let (status, services) = json(app.get("/open311/v2/services.json").await).await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"criminal-damage"), "{codes:?}");
    assert!(codes.contains(&"suspicious-activity"), "{codes:?}");
    // Sensitive kinds are not offered over Open311.
    assert!(!codes.contains(&"domestic-abuse"), "{codes:?}");
    assert!(!codes.contains(&"hate-incident"), "{codes:?}");
    let damage = &services[codes.iter().position(|c| *c == "criminal-damage").unwrap()];
    assert_eq!(damage["service_name"], "Criminal damage");
    assert_eq!(damage["metadata"], true);
    assert_eq!(damage["type"], "realtime");
    assert_eq!(damage["group"], "Crime");
    assert!(damage["keywords"].as_str().unwrap().contains("graffiti"));

    let (_, document) = xml(&app, "/open311/v2/services.xml", "services").await;
    assert_eq!(document.matches("<service>").count(), codes.len());
    assert!(document.contains("<service_code>criminal-damage</service_code>"));
    assert!(!document.contains("domestic-abuse"));

    let (status, definition) =
        json(app.get("/open311/v2/services/criminal-damage.json").await).await;
    assert_eq!(status, 200);
    assert_eq!(definition["service_code"], "criminal-damage");
    let damaged = &definition["attributes"][0];
    assert_eq!(damaged["code"], "damaged");
    assert_eq!(damaged["datatype"], "singlevaluelist");
    assert_eq!(damaged["variable"], true);
    assert_eq!(damaged["required"], true);
    assert_eq!(damaged["order"], 1);
    assert_eq!(damaged["description"], "What was damaged?");
    assert_eq!(damaged["values"][0]["key"], "vehicle");
    assert_eq!(damaged["values"][0]["name"], "A vehicle");
    assert_eq!(definition["attributes"][1]["datatype"], "number");
    let (_, document) = xml(&app, "/open311/v2/services/theft.xml", "service_definition").await;
    assert!(document.contains("<datatype>text</datatype>"));
    assert!(document.contains("<values>\n<value>\n<key>yes</key>\n<name>Yes</name>"));

    // Unknown and sensitive services are not found, in the spec's error list.
    for code in ["no-such-thing", "domestic-abuse", "hate-incident"] {
        let path = format!("/open311/v2/services/{code}.json");
        let (status, body) = json(app.get(&path).await).await;
        assert_eq!(status, 404, "{code}");
        assert_eq!(error_list(status, &body).len(), 1);
    }
    let (status, document) = xml(&app, "/open311/v2/services/nothing.xml", "errors").await;
    assert_eq!(status, 404);
    assert!(document.contains("<code>404</code>"));
    assert_eq!(
        app.get("/open311/v2/services/theft.html").await.status(),
        404
    );

    let (status, discovery) = json(app.get("/open311/v2/discovery.json").await).await;
    assert_eq!(status, 200);
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert!(discovery["contact"]
        .as_str()
        .unwrap()
        .contains("Cambridgeshire Constabulary"));
    xml(&app, "/open311/v2/discovery.xml", "discovery").await;
    app.stop().await;
}

on_both_backends!(
    open311_posts_and_publishes_without_personal_data,
    publish_body
);
async fn publish_body(backend: Backend) {
    let (app, key, _) = open311_app(backend).await;

    let (status, posted) =
        json(post(&app, "/open311/v2/requests.json", &car_damage(&key)).await).await;
    assert_eq!(status, 200, "{posted}");
    let reference = posted[0]["service_request_id"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("RPT-"), "{reference}");
    assert!(posted[0]["service_notice"]
        .as_str()
        .unwrap()
        .contains("999"));
    let report = stored(&app, &reference).await;
    assert_eq!(report.source, "open311");
    assert!(report.api_token_id.is_some());
    assert_eq!(report.reporter_name.as_deref(), Some("Priya Raman"));
    assert!(!report.anonymous);
    // The reporter gets their receipt by email, as from the site.
    let email = &app.emails(1).await[0];
    assert!(email
        .header("To")
        .unwrap()
        .contains("priya.raman@example.com"));

    // The same post again (a client retrying) is the same report.
    let (status, again) =
        json(post(&app, "/open311/v2/requests.json", &car_damage(&key)).await).await;
    assert_eq!(status, 200);
    assert_eq!(again[0]["service_request_id"], reference.as_str());
    assert_eq!(report_count(&app).await, 1);

    // An anonymous report of information, by postcode, in XML.
    let response = post(
        &app,
        "/open311/v2/requests.xml",
        &[
            ("api_key", &key),
            ("service_code", "suspicious-activity"),
            ("address_string", "CB1 1PT"),
            (
                "description",
                "Cars arriving at the empty house at 3am every night.",
            ),
            ("attribute[how_known]", "seen"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let document = response.text().await.unwrap();
    assert_xml(&document, "service_requests");
    let anonymous = document
        .split("<service_request_id>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(stored(&app, &anonymous).await.anonymous);

    // A report of a sensitive kind, made on the site with contact details.
    let now = chrono::Utc::now().timestamp();
    app.ctx
        .store
        .create_report(
            &NewReport {
                reference: "RPT-SENS-ITIV".into(),
                service_code: "domestic-abuse".into(),
                description: "My partner hit me.".into(),
                location_text: "CB1 1PT".into(),
                easting: Some(545_800),
                northing: Some(257_900),
                answers: "{}".into(),
                reporter_name: Some("Sam Doe".into()),
                reporter_email: Some("sam@example.com".into()),
                source: "web".into(),
                form_nonce: "sensitive".into(),
                created_at: now,
                ..NewReport::default()
            },
            &[],
            None,
        )
        .await
        .unwrap();

    // Only the named, non-sensitive report is published, with nothing personal in it.
    let response = app.get("/open311/v2/requests.json").await;
    let text = response.text().await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [reference.as_str()]);
    for personal in [
        "Priya",
        "Raman",
        "priya.raman",
        "07700",
        "Jo Bloggs",
        "Mill Road",
        "Grafton",
        "keyed",
        "RPT-SENS-ITIV",
        "Sam Doe",
        "partner",
        "empty house",
        &anonymous,
    ] {
        assert!(!text.contains(personal), "{personal} is published: {text}");
    }
    let request = &list[0];
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "criminal-damage");
    assert_eq!(request["service_name"], "Criminal damage");
    assert_eq!(request["agency_responsible"], "Cambridgeshire Constabulary");
    assert!(request["description"].is_null());
    assert!(request["address"].is_null());
    assert!(request["requested_datetime"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    // Its place is the centre of its 500 m square, not where it happened.
    let (lat, long) = blurred(
        report.easting.unwrap(),
        report.northing.unwrap(),
        app.ctx.settings.reports.open311_grid_metres,
    );
    assert_eq!(request["lat"].as_f64(), Some(lat));
    assert_eq!(request["long"].as_f64(), Some(long));
    assert!((lat - 52.2053).abs() < 0.01 && (long - 0.1218).abs() < 0.01);
    assert!((lat - 52.2053).abs() > 1e-6 || (long - 0.1218).abs() > 1e-6);

    let (_, document) = xml(&app, "/open311/v2/requests.xml", "service_requests").await;
    assert_eq!(document.matches("<request>").count(), 1);
    assert!(document.contains(&format!(
        "<service_request_id>{reference}</service_request_id>"
    )));
    assert!(!document.contains("Priya"));

    // One by one: the published one, and not the others.
    let (status, one) = json(
        app.get(&format!("/open311/v2/requests/{reference}.json"))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(one[0]["service_request_id"], reference.as_str());
    xml(
        &app,
        &format!("/open311/v2/requests/{reference}.xml"),
        "service_requests",
    )
    .await;
    for hidden in [anonymous.as_str(), "RPT-SENS-ITIV", "RPT-NONE-HERE"] {
        let (status, body) = json(
            app.get(&format!("/open311/v2/requests/{hidden}.json"))
                .await,
        )
        .await;
        assert_eq!(status, 404, "{hidden}");
        error_list(status, &body);
        let path = format!("/open311/v2/tokens/{hidden}.json");
        assert_eq!(app.get(&path).await.status(), 404, "{hidden}");
    }
    let (status, token) = json(
        app.get(&format!("/open311/v2/tokens/{reference}.json"))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(token[0]["service_request_id"], reference.as_str());
    xml(
        &app,
        &format!("/open311/v2/tokens/{reference}.xml"),
        "service_requests",
    )
    .await;

    // The spec's filters.
    let count = |query: &'static str| {
        let app = &app;
        async move {
            let (status, list) =
                json(app.get(&format!("/open311/v2/requests.json?{query}")).await).await;
            assert_eq!(status, 200, "{query}: {list}");
            list.as_array().unwrap().len()
        }
    };
    assert_eq!(count("status=open").await, 1);
    assert_eq!(count("status=closed").await, 0);
    assert_eq!(count("status=open,closed").await, 1);
    assert_eq!(count("service_code=theft").await, 0);
    assert_eq!(count("service_code=theft,criminal-damage").await, 1);
    assert_eq!(count("service_code=domestic-abuse").await, 0);
    assert_eq!(count("start_date=2090-01-01T00:00:00Z").await, 0);
    assert_eq!(count("end_date=2000-01-01T00:00:00Z").await, 0);
    assert_eq!(
        count("start_date=2020-01-01T00:00:00Z&end_date=2090-01-01").await,
        1
    );
    let ids = format!("service_request_id={reference},{anonymous},RPT-SENS-ITIV");
    let (_, list) = json(app.get(&format!("/open311/v2/requests.json?{ids}")).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    for bad in ["status=pending", "start_date=yesterday"] {
        let (status, body) = json(app.get(&format!("/open311/v2/requests.json?{bad}")).await).await;
        assert_eq!(status, 400, "{bad}");
        error_list(status, &body);
    }
    app.stop().await;
}

on_both_backends!(open311_refuses_bad_keys_and_bad_input, refusals_body);
async fn refusals_body(backend: Backend) {
    let (app, key, alerts) = open311_app(backend).await;
    let mut without_key = car_damage(&key);
    without_key.remove(0);
    let with_alerts_token = car_damage(&alerts);
    let with_made_up =
        car_damage("bcn_0000000000000000000000000000000000000000000000000000000000000000");
    for (fields, why) in [
        (&without_key, "api_key"),
        (&with_alerts_token, "alerts token"),
        (&with_made_up, "not valid"),
    ] {
        let (status, body) = json(post(&app, "/open311/v2/requests.json", fields).await).await;
        assert_eq!(status, 403, "{body}");
        let errors = error_list(status, &body);
        assert!(errors[0].contains(why), "{errors:?}");
    }
    let response = post(&app, "/open311/v2/requests.xml", &without_key).await;
    assert_eq!(response.status(), 403);
    assert_xml(&response.text().await.unwrap(), "errors");

    // An Open311 key cannot compose alerts.
    let response = app
        .client
        .post(app.url("/api/v1/alerts"))
        .bearer_auth(&key)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // Unknown and sensitive services: 404.
    for code in ["no-such-thing", "domestic-abuse", "hate-incident"] {
        let mut fields = car_damage(&key);
        fields[1] = ("service_code", code);
        let (status, body) = json(post(&app, "/open311/v2/requests.json", &fields).await).await;
        assert_eq!(status, 404, "{code}: {body}");
    }

    // Bad input: 400 with what is wrong, and nothing stored.
    let long = "a".repeat(4_001);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("lat", "north"), ("long", "0.12")], "lat"),
        (vec![("lat", "52.2"), ("long", "200")], "long"),
        (vec![("lat", "53.4808"), ("long", "-2.2426")], "outside"),
        (vec![("description", long.as_str())], "description"),
        (vec![("description", "")], "description"),
        (
            vec![("attribute[damaged]", "spaceship")],
            "attribute[damaged]",
        ),
        (vec![("email", "not an address"), ("phone", "")], "email"),
    ];
    for (changes, expected) in cases {
        let mut fields = car_damage(&key);
        for (name, value) in &changes {
            match fields.iter_mut().find(|(k, _)| k == name) {
                Some(field) => field.1 = value,
                None => fields.push((name, value)),
            }
        }
        let (status, body) = json(post(&app, "/open311/v2/requests.json", &fields).await).await;
        assert_eq!(status, 400, "{changes:?}: {body}");
        let errors = error_list(status, &body);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{changes:?}: {errors:?}"
        );
    }
    // No place at all, and a kind that needs contact details posted without any.
    let mut nowhere = car_damage(&key);
    nowhere.retain(|(k, _)| *k != "lat" && *k != "long");
    let (status, _) = json(post(&app, "/open311/v2/requests.json", &nowhere).await).await;
    assert_eq!(status, 400);
    let mut nobody = car_damage(&key);
    nobody.retain(|(k, _)| !["first_name", "last_name", "email", "phone"].contains(k));
    let (status, body) = json(post(&app, "/open311/v2/requests.json", &nobody).await).await;
    assert_eq!(status, 400);
    assert!(error_list(status, &body)
        .iter()
        .any(|e| e.contains("contact")));
    assert_eq!(report_count(&app).await, 0);
    app.stop().await;
}

on_both_backends!(open311_clients_from_pypi_list_and_post, clients_body);
async fn clients_body(backend: Backend) {
    let (app, key, _) = open311_app(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/open311_client.py"
    );
    let base = app.url("/open311/v2");
    let output = tokio::process::Command::new("python3")
        .args([script, &base, &key])
        .output()
        .await
        .expect("python3 must be installed");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    let services: Vec<&str> = read["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(services.contains(&"criminal-damage"));
    assert!(!services.contains(&"domestic-abuse"));
    assert_eq!(read["xml_services"], read["services"]);
    assert_eq!(
        read["attributes"],
        serde_json::json!(["damaged", "damage_cost"])
    );
    assert_eq!(read["xml_attributes"], read["attributes"]);
    let reference = read["posted"][0]["service_request_id"].as_str().unwrap();
    assert_eq!(read["one"]["service_request_id"], reference);
    assert_eq!(read["xml_requests"], serde_json::json!([reference]));
    let report = stored(&app, reference).await;
    assert_eq!(report.service_code, "criminal-damage");
    assert_eq!(report.reporter_name.as_deref(), Some("Ravi Shah"));
    assert!(report.answers.contains("vehicle"), "{}", report.answers);
    app.stop().await;
}

on_both_backends!(admins_issue_open311_keys_on_the_tokens_page, keys_page_body);
async fn keys_page_body(backend: Backend) {
    let (app, _, _) = open311_app(backend).await;
    let (_, admin) = staff_member(&app, "Dee Admin", ORG, (false, false, true, false)).await;
    let tokens = app.url("/staff/admin/tokens");
    let html = admin
        .get(&tokens)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<legend>What it is for</legend>"), "{html}");
    let csrf = crate::helpers::hidden_value(&html, "csrf").unwrap();
    let made = admin
        .post(&tokens)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Street reporting app"),
            ("provider", ORG),
            ("scope", "open311"),
        ])
        .send()
        .await
        .unwrap();
    let html = made.text().await.unwrap();
    let key = html
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("the new key is shown: {html}"))
        .to_owned();
    assert!(
        html.contains("<td>Street reporting app</td><td>Cambridgeshire Constabulary</td><td>Open311 reports</td>"),
        "{html}"
    );
    let (status, body) =
        json(post(&app, "/open311/v2/requests.json", &car_damage(&key)).await).await;
    assert_eq!(status, 200, "{body}");

    // Each key may post so many requests an hour; refused ones count too.
    let fields = [("api_key", key.as_str())];
    let mut answers = Vec::new();
    for _ in 0..open311::POSTS_PER_KEY_PER_HOUR {
        answers.push(
            post(&app, "/open311/v2/requests.json", &fields)
                .await
                .status(),
        );
    }
    assert_eq!(answers.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(
        answers
            .iter()
            .filter(|s| **s == StatusCode::BAD_REQUEST)
            .count() as u32,
        open311::POSTS_PER_KEY_PER_HOUR - 1
    );
    app.stop().await;
}
