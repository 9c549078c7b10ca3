//! End-to-end tests: the real `adfctl` binary against the real emulator.
//!
//! Compiled as an integration test of the `adfctl` crate (see its Cargo.toml) so that
//! `CARGO_BIN_EXE_adfctl` points at the binary under test.

mod arm_templates;
mod blob_activities;
mod cli;
mod coexist;
mod connectivity;
mod deploy;
mod emulator;
mod eval;
mod event_triggers;
mod export;
mod gitops;
mod managed_network;
mod monitor;
mod postgres;
mod promotion;
mod realworld;
mod reliability;
mod runs;
mod schema;
mod security;
mod support;
mod targets;
mod testing;
mod validate;
mod web;
