//! Staff: the people who send alerts, what each may do, and how their own details are checked.

use super::subscriber::FieldErrors;
use super::EmailAddress;

/// What a staff member may do. Least privilege: a new account may do nothing until given a
/// permission, and every permission is limited to the member's own organisation except admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Permissions {
    /// Compose alerts for their organisation, and send them (subject to approval).
    pub send: bool,
    /// Approve alerts of their organisation that need approval (never their own).
    pub approve: bool,
    /// Manage staff, organisations and settings, and read the audit log; compose for any
    /// organisation.
    pub admin: bool,
    /// Whether this member's alerts must be approved by someone else before they go out.
    pub needs_approval: bool,
    /// Triage online reports as a contact operator (THRIVE assessments, linking duplicates).
    pub operate: bool,
    /// Review assessed reports for the investigation management unit (record a crime,
    /// allocate, close).
    pub review: bool,
    /// Coordinate Neighbourhood Watch schemes: only the coordinators' pages, for the schemes
    /// they are a coordinator of. A volunteer, not staff of the force.
    pub coordinate: bool,
}

impl Permissions {
    /// A Neighbourhood Watch coordinator and nothing else: such an account may use only the
    /// coordinators' pages (and sign out), never the force's staff pages.
    pub fn only_coordinates(&self) -> bool {
        self.coordinate && !(self.send || self.approve || self.admin || self.operate || self.review)
    }

    /// May read online reports (the queue, a report, the managers' figures): an operator, a
    /// reviewer or an admin. Senders and approvers see nothing of reports.
    pub fn sees_reports(&self) -> bool {
        self.operate || self.review || self.admin
    }

    /// May assess reports (THRIVE) and link duplicates.
    pub fn may_operate(&self) -> bool {
        self.operate || self.admin
    }

    /// May take review decisions on assessed reports.
    pub fn may_review(&self) -> bool {
        self.review || self.admin
    }

    /// What the member of staff may do, a sentence each, for their own home page.
    pub fn in_words(&self) -> Vec<&'static str> {
        let mut said = Vec::new();
        if self.send {
            said.push(if self.needs_approval {
                "You can write alerts and send them (they need approval first)."
            } else {
                "You can write alerts and send them."
            });
        }
        if self.approve {
            said.push(
                "You can approve other people's alerts, or send them back with what to change.",
            );
        }
        if self.operate {
            said.push("You can assess online reports (THRIVE) and link duplicates.");
        }
        if self.review {
            said.push(
                "You can review assessed reports: record a crime, allocate them or close them.",
            );
        }
        if self.coordinate {
            said.push(
                "You can coordinate your Neighbourhood Watch schemes: accept members and write \
                 to them.",
            );
        }
        if self.admin {
            said.push(
                "You can manage staff, organisations and API tokens, and write alerts for any \
                 organisation.",
            );
        }
        if said.is_empty() {
            said.push("You can read your organisation's alerts.");
        }
        said
    }

    /// In words, for lists of staff.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.admin {
            parts.push("admin");
        }
        if self.approve {
            parts.push("approver");
        }
        if self.send {
            parts.push(if self.needs_approval {
                "sender (needs approval)"
            } else {
                "sender"
            });
        }
        if self.operate {
            parts.push("operator");
        }
        if self.review {
            parts.push("reviewer");
        }
        if self.coordinate {
            parts.push("scheme coordinator");
        }
        if parts.is_empty() {
            "no permissions".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A staff member's details as an admin (or the bootstrap command) enters them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct StaffInput {
    pub email: String,
    pub name: String,
    pub role_title: String,
    pub area_label: String,
    pub provider: String,
    pub send: bool,
    pub approve: bool,
    pub admin: bool,
    pub needs_approval: bool,
    pub operate: bool,
    pub review: bool,
    pub coordinate: bool,
}

/// Checked staff details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffDetails {
    pub email: EmailAddress,
    pub name: String,
    pub role_title: String,
    pub area_label: String,
    pub provider_slug: String,
    pub permissions: Permissions,
}

fn short_text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
) -> String {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && value.is_empty() {
        errors.add(field, format!("Enter the {label}"));
    } else if value.chars().count() > 100 {
        errors.add(
            field,
            format!("The {label} must be 100 characters or fewer"),
        );
    } else if value
        .chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>'))
    {
        errors.add(field, format!("The {label} must not contain < or >"));
    }
    value
}

