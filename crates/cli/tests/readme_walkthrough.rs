//! The README's walkthrough runs as written: the shell block between `<!-- walkthrough -->`
//! and `<!-- /walkthrough -->` is executed with `sh -e` from the repository root, with the
//! freshly built binary first on PATH and the database in a temporary folder.

use std::path::Path;
use std::process::Command;

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("<!-- walkthrough -->").expect("README has a walkthrough block");
    let end = readme.find("<!-- /walkthrough -->").expect("README closes the walkthrough block");
    let block = &readme[start..end];
    let script: String = block
        .lines()
        .skip_while(|l| !l.starts_with("```sh"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("spreiding cycle new"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    // The walkthrough's database lives in $PWD: run from a copy of the fixtures' parent layout by
    // pointing DATABASE_URL at the temporary folder after its own `export`.
    let script =
        script.replace("sqlite://$PWD/walkthrough.db", &format!("sqlite://{}/walkthrough.db", dir.path().display()));
    let script = script.replace("-o decision.csv", &format!("-o {}/decision.csv", dir.path().display()));
    // The files the walkthrough writes go to the temporary folder too, not into the checkout.
    let d = dir.path().display().to_string();
    let script = script
        .replace("walkthrough-keys/", &format!("{d}/keys/"))
        .replace("checkpoint.json", &format!("{d}/checkpoint.json"))
        .replace("trail.jsonl", &format!("{d}/trail.jsonl"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_spreiding")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("sh")
        .arg("-ec")
        .arg(&script)
        .current_dir(&root)
        .env("PATH", path)
        .env_remove("DATABASE_URL")
        .env_remove("SPREIDING_TOKEN")
        .env_remove("SPREIDING_USER")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the README walkthrough failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("audit trail intact"), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("decision.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let amv = h.iter().position(|c| c == "binding_amv").unwrap();
    let sum: u64 = rdr.records().map(|r| r.unwrap()[amv].parse::<u64>().unwrap()).sum();
    assert_eq!(sum, 8_140);
}
