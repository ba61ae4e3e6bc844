//! The archive as a JSON Feed (version 1.1, jsonfeed.org), for websites and apps that would
//! rather read JSON than XML. Beyond the standard fields each item carries a `_beacon` object
//! (JSON Feed's way of extending an item) with what a machine needs to filter and map alerts.

use serde_json::{json, Value};

use super::{alert_url, cap_url, uk_time, AlertText, FeedInfo};
use crate::store::PublicAlert;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// The archive as a JSON Feed 1.1 document: each alert with its page, body as sanitised HTML
/// and as plain text (both with the sign-off), a summary, the time it was sent, the organisation
/// as author, and the message type and organisation as tags.
pub fn json_feed(info: &FeedInfo, alerts: &[PublicAlert], base_url: &str) -> Value {
    json!({
        "version": VERSION,
        "title": info.title,
        "home_page_url": info.html_url,
        "feed_url": info.id_url,
        "language": "en-GB",
        "authors": [{ "name": info.title, "url": base_url }],
        "items": alerts.iter().map(|alert| item(alert, base_url)).collect::<Vec<_>>(),
    })
}

fn item(alert: &PublicAlert, base_url: &str) -> Value {
    let text = AlertText::of(alert);
    let page = alert_url(base_url, alert.id);
    json!({
        "id": page,
        "url": page,
        "title": alert.title,
        "content_html": text.html(),
        "content_text": text.text(),
        "summary": text.summary(),
        "date_published": uk_time(alert.sent_at),
        "authors": [{ "name": alert.provider_name }],
        "tags": [alert.message_type_name, alert.provider_name],
        "language": "en-GB",
        "_beacon": {
            "message_type": alert.message_type_slug,
            "provider": alert.provider_slug,
            "priority": alert.priority,
            "area": alert.area,
            "district_codes": alert.district_codes,
            "cap_url": cap_url(base_url, alert.id),
            "follows_url": alert.follows_alert_id.map(|id| alert_url(base_url, id)),
            "follow_up": alert.follow_up,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::test_support::{alert, read_feed, BASE, SUMMER, WINTER};

    fn info() -> FeedInfo {
        FeedInfo {
            id_url: format!("{BASE}/alerts.json?place=E07000012"),
            title: "Alerts for South Cambridgeshire".into(),
            html_url: format!("{BASE}/alerts?place=E07000012"),
            updated: SUMMER,
        }
    }

    fn alerts() -> Vec<PublicAlert> {
        let mut newer = alert(21, "Catalytic converter thefts in Sawston & Linton");
        newer.sent_at = SUMMER;
        let mut withdrawn = alert(20, "Withdrawn: appeal for a missing dog");
        withdrawn.sent_at = WINTER;
        withdrawn.follows_alert_id = Some(19);
        withdrawn.follow_up = Some("cancel".into());
        vec![newer, withdrawn]
    }

    #[test]
    fn the_feed_follows_json_feed_1_1() {
        let feed = json_feed(&info(), &alerts(), BASE);
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(feed["title"], "Alerts for South Cambridgeshire");
        assert_eq!(feed["home_page_url"], info().html_url);
        assert_eq!(feed["feed_url"], info().id_url);
        let item = &feed["items"][0];
        assert_eq!(item["id"], format!("{BASE}/alerts/21"));
        assert_eq!(item["url"], item["id"]);
        assert_eq!(item["date_published"], "2026-07-01T10:00:00+01:00");
        assert_eq!(
            item["authors"],
            json!([{ "name": "Cambridgeshire Constabulary" }])
        );
        assert_eq!(
            item["tags"],
            json!(["Crime update", "Cambridgeshire Constabulary"])
        );
        assert!(item["content_text"]
            .as_str()
            .unwrap()
            .ends_with("Message Sent By\nLucy Ward\n(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)"));
        assert_eq!(
            item["_beacon"]["cap_url"],
            format!("{BASE}/alerts/21.cap.xml")
        );
        assert_eq!(item["_beacon"]["follows_url"], Value::Null);
        let withdrawn = &feed["items"][1]["_beacon"];
        assert_eq!(withdrawn["follows_url"], format!("{BASE}/alerts/19"));
        assert_eq!(withdrawn["follow_up"], "cancel");
    }

    #[test]
    fn a_feed_reader_sees_every_alert() {
        let document = serde_json::to_string_pretty(&json_feed(&info(), &alerts(), BASE)).unwrap();
        let read = read_feed(&document);
        assert_eq!(read["version"], "json11");
        assert_eq!(read["bozo"], false, "{read}");
        assert_eq!(read["feed"]["title"], "Alerts for South Cambridgeshire");
        assert_eq!(read["feed"]["link"], info().html_url);
        let entries = read["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        let newer = &entries[0];
        assert_eq!(
            newer["title"],
            "Catalytic converter thefts in Sawston & Linton"
        );
        assert_eq!(newer["id"], format!("{BASE}/alerts/21"));
        assert_eq!(newer["link"], format!("{BASE}/alerts/21"));
        assert_eq!(newer["published_utc"], "2026-07-01T09:00:00Z");
        assert_eq!(newer["author"], "Cambridgeshire Constabulary");
        assert_eq!(
            newer["tags"],
            json!(["Crime update", "Cambridgeshire Constabulary"])
        );
        let html = newer["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "text/html")
            .expect("an HTML content");
        assert!(html["value"]
            .as_str()
            .unwrap()
            .contains("<strong>Mill Lane</strong>"));
        assert_eq!(entries[1]["published_utc"], "2026-11-22T02:10:00Z");
    }

    #[test]
    fn an_empty_feed_is_still_a_feed() {
        let feed = json_feed(&info(), &[], BASE);
        assert_eq!(feed["items"], json!([]));
        let read = read_feed(&feed.to_string());
        assert_eq!(read["bozo"], false, "{read}");
        assert_eq!(read["feed"]["title"], "Alerts for South Cambridgeshire");
    }
}
