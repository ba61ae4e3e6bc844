//! The GOV.UK Notify-shaped SMS gateway, as Beacon sees it: the API key and the JWTs made from it,
//! a client that sends one text or finds one sent earlier, and the delivery-status callbacks the
//! gateway posts back. It talks only to the gateway; queueing and retrying belong to `outbound`.

use super::SendError;
use crate::domain::mask;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

type HmacSha256 = Hmac<Sha256>;

/// Notify refuses tokens issued further than this from its own clock.
const CLOCK_SKEW_SECS: i64 = 30;

/// A Notify API key, `<key name>-<service id>-<secret>`: the service id names us in each token,
/// the secret signs it and never leaves this process.
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyKey {
    pub service_id: String,
    secret: String,
}

impl fmt::Debug for NotifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyKey")
            .field("service_id", &self.service_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl NotifyKey {
    /// The service id and the secret are the last 73 characters, two UUIDs joined by a hyphen;
    /// the key name before them is only a label. Error messages never repeat the key.
    pub fn parse(api_key: &str) -> Result<NotifyKey, String> {
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err("the Notify API key is empty".to_owned());
        }
        if !api_key.is_ascii() || api_key.len() < 73 {
            return Err(
                "the Notify API key is too short: it ends with the service id and the secret, \
                 two UUIDs joined by a hyphen"
                    .to_owned(),
            );
        }
        let ids = &api_key[api_key.len() - 73..];
        let prefix = &api_key[..api_key.len() - 73];
        if !prefix.is_empty() && !prefix.ends_with('-') {
            return Err("the Notify API key's name is not followed by a hyphen".to_owned());
        }
        let (service_id, secret) = (&ids[..36], &ids[37..]);
        if ids.as_bytes()[36] != b'-' || !is_uuid(service_id) {
            return Err("the Notify API key does not hold a service id (a UUID)".to_owned());
        }
        if !is_uuid(secret) {
            return Err("the Notify API key does not end with a secret (a UUID)".to_owned());
        }
        Ok(NotifyKey {
            service_id: service_id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// A JWT saying "this service, at `iat`" (Unix seconds), signed HS256 with the secret.
    pub fn token(&self, iat: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#);
        // The service id is a checked UUID, so it needs no JSON escaping.
        let claims =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"{}","iat":{iat}}}"#, self.service_id));
        let signing_input = format!("{header}.{claims}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&signing_input).finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    fn mac(&self, signing_input: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(self.secret.as_bytes()).expect("HMAC accepts any key");
        mac.update(signing_input.as_bytes());
        mac
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Checks a token the way Notify does: HS256 only, signed with this key's secret, issued by this
/// key's service, at most 30 seconds either side of `now`. The error is Notify's own wording.
pub fn verify_token(token: &str, key: &NotifyKey, now: i64) -> Result<(), &'static str> {
    const MALFORMED: &str = "Invalid token: signature, api token is not valid";
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MALFORMED);
    };
    let header: serde_json::Value = decode_json(header).ok_or(MALFORMED)?;
    if header.get("alg").and_then(|alg| alg.as_str()) != Some("HS256") {
        return Err("Invalid token: algorithm used is not HS256");
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| MALFORMED)?;
    let signing_input = &token[..header_and_claims_len(token)];
    key.mac(signing_input)
        .verify_slice(&signature)
        .map_err(|_| "Invalid token: API key not found")?;
    let claims: serde_json::Value = decode_json(claims).ok_or(MALFORMED)?;
    match claims.get("iss").and_then(|iss| iss.as_str()) {
        None => return Err("Invalid token: iss field not provided"),
        Some(iss) if iss != key.service_id => return Err("Invalid token: service not found"),
        Some(_) => {}
    }
    let iat = claims
        .get("iat")
        .and_then(|iat| iat.as_i64())
        .ok_or("Invalid token: iat field not provided")?;
    if now.abs_diff(iat) > CLOCK_SKEW_SECS.unsigned_abs() {
        return Err("Error: Your system clock must be accurate to within 30 seconds");
    }
    Ok(())
}

fn header_and_claims_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json(part: &str) -> Option<serde_json::Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Sends texts through a Notify-shaped gateway with one SMS template whose body is `((body))`.
#[derive(Debug, Clone)]
pub struct NotifyClient {
    http: reqwest::Client,
    base_url: String,
    key: NotifyKey,
    template_id: String,
    timeout: Duration,
}

/// What the gateway says about one text: its id, and its status when the answer carried one
/// (a lookup does; the reply to a send does not).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct NotifyReceipt {
    pub id: String,
    pub status: Option<String>,
}

