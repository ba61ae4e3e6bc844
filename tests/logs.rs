//! Logs never carry the tokens of residents' links or their unmasked addresses. A binary of its
//! own, because it installs the process-wide log subscriber it reads.

#[path = "api/helpers.rs"]
#[allow(dead_code)] // this binary uses a few of the shared helpers
mod helpers;

use helpers::{Backend, TestApp};

/// Logs never carry the tokens of residents' links or their unmasked addresses.
#[tokio::test]
async fn logs_hold_no_tokens_or_addresses() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // A global subscriber: a thread-local one misses events whose callsites other threads
    // registered first, which is why this test has a binary of its own.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = app.signed_up("private.person@example.org").await;
    app.confirm(&email.link("/confirm/")).await;
    app.get(&email.link("/manage/")).await;
    app.get(&format!("{}/data.json", email.link("/manage/")))
        .await;
    // A message checked on the page and through the API, then shared with the police.
    let pasted = "Hi Mum, this is my new number, text me on 07700 900987 about the Quokkafish";
    let checked = app
        .submit(
            "/scam-checker",
            "/scam-checker",
            &[("text", pasted), ("channel", "sms")],
        )
        .await
        .text()
        .await
        .unwrap();
    let nonce = helpers::hidden_value(&checked, "nonce").expect("the share form");
    let shared = app
        .submit(
            "/scam-checker",
            "/scam-checker/share",
            &[
                ("text", pasted),
                ("channel", "sms"),
                ("nonce", &nonce),
                ("share", "yes"),
                ("postcode", "CB1 1PT"),
                ("name", "Wilhelmina Quokkafish"),
            ],
        )
        .await;
    assert_eq!(shared.url().path(), "/scam-checker/shared");
    let answer = app
        .client
        .post(app.url("/api/v1/scam-check"))
        .json(&serde_json::json!({ "text": pasted }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    app.stop().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("route=/confirm/{token}"),
        "requests are logged by route:\n{logs}"
    );
    assert!(
        logs.contains("p***@example.org"),
        "addresses appear masked:\n{logs}"
    );
    assert!(
        !logs.contains("private.person"),
        "an unmasked address was logged:\n{logs}"
    );
    assert!(
        logs.contains("route=/scam-checker/share") && logs.contains("route=/api/v1/scam-check"),
        "the checks were made:\n{logs}"
    );
    for pasted in ["Quokkafish", "07700 900987", "07700900987", "new number"] {
        assert!(!logs.contains(pasted), "a pasted text was logged:\n{logs}");
    }
    for link in [
        email.link("/confirm/"),
        email.link("/manage/"),
        email.link("/unsubscribe/"),
    ] {
        let token = link.rsplit('/').next().unwrap();
        assert!(!logs.contains(token), "a token was logged:\n{logs}");
    }
}
