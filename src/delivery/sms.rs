//! SMS: a rendered text and the transport that sends it: the file outbox (one `.json` file per
//! text, named after its reference) or an HTTP gateway speaking GOV.UK Notify's v2 API.

use super::SendError;
use crate::config::{Settings, SmsAccount, SmsTransport};
use crate::domain::mask;
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SmsMessage {
    /// E.164, e.g. `+447700900123`.
    pub phone_number: String,
    pub content: String,
    /// Our own reference for the text, as Notify's API calls it.
    pub reference: String,
}

pub enum SmsSender {
    File(PathBuf),
    Notify(super::notify::NotifyClient),
}

impl SmsSender {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<SmsSender> {
        Ok(match settings.sms.transport {
            SmsTransport::File => {
                let dir = settings.sms_outbox_dir();
                std::fs::create_dir_all(&dir)?;
                SmsSender::File(dir)
            }
            SmsTransport::Notify => {
                let sms = &settings.sms;
                SmsSender::Notify(super::notify::NotifyClient::new(
                    &sms.notify_base_url,
                    &sms.notify_api_key,
                    &sms.notify_template_id,
                    std::time::Duration::from_secs(settings.mail.smtp_timeout_secs),
                )?)
            }
        })
    }

    /// The sender for one organisation's own gateway account: the same transport, with the
    /// account's key, and its gateway and template where it names its own.
    pub fn for_account(settings: &Settings, account: &SmsAccount) -> anyhow::Result<SmsSender> {
        let sms = &settings.sms;
        let or_main = |own: &str, main: &str| {
            if own.trim().is_empty() {
                main.to_owned()
            } else {
                own.to_owned()
            }
        };
        Ok(match sms.transport {
            SmsTransport::File => SmsSender::from_settings(settings)?,
            SmsTransport::Notify => SmsSender::Notify(
                super::notify::NotifyClient::new(
                    &or_main(&account.notify_base_url, &sms.notify_base_url),
                    &account.notify_api_key,
                    &or_main(&account.notify_template_id, &sms.notify_template_id),
                    std::time::Duration::from_secs(settings.mail.smtp_timeout_secs),
                )
                .with_context(|| format!("the SMS account of provider {:?}", account.provider))?,
            ),
        })
    }

    pub async fn send(&self, sms: &SmsMessage) -> Result<(), SendError> {
        self.send_returning_id(sms).await.map(|_| ())
    }

    /// Sends a text; returns the gateway's id for it, if the transport has one.
    pub async fn send_returning_id(&self, sms: &SmsMessage) -> Result<Option<String>, SendError> {
        let gateway_id = match self {
            SmsSender::File(dir) => {
                let body = serde_json::to_vec_pretty(sms)
                    .map_err(|e| SendError::permanent(e.to_string()))?;
                let path = dir.join(format!("{}.json", sms.reference));
                tokio::fs::write(&path, body).await.map_err(|e| {
                    SendError::transient(format!("writing {}: {e}", path.display()))
                })?;
                None
            }
            SmsSender::Notify(client) => Some(
                client
                    .send_sms(&sms.phone_number, &sms.content, &sms.reference)
                    .await?
                    .id,
            ),
        };
        tracing::info!(to = %mask::phone(&sms.phone_number), reference = %sms.reference, "text sent");
        Ok(gateway_id)
    }

    /// The gateway's id of a text sent earlier under `reference`, if it was. The file outbox
    /// names each file after its reference, so sending again replaces it: nothing to look up.
    pub async fn find_sent(&self, reference: &str) -> Result<Option<String>, SendError> {
        match self {
            SmsSender::File(_) => Ok(None),
            SmsSender::Notify(client) => Ok(client
                .find_by_reference(reference)
                .await?
                .map(|receipt| receipt.id)),
        }
    }
}
