//! Staff accounts and sign-in: enrolment by a one-time link (password, then an authenticator
//! app), sign-in with email, password and a time-based code (or a one-time recovery code) in
//! one step, sessions, lock-out after repeated failures (counted in the database, so that
//! attempts in parallel are each counted once), unlocking, and the audit log of it all.

use super::tokens::{random_bytes, random_id, sha256_hex};
use super::AppContext;
use crate::domain::mask;
use crate::domain::staff::{check_password, StaffDetails, StaffInput};
use crate::domain::subscriber::FieldErrors;
use crate::store::{NewAuditEntry, NewStaff, StaffMember, StoreError};
use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use totp_rs::{Algorithm, Secret, TOTP};

/// The one message every failed sign-in gets, whichever part was wrong.
pub const SIGN_IN_REFUSED: &str = "The email address, password or code is not right, or the account is locked after too many tries. Check them and try again, or wait 15 minutes.";
const EMAIL_TAKEN: &str = "There is already a staff account with this email address";
/// Consecutive failures before an account is locked for `LOCK_SECS`. The count starts afresh
/// when a lock lapses, so a lock never grows: one try an hour cannot keep an account shut.
const FAILURES_BEFORE_LOCK: i64 = 5;
const LOCK_SECS: i64 = 15 * 60;
/// Failed sign-ins from one address in an hour, whichever accounts they were for. Successes and
/// tries at an account already locked do not count, so that one person's (or one intruder's)
/// tries do not shut out everyone else behind a shared office's address.
const FAILED_SIGN_INS_PER_IP_PER_HOUR: u32 = 100;
/// Sign-in attempts from one address at one account in an hour, whatever their outcome.
const SIGN_INS_PER_IP_AND_ACCOUNT_PER_HOUR: u32 = 20;
pub const SESSION_HOURS: i64 = 12;
/// A session unused for this long ends.
pub const SESSION_IDLE_SECS: i64 = 60 * 60;
const ENROLMENT_HOURS: i64 = 72;
const RECOVERY_CODES: usize = 10;
const TOTP_STEP: u64 = 30;
const ISSUER: &str = "Beacon";

/// Why a sign-in was refused. Whatever was wrong, the person is told the same
/// (`SIGN_IN_REFUSED`), so that the answer gives nothing away; what it was goes to the audit log.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{}", SIGN_IN_REFUSED)]
    TooManyAttempts,
    #[error("{}", SIGN_IN_REFUSED)]
    UnknownAccount,
    #[error("{}", SIGN_IN_REFUSED)]
    Locked,
    #[error("{}", SIGN_IN_REFUSED)]
    WrongCredentials {
        failures: i64,
        locked_until: Option<i64>,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl SignInError {
    /// What the audit log says about the refusal.
    fn audit_detail(&self) -> String {
        match self {
            SignInError::TooManyAttempts => "too many attempts from this address".into(),
            SignInError::UnknownAccount => "unknown, inactive or unenrolled account".into(),
            SignInError::Locked => "account locked".into(),
            SignInError::WrongCredentials {
                failures,
                locked_until: Some(_),
            } => format!("wrong credentials ({failures} in a row): account locked"),
            SignInError::WrongCredentials {
                failures,
                locked_until: None,
            } => format!("wrong credentials ({failures} in a row)"),
            SignInError::Unexpected(_) => String::new(),
        }
    }
}

impl From<StoreError> for SignInError {
    fn from(error: StoreError) -> Self {
        SignInError::Unexpected(error.into())
    }
}

/// Why an enrolment could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("This enrolment link has been used already. Ask an admin for a new one.")]
    LinkUsed,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for EnrolmentError {
    fn from(error: StoreError) -> Self {
        EnrolmentError::Unexpected(error.into())
    }
}

/// Why an admin's change to staff, organisations or API tokens was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffAdminError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("You may not do that: it needs another permission")]
    NotAdmin,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for StaffAdminError {
    fn from(error: StoreError) -> Self {
        StaffAdminError::Unexpected(error.into())
    }
}

impl StaffAdminError {
    /// A form's single problem.
    fn invalid(field: &str, message: &str) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        StaffAdminError::Invalid(errors)
    }
}

