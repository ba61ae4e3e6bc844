//! The alerts being delivered, loaded and rendered once per worker however many residents get
//! them; shared by the email and text workers.

use super::AppContext;
use crate::services::messages::SharedAlert;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Arc;

/// The alerts being delivered, each rendered once however many residents get it.
#[derive(Default)]
pub(super) struct AlertCache {
    alerts: HashMap<i64, Arc<SharedAlert>>,
}

impl AlertCache {
    pub(super) async fn get(
        &mut self,
        ctx: &AppContext,
        id: i64,
    ) -> anyhow::Result<Arc<SharedAlert>> {
        if let Some(shared) = self.alerts.get(&id) {
            return Ok(shared.clone());
        }
        let alert = ctx
            .store
            .alert(id)
            .await?
            .with_context(|| format!("alert {id} has deliveries but does not exist"))?;
        if self.alerts.len() > 64 {
            self.alerts.clear();
        }
        let shared = Arc::new(SharedAlert::new(alert));
        self.alerts.insert(id, shared.clone());
        Ok(shared)
    }
}