/// Who an API client says wrote an alert, for its sign-off: "Message Sent By", the name, and
/// the organisation, role and area in brackets.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SenderInput {
    pub name: String,
    pub role: String,
    pub area: String,
}

/// A checked sender: name, role and area (each one line, at most 100 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    pub role: String,
    pub area: String,
}

impl SenderInput {
    /// Problems are reported as `sender.name`, `sender.role` and `sender.area`.
    pub fn validate(&self) -> Result<Sender, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = short_text(
            &mut errors,
            "sender.name",
            "sender's name",
            &self.name,
            true,
        );
        let role = short_text(
            &mut errors,
            "sender.role",
            "sender's role",
            &self.role,
            false,
        );
        let area = short_text(
            &mut errors,
            "sender.area",
            "sender's area",
            &self.area,
            false,
        );
        if errors.is_empty() {
            Ok(Sender { name, role, area })
        } else {
            Err(errors)
        }
    }
}

impl StaffInput {
    pub fn validate(&self) -> Result<StaffDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = EmailAddress::parse(&self.email)
            .map_err(|e| errors.add("email", e))
            .ok();
        let name = short_text(&mut errors, "name", "name", &self.name, true);
        let role_title = short_text(&mut errors, "role_title", "role", &self.role_title, true);
        let area_label = short_text(&mut errors, "area_label", "area", &self.area_label, false);
        let provider_slug = self.provider.trim().to_owned();
        if provider_slug.is_empty() {
            errors.add("provider", "Choose the organisation they work for");
        }
        match email {
            Some(email) if errors.is_empty() => Ok(StaffDetails {
                email,
                name,
                role_title,
                area_label,
                provider_slug,
                permissions: Permissions {
                    send: self.send,
                    approve: self.approve,
                    admin: self.admin,
                    needs_approval: self.needs_approval,
                    operate: self.operate,
                    review: self.review,
                    coordinate: self.coordinate,
                },
            }),
            _ => Err(errors),
        }
    }
}

/// Why a new password cannot be used, in words for the member of staff choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Choose a password of at least 12 characters")]
    TooShort,
    #[error("Choose a password of at most 256 characters")]
    TooLong,
    #[error("The two passwords are not the same")]
    Mismatch,
}

/// Passwords: long enough to resist guessing, short enough for argon2 to hash quickly.
pub fn check_password(password: &str, confirmation: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < 12 {
        return Err(PasswordProblem::TooShort);
    }
    if password.len() > 256 {
        return Err(PasswordProblem::TooLong);
    }
    if password != confirmation {
        return Err(PasswordProblem::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_details_are_checked() {
        let input = StaffInput {
            email: "lucy.ward@cambs.police.example".into(),
            name: " Lucy  Ward ".into(),
            role_title: "Communications Assistant".into(),
            area_label: "Peterborough and Fenland".into(),
            provider: "cambridgeshire-constabulary".into(),
            send: true,
            ..StaffInput::default()
        };
        let details = input.validate().unwrap();
        assert_eq!(details.name, "Lucy Ward");
        assert_eq!(details.permissions.describe(), "sender");
        assert_eq!(
            details.permissions.in_words(),
            ["You can write alerts and send them."]
        );
        let errors = StaffInput::default().validate().unwrap_err();
        for field in ["email", "name", "role_title", "provider"] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn only_operators_reviewers_and_admins_see_reports() {
        let sender = Permissions {
            send: true,
            approve: true,
            ..Permissions::default()
        };
        assert!(!sender.sees_reports());
        let operator = Permissions {
            operate: true,
            ..Permissions::default()
        };
        assert!(operator.sees_reports() && operator.may_operate() && !operator.may_review());
        let reviewer = Permissions {
            review: true,
            ..Permissions::default()
        };
        assert!(reviewer.sees_reports() && reviewer.may_review() && !reviewer.may_operate());
        assert_eq!(
            Permissions {
                operate: true,
                review: true,
                ..Permissions::default()
            }
            .describe(),
            "operator, reviewer"
        );
    }

    #[test]
    fn passwords_must_be_long_and_confirmed() {
        assert!(check_password("short", "short").is_err());
        assert!(check_password("long enough password", "long enough passwort").is_err());
        assert!(check_password("long enough password", "long enough password").is_ok());
    }
}
