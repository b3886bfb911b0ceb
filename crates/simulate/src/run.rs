//! One call that runs everything the report needs: the policies over the same paths, the
//! paired comparison, the monthly bands, the sensitivity analysis and the calibration check.

use chrono::NaiveDate;
use rayon::prelude::*;
use spreiding_forecast::Scenario;

use crate::calibrate::{self, Calibration};
use crate::capacity::{CapacityType, NTYPES};
use crate::engine::{self, PathOutcome, Setup};
use crate::error::SimError;
use crate::metrics::{METRICS, NSERIES, SERIES, Scalar, summarise};
use crate::montecarlo::{World, initial_projection};
use crate::params::ParamSet;
use crate::policy::Policy;
use crate::report::*;

/// What to run.
#[derive(Clone, Debug)]
pub struct Request {
    pub params: ParamSet,
    pub policies: Vec<Policy>,
    /// The history policy (calibration check and warm start).
    pub history: Policy,
    pub scenario: Scenario,
    /// How the scenario was named, e.g. "bundled:base".
    pub scenario_name: String,
    pub start: NaiveDate,
    pub years: u32,
    pub runs: usize,
    pub seed: u64,
    /// Paths per variant in the sensitivity analysis (0 = none).
    pub sensitivity_runs: usize,
    /// Paths of the calibration check (0 = none).
    pub calibration_runs: usize,
    /// Start from the municipal distribution of the calibrated history run on each path.
    pub warm_start: bool,
}

/// Metrics the sensitivity analysis reports (differences policy − baseline).
pub const SENSITIVITY_METRICS: &[Scalar] = &[
    Scalar::EmergencyShare,
    Scalar::TotalCost,
    Scalar::ChildrenEmergencyPersonDays,
    Scalar::NightsOverCap,
    Scalar::RelocationsPerResidentYear,
    Scalar::GiniEnd,
];

impl Request {
    /// The standard comparison on the bundled files: `law` against `voluntary`, the bundled
    /// parameters and the `base` demand scenario, sensitivity on runs ÷ 20 paths per variant
    /// (20 to 200), the calibration check on 100 paths, warm start on. What the portal runs.
    pub fn bundled(start: NaiveDate, years: u32, runs: usize, seed: u64) -> Result<Request, SimError> {
        let policy = |id: &str| crate::bundled::policy(id).expect("a bundled policy");
        Ok(Request {
            params: crate::bundled::parameters()?,
            policies: vec![policy("law")?, policy("voluntary")?],
            history: policy("history")?,
            scenario: crate::bundled::scenario("base").expect("the bundled base scenario")?,
            scenario_name: "bundled:base".into(),
            start,
            years,
            runs,
            seed,
            sensitivity_runs: (runs / 20).clamp(20, 200).min(runs),
            calibration_runs: 100,
            warm_start: true,
        })
    }

    /// The policy everything is compared with: `voluntary` when present, else the last one.
    pub fn baseline(&self) -> usize {
        self.policies.iter().position(|p| p.id() == "voluntary").unwrap_or(self.policies.len() - 1)
    }

    /// The uncertain values the tornado varies: (scope, key, what, value, low, high, assumption).
    pub fn tornado(&self) -> Vec<(String, String, String, f64, f64, f64, bool)> {
        let mut v = Vec::new();
        for e in self.params.entries.iter().filter(|e| e.tornado) {
            let r = e.range.expect("checked");
            v.push(("parameters".to_string(), e.key.clone(), e.what.clone(), e.value, r[0], r[1], e.assumption));
        }
        for p in &self.policies {
            for e in p.behaviour.iter().filter(|e| e.tornado) {
                let r = e.range.expect("checked");
                v.push((p.id().to_string(), e.key.clone(), e.what.clone(), e.value, r[0], r[1], e.assumption));
            }
        }
        v
    }

    /// Units of work (path simulations) for a progress bar.
    pub fn work(&self) -> u64 {
        let per_path = self.policies.len() as u64 + u64::from(self.warm());
        let main = self.runs as u64 * per_path;
        let sens = if self.policies.len() >= 2 {
            (self.tornado().len() as u64 * 2 + 1) * self.sensitivity_runs as u64 * per_path
        } else {
            0
        };
        main + sens + self.calibration_runs as u64
    }