/// Who did something, for the audit log.
pub struct Actor<'a> {
    pub staff: Option<&'a StaffMember>,
    pub ip: &'a str,
}

impl Actor<'_> {
    fn name(&self) -> String {
        self.staff
            .map_or_else(|| "(not signed in)".to_owned(), |s| s.name.clone())
    }
}

/// Appends to the audit log. Failing to audit fails the action: an unrecorded action must not
/// happen.
pub async fn audit(
    ctx: &AppContext,
    actor: &Actor<'_>,
    action: &str,
    subject: &str,
    detail: &str,
    refused: bool,
) -> anyhow::Result<()> {
    ctx.store
        .append_audit(&NewAuditEntry {
            at: chrono::Utc::now().timestamp(),
            staff_id: actor.staff.map(|s| s.id),
            actor: actor.name(),
            action: action.to_owned(),
            refused,
            subject: subject.to_owned(),
            detail: detail.to_owned(),
            ip: actor.ip.to_owned(),
        })
        .await
        .with_context(|| format!("writing the audit log ({action})"))?;
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's recommended minimum.
    Argon2::default()
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&random_bytes(16)).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?
        .to_string())
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a password nobody has, verified against when the email is unknown so that a wrong
/// address takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_id()).unwrap_or_default())
}

fn totp(secret_base32: &str, account: &str) -> anyhow::Result<TOTP> {
    let secret = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("reading a TOTP secret: {e:?}"))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        TOTP_STEP,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| anyhow::anyhow!("making a TOTP: {e}"))
}

/// The time step a code belongs to (the current one, or one either side for clock drift).
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    [now.saturating_sub(TOTP_STEP), now, now + TOTP_STEP]
        .into_iter()
        .find(|time| super::tokens::same(&totp.generate(*time), code))
        .map(|time| (time / TOTP_STEP) as i64)
}

/// The current code for a secret (for `beacon admin totp-code` and tests).
pub fn current_code(secret_base32: &str) -> anyhow::Result<String> {
    Ok(totp(secret_base32, "code")?.generate_current()?)
}

pub fn new_totp_secret() -> String {
    Secret::Raw(random_bytes(20)).to_encoded().to_string()
}

fn recovery_code_hash(staff_public_id: &str, code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    sha256_hex(&format!("{staff_public_id}:{normalised}"))
}

fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let hex = hex::encode(random_bytes(5));
            format!("{}-{}", &hex[..5], &hex[5..])
        })
        .collect()
}

pub struct SignInInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub code: &'a str,
}

/// A new session's cookie value.
pub struct SignedIn {
    pub session_token: String,
    pub staff: StaffMember,
}

/// Checks all three parts together and answers with one message whatever was wrong.
pub async fn sign_in(
    ctx: &AppContext,
    input: &SignInInput<'_>,
    ip: &str,
) -> Result<SignedIn, SignInError> {
    let email_key = input.email.trim().to_lowercase();
    let shown = mask::email(&email_key);
    // The attempt holds a place under the address's limit from the start, so that attempts in
    // parallel cannot all slip under it, and gives it back unless it turns out a failure.
    let from_address = format!("staff-sign-in-failures:{ip}");
    let at_account = format!(
        "staff-sign-in:{ip}:{}",
        email_key.chars().take(320).collect::<String>()
    );
    let limited = if !ctx
        .limiter
        .allow(&from_address, FAILED_SIGN_INS_PER_IP_PER_HOUR)
    {
        true
    } else if !ctx
        .limiter
        .allow(&at_account, SIGN_INS_PER_IP_AND_ACCOUNT_PER_HOUR)
    {
        ctx.limiter.release(&from_address);
        true
    } else {
        false
    };
    if limited {
        let actor = Actor { staff: None, ip };
        return Err(refused(ctx, &actor, &shown, SignInError::TooManyAttempts).await);
    }
    let outcome = check_sign_in(ctx, input, &email_key, &shown, ip).await;
    if matches!(outcome, Ok(_) | Err(SignInError::Locked)) {
        ctx.limiter.release(&from_address);
    }
    outcome
}

