//! `spreiding serve` and `spreiding user add` end to end, through the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spreiding"))
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn user_add_creates_accounts_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("u.db").display());
    // The bootstrap: the first account of an empty database needs no sign-in.
    let ok = bin()
        .args(["user", "add", "beheer", "--role", "admin", "--database", &db])
        .env("SPREIDING_PASSWORD", "a-long-password")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("added beheer (admin) — the first account"));
    // After it, only the administrator adds accounts.
    let anon = bin()
        .args(["user", "add", "groningen", "--role", "municipality", "--municipality", "GM0014", "--database", &db])
        .env("SPREIDING_NEW_PASSWORD", "a-long-password")
        .output()
        .unwrap();
    assert_eq!(anon.status.code(), Some(3), "{}", String::from_utf8_lossy(&anon.stderr));
    let ok = bin()
        .args([
            "user",
            "add",
            "groningen",
            "--role",
            "municipality",
            "--municipality",
            "GM0014",
            "--database",
            &db,
            "--user",
            "beheer",
        ])
        .env("SPREIDING_PASSWORD", "a-long-password")
        .env("SPREIDING_NEW_PASSWORD", "another-long-password")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "added groningen (municipality:GM0014)");

    let mut child = bin()
        .args([
            "user",
            "add",
            "cdk",
            "--role",
            "province",
            "--province",
            "PV20",
            "--password-stdin",
            "--database",
            &db,
            "--user",
            "beheer",
        ])
        .env("SPREIDING_PASSWORD", "a-long-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"another-long-password\n").unwrap();
    assert!(child.wait().unwrap().success());

    for (args, needle) in [
        (vec!["groningen", "--role", "municipality", "--municipality", "GM0014"], "exists already"),
        (vec!["x1", "--role", "mayor"], "unknown role"),
        (vec!["x2", "--role", "municipality"], "needs a municipality"),
        (vec!["x3", "--role", "municipality", "--municipality", "GM9999"], "not one of the 342"),
        (vec!["x4", "--role", "ministry", "--province", "PV20"], "takes no"),
        (vec!["bad name", "--role", "coa"], "user name"),
    ] {
        let out = bin()
            .args(["user", "add"])
            .args(&args)
            .args(["--database", &db, "--user", "beheer"])
            .env("SPREIDING_PASSWORD", "a-long-password")
            .env("SPREIDING_NEW_PASSWORD", "a-long-password")
            .output()
            .unwrap();
        // Bad input is 2; a name that exists already is a conflict with the record, 3.
        let want = if needle == "exists already" { 3 } else { 2 };
        assert_eq!(out.status.code(), Some(want), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let short = bin()
        .args(["user", "add", "y", "--role", "coa", "--database", &db, "--user", "beheer"])
        .env("SPREIDING_PASSWORD", "a-long-password")
        .env("SPREIDING_NEW_PASSWORD", "short")
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
}

#[test]
fn serve_creates_the_database_and_serves_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fresh.db");
    let db = format!("sqlite:{}", file.display());
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let result = std::panic::catch_unwind(|| {
        assert!(line.starts_with("spreiding serves the dashboard on http://127.0.0.1:"), "{line}");
        let addr = line.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
        assert!(file.exists(), "the SQLite database is created on first start");
        let page = http_get(&addr, "/");
        assert!(page.starts_with("HTTP/1.1 200"), "{}", &page[..page.len().min(200)]);
        assert!(page.contains("Landelijk overzicht") && page.contains("SES-WOA not loaded: population-only key"));
        assert!(
            page.contains("2026D05614") && page.contains("herberekening"),
            "the page says where the numbers come from"
        );
        let api = http_get(&addr, "/api/overview");
        assert!(api.contains("\"forecast_total\":88000"));
        assert!(api.contains("\"origin\":\"import\""));
        let geo = http_get(&addr, "/api/map.geojson");
        assert_eq!(geo.matches("\"type\":\"Feature\"").count(), 342);
    });
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
}

/// A running server process; killed when dropped.
struct Server {
    child: std::process::Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str) -> Server {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--database", db])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).expect("serve prints its address").split('/').next().unwrap().to_string();
    Server { child, addr }
}

/// A raw HTTP request with an optional cookie; returns the response text.
fn http(addr: &str, method: &str, path: &str, cookie: Option<&str>, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn cookie_of(resp: &str) -> Option<String> {
    resp.lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie: spreiding_session="))
        .map(|l| l[12..].split(';').next().unwrap().to_string())
}

fn json_body(resp: &str) -> serde_json::Value {
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    // Chunked bodies: take the part between the first '{' and the last '}'.
    let (a, b) = (body.find('{').unwrap_or(0), body.rfind('}').map(|i| i + 1).unwrap_or(body.len()));
    serde_json::from_str(&body[a..b]).unwrap_or(serde_json::Value::Null)
}

fn cli(db: &str, args: &[&str]) -> std::process::Output {
    bin()
        .args(args)
        .env("DATABASE_URL", db)
        .env("SPREIDING_PASSWORD", "a-long-password")
        .env("SPREIDING_NEW_PASSWORD", "a-long-password")
        .output()
        .unwrap()
}

#[track_caller]
fn cli_ok(db: &str, args: &[&str]) {
    let o = cli(db, args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Wait until `f` holds, at most `secs`; returns how long it took.
fn within(secs: f64, mut f: impl FnMut() -> bool) -> Option<std::time::Duration> {
    let t = std::time::Instant::now();
    while t.elapsed().as_secs_f64() < secs {
        if f() {
            return Some(t.elapsed());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

/// Issue "Every role works in the portal": a write from the command line shows on the running
/// dashboard within 2 seconds, without a restart.
#[test]
fn a_write_from_the_command_line_shows_on_the_running_dashboard_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    let server = serve(&db);
    let o = json_body(&http(&server.addr, "GET", "/api/overview", None, &[], ""));
    assert_eq!(o["cycle"]["origin"], "import", "a fresh database shows the imported public facts");
    cli_ok(&db, &["user", "add", "beheer", "--role", "admin"]);
    cli_ok(&db, &["user", "add", "minister", "--role", "ministry", "--user", "beheer"]);
    let t0 = std::time::Instant::now();
    cli_ok(
        &db,
        &[
            "cycle",
            "new",
            "--year",
            "2026",
            "--total",
            "88000",
            "--user",
            "minister",
            "--reason",
            "recording the forecast of February 2026",
            "--deviation",
            "SES-WOA is not in the record yet",
        ],
    );
    let took = within(2.0, || {
        json_body(&http(&server.addr, "GET", "/api/overview", None, &[], ""))["cycle"]["origin"] == "ministry"
    });
    assert!(took.is_some(), "the publication did not show within 2 s (waited {:?})", t0.elapsed());
}

/// A forecast run recorded in the portal (the ministry's form) is the command line's run: the
/// record holds the bytes `spreiding forecast --format json` prints for the same inputs, and
/// `spreiding forecast runs 1 --verify` reproduces it.
#[test]
fn a_forecast_run_recorded_in_the_portal_verifies_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // The legal record (not a sandbox): the run takes effect today.
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("runs.db").display());
    cli_ok(&db, &["user", "add", "beheer", "--role", "admin"]);
    cli_ok(&db, &["user", "add", "minister", "--role", "ministry", "--user", "beheer"]);
    let server = serve(&db);
    let s = http(&server.addr, "GET", "/api/session", None, &[], "");
    let cookie = cookie_of(&s).expect("a session for the CSRF token");
    let csrf = json_body(&s)["csrf_token"].as_str().unwrap().to_string();
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let login = http(
        &server.addr,
        "POST",
        "/login",
        Some(&cookie),
        &form,
        &format!("username=minister&password=a-long-password&csrf={csrf}"),
    );
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = cookie_of(&login).unwrap_or(cookie);
    let csrf = json_body(&http(&server.addr, "GET", "/api/session", Some(&cookie), &[], ""))["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let post = http(
        &server.addr,
        "POST",
        "/portaal/raming",
        Some(&cookie),
        &form,
        &format!("scenario=low-inflow&seed=9&paths=150&start=&years=1&step=week&note=portaal&csrf={csrf}"),
    );
    assert!(post.starts_with("HTTP/1.1 303"), "{post}");
    assert!(post.to_ascii_lowercase().contains("location: /portaal?ok=forecast-run-1"), "{post}");
    drop(server);

    let stdout = |args: &[&str]| {
        let o = cli(&db, args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let fresh = stdout(&[
        "forecast",
        "--scenario",
        "low-inflow",
        "--seed",
        "9",
        "--runs",
        "150",
        "--years",
        "1",
        "--step",
        "week",
        "--format",
        "json",
    ]);
    assert_eq!(stdout(&["forecast", "runs", "1", "--format", "json"]), fresh, "the portal stored the CLI's bytes");
    let check = stdout(&["forecast", "runs", "1", "--verify"]);
    assert!(check.contains("Forecast run 1 reproduces") && check.contains("step week"), "{check}");
    assert!(stdout(&["forecast", "runs"]).contains("minister"), "recorded under the minister's account");
}

/// Two `serve` processes on one PostgreSQL database behave as one site: a session made on one
/// is valid on the other, and a write on one shows on the other.
#[test]
fn two_servers_on_one_postgres_database_are_one_site() {
    let Some(admin) = std::env::var("SPREIDING_TEST_PG_URL").ok().filter(|u| !u.is_empty()) else {
        if std::env::var("CI").is_ok() {
            panic!("CI must set SPREIDING_TEST_PG_URL for the two-process test");
        }
        eprintln!("skipped: SPREIDING_TEST_PG_URL not set");
        return;
    };
    let name = format!("spreiding_two_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        pool.close().await;
    });
    let db = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    cli_ok(&db, &["db", "init", "--sandbox"]);
    cli_ok(&db, &["user", "add", "beheer", "--role", "admin"]);
    cli_ok(&db, &["user", "add", "minister", "--role", "ministry", "--user", "beheer"]);
    cli_ok(
        &db,
        &["user", "add", "groningen", "--role", "municipality", "--municipality", "GM0014", "--user", "beheer"],
    );
    cli_ok(
        &db,
        &[
            "cycle",
            "new",
            "--year",
            "2026",
            "--total",
            "88000",
            "--user",
            "minister",
            "--date",
            "2026-01-30",
            "--deviation",
            "SES-WOA is not in the record yet",
        ],
    );
    cli_ok(&db, &["db", "clock", "2026-03-01", "--user", "beheer"]);
    let (a, b) = (serve(&db), serve(&db));
    // Sign in on A.
    let s = http(&a.addr, "GET", "/api/session", None, &[], "");
    let cookie = cookie_of(&s).expect("a session for the CSRF token");
    let csrf = json_body(&s)["csrf_token"].as_str().unwrap().to_string();
    let login = http(
        &a.addr,
        "POST",
        "/login",
        Some(&cookie),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("username=groningen&password=a-long-password&csrf={csrf}"),
    );
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = cookie_of(&login).unwrap_or(cookie);
    // The session is valid on B.
    let on_b = json_body(&http(&b.addr, "GET", "/api/session", Some(&cookie), &[], ""));
    assert_eq!(on_b["signed_in"], true, "{on_b}");
    let csrf = on_b["csrf_token"].as_str().unwrap().to_string();
    // A write on B shows on A.
    let offer =
        r#"{"gm_code":"GM0014","location":"Azc twee servers","kind":"regular_durable","places":120,"years":10}"#;
    let w = http(
        &b.addr,
        "POST",
        "/api/offers",
        Some(&cookie),
        &[("Content-Type", "application/json"), ("X-CSRF-Token", &csrf)],
        offer,
    );
    assert!(w.starts_with("HTTP/1.1 201"), "{w}");
    let seen = within(2.0, || {
        json_body(&http(&a.addr, "GET", "/api/municipalities/GM0014", None, &[], ""))["municipality"]["offered"] == 120
    });
    assert!(seen.is_some(), "the offer written on B did not show on A within 2 s");
    drop((a, b));
    rt.block_on(async {
        use sqlx::Executor;
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        let _ = pool.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
        pool.close().await;
    });
}

/// The open API keeps its OpenAPI contract: schemathesis (PyPI, the contract tester) generates
/// requests from /api/openapi.json — valid and invalid, on every public and portal operation —
/// and checks every response against the documented statuses, content types and schemas, and
/// that no request crashes the server. CI installs it in its venv and sets SPREIDING_SCHEMATHESIS
/// to its `st` (with SPREIDING_REQUIRE_SCHEMATHESIS=1 a missing tool fails instead of skipping).
#[test]
fn the_open_api_passes_the_schemathesis_contract_tests() {
    let st = std::env::var("SPREIDING_SCHEMATHESIS").unwrap_or_else(|_| "st".into());
    let available = Command::new(&st).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if !available {
        assert!(
            std::env::var("SPREIDING_REQUIRE_SCHEMATHESIS").as_deref() != Ok("1"),
            "SPREIDING_REQUIRE_SCHEMATHESIS=1 but '{st}' does not run: pip install schemathesis in a venv and point SPREIDING_SCHEMATHESIS at its st"
        );
        eprintln!("skipped: schemathesis ('{st}') is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("contract.db").display());
    let server = serve(&db);
    // The backtest and the explanation are computed once per server start and answer 503
    // "computing" (documented, with Retry-After) until then; schemathesis counts any 5xx as a
    // server error, so they are computed first and the contract is checked on their results.
    for path in ["/api/forecast/backtest", "/api/forecast/explain"] {
        let ready = (0..120).any(|_| {
            let r = http_get(&server.addr, path);
            let ok = r.starts_with("HTTP/1.1 200");
            assert!(ok || r.starts_with("HTTP/1.1 503"), "{path}: {r}");
            if !ok {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            ok
        });
        assert!(ready, "{path} was not computed within two minutes");
    }
    let out = Command::new(&st)
        .current_dir(dir.path())
        .args(["run", &format!("http://{}/api/openapi.json", server.addr)])
        .args(["--checks", "all", "--max-examples", "40", "--seed", "1", "--no-color"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis found failures:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("passed"), "schemathesis ran no test case:\n{report}");
}

/// Slow-loris: a client that sends its request headers slower than the server allows
/// (10 s) is disconnected, while other clients are served meanwhile.
#[test]
fn a_slow_client_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("slow.db").display());
    let server = serve(&db);
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = std::time::Instant::now();
    // Meanwhile the site answers others.
    let other = http(&server.addr, "GET", "/api/overview", None, &[], "");
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
    // Keep trickling a header byte every second; the server closes the connection anyway.
    slow.set_read_timeout(Some(std::time::Duration::from_secs(1))).unwrap();
    let mut buf = [0u8; 512];
    let closed = loop {
        assert!(started.elapsed().as_secs() < 30, "the slow client was still connected after 30 s");
        if slow.write_all(b"X").is_err() {
            break true;
        }
        match slow.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => break true, // an error answer (408), then the close
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break true,
        }
    };
    assert!(closed);
    assert!(started.elapsed().as_secs() >= 9, "not before the header timeout");
}
