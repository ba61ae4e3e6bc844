//! The audience index: every active resident's places and choices, held in memory in a compact
//! struct-of-arrays, so the composer can answer "whom does this alert reach?" for a million
//! residents while the sender waits. It reads nothing and writes nothing: the caller loads it
//! from the store and keeps it fresh with [`AudienceIndex::upsert_subscriber`] and
//! [`AudienceIndex::remove_subscriber`].
//!
//! A preview is one pass over all residents: the provider and message-type bitmasks reject most
//! non-matching residents with two loads and two ANDs, and only the survivors' places are offered
//! to the target. `PreparedTarget::contains` is the only view of the target this module has, so a
//! spatial grid could not skip cells without a bounding box from it; the benchmark in
//! `examples/audience_preview.rs` shows the plain scan is well within budget anyway.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use super::target::PreparedTarget;

/// One place of one resident, with the resident's choices repeated on each row, as a join of
/// `subscribers` with `subscriber_places` and the postcode directory yields them. A resident has
/// one to three places.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceEntry {
    pub subscriber_id: i64,
    pub district_code: String,
    /// British National Grid metres of the place's postcode centroid.
    pub easting: i32,
    pub northing: i32,
    /// Provider ids the resident chose; each must be below 64.
    pub providers: Vec<i64>,
    /// Message type ids the resident chose; each must be below 64.
    pub message_types: Vec<i64>,
    pub email: bool,
    pub sms: bool,
    /// The lowest priority the resident still wants texts for (1 is highest).
    pub sms_min_priority: u8,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudienceError {
    #[error(
        "resident {subscriber_id} chose provider {provider_id}, but the audience index holds \
         provider ids 0 to 63 only"
    )]
    ProviderOutOfRange {
        subscriber_id: i64,
        provider_id: i64,
    },
    #[error(
        "resident {subscriber_id} chose message type {message_type_id}, but the audience index \
         holds message type ids 0 to 63 only"
    )]
    MessageTypeOutOfRange {
        subscriber_id: i64,
        message_type_id: i64,
    },
    #[error(
        "the audience index holds at most 65,536 districts; {district_code} would be one more"
    )]
    TooManyDistricts { district_code: String },
    #[error("the audience index holds at most 4,294,967,295 places")]
    TooManyPlaces,
    #[error("a place of resident {found} was given to update resident {expected}")]
    WrongSubscriber { expected: i64, found: i64 },
}

/// What a sender is about to send, as far as the audience depends on it.
#[derive(Clone, Copy)]
pub struct AudienceQuery<'a> {
    pub target: &'a PreparedTarget,
    pub provider_id: i64,
    pub message_type_id: i64,
    /// 1 is the highest priority.
    pub priority: u8,
    /// Whether to count residents per grid square for the map.
    pub map_squares: bool,
    /// Limits the alert to these residents whatever they chose (Neighbourhood Watch members).
    pub members: Option<&'a MemberFilter>,
}

/// The residents an alert is limited to, whatever providers and kinds of message they chose:
/// the members of Neighbourhood Watch schemes. Joining a scheme is the choice to hear from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// Subscriber ids, sorted, each once.
    ids: Vec<i64>,
    /// Reach them wherever their places are (one scheme's members); otherwise only those with
    /// a place inside the target.
    pub anywhere: bool,
}

impl MemberFilter {
    pub fn new(mut ids: Vec<i64>, anywhere: bool) -> Self {
        ids.sort_unstable();
        ids.dedup();
        MemberFilter { ids, anywhere }
    }

    fn holds(&self, subscriber_id: i64) -> bool {
        self.ids.binary_search(&subscriber_id).is_ok()
    }
}

/// The side of the map's grid squares: 1 km, the British National Grid's own squares.
pub const SQUARE_M: i32 = 1_000;
/// The fewest residents a square must have to be shown: a square with fewer is left off the
/// map, so that nobody can be picked out from it.
pub const MIN_SQUARE_RESIDENTS: u64 = 5;

/// A 1 km square of the British National Grid and how many residents an alert reaches there
/// (each counted in the square of their first matching place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridSquare {
    /// The square's south-west corner in metres: multiples of `SQUARE_M`.
    pub easting: i32,
    pub northing: i32,
    pub residents: u64,
}

