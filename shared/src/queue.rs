//! The notifications queue, as the functions that announce work on it see it.

use crate::error::ApiError;
use crate::model::NotificationMessage;

#[derive(Clone, Debug)]
pub struct NotificationQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl NotificationQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    /// Sends `message`, delivered after `delay_seconds` (SQS allows at most 900).
    pub async fn send(&self, message: &NotificationMessage, delay_seconds: i64) -> Result<(), ApiError> {
        let body = serde_json::to_string(message).map_err(|e| ApiError::Internal(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay_seconds.clamp(0, 900) as i32)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("SendMessage", e))?;
        Ok(())
    }
}
