//! Structured JSON logs via `tracing`, one line per event (what CloudWatch Logs Insights
//! queries best). `RUST_LOG` sets the filter (`warn`, or `info,portal_shared=debug`: a
//! default level and per-target levels); the default is `info`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let _ = subscriber(filter, std::io::stdout).try_init();
}

/// The functions' log format, written to `writer` (stdout on Lambda; a buffer in the test
/// that no secret is ever logged).
pub fn subscriber<W>(filter: Targets, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let logs = tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .without_time() // CloudWatch stamps every line
        .with_target(false)
        .with_writer(writer)
        .finish();
    logs.with(filter)
}
