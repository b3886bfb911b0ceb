//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no fonts, no
//! requests to any host), with headings, a table behind every chart, and colours that keep
//! a contrast of at least 4.5 : 1 on white.

use std::fmt::Write;

use crate::render::{human, human_diff};
use crate::report::{Report, Sensitivity, SeriesBands};

/// Line colours per policy, in order (all ≥ 4.5 : 1 against white).
const COLOURS: [&str; 4] = ["#1f4e99", "#a63d00", "#2e6b30", "#6a1b9a"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// "Share of …" → "share of …", but "Gini …" stays.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !s.starts_with("Gini") => f.to_lowercase().collect::<String>() + c.as_str(),
        _ => s.to_string(),
    }
}

fn colour(r: &Report, policy: &str) -> &'static str {
    let k = r.policies.iter().position(|p| p.id == policy).unwrap_or(0);
    COLOURS[k % COLOURS.len()]
}

/// A "nice" upper bound for an axis.
fn nice_max(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

fn axis_label(x: f64, unit: &str) -> String {
    if unit == "share" {
        return format!("{:.0} %", 100.0 * x);
    }
    if unit.starts_with("Gini") {
        return format!("{x:.1}");
    }
    if x.abs() >= 1e9 {
        return format!("{:.1} bn", x / 1e9);
    }
    if x.abs() >= 1e6 {
        return format!("{:.1} m", x / 1e6);
    }
    if x.abs() >= 1e4 {
        return format!("{:.0}k", x / 1e3);
    }
    human(x, unit)
}

fn chart(r: &Report, s: &SeriesBands, idx: usize) -> String {
    let (w, h, ml, mr, mt, mb) = (760.0, 280.0, 70.0, 20.0, 16.0, 40.0);
    let pw = w - ml - mr;
    let ph = h - mt - mb;
    let n = s.dates.len().max(2);
    let ymax = nice_max(s.bands.iter().flat_map(|b| b.p90.iter().copied()).fold(0.0, f64::max));
    let x = |k: usize| ml + pw * k as f64 / (n - 1) as f64;
    let y = |v: f64| mt + ph * (1.0 - (v / ymax).clamp(0.0, 1.0));
    let id = format!("chart-{idx}");
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">Median (line) and 10th–90th percentile band (shaded) over the Monte Carlo paths, per policy, monthly. The table below the chart gives the numbers.</desc>",
        esc(&s.label)
    );
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            o,
            "<line x1=\"{ml}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#d0d0d0\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>",
            ml + pw,
            ml - 6.0,
            yy + 4.0,
            esc(&axis_label(v, &s.unit))
        );
    }
    for (k, d) in s.dates.iter().enumerate() {
        if chrono::Datelike::month(d) == 1 && (k == 0 || chrono::Datelike::day(d) == 1) {
            let xx = x(k);
            let _ = write!(
                o,
                "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#1a1a1a\"/>\
                 <text x=\"{xx:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#1a1a1a\">{}</text>",
                mt + ph,
                mt + ph + 5.0,
                mt + ph + 20.0,
                chrono::Datelike::year(d)
            );
        }
    }
    for b in &s.bands {
        let c = colour(r, &b.policy);
        let mut path = String::new();
        for (k, v) in b.p90.iter().enumerate() {
            let _ = write!(path, "{}{:.1},{:.1} ", if k == 0 { "M" } else { "L" }, x(k), y(*v));
        }
        for (k, v) in b.p10.iter().enumerate().rev() {
            let _ = write!(path, "L{:.1},{:.1} ", x(k), y(*v));
        }
        let _ = write!(o, "<path d=\"{path}Z\" fill=\"{c}\" fill-opacity=\"0.16\" stroke=\"none\"/>");
        let mut line = String::new();
        for (k, v) in b.p50.iter().enumerate() {
            let _ = write!(line, "{}{:.1},{:.1} ", if k == 0 { "M" } else { "L" }, x(k), y(*v));
        }
        let dash = if r.policies.iter().position(|p| p.id == b.policy).unwrap_or(0) % 2 == 1 {
            " stroke-dasharray=\"6 3\""
        } else {
            ""
        };
        let _ = write!(o, "<path d=\"{line}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2.2\"{dash}/>");
    }
    let _ = write!(o, "<line x1=\"{ml}\" x2=\"{ml}\" y1=\"{mt}\" y2=\"{}\" stroke=\"#1a1a1a\"/>", mt + ph);
    let _ =
        write!(o, "<line x1=\"{ml}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#1a1a1a\"/>", ml + pw, mt + ph, mt + ph);
    o.push_str("</svg>");
    o
}

