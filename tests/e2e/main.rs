//! End-to-end tests over HTTP through the local gateway against the local AWS stack.
//! Run with `cargo xtask test` (it starts the emulator and the gateway for them).

mod access;
mod activity;
mod authorizer;
mod aws_calls;
mod customer;
mod customer_isolation;
mod customer_submissions;
mod drive;
mod emails;
mod errors;
mod faults;
mod fuzz;
mod growth;
mod isolation;
mod load;
mod matrix;
mod notifications;
mod object_events;
mod observability;
mod organizations;
mod presigned;
mod races;
mod rate_limits;
mod sample_events;
mod security;
mod settings;
mod sharing;
mod signup;
mod slice;
mod smoke;
mod staff;
mod staff_recovery;
mod tenants;
mod writes;
