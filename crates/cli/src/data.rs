//! `spreiding data`: import CBS reference data into the record — population (03759ned) and
//! SES-WOA (85163NED, 85539NED, 85900NED, 86092NED) — from CBS StatLine's own exports
//! (OData JSON, semicolon CSV), mapping merged municipalities onto the current set with the
//! declared merger table. Parsing and mapping are the core's (`spreiding_core::cbs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDate;
use num_rational::BigRational;
use spreiding_core::cbs::{self, Measure};
use spreiding_core::decimal::{parse_decimal, rational_to_decimal};
use spreiding_core::reference::{bundled_vintages, content_hash};

use crate::error::{CliError, Result};
use crate::output::{Format, Rows, emit, read_text};
use crate::session::{Identity, connect, runtime, store_err};

/// Reference data from CBS, into the record with its source and content hash.
///
/// Examples:
///   spreiding data import 03759ned.json --user minister                 population, every year in the file
///   spreiding data import ses_woa.csv --table 86092NED --period 2022 --user minister
///   spreiding data import --fetch 86092NED --period 2022 --user minister     from the CBS open-data API
///   spreiding data list
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
    /// Database URL (default: DATABASE_URL, else ./spreiding.db).
    #[arg(long, env = "DATABASE_URL", global = true)]
    database: Option<String>,
    #[command(flatten)]
    who: Identity,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Import a CBS export (OData JSON or StatLine CSV) of 03759ned or a SES-WOA table.
    Import {
        /// The file (omit with --fetch).
        file: Option<PathBuf>,
        /// The CBS table id (03759ned, 85163NED, 85539NED, 85900NED, 86092NED).
        #[arg(long)]
        table: Option<String>,
        /// Only this period (a year, e.g. 2023).
        #[arg(long)]
        period: Option<String>,
        /// Fetch the table from CBS's open-data API (needs internet access).
        #[arg(long, value_name = "TABLE", conflicts_with = "file")]
        fetch: Option<String>,
    },
    /// The reference data in the record.
    List,
}

/// The SES-WOA tables CBS publishes (scores per wijk and buurt).
pub const SES_TABLES: [&str; 4] = ["85163NED", "85539NED", "85900NED", "86092NED"];

pub fn run(args: Args) -> Result<()> {
    runtime()?.block_on(async move {
        let store = connect(args.database.as_deref()).await?;
        let out = match args.cmd {
            Sub::Import { file, table, period, fetch } => import(&store, &args.who, file, table, period, fetch).await,
            Sub::List => list(&store).await,
        };
        store.close().await;
        out
    })
}

async fn list(store: &spreiding_store::Store) -> Result<()> {
    let mut rows = Rows::new(&["kind", "id", "table", "source", "sha256", "imported_by", "imported_at"]);
    for v in store.population_vintages().await.map_err(store_err)? {
        rows.push(vec![
            "population".into(),
            v.reference_date.to_string(),
            "03759ned".into(),
            v.source,
            v.sha256,
            v.imported_by,
            v.imported_at,
        ]);
    }
    for s in store.indicator_sets().await.map_err(store_err)? {
        rows.push(vec![s.indicator, s.id, s.table_id, s.source, s.sha256, s.imported_by, s.imported_at]);
    }
    println!("Bundled (compiled in): population on 1 January 2019–2026, CBS 03759ned (data/SOURCES.md).");
    emit(None, &rows.render(Format::Table))
}

/// The OData v3 address of a table's data, filtered to municipalities where the table allows.
pub fn fetch_url(table: &str, period: Option<&str>) -> String {
    let base = format!("https://opendata.cbs.nl/ODataApi/odata/{table}/TypedDataSet?$format=json");
    if table.eq_ignore_ascii_case("03759ned") {
        let mut f = "Geslacht eq 'T001038' and Leeftijd eq '10000' and BurgerlijkeStaat eq 'T001019' and substringof('GM',RegioS)".to_string();
        if let Some(p) = period {
            f.push_str(&format!(" and Perioden eq '{p}JJ00'"));
        }
        format!("{base}&$filter={}", f.replace(' ', "%20").replace('\'', "%27"))
    } else {
        format!("{base}&$filter={}", "substringof('GM',WijkenEnBuurten)".replace('\'', "%27"))
    }
}

