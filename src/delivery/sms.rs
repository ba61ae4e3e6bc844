//! SMS: a rendered text and the transport that sends it. For now the file outbox (one `.json`
//! file per text); the delivery-engine work adds the GOV.UK Notify-shaped HTTP gateway.

use super::SendError;
use crate::config::{Settings, SmsTransport};
use crate::domain::mask;
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
}

impl SmsSender {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<SmsSender> {
        Ok(match settings.sms.transport {
            SmsTransport::File => {
                let dir = settings.sms_outbox_dir();
                std::fs::create_dir_all(&dir)?;
                SmsSender::File(dir)
            }
        })
    }

    pub async fn send(&self, sms: &SmsMessage) -> Result<(), SendError> {
        match self {
            SmsSender::File(dir) => {
                let body = serde_json::to_vec_pretty(sms)
                    .map_err(|e| SendError::permanent(e.to_string()))?;
                let path = dir.join(format!("{}.json", sms.reference));
                tokio::fs::write(&path, body).await.map_err(|e| {
                    SendError::transient(format!("writing {}: {e}", path.display()))
                })?;
            }
        }
        tracing::info!(to = %mask::phone(&sms.phone_number), reference = %sms.reference, "text sent");
        Ok(())
    }
}
