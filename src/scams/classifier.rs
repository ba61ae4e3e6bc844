//! A small word model over the words and word pairs of a message (each counted once), trained in
//! milliseconds from the labelled corpus's development split. It has two parts: logistic
//! regression says whether a message reads like a scam at all (every scam against every ordinary
//! message, which gives it the most examples to learn from), naive Bayes which kind of scam it
//! reads like.
//! The signs say why; the model catches what no sign names.

use std::collections::HashMap;

use super::ScamKind;

/// The model's classes: the seventeen kinds, then "genuine".
pub const CLASSES: usize = ScamKind::ALL.len() + 1;
/// The index of "genuine" among the classes.
pub const GENUINE: usize = ScamKind::ALL.len();

/// Add-α smoothing of the word counts.
const SMOOTHING: f32 = 0.5;
/// Naive Bayes treats the words of a message as independent, which they are not, and so is far
/// too sure of itself: the log-likelihoods are divided by `n^DAMPING` (n: the features it knows)
/// and multiplied by `SHARPNESS` before they become probabilities.
const DAMPING: f32 = 0.5;
const SHARPNESS: f32 = 1.5;

/// The class of a label: a kind's index, or [`GENUINE`].
pub fn class_of(kind: Option<ScamKind>) -> usize {
    match kind {
        Some(kind) => ScamKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(GENUINE),
        None => GENUINE,
    }
}

/// Multinomial naive Bayes over hashed features, each counted once per message.
struct Bayes {
    classes: usize,
    index: HashMap<u64, u32>,
    /// log P(feature | class), `classes` values per feature.
    log_likelihood: Vec<f32>,
    /// Classes with no training example are never chosen.
    trained: Vec<bool>,
}

impl Bayes {
    fn train(classes: usize, examples: &[(Vec<u64>, usize)]) -> Bayes {
        let mut index: HashMap<u64, u32> = HashMap::new();
        let mut counts: Vec<f32> = Vec::new();
        let mut totals = vec![0f32; classes];
        let mut trained = vec![false; classes];
        for (features, class) in examples {
            trained[*class] = true;
            for feature in features {
                let next = index.len() as u32;
                let row = *index.entry(*feature).or_insert(next) as usize;
                if row * classes == counts.len() {
                    counts.extend(std::iter::repeat_n(0.0, classes));
                }
                counts[row * classes + class] += 1.0;
                totals[*class] += 1.0;
            }
        }
        let vocabulary = index.len().max(1) as f32;
        let log_likelihood = counts
            .chunks(classes)
            .flat_map(|row| {
                row.iter()
                    .zip(&totals)
                    .map(|(n, total)| ((n + SMOOTHING) / (total + SMOOTHING * vocabulary)).ln())
                    .collect::<Vec<_>>()
            })
            .collect();
        Bayes {
            classes,
            index,
            log_likelihood,
            trained,
        }
    }

    /// Probabilities of each class, from the given priors; `None` when it knows no feature.
    fn classify(&self, features: &[u64], prior: impl Fn(usize) -> f32) -> Option<Vec<f32>> {
        let mut score = vec![0f32; self.classes];
        let mut known = 0usize;
        for feature in features {
            if let Some(&row) = self.index.get(feature) {
                known += 1;
                let row = row as usize * self.classes;
                for (s, l) in score
                    .iter_mut()
                    .zip(&self.log_likelihood[row..row + self.classes])
                {
                    *s += l;
                }
            }
        }
        if known == 0 || !self.trained.iter().any(|t| *t) {
            return None;
        }
        let scale = SHARPNESS / (known as f32).powf(DAMPING);
        let best = (0..self.classes)
            .filter(|c| self.trained[*c])
            .map(|c| score[c])
            .fold(f32::NEG_INFINITY, f32::max);
        let mut out = vec![0f32; self.classes];
        let mut sum = 0.0;
        for c in (0..self.classes).filter(|c| self.trained[*c]) {
            out[c] = ((score[c] - best) * scale).exp() * prior(c);
            sum += out[c];
        }
        out.iter_mut().for_each(|p| *p /= sum);
        Some(out)
    }
}

/// Logistic regression over hashed features (each worth 1/√n in a message of n), trained by
/// stochastic gradient descent with the classes balanced: better than naive Bayes at telling a
/// scam from an ordinary message that shares its words, since it weighs words against each other.
struct Logistic {
    index: HashMap<u64, u32>,
    weights: Vec<f32>,
    bias: f32,
}

const EPOCHS: usize = 40;
const LEARNING_RATE: f32 = 0.2;
const L2: f32 = 1e-4;

impl Logistic {
    fn train(examples: &[(Vec<u64>, bool)]) -> Logistic {
        let mut index: HashMap<u64, u32> = HashMap::new();
        let rows: Vec<(Vec<u32>, bool)> = examples
            .iter()
            .map(|(features, positive)| {
                let row = features
                    .iter()
                    .map(|f| {
                        let next = index.len() as u32;
                        *index.entry(*f).or_insert(next)
                    })
                    .collect();
                (row, *positive)
            })
            .collect();
        let positives = rows.iter().filter(|(_, p)| *p).count().max(1) as f32;
        let negatives = rows.iter().filter(|(_, p)| !*p).count().max(1) as f32;
        let total = positives + negatives;
        let mut weights = vec![0f32; index.len()];
        let mut bias = 0f32;
        // A fixed shuffle per epoch (a linear congruential walk), so training is reproducible.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut seed: u64 = 0x5eed;
        for epoch in 0..EPOCHS {
            for i in (1..order.len()).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let rate = LEARNING_RATE / (1.0 + epoch as f32 * 0.1);
            for &i in &order {
                let (row, positive) = &rows[i];
                let value = 1.0 / (row.len().max(1) as f32).sqrt();
                let z = bias + row.iter().map(|f| weights[*f as usize]).sum::<f32>() * value;
                let p = 1.0 / (1.0 + (-z).exp());
                let (target, balance) = if *positive {
                    (1.0, total / (2.0 * positives))
                } else {
                    (0.0, total / (2.0 * negatives))
                };
                let gradient = (p - target) * balance;
                for f in row {
                    let w = &mut weights[*f as usize];
                    *w -= rate * (gradient * value + L2 * *w);
                }
                bias -= rate * gradient * 0.1;
            }
        }
        Logistic {
            index,
            weights,
            bias,
        }
    }

