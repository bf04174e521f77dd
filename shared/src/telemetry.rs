//! Structured JSON logs via `tracing`, one line per event (what CloudWatch Logs Insights
//! queries best). `RUST_LOG` sets the filter (`warn`, or `info,portal_shared=debug`: a
//! default level and per-target levels); the default is `info`.
//!
//! A log field that carries a string from outside (an S3 event's key or bucket, an error
//! message that may quote a request) goes through [`clip`]: a hostile 200 KB key must not
//! become a 200 KB log line (CloudWatch splits events over 256 KB, and every byte is paid).
//!
//! Every line of an invocation carries the spans it was logged in (`"spans":[…]`, outermost
//! first): on Lambda, the runtime's `Lambda runtime invoke` span (`requestId`, `xrayTraceId`),
//! then ours: `request` for an HTTP request (`api_request_id`: API Gateway's request id, as in
//! the access log; `tenant_id` once the caller's company is known, see [`record_tenant`]) or
//! `message` for a queue message (`message_id`, `tenant_id`). The whole list rather than the
//! current span only, so a line logged inside a nested span (the SDK's, at `debug`) keeps them.

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
        .with_span_list(true)
        .without_time() // CloudWatch stamps every line
        .with_target(false)
        // The builder's own ceiling is `info`: lifted, so `filter` (RUST_LOG) alone decides
        // and `RUST_LOG=info,portal_shared=debug` shows the debug lines it asks for.
        .with_max_level(LevelFilter::TRACE)
        .with_writer(writer)
        .finish();
    logs.with(filter)
}

/// The span field naming the caller's company (declared empty by the request and message
/// spans, recorded by [`record_tenant`]).
pub const TENANT_ID: &str = "tenant_id";

/// Records `tenant` on the current request or message span, so every later line of the
/// request names it. Called where the caller's company is resolved (staff membership, a
/// customer's company) and where a queue message names one. Outside such a span: nothing.
pub fn record_tenant(tenant: crate::domain::TenantId) {
    tracing::Span::current().record(TENANT_ID, tracing::field::display(tenant));
}

/// The most bytes of an outside string one log field carries.
pub const MAX_LOG_FIELD_BYTES: usize = 1024;

/// `value`, cut to [`MAX_LOG_FIELD_BYTES`] (on a character boundary) with a marker naming
/// how much was left out: `tracing::warn!(key = %clip(&raw), "…")`.
pub fn clip(value: &str) -> Clipped<'_> {
    Clipped(value)
}

/// A string as a bounded log field (see [`clip`]).
#[derive(Debug, Clone, Copy)]
pub struct Clipped<'a>(&'a str);

impl std::fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.len() <= MAX_LOG_FIELD_BYTES {
            return f.write_str(self.0);
        }
        let mut end = MAX_LOG_FIELD_BYTES;
        while !self.0.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{}…[{} more bytes]", &self.0[..end], self.0.len() - end)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn short_values_are_logged_whole() {
        assert_eq!(clip("tenants/a/documents/b").to_string(), "tenants/a/documents/b");
        let exact = "k".repeat(MAX_LOG_FIELD_BYTES);
        assert_eq!(clip(&exact).to_string(), exact);
    }

    #[test]
    fn long_values_are_cut_with_a_marker() {
        let hostile = "a".repeat(200_000);
        let logged = clip(&hostile).to_string();
        assert_eq!(
            logged,
            format!("{}…[{} more bytes]", "a".repeat(MAX_LOG_FIELD_BYTES), 200_000 - MAX_LOG_FIELD_BYTES)
        );
        assert!(logged.len() < MAX_LOG_FIELD_BYTES + 32);
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        // 3-byte characters: the limit falls inside one, which is left out whole.
        let text = "€".repeat(MAX_LOG_FIELD_BYTES);
        let logged = clip(&text).to_string();
        let kept = logged.split('…').next().unwrap();
        assert_eq!(kept, "€".repeat(MAX_LOG_FIELD_BYTES / 3));
        assert!(logged.ends_with(&format!("[{} more bytes]", text.len() - kept.len())));
    }

    #[test]
    fn a_json_log_line_of_a_hostile_value_stays_bounded() {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let writer = {
            let buffer = buffer.clone();
            move || Writer(buffer.clone())
        };
        let hostile = "%2F".repeat(70_000); // about 200 KB, as in the report
        tracing::subscriber::with_default(subscriber(Targets::new().with_default(LevelFilter::INFO), writer), || {
            tracing::warn!(key = %clip(&hostile), "object outside our keys ignored");
        });
        let written = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        assert_eq!(written.lines().count(), 1, "{written}");
        assert!(written.len() < MAX_LOG_FIELD_BYTES + 200, "a {} byte log line", written.len());
        assert!(written.contains("more bytes]"), "{written}");
    }

    /// A log destination for tests: every line written goes to the shared buffer.
    pub(crate) struct Writer(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
