//! The `documents` function: the tenant's drive as staff see it — folders (nested) and
//! documents, rename, move and delete, customer submissions, and each document's trail.

use aws_config::SdkConfig;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::aws;
use portal_shared::config::{self, ConfigError};
use portal_shared::domain::FolderId;
use portal_shared::function::HttpFunction;
use portal_shared::http::{no_content, path_param, respond, route_key, unknown_route};
use portal_shared::storage::Storage;
use portal_shared::store::Store;

// One module per concern: the routes parse requests into typed inputs (`inputs`) and
// render answers; the use cases (`documents`, `folders`) take only typed values.
mod documents;
mod folders;
mod inputs;
mod routes;

pub use folders::FolderView;
#[cfg(test)]
use inputs::{DocumentChanges, FolderChanges, NewFolder};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). Transactions are authorized per item; deleting a document's
/// bytes lists and deletes every version of its object.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchWriteItem",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
    "sqs:SendMessage",
];

pub struct App {
    store: Store,
    storage: Storage,
    /// Deleting a non-empty folder starts a job.
    jobs: portal_shared::jobs::JobQueue,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::DOCUMENTS_BUCKET)?,
            config::required(env, config::JOBS_QUEUE_URL)?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /documents") => respond(StatusCode::OK, self.list_documents(&req).await),
            Some("GET /documents/{documentId}") => respond(StatusCode::OK, self.get_document(&req).await),
            Some("PATCH /documents/{documentId}") => respond(StatusCode::OK, self.patch_document(&req).await),
            Some("DELETE /documents/{documentId}") => no_content(self.remove_document(&req).await),
            Some("GET /documents/{documentId}/activity") => {
                respond(StatusCode::OK, self.get_document_activity(&req).await)
            }
            Some("GET /drive") => respond(StatusCode::OK, self.get_children(&req, None).await),
            Some("POST /folders") => respond(StatusCode::CREATED, self.post_folder(&req).await),
            Some("GET /folders/{folderId}") => respond(StatusCode::OK, self.get_folder(&req).await),
            Some("PATCH /folders/{folderId}") => respond(StatusCode::OK, self.patch_folder(&req).await),
            Some("DELETE /folders/{folderId}") => match self.remove_folder(&req).await {
                Ok(portal_shared::jobs::Answer::Done(())) => no_content(Ok(())),
                other => portal_shared::jobs::respond(StatusCode::NO_CONTENT, other),
            },
            Some("GET /folders/{folderId}/items") => match path_param::<FolderId>(&req, "folderId") {
                Ok(folder) => respond(StatusCode::OK, self.get_children(&req, Some(folder)).await),
                Err(err) => err.into_response(),
            },
            Some("GET /submissions") => respond(StatusCode::OK, self.list_submissions(&req).await),
            Some("GET /contacts/{contactId}/submissions") => {
                respond(StatusCode::OK, self.list_contact_submissions(&req).await)
            }
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        bucket: impl Into<String>,
        jobs_queue_url: impl Into<String>,
    ) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            storage: Storage::new(aws::s3_client(sdk), bucket),
            jobs: portal_shared::jobs::JobQueue::new(aws::sqs_client(sdk), jobs_queue_url),
        }
    }
}

#[cfg(test)]
mod properties;
