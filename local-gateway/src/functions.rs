//! The functions' handlers, built once like on a cold start, each configured by its own
//! `configure` from the template's `Environment` for it, resolved for the local stack
//! (`xtask::function_env`): the one configuration path Lambda runs too, with the process
//! environment as the source.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use portal_shared::config::Source;
use portal_shared::function::HttpFunction;
use serde_json::Value;
use xtask::function_env::{self, LocalOverrides, LocalStack};
use xtask::provision::Stack;

type HttpHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
/// A queue consumer: an SQS batch in, the records that failed out (or the invocation's error).
pub(crate) type QueueHandler = Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync>;
/// A consumer invoked with a JSON payload, as the Lambda runtime does (the samples).
type JsonHandler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;

/// The functions' handlers.
pub struct Functions {
    http: HashMap<&'static str, HttpHandler>,
    pub(crate) object_events: QueueHandler,
    pub(crate) notifications: QueueHandler,
    pub(crate) view_index: crate::stream::StreamHandler,
    pub(crate) jobs: QueueHandler,
    json: HashMap<&'static str, JsonHandler>,
}

fn http_function<F: HttpFunction>(app: F) -> HttpHandler {
    let app = Arc::new(app);
    Arc::new(move |req| {
        let app = Arc::clone(&app);
        // In the request's span, as `function::run` serves it on Lambda.
        let span = portal_shared::function::request_span(&req);
        Box::pin(tracing::Instrument::instrument(async move { app.serve(req).await }, span))
    })
}

/// The configuration sources of every function, by crate name.
pub struct Configuration {
    environments: BTreeMap<String, BTreeMap<String, String>>,
}

impl Configuration {
    /// The template's `Environment` of every function, resolved for `stack` served at
    /// `public_url`, with `overrides`.
    pub fn local(stack: &Stack, public_url: &str, overrides: LocalOverrides) -> Result<Self> {
        let template = function_env::template()?;
        let local = LocalStack { stack, public_url, overrides };
        let mut environments = BTreeMap::new();
        for function in function_env::functions(&template)?.keys() {
            environments.insert(function.clone(), local.environment(&template, function)?);
        }
        Ok(Self { environments })
    }

    /// `function`'s source (its resolved environment).
    pub fn of(&self, function: &str) -> Result<&dyn Source> {
        let environment = self.environments.get(function).with_context(|| format!("the template has no {function}"))?;
        Ok(environment)
    }
}

impl Functions {
    /// The handlers, configured as the template configures the functions; `public_url` is
    /// where the gateway serves the site (links in emails point there).
    pub fn new(sdk: &SdkConfig, stack: &Stack, public_url: &str) -> Result<Self> {
        Self::with_overrides(sdk, stack, public_url, LocalOverrides::default())
    }

    /// [`Functions::new`] with other local overrides (e.g. company sign-up in another mode).
    pub fn with_overrides(sdk: &SdkConfig, stack: &Stack, public_url: &str, overrides: LocalOverrides) -> Result<Self> {
        Self::configured(sdk, &Configuration::local(stack, public_url, overrides)?)
    }

