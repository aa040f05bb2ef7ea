//! The one integration-test binary (see `autotests = false` in Cargo.toml).

mod util;

mod cli;
mod determinism;
mod dist;
mod filter;
mod hardening;
mod harness;
mod html;
mod input_errors;
mod newuser;
mod parquet;
mod properties;
mod sentences;
mod shared_data;
mod syndication;
mod within;
