//! `spreiding quality`: the quality framework (kwaliteitskader) — list its criteria and
//! assess locations against it, from a file or from the database (results stored with
//! date and assessor, shown per location).

use std::path::PathBuf;

use serde::Serialize;
use spreiding_core::quality::{Assessment, Framework, Outcome, assess};
use spreiding_store::StoredAssessment;

use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text, table};

/// The quality framework for reception locations (kwaliteitskader).
///
/// Missing data is reported as unknown, never as pass. A location may house an Art. 24
/// group (a minors … k torture survivors) only when every criterion protecting it passes.
///
/// Examples:
///   spreiding quality criteria                          every criterion with its source
///   spreiding quality assess --locations registry.csv   one line per location
///   spreiding quality assess --locations registry.csv --detail --format csv
///   spreiding quality assess --store --as coa --assessor "COA kwaliteit"   all stored locations, results stored
///   spreiding quality show AZC-001                      the stored assessments of one location
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    sub: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// List the criteria: id, source, protected groups, uncertain settings.
    Criteria {
        #[command(flatten)]
        fw: FrameworkOpt,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Assess every location of a registry file, or (--store) of the database and store the results.
    Assess {
        /// Location registry (CSV or .json).
        #[arg(long, short, required_unless_present = "store", conflicts_with = "store")]
        locations: Option<PathBuf>,
        /// Assess every location in the database and store the results (COA: --as coa).
        #[arg(long)]
        store: bool,
        #[command(flatten)]
        db: crate::locations::StoreOpts,
        #[command(flatten)]
        fw: FrameworkOpt,
        /// Who assessed (name or role), recorded with the results.
        #[arg(long, default_value = "spreiding (registry data)")]
        assessor: String,
        /// One row per location and criterion instead of one per location.
        #[arg(long)]
        detail: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The stored assessments of one location over time, with date and assessor.
    Show {
        /// Location id.
        location: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Database URL (see `spreiding cycle --help`).
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct FrameworkOpt {
    /// Framework TOML (default: the shipped quality/kwaliteitskader-v1.toml).
    #[arg(long)]
    pub framework: Option<PathBuf>,
}

impl FrameworkOpt {
    pub fn load(&self) -> Result<Framework> {
        match &self.framework {
            None => Ok(Framework::bundled()),
            Some(p) => Ok(Framework::parse(&p.display().to_string(), &read_text(p)?)?),
        }
    }
}

#[derive(Serialize)]
struct Report<'a> {
    framework: &'a str,
    version: u32,
    date: chrono::NaiveDate,
    assessor: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<i64>,
    assessments: &'a [Assessment],
}

pub fn run(args: Args) -> Result<()> {
    match args.sub {
        Sub::Criteria { fw, format } => {
            let fw = fw.load()?;
            let text = match format {
                Format::Json => serde_json::to_string_pretty(&fw).map_err(|e| CliError::Other(e.to_string()))? + "\n",
                _ => {
                    let rows: Vec<Vec<String>> = fw
                        .criteria
                        .iter()
                        .map(|c| {
                            vec![
                                c.id.clone(),
                                format!("{:?}", c.scope).to_lowercase(),
                                if c.protects.is_empty() { "-".into() } else { c.protects.letters().replace(',', "") },
                                if c.uncertain { "uncertain".into() } else { String::new() },
                                c.source.clone(),
                            ]
                        })
                        .collect();
                    let headers = ["criterion", "scope", "protects", "setting", "source"];
                    if format == Format::Csv { csv_rows(&headers, &rows) } else { table(&headers, &rows) }
                }
            };
            emit(None, &text)
        }
        Sub::Show { location, format, database } => {
            let history = crate::cycle::runtime()?.block_on(async {
                let store = crate::cycle::connect(database.as_deref()).await?;
                let out = store.assessments_of(&location).await;
                store.close().await;
                out.map_err(crate::cycle::store_err)
            })?;
            emit(None, &render_history(&location, &history, format))
        }
        Sub::Assess { locations, store, db, fw, assessor, detail, format, output } => {
            let fw = fw.load()?;
            let date = db.who.date;
            let (locs, results, run) = if store {
                crate::cycle::runtime()?.block_on(async {
                    let st = crate::cycle::connect(db.database.as_deref()).await?;
                    let act = db.who.act(&st).await?;
                    let out = st.assess_locations(&act, &fw, &assessor).await;
                    let locs = st.locations(&[]).await;
                    st.close().await;
                    let stored = out.map_err(crate::locations::refused)?;
                    let locs = locs.map_err(crate::cycle::store_err)?;
                    let run = stored.first().map(|a| a.run);
                    Ok::<_, CliError>((locs, stored.iter().map(StoredAssessment::assessment).collect::<Vec<_>>(), run))
                })?
            } else {
                let locs = crate::locations::load(locations.as_deref().expect("clap: --locations or --store"))?;
                let results: Vec<Assessment> = locs.iter().map(|l| assess(&fw, l)).collect();
                (locs, results, None)
            };
            let date = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let text = match format {
                Format::Json => {
                    let r = Report {
                        framework: &fw.id,
                        version: fw.version,
                        date,
                        assessor: &assessor,
                        run,
                        assessments: &results,
                    };
                    serde_json::to_string_pretty(&r).map_err(|e| CliError::Other(e.to_string()))? + "\n"
                }
                _ if detail => {
                    let mut rows = Vec::new();
                    for a in &results {
                        for r in &a.results {
                            rows.push(vec![
                                a.location.clone(),
                                r.criterion.clone(),
                                r.outcome.code().to_string(),
                                r.detail.clone(),
                                date.to_string(),
                                assessor.clone(),
                            ]);
                        }
                    }
                    let h = ["location", "criterion", "outcome", "detail", "date", "assessor"];
                    if format == Format::Csv { csv_rows(&h, &rows) } else { table(&h, &rows) }
                }
                _ => {
                    let rows: Vec<Vec<String>> = results
                        .iter()
                        .zip(&locs)
                        .map(|(a, l)| {
                            vec![
                                a.location.clone(),
                                l.kind.to_string(),
                                a.overall.code().to_string(),
                                a.count(Outcome::Pass).to_string(),
                                a.count(Outcome::Fail).to_string(),
                                a.count(Outcome::Unknown).to_string(),
                                if a.may_house.is_empty() {
                                    "-".into()
                                } else {
                                    a.may_house.letters().replace(',', "")
                                },
                            ]
                        })
                        .collect();
                    let h = ["location", "type", "overall", "pass", "fail", "unknown", "may_house"];
                    if format == Format::Csv {
                        csv_rows(&h, &rows)
                    } else {
                        let unknown = results.iter().filter(|a| a.count(Outcome::Unknown) > 0).count();
                        table(&h, &rows)
                            + &format!(
                                "{} {} v{} on {date} by {assessor}: {} locations, {unknown} with unknowns (missing data is never a pass)\n",
                                fw.title,
                                fw.id,
                                fw.version,
                                results.len()
                            )
                            + &run
                                .map(|r| format!("stored in the database as assessment run {r} (audited)\n"))
                                .unwrap_or_default()
                    }
                }
            };
            emit(output.as_deref(), &text)
        }
    }
}

fn csv_rows(headers: &[&str], rows: &[Vec<String>]) -> String {
    crate::output::csv_text(headers, rows)
}

/// The stored assessments of one location: a line per assessment (date, assessor,
/// outcome), then every criterion of the latest one; CSV/JSON: everything.
fn render_history(location: &str, history: &[StoredAssessment], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(history).expect("json") + "\n",
        Format::Csv => {
            let mut rows = Vec::new();
            for a in history {
                for r in &a.results {
                    rows.push(vec![
                        a.location.clone(),
                        a.run.to_string(),
                        a.assessed_on.to_string(),
                        a.assessor.clone(),
                        format!("{} v{}", a.framework, a.version),
                        r.criterion.clone(),
                        r.outcome.code().to_string(),
                        r.detail.clone(),
                    ]);
                }
            }
            csv_rows(&["location", "run", "date", "assessor", "framework", "criterion", "outcome", "detail"], &rows)
        }
        Format::Table => {
            let Some(last) = history.last() else {
                return format!("{location} has not been assessed yet: `spreiding quality assess --store --as coa`\n");
            };
            let rows: Vec<Vec<String>> = history
                .iter()
                .map(|a| {
                    vec![
                        a.run.to_string(),
                        a.assessed_on.to_string(),
                        a.assessor.clone(),
                        format!("{} v{}", a.framework, a.version),
                        a.overall.code().to_string(),
                        a.count(Outcome::Pass).to_string(),
                        a.count(Outcome::Fail).to_string(),
                        a.count(Outcome::Unknown).to_string(),
                        if a.may_house.is_empty() { "-".into() } else { a.may_house.letters().replace(',', "") },
                    ]
                })
                .collect();
            let mut out = format!("Assessments of {location}:\n")
                + &table(
                    &["run", "date", "assessor", "framework", "overall", "pass", "fail", "unknown", "may_house"],
                    &rows,
                );
            let detail: Vec<Vec<String>> = last
                .results
                .iter()
                .map(|r| vec![r.criterion.clone(), r.outcome.code().to_string(), r.detail.clone()])
                .collect();
            out += &format!(
                "\nLatest: {} by {} (run {}); unknown = data missing, never a pass:\n",
                last.assessed_on, last.assessor, last.run
            );
            out + &table(&["criterion", "outcome", "detail"], &detail)
        }
    }
}
