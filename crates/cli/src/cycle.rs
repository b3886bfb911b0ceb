//! `spreiding cycle`: the legal cycle of the Spreidingswet, step by step, in a database.
//!
//! Every command is one transaction and writes one audit record per change; a failing
//! command writes nothing. Writes are done by an account (see `session.rs`). The rules
//! (deadlines, phases, who may do what, what counts, the decision) live in
//! `spreiding_core`; this file only parses and prints.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use spreiding_core::actor::Role;
use spreiding_core::cycle::CycleId;
use spreiding_core::decision::{Decision, DecisionRule, Designation, OverDelivery};
use spreiding_core::key::legal_key_check;
use spreiding_core::offer::{Offer, OfferKind, Swap, parse_offers};
use spreiding_core::payment::euro;
use spreiding_core::plan::Commitment;
use spreiding_core::reference::{content_hash, vintage_for_cycle};
use spreiding_core::{GmCode, Method, PvCode};
use spreiding_store::{Cycle, CycleInput, ForecastBase, IndicativeTask, NewCycle, Store, StoreError};

use crate::apportion::parse_method;
use crate::error::{CliError, Result};
use crate::key::{Base, KeyOpts, Outcome, compute_on};
use crate::output::{Format, Rows, emit, read_text};
use crate::session::Identity;
pub(crate) use crate::session::{connect, runtime, store_err};

/// Run the cycle: forecast → provincial tables (offers, swaps) → CdK reports → decision →
/// objections and revisions → realisation → closed. Writes need an account
/// (--user NAME with SPREIDING_PASSWORD, or SPREIDING_TOKEN).
///
/// Examples (a whole cycle in a sandbox database, on chosen dates):
///   spreiding db init --sandbox
///   spreiding cycle new --year 2024 --total 96000 --amv 8140 --ses-woa ses_woa:2022 --user minister --date 2024-01-31
///   spreiding cycle new --year 2026 --from-run 3 --amv 7480 --ses-woa ses_woa:2022 --user minister
///   spreiding cycle offer GM0363 --location "Azc Zuidoost" --kind regular_durable --places 400 --years 10 \
///       --available-from 2024-06-01 --user amsterdam --date 2024-03-01
///   spreiding cycle offer --file offers_GM0363.csv --user amsterdam --date 2024-03-01
///   spreiding cycle amend-offer 3 --places 450 --user amsterdam --date 2024-04-01
///   spreiding cycle swap --from GM0479 --to GM0363 --places 50 --user cdk-nh --date 2024-09-15
///   spreiding cycle report --user cdk-nh --date 2024-10-15
///   spreiding cycle decide --user minister --date 2024-12-23
///   spreiding cycle object GM0479 --grounds "…" --requested-task 300 --user zaanstad --date 2025-01-10
///   spreiding cycle decide-objection 1 --upheld --granted-task 300 --reason "…" --user minister --date 2025-02-01
///   spreiding cycle revise-decision --reason "objection 1 upheld" --user minister --date 2025-02-02
///   spreiding cycle realise GM0363 --places 350 --amv 40 --user amsterdam --date 2025-03-01
///   spreiding cycle close --user minister --date 2025-07-01
///   spreiding cycle export decision --format csv -o decision.csv
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
    /// Database URL: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB (default: DATABASE_URL,
    /// else a SQLite file spreiding.db in the current directory).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// The cycle (default: the current one; for `new`: the year).
    #[arg(long, global = true)]
    pub cycle: Option<String>,
    #[command(flatten)]
    pub who: Identity,
}