/// Whom an alert would reach.
#[derive(Debug, Clone, PartialEq)]
pub struct AudiencePreview {
    /// Matching residents, each counted once however many of their places match.
    pub residents: u64,
    /// Matching residents who take alerts by email.
    pub emails: u64,
    /// Matching residents who take texts and whose minimum priority this alert meets.
    pub texts: u64,
    /// Residents per district code (in the district of their first matching place), largest
    /// first, then by code.
    pub by_district: Vec<(String, u64)>,
    /// Residents per 1 km grid square, only the squares with at least
    /// `MIN_SQUARE_RESIDENTS`, south to north and west to east: what the map shows. No place
    /// finer than its square is ever handed out, so a map cannot locate a household.
    pub squares: Vec<GridSquare>,
    /// How long the preview took to compute.
    pub elapsed: Duration,
}

/// A resident an alert reaches and the channels it reaches them by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub subscriber_id: i64,
    pub email: bool,
    pub sms: bool,
}

/// A resident's delivery channels packed into two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Channels {
    email: bool,
    sms: bool,
    sms_min_priority: u8,
}

impl Channels {
    fn of(entry: &AudienceEntry) -> Self {
        Channels {
            email: entry.email,
            sms: entry.sms,
            sms_min_priority: entry.sms_min_priority,
        }
    }

    /// Priority 1 is the highest, so a resident whose minimum is 2 takes texts at 1 and 2.
    fn texts_at(self, priority: u8) -> bool {
        self.sms && priority <= self.sms_min_priority
    }
}

/// A resident's choices, converted from an entry.
#[derive(Debug, Clone, Copy)]
struct Choices {
    providers: u64,
    message_types: u64,
    channels: Channels,
}

/// A place, converted from an entry.
#[derive(Debug, Clone, Copy)]
struct Place {
    easting: i32,
    northing: i32,
    district: u16,
}

/// Every active resident's places and choices.
///
/// Residents are kept sorted by id, their places adjacent in `place_starts` order, so a resident
/// is found by binary search and scanned as one run. Replacing or removing one resident shifts
/// the arrays behind it: O(n), a few milliseconds for a million residents, which suits the rare
/// single-resident refreshes it is for (rebuild with [`AudienceIndex::build`] for bulk changes).
#[derive(Clone, Default)]
pub struct AudienceIndex {
    // Per resident, sorted by subscriber id.
    subscriber_ids: Vec<i64>,
    providers: Vec<u64>,
    message_types: Vec<u64>,
    channels: Vec<Channels>,
    /// Resident i's places are `place_starts[i]..place_starts[i + 1]`; one longer than the
    /// residents, starting with 0.
    place_starts: Vec<u32>,
    // Per place.
    eastings: Vec<i32>,
    northings: Vec<i32>,
    districts: Vec<u16>,
    // District codes interned to u16: a few hundred distinct codes across millions of places.
    district_codes: Vec<String>,
    district_ids: HashMap<String, u16>,
}

impl fmt::Debug for AudienceIndex {
    // A million residents are no use in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudienceIndex")
            .field("residents", &self.len())
            .field("places", &self.places())
            .field("districts", &self.district_codes.len())
            .finish()
    }
}

impl AudienceIndex {
    /// Builds the index from entries in any order; a resident's places keep the order their
    /// entries came in (the first is their "first place" for the per-district counts).
    ///
    /// The choices (providers, message types, channels) belong to the resident, so they are
    /// taken from the resident's first entry.
    pub fn build(
        entries: impl IntoIterator<Item = AudienceEntry>,
    ) -> Result<AudienceIndex, AudienceError> {
        let mut index = AudienceIndex {
            place_starts: vec![0],
            ..AudienceIndex::default()
        };
        // Convert as the entries stream in, so the transient memory is a compact row per place
        // rather than the entries with their strings and vectors.
        let mut rows: Vec<(i64, Choices, Place)> = Vec::new();
        for entry in entries {
            let choices = choices_of(&entry)?;
            let place = index.place_of(&entry)?;
            rows.push((entry.subscriber_id, choices, place));
        }
        if u32::try_from(rows.len()).is_err() {
            return Err(AudienceError::TooManyPlaces);
        }
        // Stable, so each resident's places keep their order; rows already grouped by resident
        // (as `ORDER BY subscriber_id, position` gives them) cost a linear pass.
        rows.sort_by_key(|&(subscriber_id, _, _)| subscriber_id);

        let mut rows = rows.into_iter().peekable();
        while let Some((subscriber_id, choices, place)) = rows.next() {
            index.subscriber_ids.push(subscriber_id);
            index.providers.push(choices.providers);
            index.message_types.push(choices.message_types);
            index.channels.push(choices.channels);
            index.push_place(place);
            while let Some((_, _, place)) = rows.next_if(|row| row.0 == subscriber_id) {
                index.push_place(place);
            }
            // Cannot truncate: the row count was checked against u32 above.
            index.place_starts.push(index.eastings.len() as u32);
        }
        index.shrink_to_fit();
        Ok(index)
    }

