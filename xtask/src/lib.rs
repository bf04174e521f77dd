//! The project's own tooling: the local AWS stack (moto, installed into a virtualenv under
//! the repository), provisioning from the shared resource definitions, seeding, and the
//! local API gateway, and the command line (`cli`) that `src/main.rs` dispatches. Used by
//! `cargo xtask` and by the end-to-end tests.

pub mod aws_proxy;
pub mod bench;
pub mod browser;
pub mod cli;
pub mod client;
pub mod cost;
pub mod deploy;
#[cfg(test)]
mod drift;
pub mod emulator;
pub mod function_env;
pub mod gateway;
pub mod load;
pub mod local_server;
pub mod mailbox;
#[cfg(test)]
mod observability;
pub mod paths;
pub mod provision;
pub mod seed;
pub mod smoke;
pub mod tenant;
pub mod venv;
