//! Atom feeds (RFC 4287): the archive for feed readers, each entry an alert with its page, and
//! the CAP index, each entry pointing at an alert's CAP message (the form CAP aggregators poll).

use super::{alert_url, cap_url, push_element, uk_time, xml_escape, AlertText, FeedInfo};
use crate::store::PublicAlert;

/// The archive as an Atom feed: each alert with its page, categories (message type and
/// organisation), a plain-text summary and the full body as HTML with its sign-off.
pub fn atom(info: &FeedInfo, alerts: &[PublicAlert], base_url: &str) -> String {
    write_feed(info, alerts, base_url, Entries::Alerts)
}

/// An Atom index of CAP messages: each entry's identity and link are the alert's CAP message
/// (`type="application/cap+xml"`), with the alert's page as a second link.
pub fn cap_index(info: &FeedInfo, alerts: &[PublicAlert], base_url: &str) -> String {
    write_feed(info, alerts, base_url, Entries::Cap)
}

/// What each entry stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entries {
    /// The alert as people read it: its page, with the whole body as content.
    Alerts,
    /// The alert's CAP message, with a summary only.
    Cap,
}

fn write_feed(info: &FeedInfo, alerts: &[PublicAlert], base_url: &str, entries: Entries) -> String {
    let mut out = String::with_capacity(1024 + alerts.len() * 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n");
    push_element(&mut out, "  ", "id", &info.id_url);
    push_element(&mut out, "  ", "title", &info.title);
    push_element(&mut out, "  ", "updated", &uk_time(info.updated));
    push_link(&mut out, "  ", "self", "application/atom+xml", &info.id_url);
    push_link(&mut out, "  ", "alternate", "text/html", &info.html_url);
    out.push_str("  <author>\n");
    push_element(&mut out, "    ", "name", &info.title);
    push_element(&mut out, "    ", "uri", base_url);
    out.push_str("  </author>\n");
    out.push_str(&format!(
        "  <generator version=\"{}\">Beacon</generator>\n",
        xml_escape(env!("CARGO_PKG_VERSION"))
    ));
    for alert in alerts {
        push_entry(&mut out, alert, base_url, entries);
    }
    out.push_str("</feed>\n");
    out
}

fn push_entry(out: &mut String, alert: &PublicAlert, base_url: &str, entries: Entries) {
    let text = AlertText::of(alert);
    let page = alert_url(base_url, alert.id);
    let sent = uk_time(alert.sent_at);
    let indent = "    ";
    out.push_str("  <entry>\n");
    match entries {
        Entries::Alerts => {
            push_element(out, indent, "id", &page);
            push_link(out, indent, "alternate", "text/html", &page);
        }
        Entries::Cap => {
            let message = cap_url(base_url, alert.id);
            push_element(out, indent, "id", &message);
            push_link(out, indent, "alternate", "application/cap+xml", &message);
            push_link(out, indent, "alternate", "text/html", &page);
        }
    }
    if let Some(original) = alert.follows_alert_id {
        push_link(
            out,
            indent,
            "related",
            "text/html",
            &alert_url(base_url, original),
        );
    }
    push_element(out, indent, "title", &alert.title);
    push_element(out, indent, "published", &sent);
    push_element(out, indent, "updated", &sent);
    out.push_str("    <author>\n");
    push_element(out, "      ", "name", &alert.provider_name);
    out.push_str("    </author>\n");
    for (term, label) in [
        (&alert.message_type_slug, &alert.message_type_name),
        (&alert.provider_slug, &alert.provider_name),
    ] {
        out.push_str(&format!(
            "    <category term=\"{}\" label=\"{}\"/>\n",
            xml_escape(term),
            xml_escape(label)
        ));
    }
    out.push_str(&format!(
        "    <summary type=\"text\">{}</summary>\n",
        xml_escape(&text.summary())
    ));
    if entries == Entries::Alerts {
        out.push_str(&format!(
            "    <content type=\"html\">{}</content>\n",
            xml_escape(&text.html())
        ));
    }
    out.push_str("  </entry>\n");
}

fn push_link(out: &mut String, indent: &str, rel: &str, media_type: &str, href: &str) {
    out.push_str(&format!(
        "{indent}<link rel=\"{rel}\" type=\"{media_type}\" href=\"{}\"/>\n",
        xml_escape(href)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::test_support::{alert, assert_well_formed, read_feed, BASE, SUMMER, WINTER};
    use serde_json::Value;

    fn info() -> FeedInfo {
        FeedInfo {
            id_url: format!("{BASE}/alerts.atom?provider=report-fraud&type=scam-warning"),
            title: "Scam warnings from Report Fraud".into(),
            html_url: format!("{BASE}/alerts?provider=report-fraud&type=scam-warning"),
            updated: SUMMER,
        }
    }

    fn two_alerts() -> Vec<PublicAlert> {
        let mut newer = alert(12, "Fake \"HMRC\" calls & texts <urgent>");
        newer.sent_at = SUMMER;
        newer.message_type_slug = "scam-warning".into();
        newer.message_type_name = "Scam and fraud warning".into();
        newer.provider_slug = "report-fraud".into();
        newer.provider_name = "Report Fraud".into();
        newer.body_markdown = format!(
            "People are getting calls from **fake HMRC officers**.\n\n{}",
            "Hang up and call the number on the letter. ".repeat(10)
        );
        let mut older = alert(11, "Sheds broken into in Whittlesey");
        older.sent_at = WINTER;
        older.follows_alert_id = Some(9);
        older.follow_up = Some("update".into());
        vec![newer, older]
    }

    fn links(links: &Value) -> Vec<(String, String, String)> {
        links
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let s = |k: &str| l[k].as_str().unwrap_or_default().to_owned();
                (s("rel"), s("type"), s("href"))
            })
            .collect()
    }

    #[test]
    fn a_feed_reader_sees_every_alert() {
        let document = atom(&info(), &two_alerts(), BASE);
        assert_well_formed(&document);
        let read = read_feed(&document);
        assert_eq!(read["version"], "atom10");
        assert_eq!(read["bozo"], false, "{read}");
        let feed = &read["feed"];
        assert_eq!(feed["title"], "Scam warnings from Report Fraud");
        assert_eq!(feed["id"], info().id_url);
        assert_eq!(feed["link"], info().html_url);
        assert_eq!(feed["updated_utc"], "2026-07-01T09:00:00Z");
        assert_eq!(feed["language"], "en-GB");
        let feed_links = links(&feed["links"]);
        assert!(feed_links.contains(&(
            "self".into(),
            "application/atom+xml".into(),
            info().id_url
        )));

        let entries = read["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        let newer = &entries[0];
        assert_eq!(newer["title"], "Fake \"HMRC\" calls & texts <urgent>");
        assert_eq!(newer["id"], format!("{BASE}/alerts/12"));
        assert_eq!(newer["link"], format!("{BASE}/alerts/12"));
        assert_eq!(newer["published_utc"], "2026-07-01T09:00:00Z");
        assert_eq!(newer["updated_utc"], "2026-07-01T09:00:00Z");
        assert_eq!(newer["author"], "Report Fraud");
        assert_eq!(
            newer["tags"],
            serde_json::json!(["scam-warning", "report-fraud"])
        );
        assert_eq!(
            newer["tag_labels"],
            serde_json::json!(["Scam and fraud warning", "Report Fraud"])
        );
        let summary = newer["summary"].as_str().unwrap();
        assert!(summary.starts_with("People are getting calls from fake HMRC officers. Hang up"));
        assert!(
            summary.chars().count() <= 200 && summary.ends_with('…'),
            "{summary}"
        );
        let content = newer["content"][0]["value"].as_str().unwrap();
        assert_eq!(newer["content"][0]["type"], "text/html");
        assert!(
            content.contains("<strong>fake HMRC officers</strong>"),
            "{content}"
        );
        assert!(
            content.contains("Message Sent By<br />Lucy Ward<br />(Cambridgeshire Constabulary,")
                || content
                    .contains("Message Sent By<br>Lucy Ward<br>(Cambridgeshire Constabulary,"),
            "{content}"
        );

        let older = &entries[1];
        assert_eq!(older["published_utc"], "2026-11-22T02:10:00Z");
        assert!(links(&older["links"]).contains(&(
            "related".into(),
            "text/html".into(),
            format!("{BASE}/alerts/9")
        )));
    }

    #[test]
    fn an_empty_feed_is_still_a_feed() {
        let read = read_feed(&atom(&info(), &[], BASE));
        assert_eq!(read["bozo"], false, "{read}");
        assert_eq!(read["feed"]["title"], "Scam warnings from Report Fraud");
        assert_eq!(read["entries"], serde_json::json!([]));
    }

    #[test]
    fn the_cap_index_links_each_alert_to_its_cap_message() {
        let mut index_info = info();
        index_info.id_url = format!("{BASE}/alerts.cap.atom");
        let document = cap_index(&index_info, &two_alerts(), BASE);
        assert_well_formed(&document);
        assert!(document.contains(
            "<link rel=\"alternate\" type=\"application/cap+xml\" \
             href=\"https://alerts.example.org/alerts/12.cap.xml\"/>"
        ));
        assert!(!document.contains("<content"));
        let read = read_feed(&document);
        assert_eq!(read["bozo"], false, "{read}");
        let entry = &read["entries"][0];
        assert_eq!(entry["id"], format!("{BASE}/alerts/12.cap.xml"));
        assert_eq!(entry["title"], "Fake \"HMRC\" calls & texts <urgent>");
        assert_eq!(entry["published_utc"], "2026-07-01T09:00:00Z");
        let entry_links = links(&entry["links"]);
        assert!(entry_links.contains(&(
            "alternate".into(),
            "application/cap+xml".into(),
            format!("{BASE}/alerts/12.cap.xml")
        )));
        assert!(entry_links.contains(&(
            "alternate".into(),
            "text/html".into(),
            format!("{BASE}/alerts/12")
        )));
    }

    #[test]
    fn characters_xml_cannot_carry_do_not_break_the_feed() {
        let mut a = alert(1, "Bell\u{7} and nul\u{0} in a title");
        a.body_markdown =
            "Escape\u{1b}[31m codes pasted from a terminal ]]> <script>x</script>".into();
        let document = atom(&info(), &[a], BASE);
        assert_well_formed(&document);
        let read = read_feed(&document);
        assert_eq!(read["bozo"], false, "{read}");
        assert_eq!(read["entries"][0]["title"], "Bell and nul in a title");
        let content = read["entries"][0]["content"][0]["value"].as_str().unwrap();
        assert!(!content.contains("<script"), "{content}");
    }
}