async fn check_sign_in(
    ctx: &AppContext,
    input: &SignInInput<'_>,
    email_key: &str,
    shown: &str,
    ip: &str,
) -> Result<SignedIn, SignInError> {
    let actor = Actor { staff: None, ip };
    let now = chrono::Utc::now();
    let staff = ctx
        .store
        .staff_by_email_key(email_key)
        .await
        .context("finding the account signing in")?;
    let hash = staff
        .as_ref()
        .and_then(|s| s.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password_ok = password_matches(input.password, &hash);
    let Some(staff) = staff.filter(|s| s.active && s.is_enrolled()) else {
        return Err(refused(ctx, &actor, shown, SignInError::UnknownAccount).await);
    };
    let actor = Actor {
        staff: Some(&staff),
        ip,
    };
    let locked = staff
        .locked_until
        .is_some_and(|until| until > now.timestamp());
    let code = input.code.trim().replace(' ', "");
    // While the account is locked only a recovery code is tried: it proves the member holds
    // what enrolment gave them, so it lifts a lock that someone else's tries may have caused.
    let step = if locked {
        None
    } else {
        let secret = staff.totp_secret.as_deref().unwrap_or_default();
        matching_step(
            &totp(secret, staff.email.as_str())?,
            &code,
            now.timestamp() as u64,
        )
        .filter(|step| staff.totp_last_step.is_none_or(|last| *step > last))
    };
    let mut used_recovery = false;
    if password_ok && step.is_none() && code.len() > 6 {
        used_recovery = ctx
            .store
            .use_recovery_code(
                staff.id,
                &recovery_code_hash(&staff.public_id, &code),
                now.timestamp(),
            )
            .await
            .context("using a recovery code")?;
    }
    if locked && !used_recovery {
        return Err(refused(ctx, &actor, shown, SignInError::Locked).await);
    }
    // The code's time step is taken in the same statement that checks it is new: of sign-ins
    // in parallel with one code, one takes it and the rest fail as a replay would.
    let accepted = password_ok
        && (step.is_some() || used_recovery)
        && ctx
            .store
            .record_sign_in_success(staff.id, step, now.timestamp())
            .await
            .context("recording a sign-in")?;
    if !accepted {
        return Err(wrong_credentials(ctx, &actor, shown, staff.id, now.timestamp()).await);
    }
    let session_token = hex::encode(random_bytes(32));
    ctx.store
        .create_session(
            &sha256_hex(&session_token),
            staff.id,
            now.timestamp(),
            now.timestamp() + SESSION_HOURS * 3600,
        )
        .await
        .context("starting a session")?;
    let detail = match (used_recovery, locked) {
        (true, true) => "with a recovery code, which lifted the lock",
        (true, false) => "with a recovery code",
        (false, _) => "with an authenticator code",
    };
    audit(ctx, &actor, "sign-in", shown, detail, false).await?;
    Ok(SignedIn {
        session_token,
        staff,
    })
}

/// Counts a failed sign-in against the account (in the database, so that failures in parallel
/// each count) and refuses it; `Locked` if a failure in parallel locked the account meanwhile.
async fn wrong_credentials(
    ctx: &AppContext,
    actor: &Actor<'_>,
    shown: &str,
    staff_id: i64,
    now: i64,
) -> SignInError {
    let counted = ctx
        .store
        .record_sign_in_failure(staff_id, now, FAILURES_BEFORE_LOCK, now + LOCK_SECS)
        .await
        .context("counting a failed sign-in");
    let refusal = match counted {
        Ok(Some(counted)) => SignInError::WrongCredentials {
            failures: counted.failed_sign_ins,
            locked_until: counted.locked_until,
        },
        Ok(None) => SignInError::Locked,
        Err(error) => return SignInError::Unexpected(error),
    };
    refused(ctx, actor, shown, refusal).await
}

/// Audits a refused sign-in and answers with the refusal (or with the failure to audit it: an
/// unrecorded refusal must not happen).
async fn refused(
    ctx: &AppContext,
    actor: &Actor<'_>,
    shown: &str,
    refusal: SignInError,
) -> SignInError {
    match audit(ctx, actor, "sign-in", shown, &refusal.audit_detail(), true).await {
        Ok(()) => refusal,
        Err(error) => SignInError::Unexpected(error),
    }
}

/// The member a session cookie belongs to, if the session is live.
pub async fn session(ctx: &AppContext, token: &str) -> anyhow::Result<Option<StaffMember>> {
    if token.len() != 64 {
        return Ok(None);
    }
    let now = chrono::Utc::now().timestamp();
    ctx.store
        .session_staff(&sha256_hex(token), now, now - SESSION_IDLE_SECS)
        .await
        .context("reading a session")
}

pub async fn sign_out(
    ctx: &AppContext,
    staff: &StaffMember,
    token: &str,
    ip: &str,
) -> anyhow::Result<()> {
    ctx.store
        .delete_session(&sha256_hex(token))
        .await
        .context("ending a session")?;
    let actor = Actor {
        staff: Some(staff),
        ip,
    };
    audit(ctx, &actor, "sign-out", &staff.name, "", false).await
}

/// A new staff member (by an admin, or `beacon admin create-staff`): stored without
/// credentials, with the enrolment link returned to pass on to them.
pub async fn create_staff(
    ctx: &AppContext,
    actor: &Actor<'_>,
    input: &StaffInput,
) -> Result<(StaffMember, String), StaffAdminError> {
    if actor.staff.is_some_and(|s| !s.permissions.admin) {
        audit(
            ctx,
            actor,
            "create-staff",
            input.email.trim(),
            "not an admin",
            true,
        )
        .await?;
        return Err(StaffAdminError::NotAdmin);
    }
    add_account(ctx, actor, input).await
}

/// Adds an account, its permissions as `input` gives them, with no check of who asks: for
/// `create_staff`, and for the Neighbourhood Watch coordinators staff appoint to a scheme
/// (`services::schemes`, which allows nothing but the coordinate permission).
pub(crate) async fn add_account(
    ctx: &AppContext,
    actor: &Actor<'_>,
    input: &StaffInput,
) -> Result<(StaffMember, String), StaffAdminError> {
    let details = input.validate().map_err(StaffAdminError::Invalid)?;
    let provider_id = provider_id(ctx, &details).await?;
    let nonce = random_id();
    let new = NewStaff {
        public_id: random_id(),
        email: details.email.as_str().to_owned(),
        email_key: details.email.key(),
        name: details.name.clone(),
        role_title: details.role_title.clone(),
        area_label: details.area_label.clone(),
        provider_id,
        permissions: details.permissions,
        enrolment_nonce: nonce.clone(),
        now: chrono::Utc::now().timestamp(),
    };
    let id = match ctx.store.insert_staff(&new).await {
        Ok(id) => id,
        Err(StoreError::Conflict) => return Err(StaffAdminError::invalid("email", EMAIL_TAKEN)),
        Err(error) => {
            return Err(anyhow::Error::from(error)
                .context("adding a member of staff")
                .into())
        }
    };
    let staff = ctx
        .store
        .staff(id)
        .await
        .context("reading a new member of staff")?
        .context("new staff vanished")?;
    audit(
        ctx,
        actor,
        "create-staff",
        &staff.name,
        &format!("{}; {}", staff.provider_name, staff.permissions.describe()),
        false,
    )
    .await?;
    Ok((staff.clone(), enrolment_link(ctx, &staff, &nonce)))
}

async fn provider_id(ctx: &AppContext, details: &StaffDetails) -> Result<i64, StaffAdminError> {
    match ctx
        .store
        .providers()
        .await
        .context("reading the organisations")?
        .into_iter()
        .find(|p| p.slug == details.provider_slug && !p.archived)
    {
        Some(provider) => Ok(provider.id),
        None => Err(StaffAdminError::invalid(
            "provider",
            "Choose one of the organisations listed",
        )),
    }
}

/// Changes a member's details, permissions or whether their account is on (admins only). An
/// admin may not switch off their own account or their own admin permission: someone must be
/// left who can put mistakes right.
pub async fn update_staff(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    input: &StaffInput,
    active: bool,
) -> Result<(), StaffAdminError> {
    let Some(me) = actor.staff.filter(|s| s.permissions.admin) else {
        audit(
            ctx,
            actor,
            "change-staff",
            &staff.name,
            "not an admin",
            true,
        )
        .await?;
        return Err(StaffAdminError::NotAdmin);
    };
    let details = input.validate().map_err(StaffAdminError::Invalid)?;
    if me.id == staff.id && (!active || !details.permissions.admin) {
        return Err(StaffAdminError::invalid(
            "admin",
            "You cannot switch off your own account or your own admin permission: ask another admin",
        ));
    }
    let provider_id = provider_id(ctx, &details).await?;
    match ctx
        .store
        .update_staff(
            staff.id,
            &details,
            provider_id,
            active,
            chrono::Utc::now().timestamp(),
        )
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(StaffAdminError::invalid("email", EMAIL_TAKEN)),
        Err(error) => {
            return Err(anyhow::Error::from(error)
                .context("changing a member of staff")
                .into())
        }
    }
    let detail = format!(
        "{}; {}{}",
        details.role_title,
        details.permissions.describe(),
        if active { "" } else { "; switched off" }
    );
    Ok(audit(ctx, actor, "change-staff", &details.name, &detail, false).await?)
}

