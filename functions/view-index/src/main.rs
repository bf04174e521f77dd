//! Lambda entry point: build the clients once per cold start, then serve stream batches.
// The release build lays out the handler's nested futures deeper than the default limit (128).
#![recursion_limit = "256"]

// mimalloc, as every function (shared/src/allocator.rs says why, and why only here).
portal_shared::global_allocator!();

// One invocation at a time per sandbox: a single-threaded runtime starts no worker
// threads and hands no work between threads (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal_shared::function::run_events::<portal_view_index::App>().await
}