fn legend(r: &Report) -> String {
    let mut o = String::from("<p class=\"legend\">");
    for (k, p) in r.policies.iter().enumerate() {
        let c = colour(r, &p.id);
        let style = if k % 2 == 1 { "dashed" } else { "solid" };
        let _ = write!(
            o,
            "<span><span class=\"swatch\" style=\"border-top:3px {style} {c}\"></span> {} — {}</span> ",
            esc(&p.id),
            esc(&p.title)
        );
    }
    o.push_str("<span>Line: median (P50); shaded band: P10–P90 over paths.</span></p>");
    o
}

fn series_table(s: &SeriesBands) -> String {
    let mut o = String::from(
        "<details><summary>Table of this chart (every January)</summary><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Date</th>",
    );
    for b in &s.bands {
        let _ = write!(
            o,
            "<th scope=\"col\">{0} P10</th><th scope=\"col\">{0} P50</th><th scope=\"col\">{0} P90</th>",
            esc(&b.policy)
        );
    }
    o.push_str("</tr></thead><tbody>");
    for (k, d) in s.dates.iter().enumerate() {
        if k != 0 && chrono::Datelike::month(d) != 1 {
            continue;
        }
        let _ = write!(o, "<tr><th scope=\"row\">{d}</th>");
        for b in &s.bands {
            let _ = write!(
                o,
                "<td>{}</td><td>{}</td><td>{}</td>",
                human(b.p10[k], &s.unit),
                human(b.p50[k], &s.unit),
                human(b.p90[k], &s.unit)
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div></details>");
    o
}

fn tornado(r: &Report, s: &Sensitivity, m: usize, idx: usize) -> String {
    let metric = r.metrics.iter().find(|x| x.id == s.metrics[m]).expect("metric listed");
    let mut rows: Vec<(usize, f64)> =
        s.rows.iter().enumerate().map(|(k, row)| (k, (row.at_high[m] - row.at_low[m]).abs())).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let base = s.base[m];
    let lo = s.rows.iter().flat_map(|row| [row.at_low[m], row.at_high[m]]).fold(base, f64::min);
    let hi = s.rows.iter().flat_map(|row| [row.at_low[m], row.at_high[m]]).fold(base, f64::max);
    let span = (hi - lo).max(1e-12);
    let (w, ml, mr, bar_h) = (760.0, 300.0, 110.0, 22.0);
    let h = 40.0 + bar_h * rows.len() as f64 + 30.0;
    let pw = w - ml - mr;
    let x = |v: f64| ml + pw * (v - lo) / span;
    let id = format!("tornado-{idx}");
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">Sensitivity of {} − {}: {}</title>\
         <desc id=\"{id}-d\">Each bar shows the mean difference with one value at the low end (dark blue) and the high end (mid blue) of its range, all else as given. The vertical line is the difference at the given values. The table below gives the numbers.</desc>",
        esc(&s.policy),
        esc(&s.baseline),
        esc(&metric.label)
    );
    let bx = x(base);
    let _ = write!(
        o,
        "<line x1=\"{bx:.1}\" x2=\"{bx:.1}\" y1=\"24\" y2=\"{:.1}\" stroke=\"#1a1a1a\" stroke-width=\"1.5\"/>\
         <text x=\"{bx:.1}\" y=\"16\" font-size=\"12\" text-anchor=\"middle\" fill=\"#1a1a1a\">as given: {}</text>",
        h - 24.0,
        esc(&human_diff(base, &metric.unit))
    );
    if lo < 0.0 && hi > 0.0 {
        let zx = x(0.0);
        let _ = write!(
            o,
            "<line x1=\"{zx:.1}\" x2=\"{zx:.1}\" y1=\"24\" y2=\"{:.1}\" stroke=\"#767676\" stroke-dasharray=\"3 3\"/>",
            h - 24.0
        );
    }
    for (row_k, (k, _)) in rows.iter().enumerate() {
        let row = &s.rows[*k];
        let yy = 30.0 + bar_h * row_k as f64;
        let label =
            if row.scope == "parameters" { row.parameter.clone() } else { format!("{}: {}", row.scope, row.parameter) };
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1a1a1a\">{}{}</text>",
            ml - 8.0,
            yy + 15.0,
            esc(&label),
            if row.assumption { " *" } else { "" }
        );
        for (v, fill) in [(row.at_low[m], "#1f4e99"), (row.at_high[m], "#5a7fc2")] {
            let (a, b) = if v < base { (x(v), bx) } else { (bx, x(v)) };
            let _ = write!(
                o,
                "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{}\" fill=\"{fill}\"/>",
                yy + 3.0,
                (b - a).max(0.5),
                bar_h - 6.0
            );
        }
    }
    let _ = write!(
        o,
        "<text x=\"{ml}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1a1a1a\">{}</text><text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>",
        h - 6.0,
        esc(&human_diff(lo, &metric.unit)),
        ml + pw,
        h - 6.0,
        esc(&human_diff(hi, &metric.unit))
    );
    o.push_str("</svg>");
    o.push_str("<details><summary>Table of this chart</summary><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Value</th><th scope=\"col\">Given</th><th scope=\"col\">Low</th><th scope=\"col\">Difference at low</th><th scope=\"col\">High</th><th scope=\"col\">Difference at high</th></tr></thead><tbody>");
    for (k, _) in &rows {
        let row = &s.rows[*k];
        let _ = write!(
            o,
            "<tr><th scope=\"row\">{} {}{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.scope),
            esc(&row.parameter),
            if row.assumption { " (assumption)" } else { "" },
            row.value,
            row.low,
            esc(&human_diff(row.at_low[m], &metric.unit)),
            row.high,
            esc(&human_diff(row.at_high[m], &metric.unit))
        );
    }
    o.push_str("</tbody></table></div></details>");
    o
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;background:#fff;margin:0;line-height:1.5}\
main,header,footer{max-width:980px;margin:0 auto;padding:0 16px}header{padding-top:16px}h1{font-size:1.7rem;margin:.4em 0}\
h2{font-size:1.3rem;margin-top:2em;border-bottom:2px solid #1a1a1a}h3{font-size:1.05rem;margin-top:1.4em}\
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5em 0}th,td{border:1px solid #8a8a8a;padding:4px 6px;text-align:left;vertical-align:top}\
thead th{background:#e8e8e8}td.num{text-align:right;white-space:nowrap}.scroll{overflow-x:auto}\
.better{color:#1b5e20;font-weight:600}.worse{color:#a30000;font-weight:600}.tag{font-size:.8rem;border:1px solid #5a5a5a;border-radius:3px;padding:0 4px}\
.assumption{background:#fff4d6}.legend span{margin-right:1em;white-space:nowrap}.swatch{display:inline-block;width:28px;vertical-align:middle}\
figure{margin:1em 0}figcaption{font-size:.9rem}details{margin:.3em 0 1em}summary{cursor:pointer;color:#1f4e99}\
a{color:#1f4e99}nav ol{columns:2}.note{border-left:4px solid #a63d00;padding:.2em .8em;background:#fbf3ee}";

/// Render the report as one self-contained HTML page.
pub fn render(r: &Report) -> String {
    let mut o = String::with_capacity(200_000);
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>",
        esc(&r.title)
    );
    let st = &r.settings;
    let _ = write!(
        o,
        "<header><h1>{}</h1><p>Policy simulator of spreiding. {} Monte Carlo paths per policy, seed {}, from {} for {} years. Demand: {}. Parameters: {}. \
         Baseline of the comparison: <strong>{}</strong>. {}</p>\
         <p class=\"note\"><strong>Read this first.</strong> These are simulated outcomes, not observations. Every value the model uses is listed under <a href=\"#assumptions\">Assumptions</a> \
         with its source in docs/SIMULATION-SOURCES.md, or marked as an assumption where no published figure exists.</p></header>",
        esc(&r.title),
        st.runs,
        st.seed,
        st.start,
        st.years,
        esc(&st.scenario),
        esc(&st.parameters),
        esc(&st.baseline),
        esc(&st.model)
    );
    o.push_str("<main><nav aria-label=\"Contents\"><h2 id=\"contents\">Contents</h2><ol><li><a href=\"#short\">In short</a></li><li><a href=\"#policies\">Policies</a></li><li><a href=\"#comparison\">Comparison</a></li><li><a href=\"#series\">Over time</a></li><li><a href=\"#cycles\">The cycles</a></li>");
    if r.sensitivity.is_some() {
        o.push_str("<li><a href=\"#sensitivity\">Sensitivity</a></li>");
    }
    if r.calibration.is_some() {
        o.push_str("<li><a href=\"#calibration\">Calibration and out-of-sample check</a></li>");
    }
    o.push_str("<li><a href=\"#quality\">Quality framework</a></li><li><a href=\"#assumptions\">Assumptions</a></li><li><a href=\"#notes\">Notes</a></li></ol></nav>");

    // In short.
    o.push_str("<h2 id=\"short\">In short</h2><ul>");
    for c in r.comparison.iter() {
        let Some(m) = r.metrics.iter().find(|m| m.id == c.metric && m.headline) else { continue };
        let _ = write!(
            o,
            "<li><strong>{}</strong> against <strong>{}</strong>, {}: {} ({} – {}), <span class=\"{}\">{}</span>.</li>",
            esc(&c.policy),
            esc(&c.baseline),
            esc(&lower_first(&m.label)),
            esc(&human_diff(c.difference.mean, &m.unit)),
            esc(&human_diff(c.difference.ci95[0], &m.unit)),
            esc(&human_diff(c.difference.ci95[1], &m.unit)),
            match c.verdict.as_str() {
                "better" => "better",
                "worse" => "worse",
                _ => "",
            },
            esc(&c.verdict)
        );
    }
    o.push_str("</ul><p>Mean difference per path with its 95 % confidence interval. How much these depend on the assumptions: see <a href=\"#sensitivity\">Sensitivity</a>.</p>");

    // Policies.
    o.push_str("<h2 id=\"policies\">Policies</h2><table><thead><tr><th scope=\"col\">Policy</th><th scope=\"col\">Binding decision</th><th scope=\"col\">Key used</th><th scope=\"col\">Description</th></tr></thead><tbody>");
    for p in &r.policies {
        let _ = write!(
            o,
            "<tr><th scope=\"row\">{} <span class=\"tag\">{}</span></th><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            esc(&p.id),
            esc(&p.file),
            if p.binding_decision { "yes" } else { "no" },
            esc(&p.key),
            p.key_note.as_ref().map(|n| format!(" — {}", esc(n))).unwrap_or_default(),
            esc(&p.description)
        );
    }
    o.push_str("</tbody></table>");

    // Comparison.
    o.push_str("<h2 id=\"comparison\">Comparison</h2><p>Mean over paths with its 95 % confidence interval; the difference is taken per path (both policies run on the same random paths) and is called better or worse only when its 95 % interval excludes zero.</p><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Metric</th>");
    for p in &r.policies {
        let _ = write!(o, "<th scope=\"col\">{}</th>", esc(&p.id));
    }
    let comps: Vec<&str> = {
        let mut v: Vec<&str> = r.comparison.iter().map(|c| c.policy.as_str()).collect();
        v.dedup();
        v
    };
    for c in &comps {
        let _ = write!(o, "<th scope=\"col\">{} − {}</th>", esc(c), esc(&st.baseline));
    }
    o.push_str("</tr></thead><tbody>");
    for m in r.metrics.iter().filter(|m| m.headline) {
        let _ = write!(o, "<tr><th scope=\"row\">{}<br><small>{}</small></th>", esc(&m.label), esc(&m.unit));
        for p in &r.policies {
            let s = r.result(&p.id, &m.id).expect("metric");
            let _ = write!(
                o,
                "<td class=\"num\">{}<br><small>[{} – {}]</small></td>",
                human(s.mean, &m.unit),
                human(s.ci95[0], &m.unit),
                human(s.ci95[1], &m.unit)
            );
        }
        for c in &comps {
            let cmp = r.comparison(c, &m.id).expect("compared");
            let class = match cmp.verdict.as_str() {
                "better" => "better",
                "worse" => "worse",
                _ => "",
            };
            let _ = write!(
                o,
                "<td class=\"num\">{}<br><small>[{} – {}]</small><br><span class=\"{class}\">{}</span></td>",
                human_diff(cmp.difference.mean, &m.unit),
                human_diff(cmp.difference.ci95[0], &m.unit),
                human_diff(cmp.difference.ci95[1], &m.unit),
                esc(&cmp.verdict)
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div><h3>Definitions</h3><dl>");
    for m in r.metrics.iter().filter(|m| m.headline) {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(&m.label), esc(&m.definition));
    }
    o.push_str("</dl>");

    // Series.
    o.push_str("<h2 id=\"series\">Over time</h2>");
    o.push_str(&legend(r));
    for (k, id) in [
        "emergency_share",
        "children_in_emergency",
        "registration_occupancy",
        "capacity_durable",
        "capacity_noodopvang",
        "capacity_crisisnoodopvang",
        "gini",
        "hosting_none",
        "cost_month",
        "persons",
    ]
    .iter()
    .enumerate()
    {
        if let Some(s) = r.series.iter().find(|s| s.id == *id) {
            let _ = write!(
                o,
                "<figure><h3>{}</h3>{}<figcaption>{} ({}), first day of each month.</figcaption>{}</figure>",
                esc(&s.label),
                chart(r, s, k),
                esc(&s.label),
                esc(&s.unit),
                series_table(s)
            );
        }
    }

    // Cycles.
    o.push_str("<h2 id=\"cycles\">The cycles</h2><p>Per cycle: the national total the forecast set (published values where the parameter set gives one), the share found by the CdK reports (existing durable places credited plus offers), the places the binding decision assigned, and the regular places open at the end of the realisation period as a share of the total. Means over paths.</p><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Policy</th><th scope=\"col\">Cycle</th><th scope=\"col\">National total</th><th scope=\"col\">Found by the report</th><th scope=\"col\">Designated</th><th scope=\"col\">Realised</th></tr></thead><tbody>");
    for p in &r.results {
        for c in &p.cycles {
            let _ = write!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&p.policy),
                c.year,
                human(c.national_total.mean, "places"),
                human(c.plan_share.mean, "share"),
                human(c.designated.mean, "places"),
                if c.realised_share.n > 0 {
                    human(c.realised_share.mean, "share")
                } else {
                    "beyond the horizon".to_string()
                }
            );
        }
    }
    o.push_str("</tbody></table></div>");

    // Sensitivity.
    if let Some(s) = &r.sensitivity {
        let _ = write!(
            o,
            "<h2 id=\"sensitivity\">Sensitivity</h2><p>One value at a time at the low and the high end of its plausible range (the range column under Assumptions), everything else as given, {} paths per variant on the same seeds. Bars: the mean difference {} − {} with the value at the low end of its range (dark blue) and at the high end (mid blue); the vertical line is the difference at the given values. Values marked * are assumptions.</p>",
            s.runs,
            esc(&s.policy),
            esc(&s.baseline)
        );
        for (k, id) in s.metrics.iter().enumerate() {
            let m = r.metrics.iter().find(|m| &m.id == id).expect("listed");
            let _ = write!(o, "<figure><h3>{}</h3>{}</figure>", esc(&m.label), tornado(r, s, k, k));
        }
    }

    // Calibration.
    if let Some(c) = &r.calibration {
        let _ = write!(
            o,
            "<h2 id=\"calibration\">Calibration and out-of-sample check</h2><p>The history 2022–2025 on published occupancy totals ({} paths): ad-hoc asks for places before the law (2022–2023, <em>fit</em>: the behaviour parameters were chosen to match these), then cycle 1 of the law without designation (<em>check</em>: not used in the fit). In-sample loss Σ(error ÷ tolerance)² = {:.2}; out-of-sample mean absolute error {:.3}.</p><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Role</th><th scope=\"col\">Target</th><th scope=\"col\">Date</th><th scope=\"col\">Observed</th><th scope=\"col\">Simulated (P10–P90)</th><th scope=\"col\">Error</th><th scope=\"col\">Source</th></tr></thead><tbody>",
            c.runs, c.loss_in_sample, c.mean_abs_error_out_of_sample
        );
        for f in &c.fits {
            let _ = write!(
                o,
                "<tr><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3} ({:.3}–{:.3})</td><td class=\"num\">{:+.3}</td><td>{}</td></tr>",
                esc(&f.role),
                esc(&f.label),
                esc(&f.date),
                f.observed,
                f.simulated,
                f.p10,
                f.p90,
                f.error,
                esc(&f.source)
            );
        }
        o.push_str("</tbody></table></div>");
    }

    // Quality.
    o.push_str("<h2 id=\"quality\">Quality framework</h2><p>Each capacity type is represented by one prototype location (params/location-prototypes.csv, an assumption) assessed with the kwaliteitskader (quality/kwaliteitskader-v1.toml). A type's places pass when its prototype passes every criterion; the registration centre fails on nights above its cap.</p><table><thead><tr><th scope=\"col\">Type</th><th scope=\"col\">Passes</th><th scope=\"col\">Criteria failed or unknown</th></tr></thead><tbody>");
    for q in &r.quality {
        let _ = write!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            esc(&q.label),
            if q.passes { "yes" } else { "no" },
            esc(&q.blocking.join(", "))
        );
    }
    o.push_str("</tbody></table>");

    // Assumptions.
    let n_assumed = r.assumptions.iter().filter(|a| a.assumption).count();
    let _ = write!(
        o,
        "<h2 id=\"assumptions\">Assumptions</h2><p>Every value the model used: {} in all, <strong>{} of them assumptions</strong> (highlighted) — values that are not published figures. A source is a key or section of docs/SIMULATION-SOURCES.md or docs/DOMAIN-BRIEF.md; for an assumption it is the basis it was derived from.</p><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Scope</th><th scope=\"col\">Key</th><th scope=\"col\">Value</th><th scope=\"col\">Meaning</th><th scope=\"col\">Source</th><th scope=\"col\">Range</th></tr></thead><tbody>",
        r.assumptions.len(),
        n_assumed
    );
    for a in &r.assumptions {
        let source = match (&a.source, a.assumption) {
            (Some(s), true) => format!("<strong>assumption</strong>; basis: {}", esc(s)),
            (None, true) => "<strong>assumption</strong>".to_string(),
            (Some(s), false) => esc(s),
            (None, false) => "–".to_string(),
        };
        let _ = write!(
            o,
            "<tr{}><td>{}</td><th scope=\"row\"><code>{}</code></th><td class=\"num\">{} {}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            if a.assumption { " class=\"assumption\"" } else { "" },
            esc(&a.scope),
            esc(&a.key),
            esc(&a.value),
            esc(&a.unit),
            esc(&a.what),
            a.note.as_ref().map(|n| format!("<br><small>{}</small>", esc(n))).unwrap_or_default(),
            source,
            a.range.map(|r| format!("{} – {}", r[0], r[1])).unwrap_or_default()
        );
    }
    o.push_str("</tbody></table></div>");

    o.push_str("<h2 id=\"notes\">Notes</h2><ul>");
    for n in &r.notes {
        let _ = write!(o, "<li>{}</li>", esc(n));
    }
    o.push_str("</ul></main><footer><p><small>Generated by spreiding (EUPL-1.2). The model, its calibration and its limits: docs/SIMULATION.md. Data: CBS (CC BY 4.0) and the sources named above.</small></p></footer></body></html>\n");
    o
}
