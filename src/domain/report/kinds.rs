//! The kinds of report residents can make, each a service definition with its own questions (the
//! Open311 GeoReport v2 shape: attributes with the spec's datatypes). They are kept as data: the
//! defaults are bundled (`data/report-services.json`), stored at first start, and admins edit
//! them. Every report also asks where, when, what happened, who and which vehicles, files and
//! contact details; a definition's questions come on top of those.

use std::collections::BTreeMap;

/// The bundled default definitions.
pub const DEFAULT_SERVICES_JSON: &str = include_str!("../../../data/report-services.json");

/// An Open311 attribute's datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn slug(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }
}

/// One choice of a list question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceValue {
    pub key: String,
    pub name: String,
}

/// A question of one kind of report (an Open311 attribute).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Question {
    /// Unique within its service: letters, digits, `_` and `-`.
    pub code: String,
    /// The question as the page asks it.
    pub prompt: String,
    /// A line under the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    pub datatype: Datatype,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ServiceValue>,
}

/// A kind of report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceDefinition {
    /// Stable, in URLs and Open311: lower case letters, digits and `-`.
    pub code: String,
    pub name: String,
    pub description: String,
    /// Open311's `group`.
    pub group: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Never listed through Open311, never shown on maps (domestic abuse, hate incidents).
    #[serde(default)]
    pub sensitive: bool,
    /// Whether a report of this kind may be made without contact details.
    #[serde(default)]
    pub anonymous_allowed: bool,
    /// Shown before the questions: where else to go (Report Fraud for fraud, say), in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// A page of advice and help lines with a "Leave this site" button, instead of (or before)
    /// the form: domestic abuse.
    #[serde(default)]
    pub safety_page: bool,
    #[serde(default)]
    pub questions: Vec<Question>,
}

/// What is wrong with a definition an admin entered, one sentence each.
pub fn check_definition(definition: &ServiceDefinition) -> Vec<String> {
    let mut problems = Vec::new();
    let slug_like = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.len() <= 60
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c))
    };
    if !slug_like(&definition.code, &['-']) {
        problems.push("The code must be 1 to 60 lower-case letters, digits and hyphens".to_owned());
    }
    for (label, value, max) in [
        ("name", &definition.name, 100),
        ("description", &definition.description, 1000),
        ("group", &definition.group, 100),
    ] {
        if value.trim().is_empty() {
            problems.push(format!("Enter the {label}"));
        } else if value.chars().count() > max {
            problems.push(format!("The {label} must be {max} characters or fewer"));
        }
    }
    let mut seen = BTreeMap::new();
    for question in &definition.questions {
        if !slug_like(&question.code, &['-', '_']) {
            problems.push(format!(
                "Question code {:?} must be lower-case letters, digits, - and _",
                question.code
            ));
        }
        if seen.insert(question.code.clone(), ()).is_some() {
            problems.push(format!("Question code {:?} is used twice", question.code));
        }
        if question.prompt.trim().is_empty() {
            problems.push(format!("Question {:?} needs its question", question.code));
        }
        let is_list = matches!(
            question.datatype,
            Datatype::Singlevaluelist | Datatype::Multivaluelist
        );
        if is_list && question.values.is_empty() {
            problems.push(format!("Question {:?} needs its choices", question.code));
        }
        if !is_list && !question.values.is_empty() {
            problems.push(format!(
                "Question {:?} has choices but is not a list",
                question.code
            ));
        }
    }
    problems
}

/// The bundled definitions, in order.
pub fn default_services() -> Vec<ServiceDefinition> {
    serde_json::from_str(DEFAULT_SERVICES_JSON).expect("data/report-services.json is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_definitions_are_valid_and_cover_the_kinds_forces_take_online() {
        let services = default_services();
        for service in &services {
            assert!(
                check_definition(service).is_empty(),
                "{}: {:?}",
                service.code,
                check_definition(service)
            );
        }
        let codes: Vec<_> = services.iter().map(|s| s.code.as_str()).collect();
        for code in [
            "anti-social-behaviour",
            "theft",
            "criminal-damage",
            "burglary",
            "road-traffic-incident",
            "suspicious-activity",
            "hate-incident",
            "drugs",
            "fraud",
            "domestic-abuse",
        ] {
            assert!(codes.contains(&code), "{code} in {codes:?}");
        }
        let sensitive: Vec<_> = services
            .iter()
            .filter(|s| s.sensitive)
            .map(|s| s.code.as_str())
            .collect();
        assert_eq!(sensitive, ["hate-incident", "domestic-abuse"]);
    }
}