    /// Replaces a resident's places and choices (adding the resident if new); no entries removes
    /// them. Every entry must carry `subscriber_id`. On error the index is left as it was.
    ///
    /// O(n) in the size of the index: see [`AudienceIndex`].
    pub fn upsert_subscriber(
        &mut self,
        subscriber_id: i64,
        entries: Vec<AudienceEntry>,
    ) -> Result<(), AudienceError> {
        let Some(first) = entries.first() else {
            self.remove_subscriber(subscriber_id);
            return Ok(());
        };
        if let Some(stray) = entries.iter().find(|e| e.subscriber_id != subscriber_id) {
            return Err(AudienceError::WrongSubscriber {
                expected: subscriber_id,
                found: stray.subscriber_id,
            });
        }
        let choices = choices_of(first)?;
        let places = entries
            .iter()
            .map(|entry| self.place_of(entry))
            .collect::<Result<Vec<Place>, AudienceError>>()?;

        let found = self.subscriber_ids.binary_search(&subscriber_id);
        let old_places = found.map_or(0, |position| self.place_range(position).len());
        if u32::try_from(self.places() - old_places + places.len()).is_err() {
            return Err(AudienceError::TooManyPlaces);
        }
        let (position, old_range) = match found {
            Ok(position) => (position, self.place_range(position)),
            Err(position) => {
                let start = self.place_starts[position];
                self.subscriber_ids.insert(position, subscriber_id);
                self.providers.insert(position, 0);
                self.message_types.insert(position, 0);
                self.channels.insert(position, choices.channels);
                self.place_starts.insert(position, start);
                let start = start as usize;
                (position, start..start)
            }
        };

        self.providers[position] = choices.providers;
        self.message_types[position] = choices.message_types;
        self.channels[position] = choices.channels;
        let removed = old_range.len() as u32;
        let added = places.len() as u32;
        self.eastings
            .splice(old_range.clone(), places.iter().map(|p| p.easting));
        self.northings
            .splice(old_range.clone(), places.iter().map(|p| p.northing));
        self.districts
            .splice(old_range, places.iter().map(|p| p.district));
        // Every later resident's places moved by the difference; the totals fit in u32, so
        // neither direction overflows.
        for start in &mut self.place_starts[position + 1..] {
            *start = *start - removed + added;
        }
        Ok(())
    }

    /// Removes a resident and their places; unknown residents are ignored. O(n), as for
    /// [`AudienceIndex::upsert_subscriber`].
    pub fn remove_subscriber(&mut self, subscriber_id: i64) {
        if let Ok(position) = self.subscriber_ids.binary_search(&subscriber_id) {
            self.remove_at(position);
        }
    }

    /// Residents in the index.
    pub fn len(&self) -> usize {
        self.subscriber_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subscriber_ids.is_empty()
    }

    /// Places in the index, across all residents.
    pub fn places(&self) -> usize {
        self.eastings.len()
    }

    /// Approximate heap memory held by the index, in bytes.
    pub fn heap_bytes(&self) -> usize {
        fn bytes<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        let codes: usize = self
            .district_codes
            .iter()
            .map(|code| code.capacity() * 2 + std::mem::size_of::<String>() * 2 + 8)
            .sum();
        bytes(&self.subscriber_ids)
            + bytes(&self.providers)
            + bytes(&self.message_types)
            + bytes(&self.channels)
            + bytes(&self.place_starts)
            + bytes(&self.eastings)
            + bytes(&self.northings)
            + bytes(&self.districts)
            + codes
    }

    /// Counts whom an alert would reach, per channel and district, and per grid square for a map.
    pub fn preview(&self, query: &AudienceQuery) -> AudiencePreview {
        let started = Instant::now();
        let mut residents = 0u64;
        let mut emails = 0u64;
        let mut texts = 0u64;
        let mut per_district = vec![0u64; self.district_codes.len()];
        let mut per_square: HashMap<(i32, i32), u64> = HashMap::new();

        // An id the index cannot hold was chosen by nobody.
        let (Some(provider_bit), Some(type_bit)) =
            (bit(query.provider_id), bit(query.message_type_id))
        else {
            return AudiencePreview {
                residents: 0,
                emails: 0,
                texts: 0,
                by_district: Vec::new(),
                squares: Vec::new(),
                elapsed: started.elapsed(),
            };
        };

        for position in 0..self.subscriber_ids.len() {
            if !self.chose(position, query, provider_bit, type_bit) {
                continue;
            }
            let channels = self.channels[position];
            let first_match = self.first_place_reached(position, query);
            let Some(place) = first_match else {
                continue;
            };
            residents += 1;
            emails += u64::from(channels.email);
            texts += u64::from(channels.texts_at(query.priority));
            per_district[usize::from(self.districts[place])] += 1;
            if query.map_squares {
                let square = (
                    self.eastings[place].div_euclid(SQUARE_M),
                    self.northings[place].div_euclid(SQUARE_M),
                );
                *per_square.entry(square).or_default() += 1;
            }
        }

        let mut by_district: Vec<(String, u64)> = per_district
            .into_iter()
            .enumerate()
            .filter(|&(_, count)| count > 0)
            .map(|(district, count)| (self.district_codes[district].clone(), count))
            .collect();
        by_district.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

        AudiencePreview {
            residents,
            emails,
            texts,
            by_district,
            squares: shown_squares(per_square),
            elapsed: started.elapsed(),
        }
    }

