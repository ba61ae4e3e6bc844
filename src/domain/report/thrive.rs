//! THRIVE: how a contact operator assesses a report (Threat, Harm, Risk, Investigation,
//! Vulnerability, Engagement, each with a level and a note) and the decision they take; and the
//! reasons a reviewer may close a report for.

/// One of THRIVE's six questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Threat,
    Harm,
    Risk,
    Investigation,
    Vulnerability,
    Engagement,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Threat,
        Dimension::Harm,
        Dimension::Risk,
        Dimension::Investigation,
        Dimension::Vulnerability,
        Dimension::Engagement,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Dimension::Threat => "threat",
            Dimension::Harm => "harm",
            Dimension::Risk => "risk",
            Dimension::Investigation => "investigation",
            Dimension::Vulnerability => "vulnerability",
            Dimension::Engagement => "engagement",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Threat => "Threat",
            Dimension::Harm => "Harm",
            Dimension::Risk => "Risk",
            Dimension::Investigation => "Investigation",
            Dimension::Vulnerability => "Vulnerability",
            Dimension::Engagement => "Engagement",
        }
    }

    /// The question the operator answers.
    pub fn question(self) -> &'static str {
        match self {
            Dimension::Threat => "Is there a threat to anyone, now or later?",
            Dimension::Harm => "What harm has been done, or could be?",
            Dimension::Risk => "How likely is that harm, and how soon?",
            Dimension::Investigation => {
                "What can be investigated: evidence, witnesses, lines of enquiry?"
            }
            Dimension::Vulnerability => "Is the reporter or anyone involved vulnerable?",
            Dimension::Engagement => {
                "What does the reporter need from us, and how do we keep them engaged?"
            }
        }
    }
}

/// How serious an answer is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::High];

    pub fn slug(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.slug() == slug)
    }
}

/// How the police respond to a report that needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseGrade {
    Emergency,
    Priority,
    ScheduledAppointment,
    ResolutionWithoutDeployment,
}

impl ResponseGrade {
    pub const ALL: [ResponseGrade; 4] = [
        ResponseGrade::Emergency,
        ResponseGrade::Priority,
        ResponseGrade::ScheduledAppointment,
        ResponseGrade::ResolutionWithoutDeployment,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ResponseGrade::Emergency => "emergency",
            ResponseGrade::Priority => "priority",
            ResponseGrade::ScheduledAppointment => "scheduled-appointment",
            ResponseGrade::ResolutionWithoutDeployment => "resolution-without-deployment",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ResponseGrade> {
        ResponseGrade::ALL.into_iter().find(|g| g.slug() == slug)
    }

    pub fn name(self) -> &'static str {
        match self {
            ResponseGrade::Emergency => "Emergency response",
            ResponseGrade::Priority => "Priority response",
            ResponseGrade::ScheduledAppointment => "Scheduled appointment",
            ResponseGrade::ResolutionWithoutDeployment => "Resolution without deployment",
        }
    }
}

/// Another body a report belongs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Referral {
    ReportFraud,
    Council,
    TradingStandards,
}

impl Referral {
    pub const ALL: [Referral; 3] = [
        Referral::ReportFraud,
        Referral::Council,
        Referral::TradingStandards,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Referral::ReportFraud => "report-fraud",
            Referral::Council => "council",
            Referral::TradingStandards => "trading-standards",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Referral> {
        Referral::ALL.into_iter().find(|r| r.slug() == slug)
    }

    pub fn name(self) -> &'static str {
        match self {
            Referral::ReportFraud => "Report Fraud",
            Referral::Council => "the local council",
            Referral::TradingStandards => "Trading Standards",
        }
    }
}

/// What the operator decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "decision", content = "to", rename_all = "kebab-case")]
pub enum Decision {
    /// The police respond, at this grade; the report goes on to review.
    Respond(ResponseGrade),
    /// Passed to another body.
    Refer(Referral),
    /// Recorded as information (intelligence) only.
    InformationOnly,
}

/// Why a reviewer may close a report, chosen from a list (the explanation to the reporter is
/// written each time).
pub const CLOSE_REASONS: [(&str, &str); 6] = [
    ("no-crime", "No crime was committed"),
    ("no-lines-of-enquiry", "No further lines of enquiry"),
    ("resolved", "Resolved with the people involved"),
    ("duplicate", "Already reported"),
    ("withdrawn", "The reporter withdrew it"),
    ("referred", "Dealt with by another organisation"),
];
