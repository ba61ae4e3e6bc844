//! Whether this process can serve: it can reach its database.

use super::AppContext;
use crate::store::StoreResult;

/// Readiness, and which database backend was asked.
pub struct Readiness {
    pub backend: &'static str,
    pub reachable: StoreResult<()>,
}

pub async fn ready(ctx: &AppContext) -> Readiness {
    Readiness {
        backend: ctx.store.backend(),
        reachable: ctx.store.ping().await,
    }
}