/// The inputs of a forecast beyond the key options.
#[derive(clap::Args, Clone)]
struct ForecastOpts {
    #[command(flatten)]
    key: KeyOpts,
    /// Take the national total from a recorded forecast run: its P50 of required places on
    /// the first target date (`spreiding forecast runs` lists them). The cycle's record names the run.
    #[arg(long, value_name = "ID", conflicts_with_all = ["total", "from_forecast"])]
    from_run: Option<i64>,
    /// SES-WOA from the record: an indicator set imported with `spreiding data import`, e.g. ses_woa:2022.
    #[arg(long, value_name = "SET")]
    ses_woa: Option<String>,
    /// The minister's recorded reason for publishing with a key that lacks the SES-WOA
    /// correction the law requires (Kamerstuk 36333, F).
    #[arg(long, value_name = "REASON")]
    deviation: Option<String>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Publish the forecast and indicative tasks (minister, before 1 February; Wet art. 2–3).
    New {
        /// Year 1 of the cycle (the forecast year).
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        f: ForecastOpts,
    },
    /// Revise the forecast and indicative tasks mid-way (minister; Wet art. 2).
    Revise {
        #[command(flatten)]
        f: ForecastOpts,
    },
    /// Offer places (municipality, for itself; before its province reports). One offer, or a CSV/JSON file.
    Offer(OfferArgs),
    /// Amend one of your offers (by its number), until your province reports.
    AmendOffer {
        offer_no: i64,
        #[arg(long)]
        places: Option<u64>,
        #[arg(long)]
        amv_places: Option<u64>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        years: Option<u32>,
        #[arg(long)]
        available_from: Option<NaiveDate>,
    },
    /// Withdraw one of your offers (by its number), until your province reports.
    WithdrawOffer { offer_no: i64 },
    /// Record a swap inside a province: --to takes over --places of --from's task (CdK).
    Swap {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        places: u64,
        /// Of those places, places of the AMV sub-task.
        #[arg(long, default_value_t = 0)]
        amv_places: u64,
        /// What the swap is for, e.g. "GM0362 houses 50 more permit holders".
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Submit the CdK report (provincial plan), once per province, before 1 November.
    Report {
        /// Province (default: the province of the account).
        #[arg(long)]
        province: Option<String>,
        /// Commitments per municipality (CSV gm_code,commitment[,amv_commitment]); others commit what counts for them.
        #[arg(long)]
        commitments: Option<PathBuf>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Amend the CdK report with a reason (--reason), until the decision.
    AmendReport {
        #[arg(long)]
        province: Option<String>,
        /// The changed commitments (CSV gm_code,commitment[,amv_commitment]).
        #[arg(long)]
        commitments: PathBuf,
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
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Revise the decision with a reason (--reason), e.g. after an upheld objection (minister).
    ReviseDecision {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Object (bezwaar) to your binding task, within six weeks of the decision (Awb art. 6:7).
    Object {
        code: String,
        /// The grounds of the objection (Awb art. 6:5).
        #[arg(long)]
        grounds: String,
        /// The binding task you ask for instead.
        #[arg(long)]
        requested_task: Option<u64>,
        #[arg(long)]
        requested_amv: Option<u64>,
    },
    /// Decide on an objection with reasons (--reason): --upheld with the granted task, or --rejected (minister).
    DecideObjection {
        objection_no: i64,
        #[arg(long, conflicts_with = "rejected", required_unless_present = "rejected")]
        upheld: bool,
        #[arg(long)]
        rejected: bool,
        /// The binding task granted at most (upheld only).
        #[arg(long)]
        granted_task: Option<u64>,
        #[arg(long)]
        granted_amv: Option<u64>,
    },
    /// List the objections of the cycle.
    Objections {
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
        /// Of those, AMV places.
        #[arg(long, default_value_t = 0)]
        amv: u64,
    },
    /// Apply for the durable-places payment before the next cycle (Regeling, Stcrt. 2024, 3349).
    ApplyPayment {
        code: String,
        #[arg(long)]
        places: u64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Close the cycle after the realisation period (minister).
    Close,
    /// Where the cycle stands: deadlines, next step, provinces or municipalities.
    Status {
        #[arg(long, value_enum, default_value = "province")]
        by: By,
        /// Show one municipality: its offers (counted or not, and why), payment and explanation.
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
    /// regular_durable, temporary, noodopvang, crisisnoodopvang, amv_small_scale or registration_centre.
    #[arg(long, default_value = "regular_durable")]
    kind: String,
    #[arg(long)]
    places: Option<u64>,
    /// Of the places, those for unaccompanied minors (default: all for amv_small_scale, else 0).
    #[arg(long)]
    amv_places: Option<u64>,
    /// Years the places are available (durable: at least 5, Besluit art. 1.1).
    #[arg(long)]
    years: Option<u32>,
    /// First day the places are available (default: the act's date).
    #[arg(long)]
    available_from: Option<NaiveDate>,
    /// Bulk import: CSV `gm_code,location,kind,places,amv_places,years,available_from` or a JSON array.
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
    Objections,
    Status,
    Realisations,
    Audit,
}

impl Common {
    async fn cycle_id(&self, store: &Store) -> Result<CycleId> {
        if let Some(c) = &self.cycle {
            return Ok(c.parse()?);
        }
        // The current cycle; once every cycle is closed, the latest one.
        if let Some(c) = store.current_cycle().await.map_err(store_err)? {
            return Ok(c.id);
        }
        match store.cycles().await.map_err(store_err)?.into_iter().next() {
            Some(c) => Ok(c.id),
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

/// Build the forecast to publish: the key on the population vintage of the cycle's
/// forecast date (`reference::vintage_for_cycle`, or --vintage; from the record when
/// imported, else bundled), SES-WOA from the record or files, credits from the location
/// registry, and a content hash of every input.
async fn forecast(store: &Store, f: &ForecastOpts, id: CycleId, year: i32, on: NaiveDate) -> Result<NewCycle> {
    if f.key.regions.is_some() {
        return Err(CliError::Input("a cycle distributes over the Dutch municipalities: drop --regions".into()));
    }
    let mut key = f.key.clone();
    if let Some(run) = f.from_run {
        let r = store.forecast_run(run).await.map_err(store_err)?;
        key.total = Some(r.p50);
        eprintln!("national total {} taken from forecast {}", r.p50, r.describe());
    }
    let vintage = key.vintage.unwrap_or_else(|| vintage_for_cycle(year));
    let ForecastBase { nl, indicators, credits, mut inputs } =
        store.forecast_base(vintage, f.ses_woa.as_deref(), on).await.map_err(store_err)?;
    for p in &key.indicators {
        let text = read_text(p)?;
        inputs.push(CycleInput {
            kind: "indicator".into(),
            name: p.display().to_string(),
            source: p.display().to_string(),
            sha256: content_hash(&text),
            period: None,
        });
    }
    let Outcome::Netherlands(d) = compute_on(&key, Some(Base { nl: nl.clone(), indicators, credits }))? else {
        return Err(CliError::Input("a cycle needs the Dutch municipalities".into()));
    };
    let def = &d.key.definition;
    let deviation = legal_key_check(def, f.deviation.as_deref())?;
    let key_toml = match spreiding_core::bundled::KEYS.iter().find(|k| k.0 == def.id) {
        Some(k) => k.2.to_string(),
        None => key.definition.as_deref().map(|p| read_text(Path::new(p))).transpose()?.unwrap_or_default(),
    };
    inputs.insert(
        0,
        CycleInput {
            kind: "key".into(),
            name: format!("{}@{}", def.id, def.version),
            source: def.source.clone(),
            sha256: content_hash(&key_toml),
            period: None,
        },
    );
    if d.tasks_total != d.total {
        eprintln!(
            "note: independent rounding gives tasks that add up to {}, not {} (method round-each)",
            d.tasks_total, d.total
        );
    }
    Ok(NewCycle {
        id,
        year,
        national_total: d.total,
        amv_total: d.amv_total,
        definition: format!("{}@{}", d.definition.id, d.definition.version),
        key_status: d.definition.status.clone(),
        key_toml,
        method: d.key.apportionment.method,
        deviation,
        population_date: Some(vintage),
        municipality_set: nl.set.source.clone(),
        inputs,
        note: d.definition.note.clone(),
        tasks: IndicativeTask::from_distribution(&d),
        forecast_run_id: f.from_run,
    })
}

/// "Forecast: run 3 (scenario base v2, seed 7, …)" when the cycle was published from a run.
fn run_line(c: &Cycle) -> String {
    c.inputs.iter().find(|i| i.kind == "forecast").map(|i| format!("Forecast: {}.\n", i.source)).unwrap_or_default()
}

fn parse_gm(s: &str, field: &str) -> Result<GmCode> {
    s.parse().map_err(|e: spreiding_core::CoreError| CliError::Input(format!("{field}: {e}")))
}

async fn dispatch(store: &Store, common: &Common, command: Sub) -> Result<()> {
    let who = &common.who;
    match command {
        Sub::New { year, f } => {
            let act = who.act(store).await?;
            let id: CycleId = common.cycle.clone().unwrap_or_else(|| year.to_string()).parse()?;
            let c =
                store.create_cycle(&act, forecast(store, &f, id, year, act.on()).await?).await.map_err(store_err)?;
            println!(
                "Cycle {} published on {}: {} places{}{} over {} municipalities ({}, method {}; population of {}). Offers \
                 are open until {}.{}",
                c.id,
                c.published_on,
                c.national_total,
                c.amv_total.map(|a| format!(" of which {a} AMV")).unwrap_or_default(),
                c.forecast_run_id.map(|r| format!(" (from forecast run {r})")).unwrap_or_default(),
                store.netherlands().municipalities.len(),
                c.definition,
                c.method,
                c.population_date.map(|d| d.to_string()).unwrap_or_default(),
                c.calendar().report_deadline().pred_opt().expect("date"),
                c.deviation
                    .as_ref()
                    .map(|d| format!(" Deviation from the key the law requires, recorded: {d}"))
                    .unwrap_or_default()
            );
        }
        Sub::Revise { f } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let old = store.cycle(&id).await.map_err(store_err)?;
            let c = store
                .revise_forecast(&act, forecast(store, &f, id, old.year, act.on()).await?)
                .await
                .map_err(store_err)?;
            println!(
                "Cycle {} revised (revision {}, Wet art. 2): {} → {} places{}.",
                c.id,
                c.revision,
                old.national_total,
                c.national_total,
                c.forecast_run_id.map(|r| format!(" (from forecast run {r})")).unwrap_or_default()
            );
        }
        Sub::Offer(o) => offer(store, common, o).await?,
        Sub::AmendOffer { offer_no, places, amv_places, kind, years, available_from } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let cur = store
                .offers(&id, None)
                .await
                .map_err(store_err)?
                .into_iter()
                .find(|o| o.offer_no == offer_no)
                .ok_or_else(|| CliError::Input(format!("there is no offer {offer_no} in cycle {id}")))?;
            let kind: OfferKind = match kind {
                Some(k) => k.parse()?,
                None => cur.offer.kind,
            };
            let places = places.unwrap_or(cur.offer.places);
            let new = Offer {
                kind,
                places,
                amv_places: amv_places.unwrap_or(if kind == OfferKind::AmvSmallScale {
                    places
                } else {
                    cur.offer.amv_places.min(places)
                }),
                years: years.unwrap_or(cur.offer.years),
                available_from: available_from.unwrap_or(cur.offer.available_from),
                ..cur.offer.clone()
            };
            let r = store.amend_offer(&act, &id, offer_no, new).await.map_err(store_err)?;
            println!(
                "Offer {} of {} ({}) amended on {}: {} places ({}).",
                r.offer_no,
                r.offer.gm_code,
                r.offer.location,
                act.on(),
                r.offer.places,
                r.offer.kind
            );
        }
        Sub::WithdrawOffer { offer_no } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let r = store.withdraw_offer(&act, &id, offer_no).await.map_err(store_err)?;
            println!("Offer {} of {} ({}) withdrawn on {}.", r.offer_no, r.offer.gm_code, r.offer.location, act.on());
        }
        Sub::Swap { from, to, places, amv_places, note } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let swap = Swap { from: parse_gm(&from, "from")?, to: parse_gm(&to, "to")?, places, amv_places, note };
            let r = store.record_swap(&act, &id, swap).await.map_err(store_err)?;
            println!(
                "Swap recorded in {}: {} takes over {} places ({} AMV) of {}'s task.",
                r.pv_code, r.swap.to, r.swap.places, r.swap.amv_places, r.swap.from
            );
        }
        Sub::Report { province, commitments, note } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let pv = province_of(province, act.actor().role)?;
            let lines = match &commitments {
                Some(p) => parse_commitments(p)?,
                None => Vec::new(),
            };
            let r = store
                .submit_report(&act, &id, pv, &lines, &note)
                .await
                .map_err(|e| row_err(e, commitments.as_deref()))?;
            let plan: u64 = r.commitments.values().map(|c| c.places).sum();
            println!(
                "Report of {} submitted on {}: plan {} places over {} municipalities.",
                r.pv_code,
                r.submitted_on,
                plan,
                r.commitments.len()
            );
        }
        Sub::AmendReport { province, commitments } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let pv = province_of(province, act.actor().role)?;
            let lines = parse_commitments(&commitments)?;
            let reason = act.reason().unwrap_or_default().to_string();
            let r =
                store.amend_report(&act, &id, pv, &lines, &reason).await.map_err(|e| row_err(e, Some(&commitments)))?;
            let plan: u64 = r.commitments.values().map(|c| c.places).sum();
            println!(
                "Report of {} amended on {} (revision {}): plan {} places.",
                r.pv_code,
                act.on(),
                r.revision,
                plan
            );
        }
        Sub::Decide { designation, over_delivery, method, format } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let c = store.cycle(&id).await.map_err(store_err)?;
            let rule = DecisionRule {
                designation: designation.parse::<Designation>()?,
                over_delivery: over_delivery.parse::<OverDelivery>()?,
                method: method.unwrap_or(c.method).exact(),
            };
            let d = store.decide(&act, &id, rule).await.map_err(store_err)?;
            emit(None, &render_decision(&d, format, None))?;
        }
        Sub::ReviseDecision { format } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let d = store.revise_decision(&act, &id).await.map_err(store_err)?;
            emit(None, &render_decision(&d, format, None))?;
        }
        Sub::Object { code, grounds, requested_task, requested_amv } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let gm = parse_gm(&code, "code")?;
            let o = store
                .file_objection(&act, &id, gm, &grounds, requested_task, requested_amv)
                .await
                .map_err(store_err)?;
            println!("Objection {} of {} filed on {} against its binding task.", o.objection_no, o.gm_code, o.filed_on);
        }
        Sub::DecideObjection { objection_no, upheld, rejected: _, granted_task, granted_amv } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let o = store
                .decide_objection(&act, &id, objection_no, upheld, granted_task, granted_amv)
                .await
                .map_err(store_err)?;
            println!(
                "Objection {} of {} {} on {}{}.",
                o.objection_no,
                o.gm_code,
                o.status.name(),
                act.on(),
                o.granted_task.map(|t| format!(": binding task at most {t}; it takes effect when the minister revises the decision (cycle revise-decision)")).unwrap_or_default()
            );
        }
        Sub::Objections { format } => {
            let id = common.cycle_id(store).await?;
            let os = store.objections(&id).await.map_err(store_err)?;
            emit(None, &objections(&os, format))?;
        }
        Sub::Realise { code, places, amv } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let gm = parse_gm(&code, "code")?;
            let r = store.record_realisation(&act, &id, gm, places, amv).await.map_err(store_err)?;
            println!(
                "{} has realised {} places ({} AMV) as of {}{}.",
                r.gm_code,
                r.realised,
                r.amv_realised,
                r.on_date,
                if r.late { " (recorded after the realisation deadline)" } else { "" }
            );
        }
        Sub::ApplyPayment { code, places, note } => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let a = store.apply_payment(&act, &id, parse_gm(&code, "code")?, places, &note).await.map_err(store_err)?;
            println!(
                "Application {} of {} for the durable-places payment for {} places recorded on {}.",
                a.application_no, a.gm_code, a.places, a.applied_on
            );
        }
        Sub::Close => {
            let act = who.act(store).await?;
            let id = common.cycle_id(store).await?;
            let c = store.close_cycle(&act, &id).await.map_err(store_err)?;
            println!("Cycle {} closed on {}.", c.id, c.closed_on.map(|d| d.to_string()).unwrap_or_default());
        }
        Sub::Status { by, municipality, format } => {
            let id = common.cycle_id(store).await?;
            let on = who.on(store).await?;
            let st = store.status(&id, on).await.map_err(store_err)?;
            if let Some(g) = municipality {
                return emit(None, &municipality_status(store, &st, parse_gm(&g, "municipality")?, format).await?);
            }
            emit(None, &render_status(&st, by, format))?;
        }
        Sub::Export { what, format, output } => {
            let id = common.cycle_id(store).await?;
            let on = who.on(store).await?;
            let text = export(store, &id, what, format, on).await?;
            emit(output.as_deref(), &text)?;
        }
        Sub::List => {
            let cs = store.cycles().await.map_err(store_err)?;
            let mut rows = Rows::new(&[
                "cycle",
                "year",
                "origin",
                "phase",
                "total",
                "amv",
                "revision",
                "published",
                "decided",
                "closed",
                "forecast_run",
                "source",
            ]);
            for c in &cs {
                rows.push(cycle_row(c));
            }
            emit(None, &rows.render(Format::Table))?;
        }
    }
    Ok(())
}

