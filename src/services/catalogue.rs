//! The catalogue residents and staff choose from: the organisations that send alerts and the
//! kinds of message they send. Read from the store only; seeded when the service starts.

use super::AppContext;
use crate::domain::{MessageType, Provider};
use crate::store::StoreResult;

/// Everything a resident can choose between on the sign-up and manage forms: the organisations
/// in use (not those an admin archived) and the kinds of message.
pub struct Catalogue {
    pub providers: Vec<Provider>,
    pub message_types: Vec<MessageType>,
}

pub async fn catalogue(ctx: &AppContext) -> StoreResult<Catalogue> {
    Ok(Catalogue {
        providers: providers(ctx).await?,
        message_types: ctx.store.message_types().await?,
    })
}

/// The organisations in use, for residents, staff and API tokens to choose from.
pub async fn providers(ctx: &AppContext) -> StoreResult<Vec<Provider>> {
    let mut providers = ctx.store.providers().await?;
    providers.retain(|p| !p.archived);
    Ok(providers)
}

/// Every organisation, archived ones too, for the admins' list.
pub async fn all_providers(ctx: &AppContext) -> StoreResult<Vec<Provider>> {
    ctx.store.providers().await
}

pub async fn message_types(ctx: &AppContext) -> StoreResult<Vec<MessageType>> {
    ctx.store.message_types().await
}

/// The slug of the organisation with this id (empty when there is none), as forms name it.
pub async fn provider_slug(ctx: &AppContext, provider_id: i64) -> StoreResult<String> {
    Ok(ctx
        .store
        .providers()
        .await?
        .into_iter()
        .find(|p| p.id == provider_id)
        .map(|p| p.slug)
        .unwrap_or_default())
}

/// The organisation with this id, if there is one.
pub async fn provider(ctx: &AppContext, provider_id: i64) -> StoreResult<Option<Provider>> {
    Ok(ctx
        .store
        .providers()
        .await?
        .into_iter()
        .find(|p| p.id == provider_id))
}
