//! Beacon: community alerts for police forces and their partners. The crate is laid out as rooms
//! with doors in one direction: `web` and `cli` call `services`, which use `domain`, `geo`,
//! `import`, `scams`, `delivery` and `store`; `random` is a leaf any of them may use.

pub mod app;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod feeds;
pub mod geo;
pub mod import;
pub mod random;
pub mod scams;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod web;

// The test-only stand-in gateway (`tests/support/fake_notify.rs`) names the crate `beacon`, as the
// integration tests do; this lets the same file serve the library's unit tests.
#[cfg(test)]
extern crate self as beacon;
