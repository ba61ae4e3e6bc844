//! Online reports of non-emergencies: the kinds of report residents can make (service
//! definitions, kept as data), a report's status, THRIVE assessments and decisions, urgent words,
//! crime references and the files residents attach. Pure: no I/O.

pub mod files;
pub mod kinds;
pub mod status;
pub mod thrive;
pub mod urgent;

pub use kinds::{Datatype, Question, ServiceDefinition, ServiceValue};
pub use status::ReportStatus;
pub use thrive::{Decision, Dimension, Level, Referral, ResponseGrade, CLOSE_REASONS};
pub use urgent::urgent_words;
