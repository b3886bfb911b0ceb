//! `spreiding key`: the distribution key over the 342 municipalities (or any region set).

use std::path::{Path, PathBuf};

use serde::Serialize;
use spreiding_core::bundled::{self, POPULATION_KEY, SPREIDINGSWET_KEY};
use spreiding_core::distribution::{Distribution, distribute, parse_credit_locations};
use spreiding_core::key::{Indicators, KeyDefinition, KeyResult, run_key};
use spreiding_core::{GmCode, Method, Netherlands, RegionSet};

use crate::apportion::parse_method;
use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text, table};

/// National total and AMV part of the first cycle's capacity forecast (Stcrt. 2024, 3320),
/// used when no --total is given.
pub const CYCLE1_TOTAL: u64 = 96_000;
pub const CYCLE1_AMV: u64 = 8_140;

/// Compute the task per municipality (or province) with a distribution key.
///
/// Without --total the first cycle's published figures are used (96,000 places of which
/// 8,140 AMV, Stcrt. 2024, 3320). Without SES-WOA data (--indicators FILE with a column
/// ses_woa) the population-only key is used, with a warning.
///
/// Examples:
///   spreiding key --total 96000 --amv 8140 --format csv
///   spreiding key --total 96000 --indicators ses_woa.csv --by province
///   spreiding key explain GM0363 --total 96000 --amv 8140
///   spreiding forecast --format json | spreiding key --from-forecast -
///   spreiding key synthetic-eu --out eu/      (SYNTHETIC: 98,000 local units, 27 member states)
///   spreiding key -d eu-ammr-2024 --regions eu/eu_lau_SYNTHETIC.csv \
///       --indicators eu/eu_lau_bbp_SYNTHETIC.csv --total 30000 --by group
#[derive(clap::Args)]
#[command(verbatim_doc_comment, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    explain: Option<Sub>,
    #[command(flatten)]
    opts: KeyOpts,
    /// Group the output: one row per municipality (region) or per province (group; `group`
    /// is the same for any region set, e.g. member states over their local units).
    #[arg(long, value_enum, default_value = "municipality")]
    by: By,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write to this file instead of stdout (nothing is written on error).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Write a SYNTHETIC EU of local units (not real data: codes SYN…, every figure an
    /// assumption, see `spreiding_core::synthetic`) as a region file and a GDP file, to run
    /// the EU key at the size of the EU's ~98,000 local administrative units.
    SyntheticEu {
        /// Directory to write eu_lau_SYNTHETIC.csv and eu_lau_bbp_SYNTHETIC.csv into.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 98_000)]
        units: usize,
        #[arg(long, default_value_t = 27)]
        states: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Compare a published indicative table (e.g. from the Staatscourant: gm_code,task[,amv])
    /// with the recomputation and list every difference.
    Verify {
        /// The published table: CSV with gm_code,task and optionally amv.
        #[arg(long)]
        published: PathBuf,
        #[command(flatten)]
        opts: KeyOpts,
    },
    /// Explain one municipality's number step by step: inputs, share, exact quota,
    /// rounding, AMV part and counted locations. With --regions: any region's number.
    Explain {
        /// Municipality code, e.g. GM0363 (or a code of the --regions file).
        code: String,
        #[command(flatten)]
        opts: KeyOpts,
        /// Output format (table = readable text).
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// Options shared by `key` and `key explain`.
#[derive(clap::Args, Clone, Default)]
pub struct KeyOpts {
    /// National total of places (default: 96,000, the first cycle).
    #[arg(long, short)]
    pub total: Option<u64>,
    /// Read the total from a forecast's JSON (`spreiding forecast --format json`), its P50
    /// for the first target date; `-` reads stdin.
    #[arg(long, conflicts_with = "total")]
    pub from_forecast: Option<PathBuf>,
    /// AMV (unaccompanied minors) sub-task inside the total (default 8,140 with the default total).
    #[arg(long)]
    pub amv: Option<u64>,
    /// Key definition: a shipped name (nl-spreidingswet-2024, nl-population, de-koenigstein,
    /// dk-integrationsloven, be-fedasil-2016, eu-ammr-2024) or a TOML file.
    #[arg(long, short)]
    pub definition: Option<String>,
    /// Override the definition's apportionment method.
    #[arg(long, short, value_parser = parse_method)]
    pub method: Option<Method>,
    /// Indicator CSV (first column the region code), e.g. gm_code,ses_woa. Repeatable.
    #[arg(long)]
    pub indicators: Vec<PathBuf>,
    /// Existing locations to credit: locatie_id,gm_code,naam,plaatsen,jaren_beschikbaar,soort[,cluster].
    #[arg(long)]
    pub credits: Option<PathBuf>,
    /// Another region set (code,name,group_code,group_name,population) instead of the 342 municipalities.
    #[arg(long)]
    pub regions: Option<PathBuf>,
    /// Population on this reference date (a bundled CBS vintage: 2023-01-01 … 2026-01-01);
    /// default the newest, 1 January 2026. A cycle uses the vintage of its forecast date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub vintage: Option<chrono::NaiveDate>,
}

/// What a cycle supplies beyond the options: the municipalities on the cycle's population
/// vintage, indicators from the record, and the registry's credits.
pub struct Base {
    pub nl: Netherlands,
    pub indicators: Indicators,
    pub credits: Vec<spreiding_core::distribution::CreditLocation>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum By {
    Municipality,
    Province,
    Group,
}

/// What a key run produced: the full Dutch distribution, or a plain key result on another set.
pub enum Outcome {
    Netherlands(Box<Distribution>),
    Other { set: RegionSet, result: Box<KeyResult> },
}

pub fn run(args: Args) -> Result<()> {
    match args.explain {
        Some(Sub::Explain { code, opts, format }) => return explain(&code, &opts, format),
        Some(Sub::Verify { published, opts }) => return verify(&published, &opts),
        Some(Sub::SyntheticEu { out, units, states, seed }) => return synthetic_eu(&out, units, states, seed),
        None => {}
    }
    let outcome = compute(&args.opts)?;
    let text = match (&outcome, args.by) {
        (Outcome::Netherlands(d), By::Municipality) => render_municipalities(d, args.format),
        (Outcome::Netherlands(d), By::Province | By::Group) => render_provinces(d, args.format),
        (Outcome::Other { set, result }, By::Municipality) => render_other(set, result, args.format),
        (Outcome::Other { set, result }, By::Province | By::Group) => render_groups(set, result, args.format),
    };
    emit(args.output.as_deref(), &text)
}

/// Resolve the definition, indicators and totals, and run the key. Shared with other
/// commands (the cycle uses it for indicative tasks, through [`compute_on`]).
pub fn compute(opts: &KeyOpts) -> Result<Outcome> {
    compute_on(opts, None)
}

/// [`compute`] on a cycle's [`Base`] (vintage, indicators from the record, credits).
pub fn compute_on(opts: &KeyOpts, base: Option<Base>) -> Result<Outcome> {
    let (total, amv) = totals(opts)?;
    let (mut indicators, base_set, base_credits) = match base {
        Some(b) => (b.indicators, Some(b.nl.set), Some(b.credits)),
        None => (Indicators::default(), None, None),
    };
    for p in &opts.indicators {
        indicators.add_csv(&p.display().to_string(), &read_text(p)?)?;
    }
    let set = match (&opts.regions, base_set, opts.vintage) {
        (Some(p), _, _) => RegionSet::parse_csv(&p.display().to_string(), &read_text(p)?)?,
        (None, Some(s), _) => s,
        (None, None, Some(d)) => spreiding_core::reference::bundled_netherlands_on(d)?.0.set,
        (None, None, None) => bundled::netherlands()?.set,
    };
    let nl = Netherlands::from_sets(set.clone(), None).ok();
    let (def, note) = resolve_definition(opts.definition.as_deref(), &indicators, nl.is_some())?;
    for ind in def.external_indicators() {
        if !indicators.has(ind) {
            let hint = if def.data_hint.is_empty() { String::new() } else { format!(". {}", def.data_hint) };
            return Err(CliError::Input(format!(
                "key {} needs indicator '{ind}', which no --indicators file supplies{hint}",
                def.id
            )));
        }
    }
    let result = run_key(&def, &set, &indicators, total, opts.method)?;
    match nl {
        Some(nl) => {
            let credits = match (&opts.credits, base_credits) {
                (Some(_), Some(_)) => {
                    return Err(CliError::Input(
                        "--credits: a cycle takes its credits from the location registry in the database; import the \
                         file there with `spreiding locations import`"
                            .into(),
                    ));
                }
                (Some(p), None) => parse_credit_locations(&p.display().to_string(), &read_text(p)?, &nl)?,
                (None, Some(c)) => c,
                (None, None) => Vec::new(),
            };
            Ok(Outcome::Netherlands(Box::new(distribute(&nl, result, amv, &credits, note)?)))
        }
        None => {
            if amv.is_some() || opts.credits.is_some() {
                return Err(CliError::Input(
                    "--amv and --credits apply to Dutch municipalities (GM/PV codes) only".into(),
                ));
            }
            Ok(Outcome::Other { set, result: Box::new(result) })
        }
    }
}

fn totals(opts: &KeyOpts) -> Result<(u64, Option<u64>)> {
    if let Some(p) = &opts.from_forecast {
        let text = if p == Path::new("-") {
            std::io::read_to_string(std::io::stdin()).map_err(|e| CliError::io("<stdin>", e))?
        } else {
            read_text(p)?
        };
        let total = forecast_p50(&p.display().to_string(), &text)?;
        tracing::info!("total {total} taken from the forecast's P50 of required places");
        return Ok((total, opts.amv));
    }
    match opts.total {
        Some(t) => Ok((t, opts.amv)),
        None => {
            eprintln!(
                "note: no --total given; using the first cycle's forecast of {CYCLE1_TOTAL} places{} (Stcrt. 2024, 3320)",
                if opts.amv.is_none() { format!(" of which {CYCLE1_AMV} AMV") } else { String::new() }
            );
            Ok((CYCLE1_TOTAL, Some(opts.amv.unwrap_or(CYCLE1_AMV))))
        }
    }
}

/// The P50 of required places on the first target date of a forecast JSON.
fn forecast_p50(name: &str, text: &str) -> Result<u64> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| CliError::Input(format!("{name}: not a forecast JSON document: {e}")))?;
    let first = v.get("required_places").and_then(|r| r.as_array()).and_then(|a| a.first()).ok_or_else(|| {
        CliError::Input(format!(
            "{name}: no `required_places` array: produce it with `spreiding forecast --format json`"
        ))
    })?;
    let p50 = first
        .get("p50")
        .and_then(|x| x.as_f64())
        .ok_or_else(|| CliError::Input(format!("{name}: required_places[0] has no numeric p50")))?;
    if !(p50.is_finite() && p50 >= 0.0) {
        return Err(CliError::Input(format!("{name}: required_places[0].p50 = {p50} is not a usable total")));
    }
    Ok(p50.round() as u64)
}

/// Choose the key: explicit, else the Spreidingswet key when SES-WOA is supplied, else the
/// population-only key with a warning (docs/DOMAIN-BRIEF.md §3: say clearly when SES-WOA is missing).
pub fn resolve_definition(
    name: Option<&str>,
    indicators: &Indicators,
    dutch: bool,
) -> Result<(KeyDefinition, Option<String>)> {
    if let Some(n) = name {
        let def = match bundled::key(n) {
            Some(d) => d?,
            None => {
                let p = Path::new(n);
                if !p.exists() {
                    return Err(CliError::Input(format!(
                        "unknown definition '{n}': use a file path or one of {}",
                        bundled::KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                    )));
                }
                KeyDefinition::parse(&p.display().to_string(), &read_text(p)?)?
            }
        };
        return Ok((def, None));
    }
    if !dutch {
        return Err(CliError::Input("a region set other than the Dutch municipalities needs --definition".into()));
    }
    if indicators.has("ses_woa") {
        return Ok((bundled::key(SPREIDINGSWET_KEY).expect("shipped")?, None));
    }
    let def = bundled::key(SPREIDINGSWET_KEY).expect("shipped")?;
    eprintln!(
        "warning: SES-WOA not loaded: using the population-only key ({POPULATION_KEY}), not the Spreidingswet key. {}",
        def.data_hint
    );
    Ok((bundled::key(POPULATION_KEY).expect("shipped")?, Some("SES-WOA not loaded: population-only key".to_string())))
}

/// `key verify --published FILE`: every municipality whose published figure differs from the
/// recomputation, with both numbers; exit code 3 when there are differences.
fn verify(published: &Path, opts: &KeyOpts) -> Result<()> {
    let name = published.display().to_string();
    let text = read_text(published)?;
    let Outcome::Netherlands(d) = compute(opts)? else {
        return Err(CliError::Input("verify compares tables of the Dutch municipalities".into()));
    };
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let h: Vec<String> = rdr
        .headers()
        .map_err(|e| CliError::Input(format!("{name}:1: {e}")))?
        .iter()
        .map(|x| x.trim_start_matches('\u{feff}').to_string())
        .collect();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (Some(gc), Some(tc)) = (col("gm_code"), col("task")) else {
        return Err(CliError::Input(format!(
            "{name}:1: the header needs gm_code and task (and optionally amv), found `{}`",
            h.join(",")
        )));
    };
    let ac = col("amv");
    let mut diffs = crate::output::Rows::new(&["gm_code", "gm_naam", "what", "published", "recomputed", "difference"]);
    let mut checked = 0;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CliError::Input(format!("{name}:{line}: {e}")))?;
        let code: GmCode =
            rec.get(gc).unwrap_or("").parse().map_err(|e| CliError::Input(format!("{name}:{line}: gm_code: {e}")))?;
        let Some(m) = d.municipalities.iter().find(|m| m.gm_code == code) else {
            return Err(CliError::Input(format!("{name}:{line}: gm_code: {code} is not in the reference data")));
        };
        let num = |c: usize, f: &str| -> Result<u64> {
            rec.get(c).unwrap_or("").replace(['.', ' '], "").parse().map_err(|_| {
                CliError::Input(format!("{name}:{line}: {f}: '{}' is not a whole number", rec.get(c).unwrap_or("")))
            })
        };
        checked += 1;
        let t = num(tc, "task")?;
        if t != m.task {
            diffs.push(vec![
                code.to_string(),
                m.gm_naam.clone(),
                "task".into(),
                t.to_string(),
                m.task.to_string(),
                format!("{:+}", m.task as i64 - t as i64),
            ]);
        }
        if let Some(a) = ac
            && !rec.get(a).unwrap_or("").is_empty()
        {
            let pa = num(a, "amv")?;
            let ra = m.amv.unwrap_or(0);
            if pa != ra {
                diffs.push(vec![
                    code.to_string(),
                    m.gm_naam.clone(),
                    "amv".into(),
                    pa.to_string(),
                    ra.to_string(),
                    format!("{:+}", ra as i64 - pa as i64),
                ]);
            }
        }
    }
    println!(
        "{} — {checked} municipalities compared with {name}: {} difference(s)",
        definition_line(&d),
        diffs.rows.len()
    );
    if !diffs.rows.is_empty() {
        emit(None, &diffs.render(Format::Table))?;
        return Err(CliError::Refused(format!(
            "the published table differs from the recomputation in {} place(s)",
            diffs.rows.len()
        )));
    }
    Ok(())
}

