//! Beacon's integration tests, in one binary: each test starts the real app on a free port
//! against its own fresh database (SQLite, or PostgreSQL on 127.0.0.1:5432) and acts as a
//! resident would.

mod admin_pages;
mod alerts;
mod api_document;
mod archive;
mod archive_cache;
mod archive_store;
mod chat;
mod chat_figures;
mod chat_processes;
mod chat_review;
mod compose;
mod connections;
mod delivery;
mod delivery_smtp;
mod delivery_texts;
mod district_pages;
#[path = "../support/fake_notify.rs"]
mod fake_notify;
mod fake_notify_gateway;
mod health;
mod helpers;
mod import;
mod inbox;
mod live_events;
mod mail;
mod maps;
mod open311;
mod postcodes;
mod public_pages;
mod reply_threads;
mod report_data;
mod report_kinds;
mod report_limits;
mod report_triage;
mod reports;
mod routes;
mod scam_checker;
mod scheme_messages;
mod schemes;
mod signup;
mod signup_errors;
mod staff;
mod staff_home;
mod staff_sign_in;
mod store_conversations;
mod store_report_drafts;
mod store_reports;
mod store_suite;
mod survey_public;
mod surveys;
mod templates;
