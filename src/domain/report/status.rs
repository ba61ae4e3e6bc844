//! Where a report has got to, in the words its reporter reads and the Open311 status it maps to.

/// A report's status. New reports are `Received`; an operator's THRIVE assessment moves them on;
/// a reviewer records a crime, allocates or closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportStatus {
    /// Sent, waiting for a contact operator's assessment.
    Received,
    /// Assessed (THRIVE), waiting for the investigation management unit's review.
    Assessed,
    /// Passed to another body (Report Fraud, the council, Trading Standards).
    Referred,
    /// Recorded as information (intelligence); no further action for the reporter.
    Information,
    /// A crime has been recorded, with a crime reference.
    CrimeRecorded,
    /// Allocated to a team or officer to investigate.
    Allocated,
    /// Closed, with a reason and an explanation to the reporter.
    Closed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 7] = [
        ReportStatus::Received,
        ReportStatus::Assessed,
        ReportStatus::Referred,
        ReportStatus::Information,
        ReportStatus::CrimeRecorded,
        ReportStatus::Allocated,
        ReportStatus::Closed,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ReportStatus::Received => "received",
            ReportStatus::Assessed => "assessed",
            ReportStatus::Referred => "referred",
            ReportStatus::Information => "information",
            ReportStatus::CrimeRecorded => "crime-recorded",
            ReportStatus::Allocated => "allocated",
            ReportStatus::Closed => "closed",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ReportStatus> {
        ReportStatus::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// For staff lists.
    pub fn name(self) -> &'static str {
        match self {
            ReportStatus::Received => "Waiting for assessment",
            ReportStatus::Assessed => "Waiting for review",
            ReportStatus::Referred => "Referred",
            ReportStatus::Information => "Recorded as information",
            ReportStatus::CrimeRecorded => "Crime recorded",
            ReportStatus::Allocated => "Allocated",
            ReportStatus::Closed => "Closed",
        }
    }

    /// What the reporter reads on their report's page.
    pub fn for_reporter(self) -> &'static str {
        match self {
            ReportStatus::Received => {
                "We have your report. A call taker will assess it, as they would a call to 101."
            }
            ReportStatus::Assessed => {
                "Your report has been assessed and is being reviewed by our investigation \
                 management unit."
            }
            ReportStatus::Referred => {
                "We have passed your report to the organisation that deals with it."
            }
            ReportStatus::Information => {
                "Your report has been recorded as information. It helps us decide where to patrol \
                 and what to look into."
            }
            ReportStatus::CrimeRecorded => "A crime has been recorded.",
            ReportStatus::Allocated => {
                "Your report has been given to an officer or team to investigate."
            }
            ReportStatus::Closed => "Your report is closed.",
        }
    }

    /// Open311 GeoReport v2 has two statuses.
    pub fn open311(self) -> &'static str {
        match self {
            ReportStatus::Received
            | ReportStatus::Assessed
            | ReportStatus::CrimeRecorded
            | ReportStatus::Allocated => "open",
            ReportStatus::Referred | ReportStatus::Information | ReportStatus::Closed => "closed",
        }
    }
}

impl TryFrom<String> for ReportStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ReportStatus::from_slug(&value).ok_or_else(|| format!("report status {value:?}"))
    }
}
