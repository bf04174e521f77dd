//! Lambda entry point: build the clients once per cold start, then serve requests.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    portal_shared::function::run::<portal_customer::App>().await
}