    /// The districts where any resident has a place inside the target, whatever they chose:
    /// the districts an alert concerns, for the public archive's filters and feeds.
    pub fn districts_touched(&self, target: &PreparedTarget) -> Vec<String> {
        let mut touched = vec![false; self.district_codes.len()];
        for p in 0..self.eastings.len() {
            let district = usize::from(self.districts[p]);
            if touched[district] {
                continue;
            }
            if target.contains(
                &self.district_codes[district],
                f64::from(self.eastings[p]),
                f64::from(self.northings[p]),
            ) {
                touched[district] = true;
            }
        }
        let mut codes: Vec<String> = touched
            .iter()
            .enumerate()
            .filter(|&(_, &t)| t)
            .map(|(d, _)| self.district_codes[d].clone())
            .collect();
        codes.sort();
        codes
    }

    /// The residents an alert reaches, in id order from `from_id` on, at most `limit` of them,
    /// each with the channels it reaches them by (a text only where the alert's priority meets
    /// their minimum). The fan-out of a sent alert walks these in chunks.
    pub fn matches_from(&self, query: &AudienceQuery, from_id: i64, limit: usize) -> Vec<Match> {
        let (Some(provider_bit), Some(type_bit)) =
            (bit(query.provider_id), bit(query.message_type_id))
        else {
            return Vec::new();
        };
        let start = self.subscriber_ids.partition_point(|&id| id < from_id);
        let mut found = Vec::new();
        for position in start..self.subscriber_ids.len() {
            if found.len() == limit {
                break;
            }
            if !self.chose(position, query, provider_bit, type_bit) {
                continue;
            }
            let channels = self.channels[position];
            let email = channels.email;
            let sms = channels.texts_at(query.priority);
            if !email && !sms {
                continue;
            }
            if self.first_place_reached(position, query).is_some() {
                found.push(Match {
                    subscriber_id: self.subscriber_ids[position],
                    email,
                    sms,
                });
            }
        }
        found
    }

    /// Gives back the slack left by growing the arrays one push at a time: up to half of them.
    fn shrink_to_fit(&mut self) {
        self.subscriber_ids.shrink_to_fit();
        self.providers.shrink_to_fit();
        self.message_types.shrink_to_fit();
        self.channels.shrink_to_fit();
        self.place_starts.shrink_to_fit();
        self.eastings.shrink_to_fit();
        self.northings.shrink_to_fit();
        self.districts.shrink_to_fit();
    }

    /// Whether the resident at `position` is among those the query is for: one who chose its
    /// organisation and kind of message, or, for a message to schemes' members, a member.
    fn chose(
        &self,
        position: usize,
        query: &AudienceQuery,
        provider_bit: u64,
        type_bit: u64,
    ) -> bool {
        match query.members {
            Some(members) => members.holds(self.subscriber_ids[position]),
            None => {
                self.providers[position] & provider_bit != 0
                    && self.message_types[position] & type_bit != 0
            }
        }
    }

    /// The resident's first place the query reaches: inside the target, or simply their first
    /// place when the members it is for are reached wherever they live.
    fn first_place_reached(&self, position: usize, query: &AudienceQuery) -> Option<usize> {
        let mut places = self.place_range(position);
        if query.members.is_some_and(|m| m.anywhere) {
            return places.next();
        }
        places.find(|&p| {
            let district = &self.district_codes[usize::from(self.districts[p])];
            query.target.contains(
                district,
                f64::from(self.eastings[p]),
                f64::from(self.northings[p]),
            )
        })
    }

    fn place_range(&self, position: usize) -> std::ops::Range<usize> {
        self.place_starts[position] as usize..self.place_starts[position + 1] as usize
    }

    fn push_place(&mut self, place: Place) {
        self.eastings.push(place.easting);
        self.northings.push(place.northing);
        self.districts.push(place.district);
    }