impl NotifyClient {
    /// `timeout` bounds each request, connecting included.
    pub fn new(
        base_url: &str,
        api_key: &str,
        template_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<NotifyClient> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| anyhow::anyhow!("the Notify base URL {base_url:?} is not a URL: {e}"))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "http" | "https"),
            "the Notify base URL {base_url:?} must start http:// or https://"
        );
        let key = NotifyKey::parse(api_key).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            !template_id.trim().is_empty(),
            "the Notify template id is empty"
        );
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // An API has no business redirecting, and the bearer token should not follow one.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("beacon/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("building the Notify HTTP client: {e}"))?;
        Ok(NotifyClient {
            http,
            base_url,
            key,
            template_id: template_id.trim().to_owned(),
            timeout,
        })
    }

    /// Sends one text. 201 → Ok(receipt). 429, 5xx, connection errors, timeouts → transient
    /// SendError; 400 (invalid number, validation) → permanent; 401/403 → transient
    /// (misconfiguration an operator can fix) with a clear message.
    pub async fn send_sms(
        &self,
        phone_number: &str,
        body: &str,
        reference: &str,
    ) -> Result<NotifyReceipt, SendError> {
        let action = format!("sending a text to {}", mask::phone(phone_number));
        let request = serde_json::json!({
            "phone_number": phone_number,
            "template_id": self.template_id,
            "personalisation": { "body": body },
            "reference": reference,
        });
        let response = self
            .http
            .post(format!("{}/v2/notifications/sms", self.base_url))
            .bearer_auth(self.key.token(chrono::Utc::now().timestamp()))
            .json(&request)
            .send()
            .await
            .map_err(|e| self.transport_error(&action, &e))?;
        let (status, text) = self.read(&action, response).await?;
        if !status.is_success() {
            return Err(refusal(&action, status, &text, phone_number));
        }
        // The text is with the gateway by now; sending again could reach the resident twice, so
        // an unreadable reply is transient and the retry should look the reference up first.
        serde_json::from_str::<NotifyReceipt>(&text).map_err(|e| {
            SendError::transient(format!(
                "{action}: Notify accepted it ({status}) but its reply could not be read: {e}"
            ))
        })
    }

    /// The notification sent earlier with this reference, if any (used after a crash to avoid
    /// sending twice). When Notify holds several, the newest.
    pub async fn find_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<NotifyReceipt>, SendError> {
        #[derive(serde::Deserialize)]
        struct Page {
            notifications: Vec<NotifyReceipt>,
        }

        let action = format!("looking up the text with reference {reference:?}");
        let response = self
            .http
            .get(format!("{}/v2/notifications", self.base_url))
            .query(&[("reference", reference), ("template_type", "sms")])
            .bearer_auth(self.key.token(chrono::Utc::now().timestamp()))
            .send()
            .await
            .map_err(|e| self.transport_error(&action, &e))?;
        let (status, text) = self.read(&action, response).await?;
        if !status.is_success() {
            return Err(refusal(&action, status, &text, ""));
        }
        let page: Page = serde_json::from_str(&text).map_err(|e| {
            SendError::transient(format!("{action}: Notify's reply could not be read: {e}"))
        })?;
        Ok(page.notifications.into_iter().next())
    }

    async fn read(
        &self,
        action: &str,
        response: reqwest::Response,
    ) -> Result<(reqwest::StatusCode, String), SendError> {
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(action, &e))?;
        Ok((status, text))
    }

    fn transport_error(&self, action: &str, error: &reqwest::Error) -> SendError {
        let reason = if error.is_timeout() {
            format!("Notify did not answer within {:?}", self.timeout)
        } else if error.is_connect() {
            format!("could not connect to Notify at {}", self.base_url)
        } else {
            "the connection to Notify failed".to_owned()
        };
        // The URL carries nothing personal, but the chain of causes says what really happened.
        let mut causes = String::new();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            causes.push_str(": ");
            causes.push_str(&cause.to_string());
            source = cause.source();
        }
        SendError::transient(format!("{action}: {reason}{causes}"))
    }
}