    /// The probability of the positive class; `None` when it knows no feature.
    fn probability(&self, features: &[u64]) -> Option<f32> {
        let known: Vec<f32> = features
            .iter()
            .filter_map(|f| self.index.get(f).map(|i| self.weights[*i as usize]))
            .collect();
        if known.is_empty() {
            return None;
        }
        let value = 1.0 / (features.len().max(1) as f32).sqrt();
        let z = self.bias + known.iter().sum::<f32>() * value;
        Some(1.0 / (1.0 + (-z).exp()))
    }
}

/// A trained model.
pub struct WordModel {
    /// Scam or genuine.
    scam: Logistic,
    /// Which kind, among scams.
    kind: Bayes,
    examples: usize,
}

impl std::fmt::Debug for WordModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordModel")
            .field("features", &self.kind.index.len())
            .field("examples", &self.examples)
            .finish()
    }
}

impl WordModel {
    /// Trains on folded texts (see `message::Reading::folded`) with their labels (`None`:
    /// genuine).
    pub fn train<'a>(examples: impl IntoIterator<Item = (&'a str, Option<ScamKind>)>) -> WordModel {
        let examples: Vec<(Vec<u64>, Option<ScamKind>)> = examples
            .into_iter()
            .map(|(text, kind)| (features(text), kind))
            .collect();
        let scam: Vec<(Vec<u64>, bool)> = examples
            .iter()
            .map(|(f, kind)| (f.clone(), kind.is_some()))
            .collect();
        let kind: Vec<(Vec<u64>, usize)> = examples
            .iter()
            .filter(|(_, kind)| kind.is_some())
            .map(|(f, kind)| (f.clone(), class_of(*kind)))
            .collect();
        WordModel {
            scam: Logistic::train(&scam),
            kind: Bayes::train(GENUINE, &kind),
            examples: examples.len(),
        }
    }

    /// How much the text reads like each kind of scam and like an ordinary message, as
    /// probabilities summing to 1.
    pub fn classify(&self, folded: &str) -> [f32; CLASSES] {
        let features = features(folded);
        let mut out = [0f32; CLASSES];
        let Some(scam) = self.scam.probability(&features) else {
            out[GENUINE] = 1.0; // nothing it knows: no opinion beyond "ordinary"
            return out;
        };
        out[GENUINE] = 1.0 - scam;
        if let Some(kinds) = self.kind.classify(&features, |_| 1.0) {
            for (o, k) in out.iter_mut().zip(kinds) {
                *o = scam * k;
            }
        }
        out
    }
}

/// The words and word pairs of a folded text, each once, hashed.
fn features(folded: &str) -> Vec<u64> {
    let mut words: Vec<String> = Vec::new();
    for raw in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '£')) {
        let raw = raw.trim_matches('\'');
        for piece in raw.split_inclusive('£') {
            let word: String = piece.chars().filter(|c| *c != '\'').collect();
            if word.is_empty() {
                continue;
            }
            words.push(if word.chars().all(|c| c.is_ascii_digit()) {
                match word.as_str() {
                    "999" | "159" | "101" | "7726" | "111" | "24" | "48" => word,
                    _ => "#".to_owned(),
                }
            } else {
                word
            });
        }
    }
    let mut out: Vec<u64> = words.iter().map(|w| hash(&[w])).collect();
    out.extend(words.windows(2).map(|pair| hash(&[&pair[0], &pair[1]])));
    out.sort_unstable();
    out.dedup();
    out
}

/// FNV-1a over the words with a separator: stable across runs and platforms.
fn hash(words: &[&String]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for word in words {
        for b in word.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_learns_which_words_go_with_which_kind() {
        let model = WordModel::train([
            (
                "your parcel could not be delivered pay the fee",
                Some(ScamKind::ParcelDelivery),
            ),
            (
                "we missed your parcel book a redelivery",
                Some(ScamKind::ParcelDelivery),
            ),
            (
                "hi mum new number text me on whatsapp",
                Some(ScamKind::FamilyFriend),
            ),
            (
                "hi mum my phone broke this is my new number",
                Some(ScamKind::FamilyFriend),
            ),
            ("running late home by 6", None),
            ("see you at the match on saturday", None),
        ]);
        let p = model.classify("hi mum it's my new number");
        assert!(p[class_of(Some(ScamKind::FamilyFriend))] > 0.5, "{p:?}");
        let p = model.classify("your parcel is waiting, pay the redelivery fee");
        assert!(p[class_of(Some(ScamKind::ParcelDelivery))] > 0.5, "{p:?}");
        assert!(model.classify("see you on saturday")[GENUINE] > 0.5);
        assert_eq!(model.classify("zzz qqq")[GENUINE], 1.0);
    }
}