/// Clears a member's password, second factor and sessions, and returns a new enrolment link.
pub async fn reset_credentials(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
) -> Result<String, StaffAdminError> {
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(ctx, actor, "reset-staff", &staff.name, "not an admin", true).await?;
        return Err(StaffAdminError::NotAdmin);
    }
    let nonce = random_id();
    ctx.store
        .reset_staff_credentials(staff.id, &nonce, chrono::Utc::now().timestamp())
        .await
        .context("clearing a member's credentials")?;
    audit(
        ctx,
        actor,
        "reset-staff",
        &staff.name,
        "new enrolment link issued",
        false,
    )
    .await?;
    Ok(enrolment_link(ctx, staff, &nonce))
}

/// Clears a member's failed sign-ins and lifts any lock (admins only): for someone locked out,
/// perhaps by another's tries, without a recovery code to hand. False if there was nothing to
/// clear.
pub async fn unlock_staff(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
) -> Result<bool, StaffAdminError> {
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(
            ctx,
            actor,
            "unlock-staff",
            &staff.name,
            "not an admin",
            true,
        )
        .await?;
        return Err(StaffAdminError::NotAdmin);
    }
    let cleared = ctx
        .store
        .unlock_staff(staff.id)
        .await
        .context("unlocking a member of staff")?;
    let detail = if is_locked(staff) {
        format!(
            "lock lifted after {} failed sign-ins",
            staff.failed_sign_ins
        )
    } else if cleared {
        format!("{} failed sign-ins cleared", staff.failed_sign_ins)
    } else {
        "nothing to clear".to_owned()
    };
    audit(ctx, actor, "unlock-staff", &staff.name, &detail, false).await?;
    Ok(cleared)
}