/// Turns an answer other than success into an error saying whether trying again could help.
fn refusal(action: &str, status: reqwest::StatusCode, body: &str, phone: &str) -> SendError {
    let details = scrub_phone(&error_details(status, body), phone);
    match status.as_u16() {
        400 => SendError::permanent(format!("{action}: Notify refused it ({details})")),
        401 | 403 => SendError::transient(format!(
            "{action}: Notify authentication failed ({details}): check the API key and that this \
             server's clock is right"
        )),
        429 => SendError::transient(format!("{action}: Notify's rate limit was hit ({details})")),
        500..=599 => SendError::transient(format!("{action}: Notify failed ({details})")),
        _ => SendError::transient(format!(
            "{action}: Notify answered unexpectedly ({details}): check the base URL"
        )),
    }
}

/// `429 RateLimitError: Exceeded rate limit…`, from Notify's `{"errors": [...]}` body.
fn error_details(status: reqwest::StatusCode, body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        errors: Vec<ErrorItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorItem {
        error: String,
        message: String,
    }

    let code = status.as_u16();
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) if !parsed.errors.is_empty() => parsed
            .errors
            .iter()
            .map(|item| format!("{code} {}: {}", item.error, item.message))
            .collect::<Vec<_>>()
            .join("; "),
        _ if body.trim().is_empty() => code.to_string(),
        _ => {
            let excerpt: String = body.trim().chars().take(200).collect();
            format!("{code}: {excerpt}")
        }
    }
}

