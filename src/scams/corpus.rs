//! The labelled corpus that the project keeps in `data/scams/corpus.jsonl`, bundled in the binary:
//! real and modelled scam messages and ordinary ones, each with its source and licence, split into
//! a development part (the only part the word model learns from and the checker is tuned on) and
//! a test part (kept apart, only ever measured).

use std::sync::LazyLock;

use super::{Channel, ScamKind};

/// The corpus as bundled at build time.
pub const BUNDLED: &str = include_str!("../../data/scams/corpus.jsonl");

/// Which part of the corpus an example belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Dev,
    Test,
}

/// One labelled message.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Example {
    pub id: String,
    pub split: Split,
    /// A kind's slug, or "genuine".
    pub label: String,
    #[serde(default)]
    pub channel: Option<String>,
    pub text: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub licence: String,
    #[serde(default)]
    pub note: String,
}

impl Example {
    /// The kind of scam it is, `None` for a genuine message (or an unknown label).
    pub fn kind(&self) -> Option<ScamKind> {
        ScamKind::parse(&self.label)
    }

    pub fn is_genuine(&self) -> bool {
        self.label == "genuine"
    }

    pub fn channel(&self) -> Option<Channel> {
        self.channel.as_deref().and_then(Channel::parse)
    }
}

/// Reads a JSON-lines corpus, saying which line is wrong if one is.
pub fn parse(jsonl: &str) -> Result<Vec<Example>, String> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

static EXAMPLES: LazyLock<Vec<Example>> = LazyLock::new(|| {
    // A line that does not read is left out rather than stopping the checker; the corpus's own
    // test insists that every line reads.
    BUNDLED
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
});

/// The bundled corpus, both splits.
pub fn bundled() -> &'static [Example] {
    &EXAMPLES
}
