//! What one invocation costs: the AWS requests it makes (counted by an SDK interceptor on
//! every client `aws` builds), the time spent waiting on them, and the handler's own time
//! and CPU. `function::run` logs it once per invocation; the benchmarks and the AWS-calls
//! budget test read the same numbers.
//!
//! Requests are attributed to the innermost [`measured`] future they run in (a tokio
//! task-local: the SDK runs its interceptors inside the caller's future), so concurrent
//! invocations in one process (the local gateway) never mix their counts. Outside a
//! [`measured`] future the interceptor does nothing.
//!
//! The same interceptor enforces budgets: inside [`capped`] (a route's invocation, one queue
//! record) at most `cap` AWS requests may be sent; the next one fails before it is sent,
//! with [`RequestBudgetExceeded`] (the store and the services map it to 503
//! `request-budget-exceeded`), is logged and counted (`Metric::RequestBudgetExceeded`).
//! Budgets nest: every enclosing one is charged, so the tightest applies. So work that
//! grows with the data is cut short with a clear error long before Lambda's timeout.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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
    static BUDGET: Arc<Budget>;
}

/// The AWS requests some work may still make (see [`capped`]).
#[derive(Debug)]
struct Budget {
    /// What is capped: a route key (`GET /contacts`) or a function's record.
    scope: String,
    cap: u32,
    used: AtomicU32,
    /// Logged and counted once, at the first refusal.
    tripped: AtomicBool,
    /// The enclosing budget, charged too.
    outer: Option<Arc<Budget>>,
}

impl Budget {
    /// Takes one request from this budget and every enclosing one; the first that has none
    /// left refuses it (the ones charged before keep the charge: the work fails anyway).
    fn charge(&self) -> Result<(), RequestBudgetExceeded> {
        let mut budget = Some(self);
        while let Some(current) = budget {
            if current.used.fetch_add(1, Ordering::Relaxed) >= current.cap {
                if !current.tripped.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        scope = %current.scope,
                        cap = current.cap,
                        "AWS request budget exceeded: the request is refused"
                    );
                    crate::metrics::count(crate::metrics::Metric::RequestBudgetExceeded, 1, None);
                }
                return Err(RequestBudgetExceeded { scope: current.scope.clone(), cap: current.cap });
            }
            budget = current.outer.as_deref();
        }
        Ok(())
    }
}

/// An AWS request refused before it was sent: the work it belongs to made `cap` requests
/// already (see [`capped`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{scope}: the budget of {cap} AWS requests is used up")]
pub struct RequestBudgetExceeded {
    pub scope: String,
    pub cap: u32,
}

impl RequestBudgetExceeded {
    /// The refusal in `err` or among its sources (an SDK error wraps it twice).
    pub fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Self> {
        let mut current = Some(err);
        while let Some(err) = current {
            if let Some(found) = err.downcast_ref::<Self>() {
                return Some(found);
            }
            current = err.source();
        }
        None
    }
}

/// Runs `future` allowed at most `cap` AWS requests (attempts, as the meter counts them);
/// the next fails with [`RequestBudgetExceeded`] without being sent. Inside another
/// [`capped`] future both budgets are charged.
pub async fn capped<F: Future>(scope: impl Into<String>, cap: u32, future: F) -> F::Output {
    let outer = BUDGET.try_with(Arc::clone).ok();
    let budget =
        Arc::new(Budget { scope: scope.into(), cap, used: AtomicU32::new(0), tripped: AtomicBool::new(false), outer });
    BUDGET.scope(budget, future).await
}

/// Charges the current budget, if there is one.
fn charge_budget() -> Result<(), RequestBudgetExceeded> {
    BUDGET.try_with(|budget| budget.charge()).unwrap_or(Ok(()))
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
        // Refused before it is counted or sent: a request not made costs nothing.
        charge_budget()?;
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

    #[tokio::test]
    async fn a_budget_refuses_the_request_after_its_cap_and_nested_budgets_all_count() {
        let refused = capped("outer", 3, async {
            let inner = capped("inner", 5, async { (0..4).map(|_| charge_budget()).collect::<Vec<_>>() }).await;
            (inner, charge_budget())
        })
        .await;
        let (inner, after) = refused;
        // The outer cap (3) is the tighter: the fourth request in the inner scope is refused.
        assert!(inner[..3].iter().all(Result::is_ok), "{inner:?}");
        assert_eq!(inner[3], Err(RequestBudgetExceeded { scope: "outer".into(), cap: 3 }));
        assert!(after.is_err(), "once used up, the budget stays used up");
        // Outside every budget nothing is refused.
        assert_eq!(charge_budget(), Ok(()));
    }

    #[test]
    fn a_refusal_is_found_inside_the_errors_that_wrap_it() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Wrapper(#[source] RequestBudgetExceeded);
        let refusal = RequestBudgetExceeded { scope: "GET /contacts".into(), cap: 1 };
        let wrapped = Wrapper(refusal.clone());
        assert_eq!(RequestBudgetExceeded::find(&wrapped), Some(&refusal));
        assert_eq!(RequestBudgetExceeded::find(&std::fmt::Error), None);
    }

    #[test]
    fn outside_a_measured_future_nothing_is_recorded() {
        with_meter(|_| panic!("no meter outside `measured`"));
    }
}