fn province_of(province: Option<String>, role: Role) -> Result<PvCode> {
    match (province, role) {
        (Some(p), _) => Ok(p.parse()?),
        (None, Role::Province(p)) => Ok(p),
        (None, _) => Err(CliError::Input("say which province: --province PVnn".into())),
    }
}

fn row_err(e: StoreError, file: Option<&Path>) -> CliError {
    match (e, file) {
        (StoreError::InvalidRow { row, message }, Some(p)) => {
            CliError::Input(format!("{}:{}: {message}", p.display(), row + 1))
        }
        (e, _) => store_err(e),
    }
}

fn od(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn opt(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn cycle_row(c: &Cycle) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.year.to_string(),
        c.origin.name().into(),
        c.phase.to_string(),
        c.national_total.to_string(),
        opt(c.amv_total),
        c.revision.to_string(),
        c.published_on.to_string(),
        od(c.decided_on),
        od(c.closed_on),
        c.forecast_run_id.map(|r| r.to_string()).unwrap_or_default(),
        c.source.clone().unwrap_or_else(|| c.definition.clone()),
    ]
}

async fn offer(store: &Store, common: &Common, o: OfferArgs) -> Result<()> {
    let act = common.who.act(store).await?;
    let id = common.cycle_id(store).await?;
    let (offers, file) = match &o.file {
        Some(p) => {
            let name = p.display().to_string();
            (parse_offers(&name, &read_text(p)?, store.netherlands())?, Some(p.as_path()))
        }
        None => {
            let (Some(code), Some(location), Some(places), Some(years)) = (o.code, o.location, o.places, o.years)
            else {
                return Err(CliError::Input(
                    "give a municipality code with --location, --places and --years, or --file with offers".into(),
                ));
            };
            let kind: OfferKind = o.kind.parse()?;
            let offer = Offer {
                gm_code: parse_gm(&code, "code")?,
                location,
                kind,
                places,
                amv_places: o.amv_places.unwrap_or(if kind == OfferKind::AmvSmallScale { places } else { 0 }),
                years,
                available_from: o.available_from.unwrap_or(act.on()),
            };
            (vec![offer], None)
        }
    };
    let recs = store.submit_offers(&act, &id, &offers).await.map_err(|e| match (e, file) {
        (StoreError::InvalidRow { row, message }, Some(p)) => CliError::Input(format!("{}: {message}", row_at(p, row))),
        (e, _) => store_err(e),
    })?;
    let c = store.cycle(&id).await.map_err(store_err)?;
    let deadline = c.calendar().expected_realisation_deadline();
    let mut rows = Rows::new(&["offer", "gm_code", "location", "kind", "places", "amv", "years", "counts", "why"]);
    for r in &recs {
        let v = r.verdict(deadline);
        rows.push(vec![
            r.offer_no.to_string(),
            r.offer.gm_code.to_string(),
            r.offer.location.clone(),
            r.offer.kind.to_string(),
            r.offer.places.to_string(),
            r.offer.amv_places.to_string(),
            r.offer.years.to_string(),
            if v.counted { "yes" } else { "no" }.into(),
            v.reason,
        ]);
    }
    let places: u64 = recs.iter().map(|r| r.offer.places).sum();
    println!("{} offer(s) submitted on {}: {} places.", recs.len(), act.on(), places);
    emit(None, &rows.render(Format::Table))
}

