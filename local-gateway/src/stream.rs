//! The table's stream delivered to the view-index function, as Lambda's DynamoDB event
//! source mapping does: the shard read from its start (`TRIM_HORIZON`, as the template's
//! mapping), batches of up to [`BATCH_SIZE`] records as the typed stream event, and on a
//! reported failure the batch retried from the failed record (a bounded number of times,
//! then that record is skipped and logged, where Lambda would send it to the on-failure
//! destination). One poller per table (the shard's order is the table's change order per
//! item, and Lambda also runs one batch per shard at a time).
//!
//! The emulator (moto) keeps one shard per table and never closes it.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event, EventRecord, StreamRecord};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use futures::future::BoxFuture;
use tokio::sync::watch;

/// The template's batch size (`BatchSize` of the function's DynamoDB event).
pub const BATCH_SIZE: i32 = 10;
/// How long the poller waits when the shard has nothing new: with the function's own time,
/// the local bound on how stale the view index is (`docs/local-stack.md`).
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Deliveries of a failing batch before its first failed record is skipped.
pub const MAX_ATTEMPTS: u32 = 4;

/// The stream's consumer: a batch in, the sequence numbers of the records that failed out.
pub type StreamHandler = Arc<dyn Fn(Event) -> BoxFuture<'static, Vec<String>> + Send + Sync>;

/// The stream of `table`, if it has one: its ARN and its (first) shard.
pub async fn shard(
    dynamodb: &aws_sdk_dynamodb::Client,
    streams: &aws_sdk_dynamodbstreams::Client,
    table: &str,
) -> anyhow::Result<(String, String)> {
    let described = dynamodb.describe_table().table_name(table).send().await?;
    let arn = described
        .table
        .and_then(|t| t.latest_stream_arn)
        .ok_or_else(|| anyhow::anyhow!("table {table} has no stream"))?;
    let stream = streams.describe_stream().stream_arn(&arn).send().await?;
    let shard = stream
        .stream_description
        .and_then(|d| d.shards)
        .and_then(|shards| shards.into_iter().next())
        .and_then(|shard| shard.shard_id)
        .ok_or_else(|| anyhow::anyhow!("the stream of {table} has no shard"))?;
    Ok((arn, shard))
}

/// A stream record as the Lambda event carries it.
fn event_record(record: Record, stream_arn: &str, region: &str) -> EventRecord {
    let mut change = StreamRecord::default();
    if let Some(data) = record.dynamodb {
        change.keys = data.keys.unwrap_or_default().into();
        change.new_image = data.new_image.unwrap_or_default().into();
        change.old_image = data.old_image.unwrap_or_default().into();
        change.sequence_number = data.sequence_number;
        change.size_bytes = data.size_bytes.unwrap_or_default();
    }
    let mut event = EventRecord::default();
    event.aws_region = region.to_owned();
    event.change = change;
    event.event_id = record.event_id.unwrap_or_default();
    event.event_name = record.event_name.map(|name| name.as_str().to_owned()).unwrap_or_default();
    event.event_source = Some("aws:dynamodb".to_owned());
    event.event_version = record.event_version;
    event.event_source_arn = Some(stream_arn.to_owned());
    event
}

/// Polls the table's stream until `stopped`, delivering each batch to `handler`.
pub async fn poll(
    sdk: aws_config::SdkConfig,
    table: String,
    region: String,
    handler: StreamHandler,
    mut stopped: watch::Receiver<bool>,
) {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let (arn, shard_id) = match shard(&dynamodb, &streams, &table).await {
        Ok(found) => found,
        Err(err) => {
            tracing::error!(error = %err, "the view index's stream cannot be read; the portal listing will not update");
            return;
        }
    };
    let iterator = |kind: ShardIteratorType, sequence: Option<String>| {
        let (streams, arn, shard_id) = (streams.clone(), arn.clone(), shard_id.clone());
        async move {
            streams
                .get_shard_iterator()
                .stream_arn(arn)
                .shard_id(shard_id)
                .shard_iterator_type(kind)
                .set_sequence_number(sequence)
                .send()
                .await
                .ok()
                .and_then(|out| out.shard_iterator)
        }
    };
    let mut position = iterator(ShardIteratorType::TrimHorizon, None).await;
    let mut attempts = 0;
    loop {
        if *stopped.borrow() {
            return;
        }
        let Some(current) = position.clone() else {
            tracing::warn!("no shard iterator for the table's stream; retrying");
            sleep_or_stop(&mut stopped, Duration::from_secs(1)).await;
            position = iterator(ShardIteratorType::TrimHorizon, None).await;
            continue;
        };
        let output = match streams.get_records().shard_iterator(&current).limit(BATCH_SIZE).send().await {
            Ok(output) => output,
            Err(err) => {
                tracing::warn!(error = %aws_sdk_dynamodbstreams::error::DisplayErrorContext(&err), "GetRecords failed");
                sleep_or_stop(&mut stopped, Duration::from_millis(500)).await;
                continue;
            }
        };
        let records = output.records.unwrap_or_default();
        if records.is_empty() {
            position = output.next_shard_iterator.or(Some(current));
            sleep_or_stop(&mut stopped, POLL_INTERVAL).await;
            continue;
        }
        let mut event = Event::default();
        event.records = records.into_iter().map(|r| event_record(r, &arn, &region)).collect();
        let failed = handler(event).await;
        match failed.into_iter().next() {
            None => {
                attempts = 0;
                position = output.next_shard_iterator;
            }
            Some(sequence) if attempts + 1 < MAX_ATTEMPTS => {
                // Again from the failed record, after a pause (the fault may pass).
                attempts += 1;
                sleep_or_stop(&mut stopped, Duration::from_millis(200 * u64::from(attempts))).await;
                position = iterator(ShardIteratorType::AtSequenceNumber, Some(sequence)).await;
            }
            Some(sequence) => {
                tracing::error!(
                    sequence,
                    "a stream record failed {MAX_ATTEMPTS} times; skipped (Lambda's on-failure destination)"
                );
                attempts = 0;
                position = iterator(ShardIteratorType::AfterSequenceNumber, Some(sequence)).await;
            }
        }
    }
}

async fn sleep_or_stop(stopped: &mut watch::Receiver<bool>, pause: Duration) {
    tokio::select! {
        _ = stopped.wait_for(|stop| *stop) => {}
        _ = tokio::time::sleep(pause) => {}
    }
}
