//! A small load run (the one `cargo xtask soak` runs at 50 × 200): concurrent staff and
//! customer sessions through the gateway, then the final state checked against the model
//! of what they did (see `xtask::load`). Timings are printed, never asserted.

use xtask::load::{Options, run};

#[tokio::test]
async fn concurrent_sessions_lose_nothing_duplicate_nothing_and_never_fail() -> anyhow::Result<()> {
    let env = portal_tests::env();
    let report = run(&env.api_url, &env.stack, &Options::new(8, 25, 90)).await?;
    println!("{report}");
    assert_eq!(report.server_errors(), 0, "{report}");
    assert!(report.passed(), "{report}");
    assert!(report.operations >= 8, "{report}");
    assert!(report.uploads > 0 && report.shares + report.operation_kinds.get("unshare").copied().unwrap_or(0) > 0);
    Ok(())
}
