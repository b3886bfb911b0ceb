//! Plain renderings of a [`Report`]: CSV with every metric, and a text table for a terminal.

use crate::report::Report;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Every metric of every policy, every paired difference, every cycle and every monthly
/// band value, in one long table: `kind,policy,baseline,metric,date,mean,ci95_low,ci95_high,p10,p50,p90,n`.
pub fn csv(r: &Report) -> String {
    let mut out = String::from("kind,policy,baseline,metric,date,mean,ci95_low,ci95_high,p10,p50,p90,n\n");
    let row = |out: &mut String,
               kind: &str,
               policy: &str,
               baseline: &str,
               metric: &str,
               date: &str,
               s: &crate::metrics::Summary| {
        out.push_str(&format!(
            "{kind},{},{},{},{date},{},{},{},{},{},{},{}\n",
            csv_field(policy),
            csv_field(baseline),
            csv_field(metric),
            s.mean,
            s.ci95[0],
            s.ci95[1],
            s.p10,
            s.p50,
            s.p90,
            s.n
        ));
    };
    for p in &r.results {
        for m in &p.metrics {
            row(&mut out, "metric", &p.policy, "", &m.metric, "", &m.summary);
        }
        for c in &p.cycles {
            let y = format!("{}", c.year);
            row(&mut out, "cycle", &p.policy, "", "national_total", &y, &c.national_total);
            row(&mut out, "cycle", &p.policy, "", "plan_share", &y, &c.plan_share);
            row(&mut out, "cycle", &p.policy, "", "designated", &y, &c.designated);
            row(&mut out, "cycle", &p.policy, "", "realised_share", &y, &c.realised_share);
        }
    }
    for c in &r.comparison {
        row(&mut out, "difference", &c.policy, &c.baseline, &c.metric, "", &c.difference);
    }
    for s in &r.series {
        for b in &s.bands {
            for (k, d) in s.dates.iter().enumerate() {
                out.push_str(&format!(
                    "series,{},,{},{d},{},,,{},{},{},\n",
                    csv_field(&b.policy),
                    s.id,
                    b.mean[k],
                    b.p10[k],
                    b.p50[k],
                    b.p90[k]
                ));
            }
        }
    }
    out
}

/// A number for people: thousands separated, shares as percentages.
pub fn human(x: f64, unit: &str) -> String {
    if !x.is_finite() {
        return "–".to_string();
    }
    if unit == "share" {
        return format!("{:.1} %", 100.0 * x);
    }
    if unit.starts_with("Gini") || unit.starts_with("moves") {
        return format!("{x:.2}");
    }
    let r = x.round();
    let neg = r < 0.0;
    let s = format!("{}", r.abs() as u128);
    let mut t = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            t.push(',');
        }
        t.push(c);
    }
    if neg { format!("-{t}") } else { t }
}

/// Difference with its sign, in the metric's unit.
pub fn human_diff(x: f64, unit: &str) -> String {
    if unit == "share" {
        return format!("{:+.1} pp", 100.0 * x);
    }
    let h = human(x, unit);
    if x > 0.0 { format!("+{h}") } else { h }
}

/// The comparison table for a terminal.
pub fn text(r: &Report) -> String {
    let mut out = format!("{}\n", r.title);
    out.push_str(&format!(
        "{} paths · seed {} · scenario {} · parameters {}\n\n",
        r.settings.runs, r.settings.seed, r.settings.scenario, r.settings.parameters
    ));
    let ids: Vec<&str> = r.results.iter().map(|p| p.policy.as_str()).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for m in r.metrics.iter().filter(|m| m.headline) {
        let mut row = vec![m.label.clone()];
        for id in &ids {
            let s = r.result(id, &m.id).expect("every policy has every metric");
            row.push(format!(
                "{} [{} – {}]",
                human(s.mean, &m.unit),
                human(s.ci95[0], &m.unit),
                human(s.ci95[1], &m.unit)
            ));
        }
        for c in r.comparison.iter().filter(|c| c.metric == m.id) {
            row.push(format!("{} ({})", human_diff(c.difference.mean, &m.unit), c.verdict));
        }
        rows.push(row);
    }
    let mut header = vec!["metric (mean [95 % CI])".to_string()];
    header.extend(ids.iter().map(|s| s.to_string()));
    for c in r.comparison.iter().filter(|c| c.metric == r.metrics[0].id) {
        header.push(format!("{} − {}", c.policy, c.baseline));
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|k| rows.iter().map(|r| r[k].chars().count()).chain([header[k].chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(k, c)| format!("{c:<w$}", w = widths[k]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    out.push_str(&line(&header));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out.push_str(&format!(
        "\nAssumptions: {} values, {} of them assumptions (see the HTML report or --format json).\n",
        r.assumptions.len(),
        r.assumptions.iter().filter(|a| a.assumption).count()
    ));
    for n in &r.notes {
        out.push_str(&format!("Note: {n}\n"));
    }
    out
}