/// Where row `row` (1-based) of a bulk file sits: CSV line (header is line 1) or JSON element.
fn row_at(p: &Path, row: usize) -> String {
    let is_json = read_text(p).map(|t| t.trim_start().starts_with('[')).unwrap_or(false);
    if is_json { format!("{} element {row}", p.display()) } else { format!("{}:{}", p.display(), row + 1) }
}

fn parse_commitments(p: &Path) -> Result<Vec<(GmCode, Commitment)>> {
    let text = read_text(p)?;
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let name = p.display();
    let h: Vec<String> =
        rdr.headers().map_err(|e| CliError::Input(format!("{name}:1: {e}")))?.iter().map(String::from).collect();
    let with_amv = match h.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["gm_code", "commitment"] => false,
        ["gm_code", "commitment", "amv_commitment"] => true,
        _ => {
            return Err(CliError::Input(format!(
                "{name}:1: header must be `gm_code,commitment` or `gm_code,commitment,amv_commitment`, found `{}`",
                h.join(",")
            )));
        }
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CliError::Input(format!("{name}:{line}: {e}")))?;
        let g: GmCode = rec[0].parse().map_err(|e| CliError::Input(format!("{name}:{line}: gm_code: {e}")))?;
        let num = |k: usize, f: &str| -> Result<u64> {
            rec[k].parse().map_err(|_| {
                CliError::Input(format!("{name}:{line}: {f}: '{}' is not a whole, non-negative number", &rec[k]))
            })
        };
        out.push((
            g,
            Commitment { places: num(1, "commitment")?, amv: if with_amv { num(2, "amv_commitment")? } else { 0 } },
        ));
    }
    Ok(out)
}