/// Whether a member is locked out now after failed sign-ins.
pub fn is_locked(staff: &StaffMember) -> bool {
    staff
        .locked_until
        .is_some_and(|until| until > chrono::Utc::now().timestamp())
}

pub(crate) fn enrolment_link(ctx: &AppContext, staff: &StaffMember, nonce: &str) -> String {
    let expires = chrono::Utc::now().timestamp() + ENROLMENT_HOURS * 3600;
    let token = ctx
        .signer
        .sign("enrol", &[&staff.public_id, nonce, &expires.to_string()]);
    ctx.link(&format!("/staff/enrol/{token}"))
}

/// An enrolment in progress: the member, and the secret offered to their authenticator app.
pub struct Enrolment {
    pub staff: StaffMember,
    pub nonce: String,
    pub secret: String,
    /// The secret signed, so the form can carry it back unaltered.
    pub secret_seal: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

pub async fn enrolment(
    ctx: &AppContext,
    token: &str,
    secret: Option<(&str, &str)>,
) -> anyhow::Result<Option<Enrolment>> {
    let Some(fields) = ctx.signer.verify("enrol", token) else {
        return Ok(None);
    };
    let [public_id, nonce, expires] = fields.as_slice() else {
        return Ok(None);
    };
    if expires
        .parse::<i64>()
        .map_or(true, |e| e < chrono::Utc::now().timestamp())
    {
        return Ok(None);
    }
    let Some(staff) = ctx
        .store
        .staff_by_public_id(public_id)
        .await
        .context("finding the member enrolling")?
    else {
        return Ok(None);
    };
    if staff.enrolment_nonce.as_deref() != Some(nonce.as_str()) {
        return Ok(None);
    }
    // The secret comes back from the form sealed to this enrolment, or is made afresh.
    let secret = match secret {
        Some((secret, seal))
            if ctx.signer.verify("enrol-secret", seal).as_deref()
                == Some(&[public_id.clone(), nonce.clone(), secret.to_owned()][..]) =>
        {
            secret.to_owned()
        }
        _ => new_totp_secret(),
    };
    let totp = totp(&secret, staff.email.as_str())?;
    let otpauth_url = totp.get_url();
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .context("drawing the QR code")?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Some(Enrolment {
        secret_seal: ctx
            .signer
            .sign("enrol-secret", &[public_id, nonce, &secret]),
        staff,
        nonce: nonce.clone(),
        secret,
        otpauth_url,
        qr_svg,
    }))
}

