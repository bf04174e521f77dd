//! The local DynamoDB keeps the promises of AWS that the portal relies on and that our
//! launcher (`xtask/src/moto_server.py`) restores over moto: a cancelled transaction changes
//! no item and streams nothing, and a stream reader reads on after it (the view index is
//! kept from that stream).

use std::collections::HashMap;

use anyhow::{Result, ensure};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use portal_tests::{env, sdk};

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
        ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

fn item(pk: &str, sk: &str, n: u32) -> HashMap<String, AttributeValue> {
    let mut item = key(pk, sk);
    item.insert("n".to_owned(), AttributeValue::N(n.to_string()));
    item
}

#[tokio::test]
async fn a_cancelled_transaction_changes_nothing_streams_nothing_and_the_stream_reads_on() -> Result<()> {
    let sdk = sdk().await;
    let table = env().stack.table.as_str();
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let pk = format!("EMULATOR#{}", uuid::Uuid::now_v7());
    for sk in ["updated", "deleted"] {
        dynamodb.put_item().table_name(table).set_item(Some(item(&pk, sk, 1))).send().await?;
    }

    // A reader positioned after those writes, as the view index's poller is.
    let (arn, shard) = local_gateway::stream::shard(&dynamodb, &streams, table).await?;
    let mut iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await?
        .shard_iterator;

    // An update in place, a delete and a put, then a condition that fails: all cancelled.
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key(&pk, "updated")))
        .update_expression("SET n = n + :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()?;
    let delete = Delete::builder().table_name(table).set_key(Some(key(&pk, "deleted"))).build()?;
    let put = Put::builder().table_name(table).set_item(Some(item(&pk, "put", 1))).build()?;
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key(&pk, "absent")))
        .condition_expression("attribute_exists(PK)")
        .build()?;
    let cancelled = dynamodb
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build())
        .transact_items(TransactWriteItem::builder().delete(delete).build())
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .send()
        .await;
    let refusal = cancelled.expect_err("the condition fails").into_service_error();
    ensure!(refusal.is_transaction_canceled_exception(), "cancelled, not {refusal:?}");

    let read = |sk: &'static str| {
        let (dynamodb, pk) = (dynamodb.clone(), pk.clone());
        async move {
            let got =
                dynamodb.get_item().table_name(table).set_key(Some(key(&pk, sk))).consistent_read(true).send().await?;
            anyhow::Ok(got.item.and_then(|i| i.get("n").cloned()))
        }
    };
    ensure!(read("updated").await? == Some(AttributeValue::N("1".into())), "the update was undone");
    ensure!(read("deleted").await?.is_some(), "the delete was undone");
    ensure!(read("put").await?.is_none(), "the put was undone");

    // A write after it reaches the reader, and nothing of the cancelled actions came before.
    dynamodb.put_item().table_name(table).set_item(Some(item(&pk, "after", 1))).send().await?;
    let mut ours = Vec::new();
    for _ in 0..200 {
        let Some(current) = iterator.take() else { break };
        let page = streams.get_records().shard_iterator(current).send().await?;
        for record in page.records() {
            let keys = record.dynamodb().and_then(|d| d.keys());
            if keys.and_then(|k| k.get("PK")).and_then(|v| v.as_s().ok()) == Some(&pk) {
                let sk = keys.and_then(|k| k.get("SK")).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                ours.push(sk);
            }
        }
        iterator = page.next_shard_iterator;
        if ours.iter().any(|sk| sk == "after") {
            break;
        }
    }
    ensure!(ours == ["after"], "the reader sees the later write alone, saw {ours:?}");
    Ok(())
}
