//! End-to-end tests of `spreiding key` and `spreiding apportion` (issue: core).

use std::path::Path;
use std::process::{Command, Output};

fn spreiding(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spreiding")).args(args).output().expect("run spreiding")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes()).records().map(Result::unwrap).collect()
}

fn col(text: &str, name: &str) -> usize {
    csv::Reader::from_reader(text.as_bytes()).headers().unwrap().iter().position(|h| h == name).unwrap()
}

#[test]
fn key_lists_342_municipalities_summing_to_the_total_and_the_amv_part() {
    let o = spreiding(&["key", "--total", "96000", "--amv", "8140", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("gm_code,gm_naam,pv_code,inwoners,quota,task"), "{out}");
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 342);
    let (t, a) = (col(&out, "task"), col(&out, "amv"));
    assert_eq!(rows.iter().map(|r| r[t].parse::<u64>().unwrap()).sum::<u64>(), 96_000);
    assert_eq!(rows.iter().map(|r| r[a].parse::<u64>().unwrap()).sum::<u64>(), 8_140);
    // Without SES-WOA the population key is used, said on stderr and in every row.
    assert!(stderr(&o).contains("SES-WOA not loaded"), "{}", stderr(&o));
    let d = col(&out, "definition");
    assert!(rows.iter().all(|r| &r[d] == "nl-population@1"));
}

