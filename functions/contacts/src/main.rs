//! Lambda entry point: build the clients once per cold start, then serve requests.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    portal_shared::telemetry::init();
    let sdk = portal_shared::aws::load().await;
    let app = Arc::new(portal_contacts::App::from_env(&sdk)?);
    lambda_http::run(lambda_http::service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { Ok::<_, std::convert::Infallible>(app.handle(req).await) }
    }))
    .await
}