fn render_decision(d: &Decision, format: Format, payments: Option<&std::collections::BTreeMap<GmCode, u64>>) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(d).expect("json") + "\n",
        Format::Csv => decision_rows(d, payments).render(Format::Csv),
        Format::Table => {
            let mut rows = Rows::new(&[
                "pv_code",
                "part",
                "task",
                "plan",
                "shortfall",
                "over",
                "offset",
                "assigned",
                "unassigned",
                "binding",
            ]);
            for (part, ps) in [("all", &d.provinces), ("AMV", &d.amv_provinces)] {
                for p in ps {
                    rows.push(vec![
                        p.pv_code.to_string(),
                        if part == "all" && d.amv_total.is_some() { "without AMV".into() } else { part.into() },
                        p.task.to_string(),
                        p.plan.to_string(),
                        p.shortfall.to_string(),
                        p.over_delivery.to_string(),
                        p.offset.to_string(),
                        p.assigned.to_string(),
                        p.unassigned.to_string(),
                        p.binding_total.to_string(),
                    ]);
                }
            }
            format!("{}\n\n{}", d.summary, rows.render(Format::Table))
        }
    }
}

fn decision_rows(d: &Decision, payments: Option<&std::collections::BTreeMap<GmCode, u64>>) -> Rows {
    let mut rows = Rows::new(&[
        "gm_code",
        "gm_naam",
        "pv_code",
        "indicative_task",
        "indicative_amv",
        "swap_delta",
        "agreed_task",
        "credited",
        "offered",
        "commitment",
        "amv_commitment",
        "gap",
        "shortfall_share",
        "reduction",
        "binding",
        "binding_amv",
        "payment_eur",
        "realisation_deadline",
        "explanation",
    ]);
    for m in &d.municipalities {
        rows.push(vec![
            m.gm_code.to_string(),
            m.gm_naam.clone(),
            m.pv_code.to_string(),
            m.indicative_task.to_string(),
            m.amv.map(|a| a.indicative).unwrap_or(0).to_string(),
            m.swap_delta.to_string(),
            m.agreed_task.to_string(),
            m.credited.to_string(),
            m.offered.to_string(),
            m.commitment.to_string(),
            m.amv.map(|a| a.commitment).unwrap_or(0).to_string(),
            m.gap.to_string(),
            m.shortfall_share.to_string(),
            m.reduction.to_string(),
            m.binding_task.to_string(),
            m.binding_amv().to_string(),
            payments.and_then(|p| p.get(&m.gm_code)).map(|c| format!("{}.{:02}", c / 100, c % 100)).unwrap_or_default(),
            m.realisation_deadline.to_string(),
            m.explanation.clone(),
        ]);
    }
    rows
}