    fn remove_at(&mut self, position: usize) {
        let range = self.place_range(position);
        let removed = range.len() as u32;
        self.eastings.drain(range.clone());
        self.northings.drain(range.clone());
        self.districts.drain(range);
        self.subscriber_ids.remove(position);
        self.providers.remove(position);
        self.message_types.remove(position);
        self.channels.remove(position);
        self.place_starts.remove(position);
        for start in &mut self.place_starts[position..] {
            *start -= removed;
        }
    }

    /// Converts an entry's place, interning its district.
    fn place_of(&mut self, entry: &AudienceEntry) -> Result<Place, AudienceError> {
        let district = match self.district_ids.get(&entry.district_code) {
            Some(&id) => id,
            None => {
                let id = u16::try_from(self.district_codes.len()).map_err(|_| {
                    AudienceError::TooManyDistricts {
                        district_code: entry.district_code.clone(),
                    }
                })?;
                self.district_codes.push(entry.district_code.clone());
                self.district_ids.insert(entry.district_code.clone(), id);
                id
            }
        };
        Ok(Place {
            easting: entry.easting,
            northing: entry.northing,
            district,
        })
    }
}

fn choices_of(entry: &AudienceEntry) -> Result<Choices, AudienceError> {
    let mut providers = 0u64;
    for &provider_id in &entry.providers {
        providers |= bit(provider_id).ok_or(AudienceError::ProviderOutOfRange {
            subscriber_id: entry.subscriber_id,
            provider_id,
        })?;
    }
    let mut message_types = 0u64;
    for &message_type_id in &entry.message_types {
        message_types |= bit(message_type_id).ok_or(AudienceError::MessageTypeOutOfRange {
            subscriber_id: entry.subscriber_id,
            message_type_id,
        })?;
    }
    Ok(Choices {
        providers,
        message_types,
        channels: Channels::of(entry),
    })
}

/// The bitmask bit for an id, if the index can hold it.
fn bit(id: i64) -> Option<u64> {
    u32::try_from(id).ok().and_then(|id| 1u64.checked_shl(id))
}