fn fetch(url: &str) -> Result<String> {
    let resp = ureq::get(url).call().map_err(|e| {
        CliError::Other(format!(
            "cannot fetch {url}: {e}. Without internet access, download the table from CBS StatLine (OData JSON or CSV) \
             and import the file instead"
        ))
    })?;
    resp.into_body().read_to_string().map_err(|e| CliError::Other(format!("reading {url}: {e}")))
}

async fn import(
    store: &spreiding_store::Store,
    who: &Identity,
    file: Option<PathBuf>,
    table: Option<String>,
    period: Option<String>,
    fetch_table: Option<String>,
) -> Result<()> {
    let (name, text, table) = match (&file, &fetch_table) {
        (Some(f), None) => (f.display().to_string(), read_text(f)?, table),
        (None, Some(t)) => {
            let url = fetch_url(t, period.as_deref());
            eprintln!("fetching {url}");
            (url.clone(), fetch(&url)?, Some(t.clone()))
        }
        _ => return Err(CliError::Input("give a file to import, or --fetch TABLE".into())),
    };
    let sha = content_hash(&text);
    let data = cbs::parse(&name, &text)?;
    let act = who.act(store).await?;
    let nl = spreiding_core::bundled::netherlands()?;
    let target: BTreeSet<String> = nl.municipalities.iter().map(|m| m.code.to_string()).collect();
    let mergers = cbs::bundled_mergers();
    let periods: Vec<String> = match &period {
        Some(p) => {
            if !data.periods().contains(p) {
                return Err(CliError::Input(format!("--period {p}: {name} holds {}", data.periods().join(", "))));
            }
            vec![p.clone()]
        }
        None => data.periods(),
    };
    let table = match (data.measure, table) {
        (Measure::Population, t) => t.unwrap_or_else(|| "03759ned".into()),
        (Measure::SesWoa, Some(t)) if SES_TABLES.iter().any(|s| s.eq_ignore_ascii_case(&t)) => t.to_uppercase(),
        (Measure::SesWoa, Some(t)) => {
            return Err(CliError::Input(format!("--table {t}: SES-WOA comes from one of {}", SES_TABLES.join(", "))));
        }
        (Measure::SesWoa, None) => {
            return Err(CliError::Input(format!(
                "--table: say which SES-WOA table {name} comes from ({})",
                SES_TABLES.join(", ")
            )));
        }
    };
    let vintages = bundled_vintages();
    let source = format!("CBS StatLine {table} ({}, {name}); Bron: CBS, CC BY 4.0", data.format.name());
    for p in periods {
        let values: BTreeMap<String, BigRational> = data
            .observations
            .iter()
            .filter(|o| o.period == p)
            .map(|o| Ok((o.gm_code.clone(), parse_decimal(&o.value)?)))
            .collect::<std::result::Result<_, spreiding_core::CoreError>>()?;
        let year: i32 = p.parse().map_err(|_| CliError::Input(format!("period '{p}' is not a year")))?;
        let weights: BTreeMap<String, u64> = vintages
            .iter()
            .find(|v| v.reference_date == NaiveDate::from_ymd_opt(year, 1, 1).expect("date"))
            .map(|v| v.values.clone())
            .unwrap_or_default();
        let (mapped, notes) = cbs::map_to_set(data.measure, &values, &target, &mergers, &weights)?;
        match data.measure {
            Measure::Population => {
                let date = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
                let whole = cbs::whole(&mapped);
                let new = store
                    .import_population(&act, date, &nl.set.source, &source, data.format.name(), &sha, &notes, &whole)
                    .await
                    .map_err(store_err)?;
                println!(
                    "population of {date}: {} municipalities, {} inhabitants{}{}",
                    whole.len(),
                    whole.values().sum::<u64>(),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(", {} merged municipalities mapped", notes.len())
                    },
                    if new { "" } else { " (already in the record from this file: nothing written)" }
                );
            }
            Measure::SesWoa => {
                let text: BTreeMap<String, String> =
                    mapped.iter().map(|(k, v)| (k.clone(), rational_to_decimal(v, 6))).collect();
                let (id, new) = store
                    .import_indicator(&act, "ses_woa", &p, &table, &source, data.format.name(), &sha, &notes, &text)
                    .await
                    .map_err(store_err)?;
                println!(
                    "{id}: SES-WOA of {} municipalities from {table}{}{} — use it with `cycle new --ses-woa {id}`",
                    text.len(),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(", {} merged municipalities mapped (population-weighted)", notes.len())
                    },
                    if new { "" } else { " (already in the record from this file: nothing written)" }
                );
            }
        }
    }
    println!("sha256 {sha}");
    Ok(())
}
