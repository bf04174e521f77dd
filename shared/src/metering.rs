//! What one invocation costs: the AWS requests it makes (counted by an SDK interceptor on
//! every client `aws` builds), the time spent waiting on them, and the handler's own time
//! and CPU. `function::run` logs it once per invocation; the benchmarks and the AWS-calls
//! budget test read the same numbers.
//!
//! Requests are attributed to the innermost [`measured`] future they run in (a tokio
//! task-local: the SDK runs its interceptors inside the caller's future), so concurrent
//! invocations in one process (the local gateway) never mix their counts. Outside a
//! [`measured`] future the interceptor does nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// The AWS requests made inside one [`measured`] future.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsRequests {
    /// Requests (attempts: a retry is a request) per service, by the names the AWS
    /// endpoints use: `dynamodb`, `s3`, `cognito-idp`, `ses`, `sqs`.
    pub per_service: BTreeMap<&'static str, u32>,
    /// `service:Operation`, in the order they were sent.
    pub operations: Vec<String>,
    /// Time spent waiting on AWS: from a request's send to its response's headers.
    /// Overlapping requests count once.
    pub waiting: Duration,
}

impl AwsRequests {
    pub fn total(&self) -> u32 {
        self.per_service.values().sum()
    }

    pub fn count(&self, service: &str) -> u32 {
        self.per_service.get(service).copied().unwrap_or(0)
    }
}

/// `dynamodb 2, s3 1`: for the invocation log line.
impl fmt::Display for AwsRequests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.per_service.iter().map(|(service, n)| format!("{service} {n}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// One measured piece of work (an invocation's handler).
#[derive(Debug, Clone, Default)]
pub struct Cost {
    pub aws: AwsRequests,
    /// Wall time from start to end.
    pub elapsed: Duration,
    /// CPU time the whole process used meanwhile: on Lambda, where a sandbox runs one
    /// invocation at a time, the handler's own work (no waiting, no other process).
    pub cpu: Duration,
}

impl Cost {
    /// The handler's own time: wall time not spent waiting on AWS.
    pub fn overhead(&self) -> Duration {
        self.elapsed.saturating_sub(self.aws.waiting)
    }
}

#[derive(Debug, Default)]
struct Meter {
    aws: AwsRequests,
    in_flight: u32,
    busy_since: Option<Instant>,
}

impl Meter {
    fn sent(&mut self, service: &'static str, operation: &str) {
        *self.aws.per_service.entry(service).or_default() += 1;
        self.aws.operations.push(format!("{service}:{operation}"));
        if self.in_flight == 0 {
            self.busy_since = Some(Instant::now());
        }
        self.in_flight += 1;
    }

    fn answered(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0
            && let Some(since) = self.busy_since.take()
        {
            self.aws.waiting += since.elapsed();
        }
    }
}

tokio::task_local! {
    static METER: Arc<Mutex<Meter>>;
}

/// Runs `future` and returns its output with what it cost.
pub async fn measured<F: Future>(future: F) -> (F::Output, Cost) {
    let meter = Arc::new(Mutex::new(Meter::default()));
    let (started, cpu_before) = (Instant::now(), process_cpu_time());
    let output = METER.scope(Arc::clone(&meter), future).await;
    let (elapsed, cpu) = (started.elapsed(), process_cpu_time().saturating_sub(cpu_before));
    let aws = std::mem::take(&mut meter.lock().expect("meter").aws);
    (output, Cost { aws, elapsed, cpu })
}

/// The CPU time every thread of this process has used so far.
fn process_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant the kernel
    // always knows. A failure leaves it at zero, which only zeroes the measurement.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The SDK interceptor that reports each request attempt of one client to the current
/// [`measured`] future. `service` is the endpoint's name (`dynamodb`, …).
#[derive(Debug, Clone, Copy)]
pub struct AwsRequestMeter {
    service: &'static str,
}

impl AwsRequestMeter {
    pub const fn new(service: &'static str) -> Self {
        Self { service }
    }
}

/// Whether this attempt is still waiting on AWS (per attempt, in the SDK's config bag).
#[derive(Debug, Clone, Copy)]
struct Waiting(bool);

impl Storable for Waiting {
    type Storer = StoreReplace<Self>;
}

fn with_meter(f: impl FnOnce(&mut Meter)) {
    let _ = METER.try_with(|meter| f(&mut meter.lock().expect("meter")));
}

impl Intercept for AwsRequestMeter {
    fn name(&self) -> &'static str {
        "AwsRequestMeter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Presigning runs the same pipeline up to here and stops: a URL signed in its query,
        // not a request.
        if context.request().uri().contains("X-Amz-Signature=") {
            return Ok(());
        }
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_default();
        with_meter(|meter| meter.sent(self.service, &operation));
        cfg.interceptor_state().store_put(Waiting(true));
        Ok(())
    }

    // The response's headers are in: what follows (reading a body that is already on its
    // way, parsing it) is the function's own work.
    fn read_before_deserialization(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        answered(cfg);
        Ok(())
    }

    // Always called: ends the wait of an attempt that never got an answer.
    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        answered(cfg);
        Ok(())
    }
}

fn answered(cfg: &mut ConfigBag) {
    if cfg.load::<Waiting>().is_some_and(|w| w.0) {
        cfg.interceptor_state().store_put(Waiting(false));
        with_meter(Meter::answered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_requests_count_their_waiting_once() {
        let mut meter = Meter::default();
        meter.sent("dynamodb", "GetItem");
        meter.sent("dynamodb", "Query");
        std::thread::sleep(Duration::from_millis(5));
        meter.answered();
        meter.answered();
        meter.sent("s3", "DeleteObject");
        meter.answered();
        assert_eq!(meter.aws.count("dynamodb"), 2);
        assert_eq!(meter.aws.total(), 3);
        assert_eq!(meter.aws.operations, ["dynamodb:GetItem", "dynamodb:Query", "s3:DeleteObject"]);
        assert!(meter.aws.waiting >= Duration::from_millis(5) && meter.aws.waiting < Duration::from_millis(500));
        assert_eq!(meter.aws.to_string(), "dynamodb 2, s3 1");
    }

    #[tokio::test]
    async fn a_measured_future_reports_its_time_and_cpu() {
        // Busy until the process has burnt 10 ms of CPU, however long a loaded machine
        // takes to give it that: the claim is about what is counted, not how fast.
        let ((), cost) = measured(async {
            let cpu_before = process_cpu_time();
            while process_cpu_time().saturating_sub(cpu_before) < Duration::from_millis(10) {
                std::hint::black_box(());
            }
        })
        .await;
        assert!(cost.elapsed > Duration::ZERO);
        assert!(cost.cpu >= Duration::from_millis(10), "busy work shows as CPU: {:?}", cost.cpu);
        assert_eq!(cost.aws.total(), 0);
        assert_eq!(cost.overhead(), cost.elapsed);
    }

    #[test]
    fn outside_a_measured_future_nothing_is_recorded() {
        with_meter(|_| panic!("no meter outside `measured`"));
    }
}