/// The squares a map may show: those with at least `MIN_SQUARE_RESIDENTS`, south-west corners
/// in metres, in a fixed order so the same alert draws the same map.
fn shown_squares(per_square: HashMap<(i32, i32), u64>) -> Vec<GridSquare> {
    let mut squares: Vec<GridSquare> = per_square
        .into_iter()
        .filter(|&(_, residents)| residents >= MIN_SQUARE_RESIDENTS)
        .map(|((column, row), residents)| GridSquare {
            easting: column.saturating_mul(SQUARE_M),
            northing: row.saturating_mul(SQUARE_M),
            residents,
        })
        .collect();
    squares.sort_by_key(|square| (square.northing, square.easting));
    squares
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::target::{AreaTarget, Shape};

    const POLICE: i64 = 1;
    const WATCH: i64 = 2;
    const CRIME: i64 = 3;
    const APPEAL: i64 = 4;
    const SOUTH_CAMBS: &str = "E07000012";
    const CAMBRIDGE: &str = "E07000008";
    const PETERBOROUGH: &str = "E06000031";

    /// A resident of Melbourn who wants everything by email only.
    fn melbourn_resident(subscriber_id: i64) -> AudienceEntry {
        AudienceEntry {
            subscriber_id,
            district_code: SOUTH_CAMBS.to_owned(),
            easting: 537_500,
            northing: 244_500,
            providers: vec![POLICE, WATCH],
            message_types: vec![CRIME, APPEAL],
            email: true,
            sms: false,
            sms_min_priority: 1,
        }
    }

    /// The same resident's second place, in Cambridge city centre.
    fn cambridge_place(subscriber_id: i64) -> AudienceEntry {
        AudienceEntry {
            district_code: CAMBRIDGE.to_owned(),
            easting: 545_000,
            northing: 258_500,
            ..melbourn_resident(subscriber_id)
        }
    }

    fn circle(easting: f64, northing: f64, radius_m: f64) -> Shape {
        Shape::Circle {
            easting,
            northing,
            radius_m,
            label: "test".to_owned(),
        }
    }

    fn around_melbourn() -> AreaTarget {
        AreaTarget {
            include: vec![circle(537_500.0, 244_500.0, 5_000.0)],
            exclude: vec![],
        }
    }

    fn districts(codes: &[&str]) -> AreaTarget {
        AreaTarget {
            include: vec![Shape::Districts {
                codes: codes.iter().map(|c| c.to_string()).collect(),
            }],
            exclude: vec![],
        }
    }

    fn preview(index: &AudienceIndex, target: &AreaTarget, priority: u8) -> AudiencePreview {
        let prepared = target.prepare();
        index.preview(&AudienceQuery {
            target: &prepared,
            provider_id: POLICE,
            message_type_id: CRIME,
            priority,
            map_squares: true,
            members: None,
        })
    }

    #[test]
    fn a_message_to_members_reaches_them_whatever_they_chose_and_nobody_else() {
        // Resident 2 chose no crime updates; resident 3 is not a member.
        let mut chose_little = melbourn_resident(2);
        chose_little.message_types = vec![APPEAL];
        let index =
            AudienceIndex::build([melbourn_resident(1), chose_little, melbourn_resident(3)])
                .unwrap();
        let members = MemberFilter::new(vec![2, 1, 2], false);
        let ask = |target: &AreaTarget, members: &MemberFilter| {
            let prepared = target.prepare();
            let query = AudienceQuery {
                target: &prepared,
                provider_id: POLICE,
                message_type_id: CRIME,
                priority: 3,
                map_squares: false,
                members: Some(members),
            };
            let ids: Vec<i64> = index
                .matches_from(&query, 0, 10)
                .iter()
                .map(|m| m.subscriber_id)
                .collect();
            (index.preview(&query).residents, ids)
        };
        assert_eq!(ask(&around_melbourn(), &members), (2, vec![1, 2]));
        // Members of schemes in an area: only those with a place in it.
        assert_eq!(ask(&districts(&[CAMBRIDGE]), &members), (0, vec![]));
        // One scheme's members: wherever they live.
        let anywhere = MemberFilter::new(vec![2], true);
        assert_eq!(ask(&districts(&[CAMBRIDGE]), &anywhere), (1, vec![2]));
    }

    #[test]
    fn a_resident_with_one_place_in_the_circle_is_reached() {
        let index = AudienceIndex::build([melbourn_resident(1)]).unwrap();
        let reach = preview(&index, &around_melbourn(), 3);
        assert_eq!(reach.residents, 1);
        assert_eq!(reach.emails, 1);
        assert_eq!(reach.texts, 0);
        assert_eq!(reach.by_district, vec![(SOUTH_CAMBS.to_owned(), 1)]);
        // One resident: too few for their square to be shown.
        assert!(reach.squares.is_empty());
    }

    #[test]
    fn any_matching_place_reaches_a_resident_and_they_count_once() {
        let home_and_work = vec![melbourn_resident(1), cambridge_place(1)];
        let index = AudienceIndex::build(home_and_work).unwrap();
        assert_eq!(index.len(), 1);

        // Only the second place lies in Cambridge: still reached, in Cambridge's count.
        let reach = preview(&index, &districts(&[CAMBRIDGE]), 3);
        assert_eq!(reach.residents, 1);
        assert_eq!(reach.by_district, vec![(CAMBRIDGE.to_owned(), 1)]);

        // Both places match: counted once, in the district of the first.
        let reach = preview(&index, &districts(&[SOUTH_CAMBS, CAMBRIDGE]), 3);
        assert_eq!(reach.residents, 1);
        assert_eq!(reach.emails, 1);
        assert_eq!(reach.by_district, vec![(SOUTH_CAMBS.to_owned(), 1)]);

        // Neither place lies in Peterborough.
        let reach = preview(&index, &districts(&[PETERBOROUGH]), 3);
        assert_eq!(reach.residents, 0);
        assert!(reach.by_district.is_empty());
        assert!(reach.squares.is_empty());
    }

    #[test]
    fn places_given_out_of_order_are_grouped_by_resident() {
        let entries = vec![
            melbourn_resident(1),
            melbourn_resident(2),
            cambridge_place(1),
        ];
        let index = AudienceIndex::build(entries).unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(index.places(), 3);
        let reach = preview(&index, &districts(&[SOUTH_CAMBS, CAMBRIDGE]), 3);
        assert_eq!(reach.residents, 2);
    }

    #[test]
    fn residents_who_did_not_choose_the_provider_or_type_are_not_reached() {
        let index = AudienceIndex::build([
            melbourn_resident(1),
            AudienceEntry {
                providers: vec![WATCH],
                ..melbourn_resident(2)
            },
            AudienceEntry {
                message_types: vec![APPEAL],
                ..melbourn_resident(3)
            },
            AudienceEntry {
                providers: vec![],
                message_types: vec![],
                ..melbourn_resident(4)
            },
        ])
        .unwrap();
        let reach = preview(&index, &around_melbourn(), 3);
        assert_eq!(reach.residents, 1);

        // A provider or type id the index cannot hold has no audience, and does not panic.
        let prepared = around_melbourn().prepare();
        for (provider_id, message_type_id) in [(64, CRIME), (POLICE, -1), (i64::MAX, i64::MIN)] {
            let reach = index.preview(&AudienceQuery {
                target: &prepared,
                provider_id,
                message_type_id,
                priority: 1,
                map_squares: true,
                members: None,
            });
            assert_eq!(reach.residents, 0);
        }
    }

    #[test]
    fn texts_go_only_to_residents_whose_minimum_priority_the_alert_meets() {
        let texts_for_top_two = AudienceEntry {
            sms: true,
            sms_min_priority: 2,
            ..melbourn_resident(1)
        };
        let sms_off = AudienceEntry {
            sms: false,
            sms_min_priority: 5,
            ..melbourn_resident(2)
        };
        let texts_only = AudienceEntry {
            email: false,
            sms: true,
            sms_min_priority: 5,
            ..melbourn_resident(3)
        };
        let index = AudienceIndex::build([texts_for_top_two, sms_off, texts_only]).unwrap();
        let by_priority: Vec<(u64, u64, u64)> = (1..=5)
            .map(|priority| {
                let reach = preview(&index, &around_melbourn(), priority);
                (reach.residents, reach.emails, reach.texts)
            })
            .collect();
        assert_eq!(
            by_priority,
            vec![(3, 2, 2), (3, 2, 2), (3, 2, 1), (3, 2, 1), (3, 2, 1)]
        );
    }

    #[test]
    fn an_excluded_area_removes_residents_only_reached_through_it() {
        let index = AudienceIndex::build([
            melbourn_resident(1),
            melbourn_resident(2),
            cambridge_place(2),
            cambridge_place(3),
        ])
        .unwrap();
        let force_area_but_not_melbourn = AreaTarget {
            include: vec![Shape::ForceArea],
            exclude: vec![circle(537_500.0, 244_500.0, 2_000.0)],
        };
        let reach = preview(&index, &force_area_but_not_melbourn, 3);
        // 1 lives only in Melbourn; 2 also has a place in Cambridge, as has 3.
        assert_eq!(reach.residents, 2);
        assert_eq!(reach.by_district, vec![(CAMBRIDGE.to_owned(), 2)]);
    }

    #[test]
    fn by_district_puts_the_largest_first() {
        let index = AudienceIndex::build([
            cambridge_place(1),
            melbourn_resident(2),
            melbourn_resident(3),
        ])
        .unwrap();
        let reach = preview(
            &index,
            &AreaTarget {
                include: vec![Shape::ForceArea],
                exclude: vec![],
            },
            3,
        );
        assert_eq!(
            reach.by_district,
            vec![(SOUTH_CAMBS.to_owned(), 2), (CAMBRIDGE.to_owned(), 1)]
        );
    }

    #[test]
    fn ids_the_bitmasks_cannot_hold_are_refused() {
        let err = AudienceIndex::build([AudienceEntry {
            providers: vec![64],
            ..melbourn_resident(7)
        }])
        .unwrap_err();
        assert_eq!(
            err,
            AudienceError::ProviderOutOfRange {
                subscriber_id: 7,
                provider_id: 64
            }
        );
        let err = AudienceIndex::build([AudienceEntry {
            message_types: vec![-3],
            ..melbourn_resident(7)
        }])
        .unwrap_err();
        assert!(matches!(err, AudienceError::MessageTypeOutOfRange { .. }));

        // Id 63, the last bit, is fine.
        let index = AudienceIndex::build([AudienceEntry {
            providers: vec![63],
            ..melbourn_resident(7)
        }])
        .unwrap();
        let prepared = around_melbourn().prepare();
        let reach = index.preview(&AudienceQuery {
            target: &prepared,
            provider_id: 63,
            message_type_id: CRIME,
            priority: 1,
            map_squares: false,
            members: None,
        });
        assert_eq!(reach.residents, 1);
        assert!(reach.squares.is_empty());
    }

    #[test]
    fn a_resident_who_moves_is_reached_at_the_new_place_only() {
        let mut index = AudienceIndex::build([
            melbourn_resident(1),
            melbourn_resident(2),
            melbourn_resident(3),
        ])
        .unwrap();
        index
            .upsert_subscriber(2, vec![cambridge_place(2)])
            .unwrap();
        assert_eq!(index.len(), 3);
        assert_eq!(preview(&index, &around_melbourn(), 1).residents, 2);
        assert_eq!(preview(&index, &districts(&[CAMBRIDGE]), 1).residents, 1);

        // Adding a place, and changing choices at the same time.
        index
            .upsert_subscriber(
                1,
                vec![
                    AudienceEntry {
                        sms: true,
                        sms_min_priority: 3,
                        ..melbourn_resident(1)
                    },
                    cambridge_place(1),
                ],
            )
            .unwrap();
        assert_eq!(index.places(), 4);
        let reach = preview(&index, &districts(&[CAMBRIDGE]), 1);
        assert_eq!((reach.residents, reach.texts), (2, 1));
        // Resident 3's place is untouched by the shifts before it.
        assert_eq!(preview(&index, &around_melbourn(), 1).residents, 2);
    }

    #[test]
    fn new_residents_are_added_in_order_and_removed_residents_are_not_reached() {
        let mut index = AudienceIndex::build([melbourn_resident(10), cambridge_place(30)]).unwrap();
        index
            .upsert_subscriber(20, vec![melbourn_resident(20), cambridge_place(20)])
            .unwrap();
        index
            .upsert_subscriber(5, vec![cambridge_place(5)])
            .unwrap();
        assert_eq!(index.len(), 4);
        assert_eq!(index.places(), 5);
        assert_eq!(preview(&index, &around_melbourn(), 1).residents, 2);
        assert_eq!(preview(&index, &districts(&[CAMBRIDGE]), 1).residents, 3);

        index.remove_subscriber(20);
        index.remove_subscriber(999);
        assert_eq!(index.len(), 3);
        assert_eq!(index.places(), 3);
        assert_eq!(preview(&index, &around_melbourn(), 1).residents, 1);
        assert_eq!(preview(&index, &districts(&[CAMBRIDGE]), 1).residents, 2);

        // No places left means no longer in the audience.
        index.upsert_subscriber(10, vec![]).unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(preview(&index, &around_melbourn(), 1).residents, 0);

        for id in [5, 30] {
            index.remove_subscriber(id);
        }
        assert!(index.is_empty());
        assert_eq!(index.places(), 0);
        assert_eq!(preview(&index, &districts(&[CAMBRIDGE]), 1).residents, 0);
    }

    #[test]
    fn a_refused_update_leaves_the_index_as_it_was() {
        let mut index = AudienceIndex::build([melbourn_resident(1)]).unwrap();
        let err = index
            .upsert_subscriber(2, vec![melbourn_resident(3)])
            .unwrap_err();
        assert_eq!(
            err,
            AudienceError::WrongSubscriber {
                expected: 2,
                found: 3
            }
        );
        let err = index
            .upsert_subscriber(
                1,
                vec![AudienceEntry {
                    message_types: vec![99],
                    ..melbourn_resident(1)
                }],
            )
            .unwrap_err();
        assert!(matches!(err, AudienceError::MessageTypeOutOfRange { .. }));
        assert_eq!(index.len(), 1);
        assert_eq!(preview(&index, &around_melbourn(), 1).residents, 1);
    }

    #[test]
    fn the_map_counts_whole_squares_and_leaves_out_the_sparse_ones() {
        // 7 residents in one square (two postcodes 300 m apart), 4 on a farm 4 km away, one
        // in a square of their own to the south-west.
        let mut entries: Vec<AudienceEntry> = (0..5).map(melbourn_resident).collect();
        for id in 5..7 {
            entries.push(AudienceEntry {
                easting: 537_800,
                northing: 244_200,
                ..melbourn_resident(id)
            });
        }
        for id in 7..11 {
            entries.push(AudienceEntry {
                easting: 541_500,
                ..melbourn_resident(id)
            });
        }
        entries.push(AudienceEntry {
            easting: 536_900,
            northing: 243_900,
            ..melbourn_resident(11)
        });
        let index = AudienceIndex::build(entries).unwrap();
        let reach = preview(&index, &around_melbourn(), 1);
        // The totals are every resident's.
        assert_eq!(reach.residents, 12);
        // Only the square with five or more, at its corner: no finer position.
        assert_eq!(
            reach.squares,
            vec![GridSquare {
                easting: 537_000,
                northing: 244_000,
                residents: 7,
            }]
        );
        for square in &reach.squares {
            assert_eq!(square.easting % SQUARE_M, 0);
            assert_eq!(square.northing % SQUARE_M, 0);
            assert!(square.residents >= MIN_SQUARE_RESIDENTS);
        }

        // Extreme and negative coordinates fall in their squares without overflowing.
        let mut far: HashMap<(i32, i32), u64> = HashMap::new();
        far.insert(
            (i32::MAX.div_euclid(SQUARE_M), (-1i32).div_euclid(SQUARE_M)),
            5,
        );
        far.insert((i32::MIN.div_euclid(SQUARE_M), 0), 9);
        let squares = shown_squares(far);
        assert_eq!(squares.len(), 2);
        assert_eq!(squares[0].northing, -SQUARE_M);
    }
}
