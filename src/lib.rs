//! Beacon: community alerts for police forces and their partners. The crate is laid out as rooms
//! with doors in one direction: `web` and `cli` call `services`, which use `domain`, `geo`,
//! `import`, `delivery` and `store`; `random` is a leaf any of them may use.

pub mod app;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod feeds;
pub mod geo;
pub mod import;
pub mod random;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod web;