#[test]
fn by_province_gives_12_rows_with_the_same_sums() {
    let o = spreiding(&["key", "--total", "96000", "--amv", "8140", "--by", "province", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 12);
    let (t, a) = (col(&out, "task"), col(&out, "amv"));
    assert_eq!(rows.iter().map(|r| r[t].parse::<u64>().unwrap()).sum::<u64>(), 96_000);
    assert_eq!(rows.iter().map(|r| r[a].parse::<u64>().unwrap()).sum::<u64>(), 8_140);
}

#[test]
fn population_key_is_close_to_the_published_first_cycle_population_figures() {
    // docs/DOMAIN-BRIEF.md §3: before the SES-WOA correction Bloemendaal had 128, Wijdemeren 134 and
    // Heerlen ≈ 467 of 96,000 (2024 population). Our population is of 1 Jan 2026, so allow 3 %.
    let o = spreiding(&["key", "--total", "96000", "--format", "csv"]);
    let out = stdout(&o);
    let t = col(&out, "task");
    for (code, published) in [("GM0377", 128.0), ("GM1696", 134.0), ("GM0917", 467.0)] {
        let row = csv_rows(&out).into_iter().find(|r| &r[0] == code).unwrap();
        let ours: f64 = row[t].parse().unwrap();
        assert!((ours - published).abs() / published < 0.03, "{code}: {ours} vs published {published}");
    }
}

#[test]
fn json_and_table_name_the_definition() {
    let o = spreiding(&["key", "--total", "1000", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["definition"]["id"], "nl-population");
    assert_eq!(v["definition"]["note"], "SES-WOA not loaded: population-only key");
    assert_eq!(v["rows"].as_array().unwrap().len(), 342);
    let o = spreiding(&["key", "--total", "1000"]);
    assert!(stdout(&o).starts_with("Definition: nl-population v1"), "{}", stdout(&o));
}

#[test]
fn asking_for_the_ses_key_without_ses_data_is_an_error() {
    let o = spreiding(&["key", "--total", "96000", "--definition", "nl-spreidingswet-2024"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("ses_woa") && e.contains("85163NED"), "{e}");
}

/// A synthetic SES-WOA file (NOT real CBS data): 0 everywhere except three municipalities.
fn synthetic_ses(dir: &Path) -> std::path::PathBuf {
    let nl = spreiding_core::bundled::netherlands().unwrap();
    let mut s = String::from("gm_code,ses_woa\n");
    for m in &nl.municipalities {
        let v = match m.code.as_str() {
            "GM0377" => "0.34",
            "GM1696" => "0.22",
            "GM0917" => "-0.30",
            _ => "0",
        };
        s.push_str(&format!("{},{v}\n", m.code));
    }
    let p = dir.join("ses_woa_synthetic.csv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn with_ses_data_the_spreidingswet_key_is_the_default_and_corrects_by_ses() {
    let dir = tempfile::tempdir().unwrap();
    let ses = synthetic_ses(dir.path());
    let o = spreiding(&["key", "--total", "96000", "--indicators", ses.to_str().unwrap(), "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("SES-WOA not loaded"));
    let out = stdout(&o);
    let t = col(&out, "task");
    let rows = csv_rows(&out);
    assert!(rows.iter().all(|r| r[col(&out, "definition")].starts_with("nl-spreidingswet-2024@")));
    let pop = stdout(&spreiding(&["key", "--total", "96000", "--format", "csv"]));
    let task = |text: &str, code: &str| -> f64 {
        csv_rows(text).into_iter().find(|r| &r[0] == code).unwrap()[t].parse().unwrap()
    };
    // The multiplier (1 + SES-WOA) shows in the ratio to the population-only task.
    for (code, mult) in [("GM0377", 1.34), ("GM1696", 1.22), ("GM0917", 0.70)] {
        let ratio = task(&out, code) / task(&pop, code);
        assert!((ratio - mult).abs() < 0.02, "{code}: ratio {ratio}, expected ≈ {mult}");
    }
}

#[test]
fn explain_agrees_with_the_table() {
    let table = stdout(&spreiding(&["key", "--total", "96000", "--amv", "8140", "--format", "csv"]));
    let rows = csv_rows(&table);
    let (t, a, q) = (col(&table, "task"), col(&table, "amv"), col(&table, "quota"));
    for code in ["GM0363", "GM0014", "GM1950", "GM0377", "GM0034"] {
        let o = spreiding(&["key", "explain", code, "--total", "96000", "--amv", "8140", "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let row = rows.iter().find(|r| &r[0] == code).unwrap();
        assert_eq!(v["municipality"]["task"].as_u64().unwrap().to_string(), row[t]);
        assert_eq!(v["municipality"]["amv"].as_u64().unwrap().to_string(), row[a]);
        let exact: f64 = v["quota_decimal"].as_str().unwrap().parse().unwrap();
        let shown: f64 = row[q].parse().unwrap();
        assert!((exact - shown).abs() <= 0.00005, "{code}: quota {exact} vs table {shown}");
        let text = stdout(&spreiding(&["key", "explain", code, "--total", "96000", "--amv", "8140"]));
        for needle in ["Definition: nl-population", "Exact quota", "Rounding (hamilton)", "AMV part", "credits"] {
            assert!(text.contains(needle), "explain {code} lacks '{needle}':\n{text}");
        }
    }
}

#[test]
fn credits_count_only_durable_places_and_show_over_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("locaties_synthetic.csv");
    std::fs::write(
        &p,
        "locatie_id,gm_code,naam,plaatsen,jaren_beschikbaar,soort\n\
         L1,GM1950,Aanmeldcentrum Ter Apel,2000,10,aanmeldcentrum\n\
         L2,GM0363,Noodopvang (synthetic),400,1,noodopvang\n\
         L3,GM0363,Azc (synthetic),300,10,azc\n\
         L4,GM0363,Kleine locatie (synthetic),80,10,kleinschalig\n",
    )
    .unwrap();
    let o = spreiding(&["key", "--total", "96000", "--credits", p.to_str().unwrap(), "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let row = |code: &str| csv_rows(&out).into_iter().find(|r| &r[0] == code).unwrap();
    let (c, r, ov, t) = (col(&out, "credited"), col(&out, "remaining"), col(&out, "over_delivery"), col(&out, "task"));
    let ww = row("GM1950");
    assert_eq!(&ww[c], "2000");
    assert_eq!(ww[ov].parse::<u64>().unwrap(), 2000 - ww[t].parse::<u64>().unwrap());
    let ams = row("GM0363");
    assert_eq!(&ams[c], "300", "only the durable azc counts");
    assert_eq!(ams[r].parse::<u64>().unwrap(), ams[t].parse::<u64>().unwrap() - 300);
    let text = stdout(&spreiding(&["key", "explain", "GM0363", "--total", "96000", "--credits", p.to_str().unwrap()]));
    assert!(text.contains("never durable") && text.contains("not more than 100"), "{text}");
}

#[test]
fn apportion_prints_id_seats_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.csv");
    std::fs::write(&p, "id,weight\nb,5117\na,4400\nc,162.0\nd,161\n").unwrap();
    for (m, want) in [("hamilton", "5,5,0,0"), ("adams", "4,4,1,1"), ("sainte-lague", "5,5,0,0")] {
        let o = spreiding(&["apportion", "--method", m, "--total", "10", p.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.starts_with("id,seats\nb,"), "{out}");
        let seats: Vec<&str> = out.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
        assert_eq!(seats.join(","), want, "{m}");
    }
}

#[test]
fn bad_input_exits_non_zero_with_file_line_and_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let cases: &[(&str, &str, &[&str])] = &[
        ("neg.csv", "id,weight\na,1\nb,-2\n", &["neg.csv:3: weight:", "negative"]),
        ("nan.csv", "id,weight\na,abc\n", &["nan.csv:2: weight:", "not a number"]),
        ("dup.csv", "id,weight\na,1\na,2\n", &["dup.csv:3: id:", "duplicate id 'a'"]),
        ("empty.csv", "", &["empty.csv"]),
        ("header.csv", "name,value\na,1\n", &["header.csv:1:", "id,weight"]),
        ("zero.csv", "id,weight\na,0\nb,0\n", &["zero.csv", "impossible total"]),
    ];
    for (name, content, needles) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let o = spreiding(&["apportion", "-m", "webster", "-t", "5", "-o", out.to_str().unwrap(), p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{name}: one-line error expected: {e}");
        for n in *needles {
            assert!(e.contains(n), "{name}: '{n}' missing in: {e}");
        }
        assert!(!out.exists(), "{name}: output written despite the error");
    }
    let p = dir.path().join("ok.csv");
    std::fs::write(&p, "id,weight\na,1\n").unwrap();
    let o = spreiding(&["apportion", "-m", "majority", "-t", "5", p.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("unknown method"), "{}", stderr(&o));
}

#[test]
fn other_region_sets_run_other_countries_keys() {
    // Synthetic Länder-like set (NOT real data): the Königstein key on made-up numbers.
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions_synthetic.csv");
    std::fs::write(
        &regions,
        "code,name,group_code,group_name,population\nX1,One,DE,Synth,3000\nX2,Two,DE,Synth,1000\n",
    )
    .unwrap();
    let tax = dir.path().join("tax_synthetic.csv");
    std::fs::write(&tax, "code,steuern\nX1,100\nX2,300\n").unwrap();
    let o = spreiding(&[
        "key",
        "--total",
        "12",
        "--regions",
        regions.to_str().unwrap(),
        "--definition",
        "de-koenigstein",
        "--indicators",
        tax.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // X1: ⅔·0.25 + ⅓·0.75 = 5/12 → 5; X2: ⅔·0.75 + ⅓·0.25 = 7/12 → 7.
    let out = stdout(&o);
    assert!(out.contains("X1,One,DE,3000,5.0000,5,de-koenigstein@1"), "{out}");
    assert!(out.contains("X2,Two,DE,1000,7.0000,7,de-koenigstein@1"), "{out}");
}

/// The EU pool end to end on a small SYNTHETIC set: the generator's files feed the EU key,
/// group totals add up to the total and to the per-unit tasks, and any unit is explained.
#[test]
fn the_synthetic_eu_pool_runs_groups_and_explains_a_unit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = spreiding(&["key", "synthetic-eu", "--out", out, "--units", "600", "--states", "5", "--seed", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("SYNTHETIC"), "{}", stderr(&o));
    let regions = dir.path().join("eu_lau_SYNTHETIC.csv");
    let gdp = dir.path().join("eu_lau_bbp_SYNTHETIC.csv");
    let (r, g) = (regions.to_str().unwrap(), gdp.to_str().unwrap());
    let base = ["-d", "eu-ammr-2024", "--regions", r, "--indicators", g, "--total", "3000"];
    let units = spreiding(&[&["key"][..], &base, &["--format", "csv"]].concat());
    assert!(units.status.success(), "{}", stderr(&units));
    let text = stdout(&units);
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 600);
    let (t, gc) = (col(&text, "task"), col(&text, "group_code"));
    assert_eq!(rows.iter().map(|x| x[t].parse::<u64>().unwrap()).sum::<u64>(), 3000);
    let groups = spreiding(&[&["key"][..], &base, &["--by", "group", "--format", "csv"]].concat());
    assert!(groups.status.success(), "{}", stderr(&groups));
    let gtext = stdout(&groups);
    let grows = csv_rows(&gtext);
    assert_eq!(grows.len(), 5);
    let gt = col(&gtext, "task");
    for gr in &grows {
        let sum: u64 = rows.iter().filter(|x| x[gc] == gr[0]).map(|x| x[t].parse::<u64>().unwrap()).sum();
        assert_eq!(gr[gt].parse::<u64>().unwrap(), sum, "group {}", &gr[0]);
    }
    let code = &rows[17][0];
    let task = &rows[17][t];
    let e = spreiding(&[&["key", "explain", code][..], &base].concat());
    assert!(e.status.success(), "{}", stderr(&e));
    let text = stdout(&e);
    assert!(text.contains(&format!("Result: {task} places")), "{text}");
    assert!(text.contains("share of the set total") && text.contains("bbp ="), "{text}");
    let unknown = spreiding(&[&["key", "explain", "NOPE-1"][..], &base].concat());
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("unknown region NOPE-1"), "{}", stderr(&unknown));
}

/// `--output` to something that is not a regular file (a pipe here; /dev/null in the
/// benchmark scripts) writes into it: the atomic rename used for files would replace the
/// node itself (it once turned /dev/null into a regular file).
#[cfg(unix)]
#[test]
fn output_to_a_pipe_writes_into_it_and_keeps_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = spreiding(&["key", "--total", "100", "--format", "csv", "-o", fifo.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced by a file");
    let text = reader.join().unwrap();
    assert!(text.starts_with("gm_code,"), "{text}");
    assert_eq!(csv_rows(&text).len(), 342);
}
