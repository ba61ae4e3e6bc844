//! Online reports, as residents make and follow them: the kinds they can report, sending a
//! report (checked, placed, stored with its files and receipt in one transaction), the link in
//! the receipt that opens the report without a password, adding to it, and a reporter's data.

use super::AppContext;

/// The signed link's purpose, and what it carries: the report's reference.
const FOLLOW_PURPOSE: &str = "report";

/// The address of a report's own page, from the receipt email: no password, the signed
/// reference is the authority.
pub fn follow_url(ctx: &AppContext, reference: &str) -> String {
    ctx.link(&format!("/reports/{}", follow_token(ctx, reference)))
}

/// The token in a report's link.
pub fn follow_token(ctx: &AppContext, reference: &str) -> String {
    ctx.signer.sign(FOLLOW_PURPOSE, &[reference])
}

/// The reference a report's link names, if the link is genuine.
pub fn reference_from_token(ctx: &AppContext, token: &str) -> Option<String> {
    ctx.signer
        .verify(FOLLOW_PURPOSE, token)
        .and_then(|fields| fields.into_iter().next())
}