fn objections(os: &[spreiding_store::Objection], format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(os).expect("json") + "\n";
    }
    let mut rows = Rows::new(&[
        "no",
        "gm_code",
        "filed_on",
        "status",
        "requested_task",
        "granted_task",
        "decided_on",
        "grounds",
        "decision_reason",
    ]);
    for o in os {
        rows.push(vec![
            o.objection_no.to_string(),
            o.gm_code.to_string(),
            o.filed_on.to_string(),
            o.status.name().into(),
            opt(o.requested_task),
            opt(o.granted_task),
            od(o.decided_on),
            o.grounds.clone(),
            o.decision_reason.clone().unwrap_or_default(),
        ]);
    }
    rows.render(format)
}

async fn municipality_status(
    store: &Store,
    st: &spreiding_store::CycleStatus,
    g: GmCode,
    format: Format,
) -> Result<String> {
    let m = st
        .municipalities
        .iter()
        .find(|m| m.gm_code == g)
        .ok_or_else(|| CliError::Input(format!("unknown municipality {g}: not in the reference data")))?;
    if format == Format::Json {
        return Ok(serde_json::to_string_pretty(m).expect("json") + "\n");
    }
    let expl = store
        .decision(&st.cycle.id)
        .await
        .map_err(store_err)?
        .and_then(|d| d.municipalities.into_iter().find(|x| x.gm_code == g));
    let mut s = format!(
        "{} {} ({}), cycle {}: indicative task {} (AMV {}), agreed {}, credited {}, counted offers {}, commitment {} (AMV {}), binding {} (AMV {}), realised {} (AMV {}), {} / AMV {}.\n",
        m.gm_code,
        m.gm_naam,
        m.pv_code,
        st.cycle.id,
        m.indicative_task,
        m.indicative_amv,
        m.agreed_task,
        m.credited,
        m.offered,
        m.commitment,
        m.amv_commitment,
        opt(m.binding_task),
        opt(m.binding_amv),
        m.realised,
        m.amv_realised,
        m.progress,
        m.amv_progress
    );
    s.push_str(&format!("Still to realise: {} places, of which {} AMV.\n", m.shortfall, m.amv_shortfall));
    let mut rows = Rows::new(&["offer", "location", "kind", "places", "amv", "years", "from", "counts", "why"]);
    for o in &m.offers {
        rows.push(vec![
            o.offer.offer_no.to_string(),
            o.offer.offer.location.clone(),
            o.offer.offer.kind.to_string(),
            o.offer.offer.places.to_string(),
            o.offer.offer.amv_places.to_string(),
            o.offer.offer.years.to_string(),
            o.offer.offer.available_from.to_string(),
            if o.verdict.counted { "counted" } else { "not counted" }.into(),
            o.verdict.reason.clone(),
        ]);
    }
    if !m.offers.is_empty() {
        s.push('\n');
        s.push_str(&rows.render(Format::Table));
    }
    s.push_str(&format!("\n{}\nTotal payment: {}\n", m.payment.explanation(), euro(m.payment.total_cents)));
    for o in &m.objections {
        s.push_str(&format!("Objection {} ({}): {}\n", o.objection_no, o.status.name(), o.grounds));
    }
    if let Some(e) = expl {
        s.push_str(&format!("\n{}\n", e.explanation));
    }
    Ok(s)
}