    /// Each function built by its `configure` from its source in `configuration`.
    pub fn configured(sdk: &SdkConfig, configuration: &Configuration) -> Result<Self> {
        fn http<F: HttpFunction>(
            sdk: &SdkConfig,
            c: &Configuration,
            name: &'static str,
        ) -> Result<(&'static str, HttpHandler)> {
            let app = F::configure(sdk, c.of(name)?).with_context(|| format!("configuring {name}"))?;
            Ok((name, http_function(app)))
        }
        let http = HashMap::from([
            http::<portal_auth::App>(sdk, configuration, "auth")?,
            http::<portal_registration::App>(sdk, configuration, "registration")?,
            http::<portal_customer::App>(sdk, configuration, "customer")?,
            http::<portal_contacts::App>(sdk, configuration, "contacts")?,
            http::<portal_documents::App>(sdk, configuration, "documents")?,
            http::<portal_sharing::App>(sdk, configuration, "sharing")?,
            http::<portal_settings::App>(sdk, configuration, "settings")?,
            http::<portal_portal_access::App>(sdk, configuration, "portal-access")?,
            http::<portal_transfers::App>(sdk, configuration, "transfers")?,
        ]);
        let object_events = Arc::new(
            portal_object_events::App::configure(sdk, configuration.of("object-events")?)
                .context("configuring object-events")?,
        );
        let notifications = Arc::new(
            portal_notifications::App::configure(sdk, configuration.of("notifications")?)
                .context("configuring notifications")?,
        );
        let view_index = Arc::new(
            portal_view_index::App::configure(sdk, configuration.of("view-index")?)
                .context("configuring view-index")?,
        );
        let jobs = Arc::new(portal_jobs::App::configure(sdk, configuration.of("jobs")?).context("configuring jobs")?);
        let json: HashMap<&'static str, JsonHandler> = HashMap::from([
            ("jobs", {
                let app = Arc::clone(&jobs);
                Arc::new(move |payload| {
                    let app = Arc::clone(&app);
                    Box::pin(async move { app.invoke(payload).await.map_err(|e| e.to_string()) })
                        as BoxFuture<'static, _>
                }) as JsonHandler
            }),
            ("view-index", {
                let app = Arc::clone(&view_index);
                Arc::new(move |payload| {
                    let app = Arc::clone(&app);
                    Box::pin(async move { app.invoke(payload).await.map_err(|e| e.to_string()) })
                        as BoxFuture<'static, _>
                }) as JsonHandler
            }),
            ("object-events", {
                let app = Arc::clone(&object_events);
                Arc::new(move |payload| {
                    let app = Arc::clone(&app);
                    Box::pin(async move { app.invoke(payload).await.map_err(|e| e.to_string()) })
                        as BoxFuture<'static, _>
                }) as JsonHandler
            }),
            ("notifications", {
                let app = Arc::clone(&notifications);
                Arc::new(move |payload| {
                    let app = Arc::clone(&app);
                    Box::pin(async move { app.invoke(payload).await.map_err(|e| e.to_string()) })
                        as BoxFuture<'static, _>
                }) as JsonHandler
            }),
        ]);
        Ok(Self {
            http,
            object_events: Arc::new(move |event| {
                let app = Arc::clone(&object_events);
                Box::pin(async move { app.handle_sqs(event).await })
            }),
            notifications: Arc::new(move |event| {
                let app = Arc::clone(&notifications);
                Box::pin(async move { app.handle(event).await })
            }),
            view_index: Arc::new(move |event| {
                let app = Arc::clone(&view_index);
                Box::pin(async move {
                    let answer = app.handle(event).await;
                    answer.batch_item_failures.into_iter().filter_map(|failure| failure.item_identifier).collect()
                })
            }),
            jobs: Arc::new(move |event| {
                let app = Arc::clone(&jobs);
                Box::pin(async move { app.handle(event).await })
            }),
            json,
        })
    }
}

/// Why [`Functions`] could not run an event.
#[derive(Debug)]
pub enum InvokeError {
    /// No function of that name handles this kind of event.
    NoSuchFunction(String),
    /// The event is not what the Lambda runtime accepts for it.
    Malformed(serde_json::Error),
}

impl std::fmt::Display for InvokeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSuchFunction(name) => write!(f, "no function {name:?} for this event"),
            Self::Malformed(err) => write!(f, "the event cannot be represented: {err}"),
        }
    }
}

impl std::error::Error for InvokeError {}

impl Functions {
    /// The HTTP functions (crate names under `functions/`, as in the route table).
    pub fn http_functions(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.http.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Runs a typed API Gateway event (payload 2.0) through `function`'s handler.
    pub async fn call_http(&self, function: &str, event: LambdaRequest) -> Result<Response<Body>, InvokeError> {
        let handler = self.http.get(function).ok_or_else(|| InvokeError::NoSuchFunction(function.to_owned()))?;
        Ok(handler(Request::from(event)).await)
    }

    /// Runs an API Gateway event given as JSON through `function`'s handler as the Lambda
    /// runtime does: the JSON deserialized into lambda_http's request type (with only the
    /// `apigw_http` feature, it accepts the HTTP API payload 2.0 and nothing else), then
    /// `serve`.
    pub async fn invoke_http(&self, function: &str, event: Value) -> Result<Response<Body>, InvokeError> {
        if !self.http.contains_key(function) {
            return Err(InvokeError::NoSuchFunction(function.to_owned()));
        }
        let request: LambdaRequest = serde_json::from_value(event).map_err(InvokeError::Malformed)?;
        self.call_http(function, request).await
    }

    /// Runs a JSON event through an event consumer (`object-events`, `notifications`, `jobs`, or
    /// `view-index` with a stream batch) as the
    /// Lambda runtime does: its response (`{"batchItemFailures": […]}`, or `null` for a
    /// direct S3 notification), or the invocation's error.
    pub async fn invoke_queue(&self, function: &str, event: Value) -> Result<Result<Value, String>, InvokeError> {
        let handler = self.json.get(function).ok_or_else(|| InvokeError::NoSuchFunction(function.to_owned()))?;
        Ok(handler(event).await)
    }
}
