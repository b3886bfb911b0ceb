//! What the browser tests share: chromedriver + headless Chromium with a fresh profile,
//! screenshots under artifacts/, and the checks every visited page must pass (no script error,
//! no request to another host, axe-core without serious or critical WCAG violations).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn artifacts() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&p).unwrap();
    p
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(name), png).unwrap();
}

/// Every resource the page loaded came from our loopback server, and the page recorded no
/// script error, failed load or CSP violation.
pub async fn assert_clean(c: &Client, origin: &str, page: &str) {
    let v = c
        .execute(
            "return { errors: window.spreidingErrors || ['guard.js not loaded'], \
                      urls: performance.getEntriesByType('resource').map(e => e.name).concat([location.href]) };",
            vec![],
        )
        .await
        .unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "{page}: errors in the page: {errors:?}");
    for u in v["urls"].as_array().unwrap() {
        let u = u.as_str().unwrap();
        assert!(u.starts_with(origin), "{page}: request to another host: {u}");
    }
    assert_accessible(c, page).await;
}

/// axe-core (vendored from npm, tests/vendor/) on the page as it stands: no serious or critical
/// violation of the WCAG 2.0/2.1 A and AA rules.
pub async fn assert_accessible(c: &Client, page: &str) {
    const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");
    c.execute(&format!("{AXE}\n;return typeof axe;"), vec![]).await.unwrap();
    let v = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.violations.filter(x => x.impact === 'serious' || x.impact === 'critical')
                 .map(x => ({ id: x.id, impact: x.impact, help: x.help,
                              nodes: x.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .unwrap();
    let violations = v.as_array().unwrap();
    assert!(violations.is_empty(), "{page}: axe-core reports serious or critical WCAG violations: {violations:#?}");
}

/// A running browser: dropping it stops chromedriver (and so Chromium).
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// Start chromedriver and a headless Chromium, or None when they are not installed (then the
/// caller skips, unless SPREIDING_REQUIRE_BROWSER=1 as in .ci/run, which makes it a failure).
pub async fn start() -> Option<Browser> {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        if std::env::var("SPREIDING_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "SPREIDING_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing: apt-get install chromium chromium-driver"
            );
        }
        eprintln!("skipped: {CHROMEDRIVER} not installed (apt-get install chromium chromium-driver)");
        return None;
    }
    // chromedriver + headless chromium with a fresh profile and no background traffic.
    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,1400",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    Some(Browser { client: client.expect("connect to chromedriver"), _driver: driver, _profile: profile })
}
