//! The growth test: a paged route makes the same AWS requests for a page whatever the
//! data size. Two companies seeded alike (`local_gateway::bench::growth_world`, the
//! benchmark's seeding), one with 5 and one with 60 of everything (documents, contacts,
//! organization members, activity, submissions, documents shared one by one, shared
//! folders, documents in a shared folder, folder depth), each listing read for its first
//! page of 5 in-process and its requests counted per service and operation. The number of
//! companies the customer belongs to stays 2 in both: the customer's routes read one page
//! per company by design (`docs/performance.md`), so that dimension may grow, within
//! bounds the benchmark measures (`cargo xtask bench --growth`). Small sizes: the large
//! ones are the benchmark's.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, ensure};
use local_gateway::ApiGateway;
use local_gateway::bench::growth_world::{Dimension, Shape, World};
use portal_shared::metering;
use portal_tests::{call_in_process, env, sdk};

/// The page size asked for: both companies hold at least a full page of each listing.
const PAGE: u32 = 5;
const SMALL: usize = 5;
/// Five times the small one: a walk or a fan-out shows, and the local stream (one shard,
/// moto answering each index query by walking the table) indexes it in a minute or two.
const LARGE: usize = 25;
/// How long each world may take to show in the customer's listing (the view index).
const INDEXED: Duration = Duration::from_secs(300);
/// Companies of the customer in both worlds (more than one: the merge across companies).
const COMPANIES: usize = 2;

/// One page's requests, `service:Operation` → count, and the page's status.
async fn page_requests(api: &ApiGateway, path: &str, token: Option<&str>) -> Result<(u16, BTreeMap<String, u32>)> {
    let call = call_in_process(api, &reqwest::Method::GET, path, token, None);
    let (answer, cost) = metering::measured(call).await;
    let (status, _) = answer?;
    let mut counts = BTreeMap::new();
    for operation in cost.aws.operations {
        *counts.entry(operation).or_default() += 1;
    }
    Ok((status, counts))
}

#[tokio::test]
#[ignore = "seeds hundreds of items at once, which the one local stream delivers to the view index for a minute or more: `cargo xtask test` runs it alone, after the rest"]
async fn paged_routes_make_the_same_aws_requests_per_page_at_any_size() -> Result<()> {
    let api = ApiGateway::new(&sdk().await, &env().stack, "http://127.0.0.1").await?;
    // One after the other: the small world's indexing never waits behind the large one's.
    let small =
        World::build(&env().stack, &env().api_url, &Shape::every(SMALL).with(Dimension::Companies, COMPANIES)).await?;
    small.wait_until_visible(INDEXED).await?;
    let large =
        World::build(&env().stack, &env().api_url, &Shape::every(LARGE).with(Dimension::Companies, COMPANIES)).await?;
    large.wait_until_visible(INDEXED).await?;
    let mut grown = Vec::new();
    let mut measured = Vec::new();
    let mut done = std::collections::BTreeSet::new();
    for dimension in Dimension::ALL {
        let cases = small.routes(dimension, PAGE).into_iter().zip(large.routes(dimension, PAGE));
        for (at_small, at_large) in cases.filter(|(case, _)| case.paged) {
            // A route read for several dimensions is measured once (the worlds hold them all).
            if !done.insert(at_small.route) {
                continue;
            }
            let (status_small, small_counts) =
                page_requests(&api, &at_small.path, small.token(at_small.caller)).await?;
            let (status_large, large_counts) =
                page_requests(&api, &at_large.path, large.token(at_large.caller)).await?;
            ensure!(
                status_small == 200 && status_large == 200,
                "{}: answered {status_small} and {status_large}",
                at_small.route
            );
            measured.push(format!("{}: {small_counts:?} at {SMALL}, {large_counts:?} at {LARGE}", at_small.route));
            if small_counts != large_counts {
                grown.push(format!("{}: {small_counts:?} at {SMALL}, {large_counts:?} at {LARGE}", at_small.route));
            }
        }
    }
    small.clear().await?;
    large.clear().await?;
    ensure!(
        grown.is_empty(),
        "paged routes whose requests per page grow with the data:\n{}\n\nall measured:\n{}",
        grown.join("\n"),
        measured.join("\n")
    );
    ensure!(measured.len() >= 12, "fewer paged routes than expected: {measured:?}");
    Ok(())
}