fn explain(code: &str, opts: &KeyOpts, format: Format) -> Result<()> {
    let text = match compute(opts)? {
        Outcome::Netherlands(d) => {
            let e = d.explain(code.parse::<GmCode>()?)?;
            match format {
                Format::Json => serde_json::to_string_pretty(&e).expect("serialisable") + "\n",
                _ => e.to_text(),
            }
        }
        Outcome::Other { set, result } => {
            let i = set.regions.iter().position(|r| r.code.as_str().eq_ignore_ascii_case(code)).ok_or_else(|| {
                CliError::Input(format!(
                    "unknown region {code}: not in {} (use a code from its first column)",
                    set.source
                ))
            })?;
            let e = result.explain(&set, i);
            match format {
                Format::Json => serde_json::to_string_pretty(&e).expect("serialisable") + "\n",
                _ => e.to_text(),
            }
        }
    };
    emit(None, &text)
}

#[derive(Serialize)]
struct JsonOut<'a, T: Serialize> {
    definition: &'a spreiding_core::distribution::DefinitionInfo,
    total: u64,
    amv_total: Option<u64>,
    by: &'a str,
    reference_data: &'a str,
    rows: &'a [T],
}

fn definition_line(d: &Distribution) -> String {
    let info = &d.definition;
    let mut s = format!("Definition: {} v{} [{}], method {}", info.id, info.version, info.status, info.method);
    if let Some(n) = &info.note {
        s.push_str(&format!(" — {n}"));
    }
    s
}

