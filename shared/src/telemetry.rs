//! Structured JSON logs via `tracing`, one line per event (what CloudWatch Logs Insights
//! queries best). `RUST_LOG` sets the filter; the default is `info`.

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time() // CloudWatch stamps every line
        .with_target(false)
        .try_init();
}