/// Gateways may quote the number back; logs and the database get it masked.
fn scrub_phone(text: &str, phone: &str) -> String {
    let text = if phone.trim().is_empty() {
        text.to_owned()
    } else {
        text.replace(phone, &mask::phone(phone))
    };
    text.split(' ')
        .map(|word| {
            let digits = word.chars().filter(char::is_ascii_digit).count();
            if digits >= 9 {
                mask::phone(word)
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON a Notify-shaped gateway posts to our callback URL when a text's status settles.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct StatusCallback {
    pub id: String,
    pub reference: Option<String>,
    pub to: String,
    pub status: String,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub sent_at: Option<String>,
    pub notification_type: String,
}

/// What a callback means for the delivery it reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackOutcome {
    Delivered,
    /// The number will never take a text (not a phone, or not in service).
    Permanent,
    /// The phone was off or out of signal for too long, or a network failed.
    Temporary,
    /// Still on its way (created, sending, pending).
    InProgress,
}

impl StatusCallback {
    /// delivered → Delivered, permanent-failure → Permanent, temporary-failure|technical-failure
    /// → Temporary, anything else → InProgress.
    pub fn outcome(&self) -> CallbackOutcome {
        match self.status.as_str() {
            "delivered" => CallbackOutcome::Delivered,
            "permanent-failure" => CallbackOutcome::Permanent,
            "temporary-failure" | "technical-failure" => CallbackOutcome::Temporary,
            _ => CallbackOutcome::InProgress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::fake_notify::{FakeNotify, FakeNotifyConfig};

    const SERVICE_ID: &str = "2c5a1a7e-8f0b-4c3e-9b6d-1f2e3d4c5b6a";
    const SECRET: &str = "9d8c7b6a-5f4e-4d3c-8b2a-1e0f9a8b7c6d";
    const API_KEY: &str =
        "beacon_live-2c5a1a7e-8f0b-4c3e-9b6d-1f2e3d4c5b6a-9d8c7b6a-5f4e-4d3c-8b2a-1e0f9a8b7c6d";
    const OTHER_KEY: &str =
        "beacon_live-2c5a1a7e-8f0b-4c3e-9b6d-1f2e3d4c5b6a-00000000-1111-4222-8333-444444444444";
    const TEMPLATE_ID: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";

    fn key() -> NotifyKey {
        NotifyKey::parse(API_KEY).unwrap()
    }

    async fn gateway(rate_limit_per_minute: u32) -> (FakeNotify, String) {
        let fake = FakeNotify::new(FakeNotifyConfig {
            api_key: API_KEY.to_owned(),
            template_id: TEMPLATE_ID.to_owned(),
            rate_limit_per_minute,
            callback_url: None,
            callback_token: String::new(),
        });
        let base_url = fake.spawn().await.unwrap();
        (fake, base_url)
    }

    fn client(base_url: &str, api_key: &str) -> NotifyClient {
        NotifyClient::new(base_url, api_key, TEMPLATE_ID, Duration::from_secs(5)).unwrap()
    }

    #[test]
    fn the_key_splits_into_service_id_and_secret() {
        let key = key();
        assert_eq!(key.service_id, SERVICE_ID);
        assert_eq!(key.secret, SECRET);
        let unnamed = NotifyKey::parse(&format!("{SERVICE_ID}-{SECRET}")).unwrap();
        assert_eq!(unnamed, key);
        let hyphenated_name =
            NotifyKey::parse(&format!("my-key-name-{SERVICE_ID}-{SECRET}")).unwrap();
        assert_eq!(hyphenated_name, key);
    }

    #[test]
    fn malformed_keys_are_refused_without_repeating_them() {
        for bad in [
            "",
            "beacon_live",
            &API_KEY[..API_KEY.len() - 1],
            &format!("name_{SERVICE_ID}-{SECRET}"),
            &format!("name-{SERVICE_ID}_{SECRET}"),
            &format!("name-{SERVICE_ID}-{}", SECRET.replace('-', "x")),
            &format!("name-{}-{SECRET}", SERVICE_ID.replace('a', "g")),
            &format!("näme-{SERVICE_ID}-{SECRET}"),
        ] {
            let error = NotifyKey::parse(bad).expect_err(bad);
            assert!(error.contains("Notify API key"), "{error}");
            assert!(!error.contains(SECRET), "{error}");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let printed = format!("{:?}", key());
        assert!(printed.contains(SERVICE_ID));
        assert!(!printed.contains(SECRET));
        let client = client("http://127.0.0.1:9", API_KEY);
        assert!(!format!("{client:?}").contains(SECRET));
    }

    #[test]
    fn the_token_matches_an_independent_hs256_implementation() {
        // python3: hmac.new(secret, b64(header) + "." + b64(claims), sha256), base64url unpadded.
        assert_eq!(
            key().token(1_700_000_000),
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.\
             eyJpc3MiOiIyYzVhMWE3ZS04ZjBiLTRjM2UtOWI2ZC0xZjJlM2Q0YzViNmEiLCJpYXQiOjE3MDAwMDAwMDB9.\
             eVSEgUeV-0T_d8Kwc3NgSRdFOj1jLTKOQ4rplX7YkZg"
        );
    }

    #[test]
    fn tokens_are_accepted_within_thirty_seconds_either_way() {
        let key = key();
        let token = key.token(1_700_000_000);
        assert_eq!(verify_token(&token, &key, 1_700_000_000), Ok(()));
        assert_eq!(verify_token(&token, &key, 1_700_000_030), Ok(()));
        assert_eq!(verify_token(&token, &key, 1_699_999_970), Ok(()));
        assert_eq!(
            verify_token(&token, &key, 1_700_000_031),
            Err("Error: Your system clock must be accurate to within 30 seconds")
        );
        assert_eq!(
            verify_token(&token, &key, 1_699_999_969),
            Err("Error: Your system clock must be accurate to within 30 seconds")
        );
    }

    #[test]
    fn forged_and_malformed_tokens_are_refused() {
        let key = key();
        let other = NotifyKey::parse(OTHER_KEY).unwrap();
        let now = 1_700_000_000;
        assert_eq!(
            verify_token(&other.token(now), &key, now),
            Err("Invalid token: API key not found")
        );

        let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"{SERVICE_ID}","iat":{now}}}"#));
        let unsigned = format!(
            "{}.{claims}.",
            URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"none"}"#)
        );
        assert_eq!(
            verify_token(&unsigned, &key, now),
            Err("Invalid token: algorithm used is not HS256")
        );

        let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#);
        let wrong_service =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"{TEMPLATE_ID}","iat":{now}}}"#).as_bytes());
        let input = format!("{header}.{wrong_service}");
        let signed = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(key.mac(&input).finalize().into_bytes())
        );
        assert_eq!(
            verify_token(&signed, &key, now),
            Err("Invalid token: service not found")
        );

        for garbage in ["", "a.b", "a.b.c.d", "!!.??.**"] {
            assert!(verify_token(garbage, &key, now).is_err(), "{garbage}");
        }
    }

    #[test]
    fn callbacks_map_to_what_they_mean_for_the_delivery() {
        let callback = |status: &str| StatusCallback {
            id: "id".to_owned(),
            reference: Some("ref".to_owned()),
            to: "+447700900123".to_owned(),
            status: status.to_owned(),
            created_at: "2026-11-22T01:02:03.123456Z".to_owned(),
            completed_at: None,
            sent_at: None,
            notification_type: "sms".to_owned(),
        };
        assert_eq!(callback("delivered").outcome(), CallbackOutcome::Delivered);
        assert_eq!(
            callback("permanent-failure").outcome(),
            CallbackOutcome::Permanent
        );
        assert_eq!(
            callback("temporary-failure").outcome(),
            CallbackOutcome::Temporary
        );
        assert_eq!(
            callback("technical-failure").outcome(),
            CallbackOutcome::Temporary
        );
        for status in ["created", "sending", "pending", "something-new"] {
            assert_eq!(callback(status).outcome(), CallbackOutcome::InProgress);
        }
    }

    #[test]
    fn numbers_quoted_back_by_the_gateway_are_masked() {
        assert_eq!(
            scrub_phone(
                "400 ValidationError: +447700900123 is not allowed",
                "+447700900123"
            ),
            "400 ValidationError: +44*******123 is not allowed"
        );
        assert_eq!(
            scrub_phone("07700900123 is not allowed", "+447700900123"),
            "077*****123 is not allowed"
        );
    }

    #[tokio::test]
    async fn a_text_is_accepted_and_reaches_the_gateway() {
        let (fake, base_url) = gateway(0).await;
        let receipt = client(&base_url, API_KEY)
            .send_sms(
                "+447700900123",
                "Police appeal: have you seen this van?",
                "d-1",
            )
            .await
            .unwrap();
        let sent = fake.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].id, receipt.id);
        assert_eq!(sent[0].phone_number, "+447700900123");
        assert_eq!(sent[0].body, "Police appeal: have you seen this van?");
        assert_eq!(sent[0].reference.as_deref(), Some("d-1"));
    }

    #[tokio::test]
    async fn a_wrong_secret_is_an_authentication_failure_worth_retrying() {
        let (fake, base_url) = gateway(0).await;
        let error = client(&base_url, OTHER_KEY)
            .send_sms("+447700900123", "Hello", "d-1")
            .await
            .unwrap_err();
        assert!(error.transient);
        assert!(
            error.message.contains("authentication"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("API key not found"),
            "{}",
            error.message
        );
        assert!(
            !error.message.contains("+447700900123"),
            "{}",
            error.message
        );
        assert!(fake.sent().is_empty());
    }

    #[tokio::test]
    async fn a_token_from_a_slow_clock_is_refused() {
        let (fake, base_url) = gateway(0).await;
        let stale = key().token(chrono::Utc::now().timestamp() - 60);
        let response = reqwest::Client::new()
            .post(format!("{base_url}/v2/notifications/sms"))
            .bearer_auth(stale)
            .json(&serde_json::json!({
                "phone_number": "+447700900123",
                "template_id": TEMPLATE_ID,
                "personalisation": { "body": "Hello" },
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let error = refusal(
            "sending",
            response.status(),
            &response.text().await.unwrap(),
            "",
        );
        assert!(error.transient);
        assert!(
            error.message.contains("authentication"),
            "{}",
            error.message
        );
        assert!(error.message.contains("30 seconds"), "{}", error.message);
        assert!(fake.sent().is_empty());
    }

    #[tokio::test]
    async fn an_invalid_number_fails_for_good_and_stays_masked() {
        let (fake, base_url) = gateway(0).await;
        let error = client(&base_url, API_KEY)
            .send_sms("+15555550123", "Hello", "d-1")
            .await
            .unwrap_err();
        assert!(!error.transient);
        assert!(
            error.message.contains("Not a UK mobile number"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("+15555550123"), "{}", error.message);
        assert!(error.message.contains("+15******123"), "{}", error.message);
        assert!(fake.sent().is_empty());
    }

    #[tokio::test]
    async fn a_throttled_send_is_retried_and_the_next_one_succeeds() {
        let (fake, base_url) = gateway(0).await;
        let client = client(&base_url, API_KEY);
        fake.throttle_next(1);
        let error = client
            .send_sms("+447700900123", "Hello", "d-1")
            .await
            .unwrap_err();
        assert!(error.transient);
        assert!(error.message.contains("rate limit"), "{}", error.message);
        client
            .send_sms("+447700900123", "Hello", "d-1")
            .await
            .unwrap();
        assert_eq!(fake.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_gateway_failure_is_retried_and_the_next_one_succeeds() {
        let (fake, base_url) = gateway(0).await;
        let client = client(&base_url, API_KEY);
        fake.fail_next(2);
        for _ in 0..2 {
            let error = client
                .send_sms("+447700900123", "Hello", "d-1")
                .await
                .unwrap_err();
            assert!(error.transient);
            assert!(
                error.message.contains("Internal server error"),
                "{}",
                error.message
            );
        }
        client
            .send_sms("+447700900123", "Hello", "d-1")
            .await
            .unwrap();
        assert_eq!(fake.sent().len(), 1);
    }

    #[tokio::test]
    async fn the_rate_limit_lets_exactly_its_quota_through() {
        let (fake, base_url) = gateway(3).await;
        let client = client(&base_url, API_KEY);
        for n in 0..3 {
            client
                .send_sms("+447700900123", "Hello", &format!("d-{n}"))
                .await
                .unwrap();
        }
        let error = client
            .send_sms("+447700900123", "Hello", "d-3")
            .await
            .unwrap_err();
        assert!(error.transient);
        assert!(
            error.message.contains("429 RateLimitError: Exceeded rate limit for key type LIVE of 3 requests per 60 seconds"),
            "{}",
            error.message
        );
        assert_eq!(fake.sent().len(), 3);
    }

    #[tokio::test]
    async fn a_text_sent_before_a_crash_is_found_by_its_reference() {
        let (_fake, base_url) = gateway(0).await;
        let client = client(&base_url, API_KEY);
        let receipt = client
            .send_sms("+447700900123", "Hello", "delivery-42")
            .await
            .unwrap();
        let found = client
            .find_by_reference("delivery-42")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, receipt.id);
        assert_eq!(found.status.as_deref(), Some("delivered"));
        assert_eq!(client.find_by_reference("delivery-43").await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_unreachable_gateway_is_a_transient_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let error = client(&base_url, API_KEY)
            .send_sms("+447700900123", "Hello", "d-1")
            .await
            .unwrap_err();
        assert!(error.transient);
        assert!(
            error.message.contains("could not connect"),
            "{}",
            error.message
        );
        assert!(
            !error.message.contains("+447700900123"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn a_silent_gateway_times_out_as_a_transient_failure() {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let client =
            NotifyClient::new(&base_url, API_KEY, TEMPLATE_ID, Duration::from_millis(200)).unwrap();
        let error = client
            .send_sms("+447700900123", "Hello", "d-1")
            .await
            .unwrap_err();
        assert!(error.transient);
        assert!(
            error.message.contains("did not answer"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_client_is_not_built_from_bad_settings() {
        let build = |base_url: &str, api_key: &str, template_id: &str| {
            NotifyClient::new(base_url, api_key, template_id, Duration::from_secs(1))
        };
        assert!(build("not a url", API_KEY, TEMPLATE_ID).is_err());
        assert!(build("ftp://example.org", API_KEY, TEMPLATE_ID).is_err());
        assert!(build(
            "https://api.notifications.service.gov.uk",
            "oops",
            TEMPLATE_ID
        )
        .is_err());
        assert!(build("https://api.notifications.service.gov.uk", API_KEY, " ").is_err());
        assert!(build(
            "https://api.notifications.service.gov.uk/",
            API_KEY,
            TEMPLATE_ID
        )
        .is_ok());
    }
}