fn render_status(st: &spreiding_store::CycleStatus, by: By, format: Format) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(st).expect("json") + "\n";
    }
    let rows = match by {
        By::Province => {
            let mut rows = Rows::new(&[
                "pv_code",
                "pv_naam",
                "task",
                "amv",
                "commitment",
                "amv_commit",
                "reported_on",
                "binding",
                "binding_amv",
                "realised",
                "progress",
            ]);
            for p in &st.provinces {
                rows.push(vec![
                    p.pv_code.to_string(),
                    p.pv_naam.clone(),
                    p.task.to_string(),
                    p.amv_task.to_string(),
                    p.commitment.to_string(),
                    p.amv_commitment.to_string(),
                    od(p.reported_on),
                    opt(p.binding_task),
                    opt(p.binding_amv),
                    p.realised.to_string(),
                    p.progress.to_string(),
                ]);
            }
            rows
        }
        By::Municipality => {
            let mut rows = Rows::new(&[
                "gm_code",
                "gm_naam",
                "pv_code",
                "task",
                "amv",
                "agreed",
                "offered",
                "commitment",
                "binding",
                "binding_amv",
                "realised",
                "amv_realised",
                "progress",
                "amv_progress",
                "payment_eur",
            ]);
            for m in &st.municipalities {
                rows.push(vec![
                    m.gm_code.to_string(),
                    m.gm_naam.clone(),
                    m.pv_code.to_string(),
                    m.indicative_task.to_string(),
                    m.indicative_amv.to_string(),
                    m.agreed_task.to_string(),
                    m.offered.to_string(),
                    m.commitment.to_string(),
                    opt(m.binding_task),
                    opt(m.binding_amv),
                    m.realised.to_string(),
                    m.amv_realised.to_string(),
                    m.progress.to_string(),
                    m.amv_progress.to_string(),
                    format!("{}.{:02}", m.payment.total_cents / 100, m.payment.total_cents % 100),
                ]);
            }
            rows
        }
    };
    if format == Format::Csv {
        return rows.render(Format::Csv);
    }
    let c = &st.cycle;
    format!(
        "Cycle {} ({}, {}), phase {}, revision {}, {} places{}; status on {}.\n{}Deadlines: forecast before {}, reports \
         before {}, decision by {}{}{}.\n{} active offers, {} swaps. Payments: {}.\nNext: {}\n\n{}",
        c.id,
        c.origin.name(),
        c.definition,
        c.phase,
        c.revision,
        c.national_total,
        c.amv_total.map(|a| format!(" of which {a} AMV")).unwrap_or_default(),
        st.on,
        run_line(c),
        st.forecast_deadline,
        st.report_deadline,
        st.decision_deadline,
        st.realisation_deadline.map(|d| format!(", realisation by {d}")).unwrap_or_default(),
        st.objection_deadline.map(|d| format!(", objections until {d}")).unwrap_or_default(),
        st.offers,
        st.swaps,
        st.payment_table,
        st.next,
        rows.render(Format::Table)
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}