pub struct EnrolInput<'a> {
    pub password: &'a str,
    pub password_again: &'a str,
    pub code: &'a str,
}

/// Completes enrolment; returns the recovery codes, shown once.
pub async fn complete_enrolment(
    ctx: &AppContext,
    enrolment: &Enrolment,
    input: &EnrolInput<'_>,
    ip: &str,
) -> Result<Vec<String>, EnrolmentError> {
    let mut errors = FieldErrors::default();
    if let Err(problem) = check_password(input.password, input.password_again) {
        errors.add("password", problem);
    }
    let totp = totp(&enrolment.secret, enrolment.staff.email.as_str())?;
    let now = chrono::Utc::now().timestamp() as u64;
    if matching_step(&totp, input.code.trim(), now).is_none() {
        errors.add(
            "code",
            "Enter the 6-digit code your authenticator app shows now",
        );
    }
    if !errors.is_empty() {
        return Err(EnrolmentError::Invalid(errors));
    }
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| recovery_code_hash(&enrolment.staff.public_id, c))
        .collect();
    let enrolled = ctx
        .store
        .enrol_staff(
            enrolment.staff.id,
            &enrolment.nonce,
            &hash_password(input.password)?,
            &enrolment.secret,
            &hashes,
            now as i64,
        )
        .await
        .context("storing a member's credentials")?;
    let actor = Actor {
        staff: Some(&enrolment.staff),
        ip,
    };
    if !enrolled {
        audit(
            ctx,
            &actor,
            "enrol",
            &enrolment.staff.name,
            "link already used",
            true,
        )
        .await?;
        return Err(EnrolmentError::LinkUsed);
    }
    audit(
        ctx,
        &actor,
        "enrol",
        &enrolment.staff.name,
        "password and authenticator set",
        false,
    )
    .await?;
    Ok(codes)
}

