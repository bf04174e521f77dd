//! Browser tests: headless Chromium, driven over WebDriver (chromedriver), on the real
//! pages served by the local gateway against the local AWS stack. Run with
//! `cargo xtask test` (it installs Chromium and ChromeDriver when missing and starts the
//! stack); screenshots of each major screen land in `target/screenshots/`.

mod accent;
mod customer;
mod mailbox;
mod pages;
mod search;
mod signup;
mod staff;
mod support;
