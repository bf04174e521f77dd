//! One headless Chromium per test, driven through its own chromedriver on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::process::{Child, Command};
use tokio::sync::{Semaphore, SemaphorePermit};
use xtask::browser::CHROMEDRIVER_ENV;

/// How long a page may take to show what a test waits for: generous, since Chromium, the
/// emulators and the other tests share two cores (a passing wait ends as soon as it holds).
pub const WAIT: Duration = Duration::from_secs(60);

/// Two browsers at a time: each is a few processes, and the machine may have two cores.
static BROWSERS: Semaphore = Semaphore::const_new(2);

pub struct Browser {
    pub client: Client,
    /// The gateway's root, e.g. `http://127.0.0.1:41234` (the API is under `/api`).
    pub base: String,
    name: String,
    downloads: PathBuf,
    driver: Child,
    _permit: SemaphorePermit<'static>,
}

impl Browser {
    /// A fresh browser profile (no cookies, no storage) at 1280×900; `name` prefixes its
    /// screenshots.
    pub async fn open(name: &str) -> Result<Self> {
        let permit = BROWSERS.acquire().await?;
        let chromedriver = std::env::var(CHROMEDRIVER_ENV).unwrap_or_else(|_| "chromedriver".into());
        let (mut driver, port) = start_chromedriver(&chromedriver).await?;
        let downloads = screenshots_dir().join("downloads").join(portal_tests::unique(name));
        std::fs::create_dir_all(&downloads)?;
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--lang=en-GB", "--no-first-run", "--disable-extensions"],
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut builder = ClientBuilder::rustls()?;
        builder.capabilities(capabilities.as_object().cloned().unwrap_or_default());
        let client = match builder.connect(&webdriver).await {
            Ok(client) => client,
            Err(err) => {
                let _ = driver.kill().await;
                bail!("chromedriver at {webdriver} refused a session: {err}");
            }
        };
        let api_url = &portal_tests::env().api_url;
        let base = api_url.strip_suffix("/api").unwrap_or(api_url).to_owned();
        Ok(Self { client, base, name: name.to_owned(), downloads, driver, _permit: permit })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        let url = if path.starts_with("http") { path.to_owned() } else { self.url(path) };
        self.client.goto(&url).await.with_context(|| format!("opening {url}"))
    }

    /// Waits until an element matching `css` is on the page.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Waits until an element matching `css` is displayed and contains `text`; returns it.
    pub async fn wait_text(&self, css: &str, text: &str) -> Result<Element> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            seen.clear();
            for element in self.client.find_all(Locator::Css(css)).await? {
                let shown = element.text().await.unwrap_or_default();
                if shown.contains(text) && element.is_displayed().await.unwrap_or(false) {
                    return Ok(element);
                }
                seen.push(shown);
            }
            if tokio::time::Instant::now() >= deadline {
                let shot = self.screenshot("timeout").await.ok();
                bail!("no visible `{css}` containing {text:?} after {WAIT:?}; saw {seen:?} (screenshot: {shot:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `value` into the (emptied) field matching `css`.
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(value).await.with_context(|| format!("typing into `{css}`"))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await.with_context(|| format!("clicking `{css}`"))
    }

    /// Whether any element matching `css` is displayed now (no waiting).
    pub async fn is_shown(&self, css: &str) -> Result<bool> {
        for element in self.client.find_all(Locator::Css(css)).await? {
            if element.is_displayed().await.unwrap_or(false) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        Ok(self.client.set_window_size(width, height).await?)
    }

    /// Saves the page as `target/screenshots/{name}-{label}.png` and returns its path.
    pub async fn screenshot(&self, label: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = screenshots_dir().join(format!("{}-{label}.png", self.name));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Where this browser's downloads land.
    pub fn download_dir(&self) -> &Path {
        &self.downloads
    }

    /// Waits for a completed download named `file_name` and returns its bytes.
    pub async fn downloaded(&self, file_name: &str) -> Result<Vec<u8>> {
        let path = self.downloads.join(file_name);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            // Chromium writes `name.crdownload` and renames it when complete.
            if path.exists() {
                return Ok(std::fs::read(&path)?);
            }
            if tokio::time::Instant::now() >= deadline {
                let found: Vec<_> = std::fs::read_dir(&self.downloads)?.flatten().map(|e| e.file_name()).collect();
                bail!("no download {file_name:?} after {WAIT:?}; the directory has {found:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's console errors (uncaught exceptions, `console.error`, failed loads) since
    /// the last call.
    pub async fn console_errors(&self) -> Result<Vec<String>> {
        let entries = self.client.issue_cmd(BrowserLog).await?;
        Ok(entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect())
    }

    /// Fails when the page logged any console error.
    pub async fn assert_no_console_errors(&self) -> Result<()> {
        let errors = self.console_errors().await?;
        if !errors.is_empty() {
            bail!("console errors on {}: {errors:#?}", self.client.current_url().await?);
        }
        Ok(())
    }

    pub async fn close(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        Ok(closed?)
    }
}

impl Drop for Browser {
    /// A test that failed before `close` still ends its browser: Chromium is chromedriver's
    /// child and would outlive it.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("pkill").args(["-TERM", "-P", &pid.to_string()]).status();
        }
    }
}

/// A chromedriver on a port of its own choosing, and that port. Port 0: chromedriver binds a
/// free port itself and prints it, so no other process (another test's chromedriver or
/// gateway) can take it between finding and binding. Once in a full run a chromedriver
/// exited before it said it listened (its stderr was not kept, so why is not known; one
/// possibility is the same port taken on IPv6's loopback, which it binds as well): a driver
/// that exits before listening is started again, twice at most, and what it wrote on
/// stderr is printed (and is the error of the last attempt).
async fn start_chromedriver(chromedriver: &str) -> Result<(Child, u16)> {
    let mut attempt = 1;
    loop {
        let mut driver = Command::new(chromedriver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {chromedriver} (`cargo xtask test` installs it)"))?;
        match tokio::time::timeout(WAIT, listening_port(&mut driver)).await {
            Ok(Ok(port)) => return Ok((driver, port)),
            Ok(Err(err)) if attempt < 3 => {
                let _ = driver.kill().await;
                eprintln!("chromedriver, attempt {attempt}: {err:#}; starting another");
                attempt += 1;
            }
            Ok(Err(err)) => {
                let _ = driver.kill().await;
                return Err(err);
            }
            Err(_) => {
                let _ = driver.kill().await;
                bail!("chromedriver did not report its port within {WAIT:?}");
            }
        }
    }
}

/// The port chromedriver reports once it listens ("ChromeDriver was started successfully
/// on port 41234."); its stdout is then drained so that it never blocks on a full pipe.
async fn listening_port(driver: &mut Child) -> Result<u16> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let stdout = driver.stdout.take().context("chromedriver's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            let port = rest.trim().trim_end_matches('.').parse().with_context(|| format!("reading {line:?}"))?;
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            if let Some(stderr) = driver.stderr.take() {
                let mut stderr = BufReader::new(stderr).lines();
                tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
            }
            return Ok(port);
        }
    }
    let mut said = String::new();
    if let Some(mut stderr) = driver.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), stderr.read_to_string(&mut said)).await;
    }
    bail!("chromedriver exited before it listened: {}", said.trim())
}

pub fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| xtask::paths::repo_root().join("target"))
        .join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// chromedriver's log endpoint (not in the W3C protocol, so not in fantoccini).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}
