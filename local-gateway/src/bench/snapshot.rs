//! The table as it was before a route's warm series, to put back after it. A write route
//! measured 1,000 times (uploads, downloads with their activity entries) leaves 1,000
//! items behind, and moto answers a query by walking every item of the partition (or of
//! the table, for an index) in Python: every later route would be measured against an
//! emulator a little slower each time, and a function waiting longer on it runs its own
//! work with colder caches. DynamoDB's latency does not grow with a table, so each route
//! starts from the same seeded data.

use std::collections::HashSet;

use anyhow::{Context, Result};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};

pub struct TableSnapshot {
    client: Client,
    table: String,
    keys: HashSet<(String, String)>,
}

impl TableSnapshot {
    /// The keys of every item in `table` now.
    pub async fn take(client: Client, table: &str) -> Result<Self> {
        let keys = keys(&client, table).await?;
        Ok(Self { client, table: table.to_owned(), keys })
    }

    /// Deletes every item written since the snapshot (changes to items that were there
    /// stay: the measured routes' updates are idempotent). Returns how many.
    pub async fn restore(&self) -> Result<usize> {
        let added: Vec<(String, String)> =
            keys(&self.client, &self.table).await?.into_iter().filter(|key| !self.keys.contains(key)).collect();
        for chunk in added.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|(pk, sk)| {
                    let delete = DeleteRequest::builder()
                        .key("PK", AttributeValue::S(pk.clone()))
                        .key("SK", AttributeValue::S(sk.clone()))
                        .build()
                        .expect("both keys set");
                    WriteRequest::builder().delete_request(delete).build()
                })
                .collect();
            // Unprocessed requests (throttling) are sent again, a bounded number of times.
            for _ in 0..5 {
                if requests.is_empty() {
                    break;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .context("deleting what a route wrote")?;
                requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
            }
        }
        Ok(added.len())
    }
}

async fn keys(client: &Client, table: &str) -> Result<HashSet<(String, String)>> {
    let text = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
        item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
    };
    let mut keys = HashSet::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .projection_expression("PK, SK")
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("listing the table's keys")?;
        keys.extend(page.items().iter().map(|item| (text(item, "PK"), text(item, "SK"))));
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(keys);
        }
    }
}