/// Enrols a member directly with a known password and secret: for `beacon demo` only.
pub async fn enrol_for_demo(
    ctx: &AppContext,
    staff: &StaffMember,
    password: &str,
    secret: &str,
) -> anyhow::Result<()> {
    let nonce = random_id();
    let now = chrono::Utc::now().timestamp();
    ctx.store
        .reset_staff_credentials(staff.id, &nonce, now)
        .await?;
    let hashes: Vec<String> = new_recovery_codes()
        .iter()
        .map(|c| recovery_code_hash(&staff.public_id, c))
        .collect();
    ctx.store
        .enrol_staff(
            staff.id,
            &nonce,
            &hash_password(password)?,
            secret,
            &hashes,
            now,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery staple", &hash));
        assert!(!password_matches("correct horse battery stapler", &hash));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn a_code_matches_its_step_and_neighbours_only() {
        let secret = new_totp_secret();
        let totp = totp(&secret, "lucy@example.org").unwrap();
        let now = 1_800_000_000u64;
        let code = totp.generate(now);
        assert_eq!(matching_step(&totp, &code, now), Some((now / 30) as i64));
        assert!(
            matching_step(&totp, &code, now + 30).is_some(),
            "a little clock drift is fine"
        );
        assert!(matching_step(&totp, &code, now + 90).is_none());
        assert!(matching_step(&totp, "000000x", now).is_none());
    }

    #[test]
    fn recovery_codes_are_normalised_before_hashing() {
        assert_eq!(
            recovery_code_hash("id", "ABCDE-12345"),
            recovery_code_hash("id", "abcde12345")
        );
        assert_eq!(new_recovery_codes().len(), RECOVERY_CODES);
    }
}

/// An organisation as an admin enters it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrganisationInput {
    pub name: String,
    pub description: String,
    pub contact_phone: String,
}

fn checked_organisation(
    input: &OrganisationInput,
) -> Result<(String, String, Option<String>), StaffAdminError> {
    let mut errors = FieldErrors::default();
    let tidy = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (name, description, phone) = (
        tidy(&input.name),
        tidy(&input.description),
        tidy(&input.contact_phone),
    );
    if name.is_empty() || name.chars().count() > 100 || name.contains(['<', '>']) {
        errors.add(
            "name",
            "Enter the organisation's name (100 characters at most, no < or >)",
        );
    }
    if description.chars().count() > 300 || description.contains(['<', '>']) {
        errors.add(
            "description",
            "Describe it in 300 characters at most, without < or >",
        );
    }
    if phone.chars().count() > 30
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '+')
    {
        errors.add(
            "contact_phone",
            "Enter a phone number of digits and spaces, like 0300 123 2040",
        );
    }
    if errors.is_empty() {
        Ok((name, description, (!phone.is_empty()).then_some(phone)))
    } else {
        Err(StaffAdminError::Invalid(errors))
    }
}

/// Adds or changes an organisation (admins only); `id` None adds.
pub async fn save_organisation(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: Option<i64>,
    input: &OrganisationInput,
) -> Result<(), StaffAdminError> {
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(
            ctx,
            actor,
            "change-organisation",
            input.name.trim(),
            "not an admin",
            true,
        )
        .await?;
        return Err(StaffAdminError::NotAdmin);
    }
    let (name, description, phone) = checked_organisation(input)?;
    match id {
        Some(id) => {
            ctx.store
                .update_provider(id, &name, &description, phone.as_deref())
                .await
                .context("changing an organisation")?;
            // The archive shows organisations' names and offers them as a filter.
            ctx.archive_edits.record();
            Ok(audit(ctx, actor, "change-organisation", &name, "", false).await?)
        }
        None => {
            let slug: String = name
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .split('-')
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            match ctx
                .store
                .insert_provider(&slug, &name, &description, phone.as_deref())
                .await
            {
                Ok(_) => {
                    ctx.archive_edits.record();
                    Ok(audit(ctx, actor, "add-organisation", &name, &slug, false).await?)
                }
                Err(StoreError::Conflict) => Err(StaffAdminError::invalid(
                    "name",
                    "There is already an organisation with this name",
                )),
                Err(error) => Err(anyhow::Error::from(error)
                    .context("adding an organisation")
                    .into()),
            }
        }
    }
}