    fn warm(&self) -> bool {
        self.warm_start && self.start > NaiveDate::from_ymd_opt(2022, 6, 1).expect("valid")
    }
}

fn validate(req: &Request) -> Result<(), SimError> {
    if req.policies.is_empty() {
        return Err(SimError::argument("give at least one --policy"));
    }
    if req.runs == 0 {
        return Err(SimError::argument("--runs must be at least 1"));
    }
    for (i, p) in req.policies.iter().enumerate() {
        if req.policies[..i].iter().any(|q| q.id() == p.id()) {
            return Err(SimError::argument(format!("policy '{}' is given twice", p.id())));
        }
    }
    Ok(())
}

/// Simulate `runs` paths of every policy (and the history for the warm start) on the same
/// seeds. Returns outcomes[policy][path].
#[allow(clippy::too_many_arguments)]
fn simulate_all(
    params: &ParamSet,
    policies: &[Policy],
    history: &Policy,
    world: &World,
    warm: Option<&World>,
    runs: usize,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Vec<PathOutcome>>, SimError> {
    let init = initial_projection(&params.values());
    let setups: Vec<Setup> = policies.iter().map(|p| world.setup(params, p, init.clone())).collect::<Result<_, _>>()?;
    let hist_setup = match warm {
        Some(w) => Some(w.setup(params, history, calibrate::history_initial(params))?),
        None => None,
    };
    const CHUNK: usize = 8;
    let chunks: Vec<Vec<Vec<PathOutcome>>> = (0..runs.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let first = c * CHUNK;
            (first..(first + CHUNK).min(runs))
                .map(|i| {
                    let hosts: Option<Vec<[f64; NTYPES]>> = hist_setup.as_ref().map(|h| {
                        let o = engine::simulate(h, seed, i as u64, false, None, None);
                        progress(1);
                        o.hosts_end
                    });
                    setups
                        .iter()
                        .map(|s| {
                            let mut o = engine::simulate(s, seed, i as u64, false, None, hosts.as_deref());
                            o.hosts_end = Vec::new();
                            progress(1);
                            o
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut out: Vec<Vec<PathOutcome>> = vec![Vec::with_capacity(runs); policies.len()];
    for chunk in chunks {
        for per_path in chunk {
            for (k, o) in per_path.into_iter().enumerate() {
                out[k].push(o);
            }
        }
    }
    Ok(out)
}

fn column(outs: &[PathOutcome], m: Scalar) -> Vec<f64> {
    outs.iter().map(|o| o.scalars[m as usize]).collect()
}

fn fmt_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// Run the request; `progress(n)` is called as work units finish (see [`Request::work`]).
pub fn run(req: &Request, progress: &(dyn Fn(u64) + Sync)) -> Result<Report, SimError> {
    validate(req)?;
    let world = World::new(&req.scenario, req.start, req.years, &req.params)?;
    let warm_world = if req.warm() { Some(calibrate::history_world(&req.params, req.start)?) } else { None };
    let outs = simulate_all(
        &req.params,
        &req.policies,
        &req.history,
        &world,
        warm_world.as_ref(),
        req.runs,
        req.seed,
        progress,
    )?;
    let base = req.baseline();

    // Metrics per policy.
    let results: Vec<PolicyResult> = req
        .policies
        .iter()
        .zip(&outs)
        .map(|(p, o)| {
            let metrics = METRICS
                .iter()
                .enumerate()
                .map(|(k, m)| MetricValue {
                    metric: m.id.to_string(),
                    summary: summarise(&o.iter().map(|x| x.scalars[k]).collect::<Vec<_>>()),
                })
                .collect();
            let mut years: Vec<i32> = o.iter().flat_map(|x| x.cycles.iter().map(|c| c.year)).collect();
            years.sort();
            years.dedup();
            let cycles = years
                .iter()
                .map(|&y| {
                    let cs: Vec<&engine::CycleOutcome> =
                        o.iter().filter_map(|x| x.cycles.iter().find(|c| c.year == y)).collect();
                    CycleSummary {
                        year: y,
                        national_total: summarise(&cs.iter().map(|c| c.national_total as f64).collect::<Vec<_>>()),
                        plan_share: summarise(&cs.iter().map(|c| c.plan_share).collect::<Vec<_>>()),
                        designated: summarise(&cs.iter().map(|c| c.designated as f64).collect::<Vec<_>>()),
                        realised_share: summarise(&cs.iter().filter_map(|c| c.realised_share).collect::<Vec<_>>()),
                    }
                })
                .collect();
            PolicyResult { policy: p.id().to_string(), metrics, cycles }
        })
        .collect();

    // Paired comparison with the baseline.
    let mut comparison = Vec::new();
    for (k, p) in req.policies.iter().enumerate() {
        if k == base {
            continue;
        }
        for (j, m) in METRICS.iter().enumerate() {
            let diff: Vec<f64> = outs[k].iter().zip(&outs[base]).map(|(a, b)| a.scalars[j] - b.scalars[j]).collect();
            let d = summarise(&diff);
            let pm = outs[k].iter().map(|x| x.scalars[j]).sum::<f64>() / req.runs as f64;
            let bm = outs[base].iter().map(|x| x.scalars[j]).sum::<f64>() / req.runs as f64;
            let lower_better = m.better == "lower";
            let verdict = if d.ci95[0] > 0.0 {
                if lower_better { "worse" } else { "better" }
            } else if d.ci95[1] < 0.0 {
                if lower_better { "better" } else { "worse" }
            } else {
                "no clear difference"
            };
            comparison.push(Comparison {
                metric: m.id.to_string(),
                policy: p.id().to_string(),
                baseline: req.policies[base].id().to_string(),
                policy_mean: pm,
                baseline_mean: bm,
                difference: d,
                relative: (bm != 0.0).then(|| d.mean / bm),
                verdict: verdict.to_string(),
            });
        }
    }

    // Monthly series with bands.
    let months = outs[0][0].series.len();
    let dates: Vec<NaiveDate> = (0..months)
        .map(|m| {
            if m == 0 {
                req.start
            } else {
                let first = NaiveDate::from_ymd_opt(req.start.year(), req.start.month(), 1).expect("valid");
                first.checked_add_months(chrono::Months::new(m as u32)).expect("in range")
            }
        })
        .collect();
    let series = (0..NSERIES)
        .map(|s| SeriesBands {
            id: SERIES[s].0.to_string(),
            label: SERIES[s].1.to_string(),
            unit: SERIES[s].2.to_string(),
            dates: dates.clone(),
            bands: req
                .policies
                .iter()
                .zip(&outs)
                .map(|(p, o)| {
                    let mut b =
                        Band { policy: p.id().to_string(), p10: vec![], p50: vec![], p90: vec![], mean: vec![] };
                    for m in 0..months {
                        let col: Vec<f64> = o.iter().map(|x| f64::from(x.series[m][s])).collect();
                        let sm = summarise(&col);
                        b.p10.push(sm.p10);
                        b.p50.push(sm.p50);
                        b.p90.push(sm.p90);
                        b.mean.push(sm.mean);
                    }
                    b
                })
                .collect(),
        })
        .collect();
    drop(outs);

    let sensitivity = if req.policies.len() >= 2 && req.sensitivity_runs > 0 {
        Some(sensitivity(req, &world, warm_world.as_ref(), base, progress)?)
    } else {
        None
    };
    let calibration: Option<Calibration> = if req.calibration_runs > 0 {
        Some(calibrate::check(&req.params, &req.history, req.calibration_runs, req.seed, &|| progress(1))?)
    } else {
        None
    };

    Ok(Report {
        schema: SCHEMA.to_string(),
        title: format!(
            "What the Spreidingswet achieves: {} over {} years from {}",
            req.policies.iter().map(|p| p.id()).collect::<Vec<_>>().join(" vs "),
            req.years,
            req.start
        ),
        settings: Settings {
            start: req.start,
            years: req.years,
            runs: req.runs,
            seed: req.seed,
            scenario: req.scenario_name.clone(),
            parameters: format!("{} v{} ({})", req.params.meta.id, req.params.meta.version, req.params.file),
            baseline: req.policies[base].id().to_string(),
            sensitivity_runs: if sensitivity.is_some() { req.sensitivity_runs } else { 0 },
            calibration_runs: req.calibration_runs,
            warm_start: req.warm(),
            model: format!("spreiding-simulate {} (docs/SIMULATION.md)", env!("CARGO_PKG_VERSION")),
        },
        policies: req.policies.iter().map(policy_info).collect::<Result<_, _>>()?,
        assumptions: assumptions(req),
        metrics: METRICS
            .iter()
            .map(|m| Metric {
                id: m.id.to_string(),
                label: m.label.to_string(),
                unit: m.unit.to_string(),
                better: m.better.to_string(),
                definition: m.definition.to_string(),
                headline: m.headline,
            })
            .collect(),
        results,
        comparison,
        series,
        sensitivity,
        calibration,
        quality: CapacityType::ALL
            .iter()
            .enumerate()
            .map(|(k, t)| QualityRow {
                capacity_type: t.code().to_string(),
                label: t.label().to_string(),
                passes: world.quality.passes[k],
                blocking: world.quality.blocking[k].clone(),
            })
            .collect(),
        notes: notes(req),
    })
}

use chrono::Datelike;

fn policy_info(p: &Policy) -> Result<PolicyInfo, SimError> {
    let r = &p.rules;
    let key = crate::law::Key::new(&r.key)?;
    let md = |m: crate::policy::MonthDay| format!("{:02}-{:02}", m.month, m.day);
    let s = |n: &str, v: String| Setting { name: n.to_string(), value: v };
    Ok(PolicyInfo {
        id: p.meta.id.clone(),
        version: p.meta.version,
        title: p.meta.title.clone(),
        description: p.meta.description.clone(),
        file: p.file.clone(),
        binding_decision: r.binding_decision,
        key: key.id.clone(),
        key_note: key.note.clone(),
        rules: vec![
            s("binding_decision", r.binding_decision.to_string()),
            s("first_cycle", r.first_cycle.to_string()),
            s("cycle_years", r.cycle_years.to_string()),
            s("key", r.key.clone()),
            s("designation", r.designation.clone()),
            s("over_delivery", r.over_delivery.clone()),
            s("method", r.method.clone()),
            s("forecast_date", md(r.forecast_date)),
            s("report_date", md(r.report_date)),
            s("decision_date", md(r.decision_date)),
            s("realisation_months", r.realisation_months.to_string()),
            s("durable_share", fmt_value(r.durable_share)),
            s("reserve_places", r.reserve_places.to_string()),
            s("extra_durable_places", r.extra_durable_places.to_string()),
            s("full_willingness", r.full_willingness.to_string()),
        ],
    })
}

fn assumptions(req: &Request) -> Vec<Assumption> {
    let mut v: Vec<Assumption> = Vec::new();
    let entry = |scope: &str, e: &crate::params::Entry| Assumption {
        scope: scope.to_string(),
        key: e.key.clone(),
        value: fmt_value(e.value),
        unit: e.unit.clone(),
        what: e.what.clone(),
        source: e.source.clone(),
        assumption: e.assumption,
        range: e.range,
        note: e.note.clone(),
    };
    for e in &req.params.entries {
        v.push(entry("parameters", e));
    }
    for f in &req.params.forecasts {
        v.push(Assumption {
            scope: "parameters".to_string(),
            key: format!("forecast.{}", f.year),
            value: format!("{} (AMV {})", f.total, f.amv),
            unit: "places".to_string(),
            what: format!("Published national total used as the forecast of the {} cycle", f.year),
            source: Some(f.source.clone()),
            assumption: false,
            range: None,
            note: None,
        });
    }
    for p in &req.policies {
        for e in &p.behaviour {
            v.push(entry(p.id(), e));
        }
    }
    let s = &req.scenario.scenario;
    for (k, text) in s.sources.iter().enumerate() {
        v.push(Assumption {
            scope: "scenario".to_string(),
            key: format!("{}.source.{}", s.id, k + 1),
            value: String::new(),
            unit: String::new(),
            what: "Demand: the forecast scenario's source".to_string(),
            source: Some(text.clone()),
            assumption: false,
            range: None,
            note: None,
        });
    }
    for (k, text) in s.assumptions.iter().enumerate() {
        v.push(Assumption {
            scope: "scenario".to_string(),
            key: format!("{}.assumption.{}", s.id, k + 1),
            value: String::new(),
            unit: String::new(),
            what: text.clone(),
            source: None,
            assumption: true,
            range: None,
            note: Some("forecast scenario (scenarios/*.toml, docs/FORECAST.md)".to_string()),
        });
    }
    v.push(Assumption {
        scope: "prototypes".to_string(),
        key: crate::bundled::PROTOTYPES_FILE.to_string(),
        value: String::new(),
        unit: String::new(),
        what: "One prototype location per capacity type (facilities, space, access), assessed with the kwaliteitskader"
            .to_string(),
        source: None,
        assumption: true,
        range: None,
        note: Some("No registry of real locations is available offline (docs/DOMAIN-BRIEF.md §7)".to_string()),
    });
    v.push(Assumption {
        scope: "model".to_string(),
        key: "wealth".to_string(),
        value: "latent N(0,1) per municipality and path".to_string(),
        unit: String::new(),
        what: "Wealth score of each municipality in the behaviour model".to_string(),
        source: None,
        assumption: true,
        range: None,
        note: Some("CBS SES-WOA per municipality is not available offline (docs/DOMAIN-BRIEF.md §7): the gradient is calibrated, which municipality is rich is not known".to_string()),
    });
    v
}

fn notes(req: &Request) -> Vec<String> {
    let mut n = vec![
        "Every number in this report comes from a simulation. Values marked 'assumption' are not published figures (docs/SIMULATION-SOURCES.md §9 lists what is unknown); the sensitivity analysis shows how much the comparison depends on the most uncertain ones.".to_string(),
        "The response of municipalities to indicative tasks without a binding decision (the withdrawal plan) has never been measured (docs/SIMULATION-SOURCES.md §9, 'Withdrawal effect'); the voluntary policy's offer rate is an assumption, and its whole range is in the sensitivity analysis.".to_string(),
        "Designation was never used in cycle 1 (docs/SIMULATION-SOURCES.md §4.4): the compliance of designated municipalities is taken from Sweden's binding law (§8.1).".to_string(),
        "The Gini coefficient of places per 1,000 inhabitants is the project's own measure; no Dutch coefficient is published (docs/SIMULATION-SOURCES.md §9).".to_string(),
        "Demand is the forecast's stock-flow model (docs/FORECAST.md), the same under every policy: the policies differ in where people sleep, not in how many arrive.".to_string(),
    ];
    if req.policies.iter().any(|p| p.rules.key == "nl-spreidingswet-2024") {
        n.push("SES-WOA not loaded: population-only key (the Spreidingswet key needs CBS SES-WOA scores, not available offline).".to_string());
    }
    if req.warm() {
        n.push(format!(
            "Starting distribution over municipalities on {}: the end of the calibrated history run (2022 → start) on the same path; national totals per type from the parameter set.",
            req.start
        ));
    }
    n
}

fn sensitivity(
    req: &Request,
    world: &World,
    warm: Option<&World>,
    base: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Sensitivity, SimError> {
    let policy = (0..req.policies.len()).find(|&k| k != base).expect("two policies");
    let runs = req.sensitivity_runs;
    let diff_of = |params: &ParamSet, policies: &[Policy]| -> Result<Vec<f64>, SimError> {
        let outs = simulate_all(params, policies, &req.history, world, warm, runs, req.seed, progress)?;
        Ok(SENSITIVITY_METRICS
            .iter()
            .map(|&m| {
                let a = column(&outs[policy], m);
                let b = column(&outs[base], m);
                a.iter().zip(&b).map(|(x, y)| x - y).sum::<f64>() / runs as f64
            })
            .collect())
    };
    let base_diff = diff_of(&req.params, &req.policies)?;
    let mut rows = Vec::new();
    for (scope, key, what, value, low, high, assumption) in req.tornado() {
        let mut at = Vec::new();
        for x in [low, high] {
            let mut params = req.params.clone();
            let mut policies = req.policies.clone();
            if scope == "parameters" {
                params.set(&key, x)?;
            } else {
                let p = policies.iter_mut().find(|p| p.id() == scope).expect("listed");
                p.set(&key, x)?;
            }
            at.push(diff_of(&params, &policies)?);
        }
        rows.push(SensitivityRow {
            scope,
            parameter: key,
            what,
            value,
            low,
            high,
            assumption,
            at_high: at.pop().expect("two"),
            at_low: at.pop().expect("two"),
        });
    }
    Ok(Sensitivity {
        runs,
        policy: req.policies[policy].id().to_string(),
        baseline: req.policies[base].id().to_string(),
        metrics: SENSITIVITY_METRICS.iter().map(|&m| METRICS[m as usize].id.to_string()).collect(),
        base: base_diff,
        rows,
    })
}
