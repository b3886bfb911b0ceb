//! `spreiding cycle`: the legal cycle of the Spreidingswet, step by step, in a database.
//!
//! Every command is one transaction and writes one audit record per change; a failing
//! command writes nothing. The rules (deadlines, phases, who may do what, the decision)
//! live in `spreiding_core::{cycle, actor, decision}`; this file only parses and prints.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use spreiding_core::actor::{Actor, Role};
use spreiding_core::cycle::{CycleId, Offer, OfferKind, Swap, parse_offers};
use spreiding_core::decision::{Decision, DecisionRule, Designation, OverDelivery};
use spreiding_core::{GmCode, Method, PvCode};
use spreiding_store::{Act, Cycle, IndicativeTask, NewCycle, Store, StoreError};

use crate::apportion::{parse_method, push_csv_field};
use crate::error::{CliError, Result};
use crate::key::{KeyOpts, Outcome, compute};
use crate::output::{Format, emit, read_text, table};

/// Run the cycle: forecast → provincial tables (offers, swaps) → CdK reports → decision →
/// realisation → closed.
///
/// Examples (a whole cycle on chosen dates):
///   spreiding cycle new --year 2024 --total 96000 --amv 8140 --as ministry --date 2024-01-31
///   spreiding cycle offer GM0363 --location "Azc Zuidoost" --places 400 --kind coa --durable \
///       --available-from 2024-06-01 --as municipality:GM0363 --date 2024-03-01
///   spreiding cycle offer --file offers_GM0363.csv --as municipality:GM0363 --date 2024-03-01
///   spreiding cycle swap --from GM0363 --to GM0362 --places 50 --as province:PV27 --date 2024-09-01
///   spreiding cycle report --as province:PV27 --date 2024-10-15
///   spreiding cycle decide --as ministry --date 2024-12-23
///   spreiding cycle realise GM0363 --places 350 --as municipality:GM0363 --date 2025-03-01
///   spreiding cycle status --by province
///   spreiding cycle close --as ministry --date 2025-07-01
///   spreiding audit verify
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
    #[command(flatten)]
    common: Common,
}

