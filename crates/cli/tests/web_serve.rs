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