/// Every member of staff, for the admin pages.
pub async fn list_staff(ctx: &AppContext) -> anyhow::Result<Vec<StaffMember>> {
    ctx.store.list_staff().await.context("listing staff")
}

/// A member of staff by the id in their pages' addresses.
pub async fn staff_member(
    ctx: &AppContext,
    public_id: &str,
) -> anyhow::Result<Option<StaffMember>> {
    ctx.store
        .staff_by_public_id(public_id)
        .await
        .context("finding a member of staff")
}

/// One page of the audit log, whether there is more after it, and the staff to filter by.
pub struct AuditLog {
    pub entries: Vec<crate::store::AuditEntry>,
    pub more: bool,
    pub staff: Vec<StaffMember>,
    /// Every action the log holds, for the filter's choices.
    pub actions: Vec<String>,
}

/// Reads up to `filter.limit` audit entries (asking for one more, to tell whether there are).
pub async fn audit_log(
    ctx: &AppContext,
    filter: &crate::store::AuditFilter,
) -> anyhow::Result<AuditLog> {
    let page = filter.limit;
    let asked = crate::store::AuditFilter {
        limit: page + 1,
        ..filter.clone()
    };
    let mut entries = ctx
        .store
        .audit_entries(&asked)
        .await
        .context("reading the audit log")?;
    let more = entries.len() as i64 > page;
    entries.truncate(page as usize);
    let staff = ctx.store.list_staff().await.context("listing staff")?;
    let actions = ctx
        .store
        .audit_actions()
        .await
        .context("listing the audit log's actions")?;
    Ok(AuditLog {
        entries,
        more,
        staff,
        actions,
    })
}

/// Archives an organisation (`archive`), or restores one: an archived organisation is offered
/// to no resident, member of staff or API token, while its alerts stay in the archive under its
/// name. Refused while it still has staff who may sign in or API tokens that work, so nothing
/// can be sent for an organisation no one can see. Audited. Gives the organisation's name.
pub async fn archive_organisation(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    archive: bool,
) -> Result<String, StaffAdminError> {
    let action = if archive {
        "archive-organisation"
    } else {
        "restore-organisation"
    };
    let Some(provider) = super::catalogue::all_providers(ctx)
        .await
        .context("reading the organisations")?
        .into_iter()
        .find(|p| p.id == id)
    else {
        return Err(StaffAdminError::invalid(
            "organisation",
            "There is no such organisation",
        ));
    };
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(ctx, actor, action, &provider.name, "not an admin", true).await?;
        return Err(StaffAdminError::NotAdmin);
    }
    if archive {
        let staff = ctx.store.list_staff().await.context("listing staff")?;
        let active = staff
            .iter()
            .filter(|s| s.provider_id == id && s.active)
            .count();
        let tokens = ctx
            .store
            .list_api_tokens()
            .await
            .context("listing API tokens")?
            .into_iter()
            .filter(|t| t.provider_id == id && t.revoked_at.is_none())
            .count();
        if active > 0 || tokens > 0 {
            let mut still = Vec::new();
            if active > 0 {
                let noun = if active == 1 { "account" } else { "accounts" };
                still.push(format!("switch off its {active} staff {noun}"));
            }
            if tokens > 0 {
                let noun = if tokens == 1 { "token" } else { "tokens" };
                still.push(format!("revoke its {tokens} API {noun}"));
            }
            let message = format!(
                "{} can still send alerts: {} first",
                provider.name,
                still.join(" and ")
            );
            return Err(StaffAdminError::invalid(&format!("archive-{id}"), &message));
        }
    }
    let when = archive.then(|| chrono::Utc::now().timestamp());
    ctx.store
        .set_provider_archived(id, when)
        .await
        .context("archiving an organisation")?;
    // The archive offers organisations as a filter.
    ctx.archive_edits.record();
    audit(ctx, actor, action, &provider.name, &provider.slug, false).await?;
    Ok(provider.name)
}