/// Options every cycle command takes.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// Database URL: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB (default: a SQLite
    /// file spreiding.db in the current directory).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// Act as ROLE[:CODE]: ministry, province:PV27, municipality:GM0363, coa, public.
    #[arg(long = "as", value_name = "ROLE[:CODE]", global = true, default_value = "public")]
    pub as_role: String,
    /// Your name for the audit trail (default: $USER).
    #[arg(long, global = true)]
    pub name: Option<String>,
    /// Act on this date, YYYY-MM-DD (default: today).
    #[arg(long, global = true)]
    pub date: Option<NaiveDate>,
    /// Reason recorded with the action; a ministerial override of a deadline needs one.
    #[arg(long, global = true)]
    pub reason: Option<String>,
    /// The cycle (default: the most recent one; for `new`: the year).
    #[arg(long, global = true)]
    pub cycle: Option<String>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Publish the forecast and indicative tasks (minister, before 1 February; Wet art. 2–3).
    New {
        /// Year 1 of the cycle (the forecast year).
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        key: KeyOpts,
    },
    /// Revise the forecast and indicative tasks mid-way (minister; Wet art. 2).
    Revise {
        #[command(flatten)]
        key: KeyOpts,
    },
    /// Offer places (municipality, for itself; before 1 November). One offer, or a CSV/JSON file.
    Offer(OfferArgs),
    /// Record a swap inside a province: --to takes over --places of --from's task (CdK).
    Swap {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        places: u64,
        /// What the swap is for, e.g. "GM0362 houses 50 more permit holders".
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Submit the CdK report (provincial plan), once per province, before 1 November.
    Report {
        /// Province (default: the province of --as).
        #[arg(long)]
        province: Option<String>,
        /// Commitments per municipality (CSV gm_code,commitment); others commit credits + offers.
        #[arg(long)]
        commitments: Option<PathBuf>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Take the distribution decision (minister, by 31 December; Wet art. 5–6).
    Decide {
        /// How a shortfall is assigned: proportional-gap (default) or largest-relative-gap.
        #[arg(long, default_value = "proportional-gap")]
        designation: String,
        /// Over-delivery binding (default, as in Dec 2024) or not-binding.
        #[arg(long, default_value = "binding")]
        over_delivery: String,
        /// Apportionment method (default: the key's method of the cycle).
        #[arg(long, value_parser = parse_method)]
        method: Option<Method>,
        /// Output format of the decision.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Record places realised (cumulative) by a municipality (for itself).
    Realise {
        /// Municipality code.
        code: String,
        /// Places realised so far (cumulative).
        #[arg(long)]
        places: u64,
    },
    /// Close the cycle after the realisation period (minister).
    Close,
    /// Where the cycle stands: deadlines, next step, provinces or municipalities.
    Status {
        #[arg(long, value_enum, default_value = "province")]
        by: By,
        /// Show one municipality, with its decision's explanation.
        #[arg(long)]
        municipality: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Export a part of the cycle as CSV or JSON.
    Export {
        #[arg(value_enum)]
        what: What,
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List the cycles.
    List,
}

#[derive(clap::Args)]
struct OfferArgs {
    /// Municipality code (for a single offer).
    code: Option<String>,
    /// Location name or address.
    #[arg(long)]
    location: Option<String>,
    #[arg(long)]
    places: Option<u64>,
    /// coa, municipal (exploitatie), amv or other.
    #[arg(long, default_value = "coa")]
    kind: String,
    /// Available for at least five years (Besluit art. 1.1).
    #[arg(long)]
    durable: bool,
    /// First day the places are available (default: --date).
    #[arg(long)]
    available_from: Option<NaiveDate>,
    /// Bulk import: CSV `gm_code,location,places,kind,durable,available_from` or a JSON array.
    #[arg(long, conflicts_with_all = ["code", "location", "places"])]
    file: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum By {
    Province,
    Municipality,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    Tasks,
    Offers,
    Swaps,
    Reports,
    Decision,
    Status,
    Realisations,
    Audit,
}

pub(crate) fn store_err(e: StoreError) -> CliError {
    match e {
        StoreError::Invalid(_) | StoreError::InvalidRow { .. } | StoreError::NotFound(_) => {
            CliError::Input(e.to_string())
        }
        StoreError::Conflict(_) | StoreError::Denied(_) => CliError::Refused(e.to_string()),
        StoreError::Tampered { .. } | StoreError::Database(_) => CliError::Other(e.to_string()),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))
}

pub(crate) async fn connect(database: Option<&str>) -> Result<Store> {
    let url = database.map(str::to_string).unwrap_or_else(Store::default_url);
    Store::connect(&url).await.map_err(store_err)
}

impl Common {
    fn act(&self) -> Result<Act> {
        let role: Role = self.as_role.parse()?;
        let name = self.name.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "cli".to_string());
        let on = self.date.unwrap_or_else(|| chrono::Local::now().date_naive());
        Ok(Act { actor: Actor { name, role }, on, reason: self.reason.clone() })
    }

    fn on(&self) -> NaiveDate {
        self.date.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    async fn cycle_id(&self, store: &Store) -> Result<CycleId> {
        if let Some(c) = &self.cycle {
            return Ok(c.parse()?);
        }
        match store.cycles().await.map_err(store_err)?.first() {
            Some(c) => Ok(c.id.clone()),
            None => {
                Err(CliError::Input("there is no cycle yet: the minister starts one with `spreiding cycle new`".into()))
            }
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    runtime()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<()> {
    let common = args.common;
    let store = connect(common.database.as_deref()).await?;
    let out = dispatch(&store, &common, args.command).await;
    store.close().await;
    out
}

fn forecast(key: &KeyOpts, id: CycleId, year: i32, note: Option<String>) -> Result<NewCycle> {
    if key.regions.is_some() {
        return Err(CliError::Input("a cycle distributes over the Dutch municipalities: drop --regions".into()));
    }
    let Outcome::Netherlands(d) = compute(key)? else {
        return Err(CliError::Input("a cycle needs the Dutch municipalities".into()));
    };
    Ok(NewCycle {
        id,
        year,
        national_total: d.total,
        amv_total: d.amv_total,
        definition: format!("{}@{}", d.definition.id, d.definition.version),
        method: d.key.apportionment.method,
        note: note.or_else(|| d.definition.note.clone()),
        tasks: IndicativeTask::from_distribution(&d),
    })
}

async fn dispatch(store: &Store, common: &Common, command: Sub) -> Result<()> {
    match command {
        Sub::New { year, key } => {
            let act = common.act()?;
            let id: CycleId = common.cycle.clone().unwrap_or_else(|| year.to_string()).parse()?;
            let c = store.create_cycle(&act, forecast(&key, id, year, None)?).await.map_err(store_err)?;
            println!(
                "Cycle {} published on {}: {} places{} over {} municipalities ({}, method {}). Offers are open until {}.",
                c.id,
                c.published_on,
                c.national_total,
                c.amv_total.map(|a| format!(" of which {a} AMV")).unwrap_or_default(),
                store.netherlands().municipalities.len(),
                c.definition,
                c.method,
                c.calendar().report_deadline().pred_opt().expect("date")
            );
        }
        Sub::Revise { key } => {
            let act = common.act()?;
            let id = common.cycle_id(store).await?;
            let old = store.cycle(&id).await.map_err(store_err)?;
            let c = store.revise_forecast(&act, forecast(&key, id, old.year, None)?).await.map_err(store_err)?;
            println!(
                "Cycle {} revised (revision {}, Wet art. 2): {} → {} places.",
                c.id, c.revision, old.national_total, c.national_total
            );
        }
        Sub::Offer(o) => offer(store, common, o).await?,
        Sub::Swap { from, to, places, note } => {
            let act = common.act()?;
            let id = common.cycle_id(store).await?;
            let swap = Swap { from: from.parse()?, to: to.parse()?, places, note };
            let r = store.record_swap(&act, &id, swap).await.map_err(store_err)?;
            println!(
                "Swap recorded in {}: {} takes over {} places of {}'s task.",
                r.pv_code, r.swap.to, r.swap.places, r.swap.from
            );
        }
        Sub::Report { province, commitments, note } => {
            let act = common.act()?;
            let id = common.cycle_id(store).await?;
            let pv: PvCode = match (province, act.actor.role) {
                (Some(p), _) => p.parse()?,
                (None, Role::Province(p)) => p,
                (None, _) => return Err(CliError::Input("say which province reports: --province PVnn".into())),
            };
            let lines = match &commitments {
                Some(p) => parse_commitments(p)?,
                None => Vec::new(),
            };
            let r = store.submit_report(&act, &id, pv, &lines, &note).await.map_err(|e| match (e, &commitments) {
                (StoreError::InvalidRow { row, message }, Some(p)) => {
                    CliError::Input(format!("{}:{}: {message}", p.display(), row + 1))
                }
                (e, _) => store_err(e),
            })?;
            let plan: u64 = r.commitments.values().sum();
            println!(
                "Report of {} submitted on {}: plan {} places over {} municipalities.",
                r.pv_code,
                r.submitted_on,
                plan,
                r.commitments.len()
            );
        }
        Sub::Decide { designation, over_delivery, method, format } => {
            let act = common.act()?;
            let id = common.cycle_id(store).await?;
            let c = store.cycle(&id).await.map_err(store_err)?;
            let rule = DecisionRule {
                designation: designation.parse::<Designation>()?,
                over_delivery: over_delivery.parse::<OverDelivery>()?,
                method: method.unwrap_or(c.method),
            };
            let d = store.decide(&act, &id, rule).await.map_err(store_err)?;
            emit(None, &render_decision(&d, format))?;
        }
        Sub::Realise { code, places } => {
            let act = common.act()?;
            let id = common.cycle_id(store).await?;
            let gm: GmCode = code.parse()?;
            let r = store.record_realisation(&act, &id, gm, places).await.map_err(store_err)?;
            println!(
                "{} has realised {} places as of {}{}.",
                r.gm_code,
                r.realised,
                r.on_date,
                if r.late { " (recorded after the realisation deadline)" } else { "" }
            );
        }
        Sub::Close => {
            let act = common.act()?;
            let id = common.cycle_id(store).await?;
            let c = store.close_cycle(&act, &id).await.map_err(store_err)?;
            println!("Cycle {} closed on {}.", c.id, c.closed_on.map(|d| d.to_string()).unwrap_or_default());
        }
        Sub::Status { by, municipality, format } => {
            let id = common.cycle_id(store).await?;
            let st = store.status(&id, common.on()).await.map_err(store_err)?;
            if let Some(g) = municipality {
                let g: GmCode = g.parse()?;
                let m = st
                    .municipalities
                    .iter()
                    .find(|m| m.gm_code == g)
                    .ok_or_else(|| CliError::Input(format!("unknown municipality {g}")))?;
                let d = store.decision(&id).await.map_err(store_err)?;
                let expl = d.as_ref().and_then(|d| d.municipalities.iter().find(|x| x.gm_code == g).cloned());
                let text = match format {
                    Format::Json => {
                        serde_json::to_string_pretty(&serde_json::json!({"status": m, "decision": expl})).expect("json")
                            + "\n"
                    }
                    _ => {
                        let mut s = format!(
                            "{} {} ({}): indicative task {}, agreed {}, credited {}, offered {}, commitment {}, binding {}, realised {} — {}\n",
                            m.gm_code,
                            m.gm_naam,
                            m.pv_code,
                            m.indicative_task,
                            m.agreed_task,
                            m.credited,
                            m.offered,
                            m.commitment,
                            m.binding_task.map(|b| b.to_string()).unwrap_or_else(|| "—".into()),
                            m.realised,
                            m.progress
                        );
                        if let Some(e) = expl {
                            s.push_str(&format!("\n{}\n", e.explanation));
                        }
                        s
                    }
                };
                return emit(None, &text);
            }
            emit(None, &render_status(&st, by, format))?;
        }
        Sub::Export { what, format, output } => {
            let id = common.cycle_id(store).await?;
            let text = export(store, &id, what, format, common.on()).await?;
            emit(output.as_deref(), &text)?;
        }
        Sub::List => {
            let cs = store.cycles().await.map_err(store_err)?;
            let rows: Vec<Vec<String>> = cs.iter().map(cycle_row).collect();
            emit(
                None,
                &table(&["cycle", "year", "phase", "total", "revision", "published", "decided", "closed"], &rows),
            )?;
        }
    }
    Ok(())
}

fn cycle_row(c: &Cycle) -> Vec<String> {
    let od = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        c.id.to_string(),
        c.year.to_string(),
        c.phase.to_string(),
        c.national_total.to_string(),
        c.revision.to_string(),
        c.published_on.to_string(),
        od(c.decided_on),
        od(c.closed_on),
    ]
}

async fn offer(store: &Store, common: &Common, o: OfferArgs) -> Result<()> {
    let act = common.act()?;
    let id = common.cycle_id(store).await?;
    let (offers, file) = match &o.file {
        Some(p) => {
            let name = p.display().to_string();
            (parse_offers(&name, &read_text(p)?, store.netherlands())?, Some(p.as_path()))
        }
        None => {
            let (Some(code), Some(location), Some(places)) = (o.code, o.location, o.places) else {
                return Err(CliError::Input(
                    "give a municipality code with --location and --places, or --file with offers".into(),
                ));
            };
            let offer = Offer {
                gm_code: code.parse()?,
                location,
                places,
                kind: o.kind.parse::<OfferKind>()?,
                durable: o.durable,
                available_from: o.available_from.unwrap_or(act.on),
            };
            (vec![offer], None)
        }
    };
    let recs = store.submit_offers(&act, &id, &offers).await.map_err(|e| match (e, file) {
        (StoreError::InvalidRow { row, message }, Some(p)) => CliError::Input(format!("{}: {message}", row_at(p, row))),
        (e, _) => store_err(e),
    })?;
    let places: u64 = recs.iter().map(|r| r.offer.places).sum();
    println!("{} offer(s) submitted on {}: {} places.", recs.len(), act.on, places);
    Ok(())
}

/// Where row `row` (1-based) of a bulk file sits: CSV line (header is line 1) or JSON element.
fn row_at(p: &Path, row: usize) -> String {
    let is_json = read_text(p).map(|t| t.trim_start().starts_with('[')).unwrap_or(false);
    if is_json { format!("{} element {row}", p.display()) } else { format!("{}:{}", p.display(), row + 1) }
}

fn parse_commitments(p: &Path) -> Result<Vec<(GmCode, u64)>> {
    let text = read_text(p)?;
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let name = p.display();
    let h: Vec<String> =
        rdr.headers().map_err(|e| CliError::Input(format!("{name}:1: {e}")))?.iter().map(String::from).collect();
    if h != ["gm_code", "commitment"] {
        return Err(CliError::Input(format!("{name}:1: header must be `gm_code,commitment`, found `{}`", h.join(","))));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CliError::Input(format!("{name}:{line}: {e}")))?;
        let g: GmCode = rec[0].parse().map_err(|e| CliError::Input(format!("{name}:{line}: gm_code: {e}")))?;
        let n: u64 = rec[1].parse().map_err(|_| {
            CliError::Input(format!("{name}:{line}: commitment: '{}' is not a whole, non-negative number", &rec[1]))
        })?;
        out.push((g, n));
    }
    Ok(out)
}

fn render_decision(d: &Decision, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(d).expect("json") + "\n",
        Format::Csv => decision_csv(d),
        Format::Table => {
            let rows: Vec<Vec<String>> = d
                .provinces
                .iter()
                .map(|p| {
                    vec![
                        p.pv_code.to_string(),
                        p.task.to_string(),
                        p.plan.to_string(),
                        p.shortfall.to_string(),
                        p.over_delivery.to_string(),
                        p.offset.to_string(),
                        p.assigned.to_string(),
                        p.binding_total.to_string(),
                    ]
                })
                .collect();
            format!(
                "{}\n\n{}",
                d.summary,
                table(&["pv_code", "task", "plan", "shortfall", "over", "offset", "assigned", "binding"], &rows)
            )
        }
    }
}

fn decision_csv(d: &Decision) -> String {
    let mut s = String::from(
        "gm_code,gm_naam,pv_code,indicative_task,swap_delta,agreed_task,credited,offered,commitment,gap,\
         shortfall_share,reduction,binding_task,realisation_deadline,explanation\n",
    );
    for m in &d.municipalities {
        s.push_str(m.gm_code.as_str());
        s.push(',');
        push_csv_field(&mut s, &m.gm_naam);
        s.push_str(&format!(
            ",{},{},{},{},{},{},{},{},{},{},{},{},",
            m.pv_code,
            m.indicative_task,
            m.swap_delta,
            m.agreed_task,
            m.credited,
            m.offered,
            m.commitment,
            m.gap,
            m.shortfall_share,
            m.reduction,
            m.binding_task,
            m.realisation_deadline
        ));
        push_csv_field(&mut s, &m.explanation);
        s.push('\n');
    }
    s
}

fn opt(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn render_status(st: &spreiding_store::CycleStatus, by: By, format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(st).expect("json") + "\n";
    }
    let (headers, rows): (Vec<&str>, Vec<Vec<String>>) = match by {
        By::Province => (
            vec!["pv_code", "pv_naam", "task", "commitment", "reported_on", "binding", "realised", "progress"],
            st.provinces
                .iter()
                .map(|p| {
                    vec![
                        p.pv_code.to_string(),
                        p.pv_naam.clone(),
                        p.task.to_string(),
                        p.commitment.to_string(),
                        p.reported_on.map(|d| d.to_string()).unwrap_or_default(),
                        opt(p.binding_task),
                        p.realised.to_string(),
                        p.progress.to_string(),
                    ]
                })
                .collect(),
        ),
        By::Municipality => (
            vec![
                "gm_code",
                "gm_naam",
                "pv_code",
                "task",
                "agreed",
                "offered",
                "commitment",
                "binding",
                "realised",
                "progress",
            ],
            st.municipalities
                .iter()
                .map(|m| {
                    vec![
                        m.gm_code.to_string(),
                        m.gm_naam.clone(),
                        m.pv_code.to_string(),
                        m.indicative_task.to_string(),
                        m.agreed_task.to_string(),
                        m.offered.to_string(),
                        m.commitment.to_string(),
                        opt(m.binding_task),
                        m.realised.to_string(),
                        m.progress.to_string(),
                    ]
                })
                .collect(),
        ),
    };
    if format == Format::Csv {
        let mut s = headers.join(",") + "\n";
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                push_csv_field(&mut s, c);
            }
            s.push('\n');
        }
        return s;
    }
    let c = &st.cycle;
    format!(
        "Cycle {} ({}), phase {}, revision {}, {} places; status on {}.\nDeadlines: forecast before {}, reports before {}, \
         decision by {}{}.\n{} offers, {} swaps. Next: {}\n\n{}",
        c.id,
        c.definition,
        c.phase,
        c.revision,
        c.national_total,
        st.on,
        st.forecast_deadline,
        st.report_deadline,
        st.decision_deadline,
        st.realisation_deadline.map(|d| format!(", realisation by {d}")).unwrap_or_default(),
        st.offers,
        st.swaps,
        st.next,
        table(&headers, &rows)
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}

fn csv_rows(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut s = headers.join(",") + "\n";
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            push_csv_field(&mut s, c);
        }
        s.push('\n');
    }
    s
}

async fn export(store: &Store, id: &CycleId, what: What, format: Format, on: NaiveDate) -> Result<String> {
    let json = format == Format::Json;
    Ok(match what {
        What::Tasks => {
            let t = store.indicative_tasks(id).await.map_err(store_err)?;
            if json {
                to_json(&t)
            } else {
                csv_rows(
                    &["gm_code", "gm_naam", "pv_code", "quota", "task", "amv", "credited"],
                    t.iter()
                        .map(|t| {
                            vec![
                                t.gm_code.to_string(),
                                t.gm_naam.clone(),
                                t.pv_code.to_string(),
                                t.quota.clone(),
                                t.task.to_string(),
                                opt(t.amv),
                                t.credited.to_string(),
                            ]
                        })
                        .collect(),
                )
            }
        }
        What::Offers => {
            let o = store.offers(id, None).await.map_err(store_err)?;
            if json {
                to_json(&o)
            } else {
                csv_rows(
                    &[
                        "gm_code",
                        "location",
                        "places",
                        "kind",
                        "durable",
                        "available_from",
                        "submitted_on",
                        "submitted_by",
                    ],
                    o.iter()
                        .map(|r| {
                            vec![
                                r.offer.gm_code.to_string(),
                                r.offer.location.clone(),
                                r.offer.places.to_string(),
                                r.offer.kind.to_string(),
                                if r.offer.durable { "yes" } else { "no" }.into(),
                                r.offer.available_from.to_string(),
                                r.submitted_on.to_string(),
                                r.submitted_by.clone(),
                            ]
                        })
                        .collect(),
                )
            }
        }
        What::Swaps => {
            let s = store.swaps(id).await.map_err(store_err)?;
            if json {
                to_json(&s)
            } else {
                csv_rows(
                    &["pv_code", "from", "to", "places", "note", "agreed_on"],
                    s.iter()
                        .map(|r| {
                            vec![
                                r.pv_code.to_string(),
                                r.swap.from.to_string(),
                                r.swap.to.to_string(),
                                r.swap.places.to_string(),
                                r.swap.note.clone(),
                                r.agreed_on.to_string(),
                            ]
                        })
                        .collect(),
                )
            }
        }
        What::Reports => {
            let r = store.reports(id).await.map_err(store_err)?;
            if json {
                to_json(&r)
            } else {
                let mut rows = Vec::new();
                for rep in &r {
                    for (g, n) in &rep.commitments {
                        rows.push(vec![
                            rep.pv_code.to_string(),
                            g.to_string(),
                            n.to_string(),
                            rep.submitted_on.to_string(),
                        ]);
                    }
                }
                csv_rows(&["pv_code", "gm_code", "commitment", "submitted_on"], rows)
            }
        }
        What::Decision => {
            let d = store
                .decision(id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| CliError::Refused(format!("cycle {id} has no distribution decision yet")))?;
            if json { to_json(&d) } else { decision_csv(&d) }
        }
        What::Status => {
            let st = store.status(id, on).await.map_err(store_err)?;
            render_status(&st, By::Municipality, if json { Format::Json } else { Format::Csv })
        }
        What::Realisations => {
            let r = store.realisations(id).await.map_err(store_err)?;
            if json {
                to_json(&r)
            } else {
                csv_rows(
                    &["gm_code", "on_date", "realised", "late", "recorded_by"],
                    r.iter()
                        .map(|x| {
                            vec![
                                x.gm_code.to_string(),
                                x.on_date.to_string(),
                                x.realised.to_string(),
                                if x.late { "yes" } else { "no" }.into(),
                                x.recorded_by.clone(),
                            ]
                        })
                        .collect(),
                )
            }
        }
        What::Audit => crate::audit::render_log(&store.audit_log(Some(id.as_str())).await.map_err(store_err)?, format),
    })
}
