//! Lambda entry point: build the clients once per cold start, then serve events.
// The handler's future (S3 check, settling transaction, outbox email) nests deeply enough
// that computing its layout exceeds the default query depth of 128.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

// mimalloc, as every function (shared/src/allocator.rs says why, and why only here).
portal_shared::global_allocator!();

// One invocation at a time per sandbox: a single-threaded runtime starts no worker
// threads and hands no work between threads (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal_shared::telemetry::init();
    let sdk = portal_shared::aws::load().await;
    let app = Arc::new(portal_object_events::App::from_env(&sdk)?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<portal_object_events::Event>| {
        let app = Arc::clone(&app);
        async move {
            let (result, cost) = portal_shared::metering::measured(app.handle(event.payload)).await;
            portal_shared::function::log_invocation("object-events", None, &cost);
            result.map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