async fn export(store: &Store, id: &CycleId, what: What, format: Format, on: NaiveDate) -> Result<String> {
    let json = format == Format::Json;
    let csv = if json { Format::Json } else { Format::Csv };
    Ok(match what {
        What::Tasks => {
            let t = store.indicative_tasks(id).await.map_err(store_err)?;
            if json {
                return Ok(to_json(&t));
            }
            let mut rows = Rows::new(&[
                "gm_code",
                "gm_naam",
                "pv_code",
                "inwoners",
                "quota",
                "task",
                "amv",
                "credited",
                "credited_amv",
            ]);
            for t in &t {
                rows.push(vec![
                    t.gm_code.to_string(),
                    t.gm_naam.clone(),
                    t.pv_code.to_string(),
                    opt(t.inwoners),
                    t.quota.clone(),
                    t.task.to_string(),
                    opt(t.amv),
                    t.credited.to_string(),
                    t.credited_amv.to_string(),
                ]);
            }
            rows.render(csv)
        }
        What::Offers => {
            let o = store.offers(id, None).await.map_err(store_err)?;
            if json {
                return Ok(to_json(&o));
            }
            let c = store.cycle(id).await.map_err(store_err)?;
            let deadline = match c.decided_on {
                Some(d) => spreiding_core::cycle::Calendar::realisation_deadline(d),
                None => c.calendar().expected_realisation_deadline(),
            };
            let mut rows = Rows::new(&[
                "offer_no",
                "gm_code",
                "location",
                "kind",
                "places",
                "amv_places",
                "years",
                "available_from",
                "submitted_on",
                "amended_on",
                "withdrawn_on",
                "counted",
                "reason",
            ]);
            for r in &o {
                let v = r.verdict(deadline);
                rows.push(vec![
                    r.offer_no.to_string(),
                    r.offer.gm_code.to_string(),
                    r.offer.location.clone(),
                    r.offer.kind.to_string(),
                    r.offer.places.to_string(),
                    r.offer.amv_places.to_string(),
                    r.offer.years.to_string(),
                    r.offer.available_from.to_string(),
                    r.submitted_on.to_string(),
                    od(r.amended_on),
                    od(r.withdrawn_on),
                    if v.counted { "yes" } else { "no" }.into(),
                    v.reason,
                ]);
            }
            rows.render(csv)
        }
        What::Swaps => {
            let s = store.swaps(id).await.map_err(store_err)?;
            if json {
                return Ok(to_json(&s));
            }
            let mut rows = Rows::new(&["pv_code", "from", "to", "places", "amv_places", "note", "agreed_on"]);
            for r in &s {
                rows.push(vec![
                    r.pv_code.to_string(),
                    r.swap.from.to_string(),
                    r.swap.to.to_string(),
                    r.swap.places.to_string(),
                    r.swap.amv_places.to_string(),
                    r.swap.note.clone(),
                    r.agreed_on.to_string(),
                ]);
            }
            rows.render(csv)
        }
        What::Reports => {
            let r = store.reports(id).await.map_err(store_err)?;
            if json {
                return Ok(to_json(&r));
            }
            let mut rows = Rows::new(&[
                "pv_code",
                "gm_code",
                "commitment",
                "amv_commitment",
                "submitted_on",
                "revision",
                "amended_on",
                "amend_reason",
            ]);
            for rep in &r {
                for (g, n) in &rep.commitments {
                    rows.push(vec![
                        rep.pv_code.to_string(),
                        g.to_string(),
                        n.places.to_string(),
                        n.amv.to_string(),
                        rep.submitted_on.to_string(),
                        rep.revision.to_string(),
                        od(rep.amended_on),
                        rep.amend_reason.clone().unwrap_or_default(),
                    ]);
                }
            }
            rows.render(csv)
        }
        What::Decision => {
            let d = store
                .decision_record(id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| CliError::Refused(format!("cycle {id} has no distribution decision yet")))?;
            if json {
                return Ok(to_json(&d));
            }
            render_decision(&d.decision, Format::Csv, Some(&d.payments))
        }
        What::Objections => objections(&store.objections(id).await.map_err(store_err)?, csv),
        What::Status => {
            let st = store.status(id, on).await.map_err(store_err)?;
            render_status(&st, By::Municipality, csv)
        }
        What::Realisations => {
            let r = store.realisations(id).await.map_err(store_err)?;
            if json {
                return Ok(to_json(&r));
            }
            let mut rows = Rows::new(&["gm_code", "on_date", "realised", "amv_realised", "late", "synthetic"]);
            for x in &r {
                rows.push(vec![
                    x.gm_code.to_string(),
                    x.on_date.to_string(),
                    x.realised.to_string(),
                    x.amv_realised.to_string(),
                    if x.late { "yes" } else { "no" }.into(),
                    if x.synthetic { "yes" } else { "no" }.into(),
                ]);
            }
            rows.render(csv)
        }
        What::Audit => crate::audit::render_log(&store.audit_log(Some(id.as_str())).await.map_err(store_err)?, format),
    })
}
