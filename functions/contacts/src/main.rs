//! Lambda entry point: build the clients once per cold start, then serve requests.

// One invocation at a time per sandbox: a single-threaded runtime starts no worker
// threads and hands no work between threads (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    portal_shared::function::run::<portal_contacts::App>().await
}
