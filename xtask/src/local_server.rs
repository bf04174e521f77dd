//! Small HTTP servers of the tooling (the bench's Runtime API, the AWS proxy), always on
//! 127.0.0.1.

use anyhow::Result;

/// Serves `router` on a free port of 127.0.0.1 until the returned sender says stop (or is
/// dropped).
pub async fn serve_local(router: axum::Router) -> Result<(std::net::SocketAddr, tokio::sync::watch::Sender<bool>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (shutdown, mut stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok((address, shutdown))
}