fn opt(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn render_municipalities(d: &Distribution, format: Format) -> String {
    match format {
        Format::Json => json(d, "municipality", &d.municipalities),
        Format::Csv => {
            let def = format!("{}@{}", d.definition.id, d.definition.version);
            let rows: Vec<Vec<String>> = d
                .municipalities
                .iter()
                .map(|m| {
                    vec![
                        m.gm_code.to_string(),
                        m.gm_naam.clone(),
                        m.pv_code.to_string(),
                        m.inwoners.to_string(),
                        m.quota.clone(),
                        m.task.to_string(),
                        opt(m.amv),
                        m.credited.to_string(),
                        m.remaining.to_string(),
                        m.over_delivery.to_string(),
                        def.clone(),
                    ]
                })
                .collect();
            crate::output::csv_text(
                &[
                    "gm_code",
                    "gm_naam",
                    "pv_code",
                    "inwoners",
                    "quota",
                    "task",
                    "amv",
                    "credited",
                    "remaining",
                    "over_delivery",
                    "definition",
                ],
                &rows,
            )
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = d
                .municipalities
                .iter()
                .map(|m| {
                    vec![
                        m.gm_code.to_string(),
                        m.gm_naam.clone(),
                        m.pv_code.to_string(),
                        m.inwoners.to_string(),
                        m.quota.clone(),
                        m.task.to_string(),
                        opt(m.amv),
                        m.credited.to_string(),
                        m.remaining.to_string(),
                        m.over_delivery.to_string(),
                    ]
                })
                .collect();
            let headers =
                ["gm_code", "gm_naam", "pv_code", "inwoners", "quota", "task", "amv", "credited", "remaining", "over"];
            format!("{}\n{}{}", definition_line(d), table(&headers, &rows), totals_line(d))
        }
    }
}

fn totals_line(d: &Distribution) -> String {
    format!(
        "Total: {} places{}; Bron: CBS (inwoners 1 Jan 2026)\n",
        d.municipalities.iter().map(|m| m.task).sum::<u64>(),
        d.amv_total.map(|a| format!(", of which {a} AMV")).unwrap_or_default()
    )
}

fn render_provinces(d: &Distribution, format: Format) -> String {
    match format {
        Format::Json => json(d, "province", &d.provinces),
        Format::Csv => {
            let def = format!("{}@{}", d.definition.id, d.definition.version);
            let rows: Vec<Vec<String>> = d
                .provinces
                .iter()
                .map(|p| {
                    vec![
                        p.pv_code.to_string(),
                        p.pv_naam.clone(),
                        p.municipalities.to_string(),
                        p.inwoners.to_string(),
                        p.quota.clone(),
                        p.task.to_string(),
                        opt(p.amv),
                        p.credited.to_string(),
                        p.remaining.to_string(),
                        p.over_delivery.to_string(),
                        def.clone(),
                    ]
                })
                .collect();
            crate::output::csv_text(
                &[
                    "pv_code",
                    "pv_naam",
                    "gemeenten",
                    "inwoners",
                    "quota",
                    "task",
                    "amv",
                    "credited",
                    "remaining",
                    "over_delivery",
                    "definition",
                ],
                &rows,
            )
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = d
                .provinces
                .iter()
                .map(|p| {
                    vec![
                        p.pv_code.to_string(),
                        p.pv_naam.clone(),
                        p.municipalities.to_string(),
                        p.inwoners.to_string(),
                        p.quota.clone(),
                        p.task.to_string(),
                        opt(p.amv),
                        p.credited.to_string(),
                        p.remaining.to_string(),
                        p.over_delivery.to_string(),
                    ]
                })
                .collect();
            let headers = [
                "pv_code",
                "pv_naam",
                "gemeenten",
                "inwoners",
                "quota",
                "task",
                "amv",
                "credited",
                "remaining",
                "over",
            ];
            format!("{}\n{}{}", definition_line(d), table(&headers, &rows), totals_line(d))
        }
    }
}

fn json<T: Serialize>(d: &Distribution, by: &str, rows: &[T]) -> String {
    let out = JsonOut {
        definition: &d.definition,
        total: d.total,
        amv_total: d.amv_total,
        by,
        reference_data: "CBS gemeenten 2025, inwoners 1 Jan 2026 (Bron: CBS, CC BY 4.0)",
        rows,
    };
    serde_json::to_string_pretty(&out).expect("serialisable") + "\n"
}

fn synthetic_eu(out: &Path, units: usize, states: usize, seed: u64) -> Result<()> {
    if units == 0 || states == 0 || states > units {
        return Err(CliError::Input(format!(
            "--units {units} --states {states}: give at least one unit per member state"
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| CliError::io(out.display().to_string(), e))?;
    let pool = spreiding_core::synthetic::eu_local_units(units, states, seed);
    let regions = out.join("eu_lau_SYNTHETIC.csv");
    let gdp = out.join("eu_lau_bbp_SYNTHETIC.csv");
    emit(Some(&regions), &pool.regions_csv())?;
    emit(Some(&gdp), &pool.gdp_csv())?;
    eprintln!(
        "wrote SYNTHETIC data (not real): {} ({units} units in {states} member states) and {} (GDP, € million)",
        regions.display(),
        gdp.display()
    );
    Ok(())
}

/// Totals per group (the set's third and fourth columns), in order of first appearance.
fn render_groups(set: &RegionSet, r: &KeyResult, format: Format) -> String {
    let mut order: Vec<&spreiding_core::RegionCode> = Vec::new();
    let mut sums: std::collections::HashMap<&spreiding_core::RegionCode, (String, usize, u64, u64)> =
        std::collections::HashMap::new();
    for (reg, seats) in set.regions.iter().zip(r.seats()) {
        let e = sums.entry(&reg.group).or_insert_with(|| {
            order.push(&reg.group);
            (reg.group_name.clone(), 0, 0, 0)
        });
        e.1 += 1;
        e.2 += reg.population;
        e.3 += seats;
    }
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|g| {
            let (name, n, pop, task) = &sums[g];
            vec![g.to_string(), name.clone(), n.to_string(), pop.to_string(), task.to_string()]
        })
        .collect();
    let headers = ["group_code", "group_name", "regions", "population", "task"];
    let def = &r.definition;
    match format {
        Format::Table => {
            format!("Definition: {} method {}\n{}", def.label(), r.apportionment.method, table(&headers, &rows))
        }
        Format::Csv => crate::output::csv_text(&headers, &rows),
        Format::Json => {
            let rows: Vec<serde_json::Value> = rows
                .iter()
                .map(|x| serde_json::json!({"group_code": x[0], "group_name": x[1], "regions": x[2].parse::<u64>().unwrap_or(0), "population": x[3].parse::<u64>().unwrap_or(0), "task": x[4].parse::<u64>().unwrap_or(0)}))
                .collect();
            let v = serde_json::json!({
                "definition": {"id": def.id, "version": def.version, "status": def.status.to_string(), "method": r.apportionment.method.name()},
                "total": r.total, "regions": set.source, "by": "group", "rows": rows,
            });
            serde_json::to_string_pretty(&v).expect("serialisable") + "\n"
        }
    }
}

fn render_other(set: &RegionSet, r: &KeyResult, format: Format) -> String {
    let def = &r.definition;
    let a = &r.apportionment;
    let rows: Vec<Vec<String>> = set
        .regions
        .iter()
        .enumerate()
        .map(|(i, reg)| {
            vec![
                reg.code.to_string(),
                reg.name.clone(),
                reg.group.to_string(),
                reg.population.to_string(),
                a.quota_decimal(i, 4),
                a.seats[i].to_string(),
            ]
        })
        .collect();
    let headers = ["code", "name", "group_code", "population", "quota", "task"];
    match format {
        Format::Table => format!("Definition: {} method {}\n{}", def.label(), a.method, table(&headers, &rows)),
        Format::Csv => {
            let label = format!("{}@{}", def.id, def.version);
            let with_def: Vec<Vec<String>> =
                rows.iter().map(|r| r.iter().cloned().chain([label.clone()]).collect()).collect();
            let mut h: Vec<&str> = headers.to_vec();
            h.push("definition");
            crate::output::csv_text(&h, &with_def)
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::json!({"code": r[0], "name": r[1], "group_code": r[2], "population": r[3].parse::<u64>().unwrap_or(0), "quota": r[4], "task": r[5].parse::<u64>().unwrap_or(0)}))
                .collect();
            let v = serde_json::json!({
                "definition": {"id": def.id, "version": def.version, "status": def.status.to_string(), "title": def.title, "source": def.source, "caveat": def.caveat, "method": a.method.name(), "formula": def.formula()},
                "total": r.total, "regions": set.source, "rows": rows,
            });
            serde_json::to_string_pretty(&v).expect("serialisable") + "\n"
        }
    }
}
