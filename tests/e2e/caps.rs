//! The hard cap on the AWS requests of one invocation (`portal_shared::metering::capped`,
//! the caps in `portal_shared::route_caps`), through the real SDK interceptor against the
//! local emulator: the request past the cap is refused before it is sent, a route answers
//! 503 `request-budget-exceeded`, and a queue record over its cap fails alone.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use local_gateway::ApiGateway;
use portal_shared::metering::{capped, measured};
use portal_shared::store::{Store, StoreError};
use portal_shared::{ApiError, batch};
use portal_tests::{call_in_process, env, sdk, tenant_fixture};
use reqwest::Method;

/// A store on the functions' own client (the metered one: the fixture's seeding store is a
/// plain client, which no budget sees).
async fn metered_store() -> Store {
    Store::new(portal_shared::aws::dynamodb_client(&sdk().await), &env().stack.table)
}

#[tokio::test]
async fn the_request_past_the_cap_is_refused_unsent_and_the_store_says_so() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let store = metered_store().await;
    let (outcomes, cost) = measured(capped("three reads", 2, async {
        let mut outcomes = Vec::new();
        for _ in 0..3 {
            outcomes.push(store.tenant(t.tenant.id).await.map(|tenant| tenant.is_some()));
        }
        outcomes
    }))
    .await;
    assert_eq!(outcomes[..2], [Ok(true), Ok(true)], "{outcomes:?}");
    assert!(matches!(outcomes[2], Err(StoreError::BudgetExceeded)), "{outcomes:?}");
    assert_eq!(cost.aws.total(), 2, "the refused request was never sent: {:?}", cost.aws.operations);
    Ok(())
}

#[tokio::test]
async fn a_route_past_its_cap_answers_503_request_budget_exceeded_never_a_timeout() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let api = ApiGateway::new(&sdk().await, &env().stack, "http://127.0.0.1").await?;
    // `GET /contacts` makes 2 requests (the caller, the page): within its own cap it
    // answers; inside a budget of 1 (an enclosing budget is charged too) the page's query
    // is refused.
    let (status, body) = call_in_process(&api, &Method::GET, "/contacts", t.member.token(), None).await?;
    assert_eq!(status, 200, "{body}");
    let (answer, cost) =
        measured(capped("test", 1, call_in_process(&api, &Method::GET, "/contacts", t.member.token(), None))).await;
    let (status, body) = answer?;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["type"], "/problems/request-budget-exceeded", "{body}");
    assert_eq!(cost.aws.total(), 1, "{:?}", cost.aws.operations);
    Ok(())
}

#[tokio::test]
async fn a_queue_record_over_its_cap_fails_alone_and_the_others_are_processed() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let metered = metered_store().await;
    let mut event = SqsEvent::default();
    event.records = ["1", "3", "2"]
        .iter()
        .enumerate()
        .map(|(i, reads)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("m-{i}"));
            message.body = Some((*reads).to_owned());
            message
        })
        .collect();
    // Each record reads the company as many times as its body says; each may make 2.
    let response = batch::process_records_capped(event, 2, |body| {
        let store = metered.clone();
        let tenant = t.tenant.id;
        async move {
            let reads: u32 = body.parse().map_err(|_| ApiError::Malformed(body.clone()))?;
            for _ in 0..reads {
                store.tenant(tenant).await?;
            }
            Ok::<_, ApiError>(())
        }
    })
    .await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m-1"], "only the record over its cap fails");
    Ok(())
}
