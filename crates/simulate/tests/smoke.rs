use spreiding_simulate::{bundled, montecarlo};

#[test]
fn one_path_prints() {
    let params = bundled::parameters().unwrap();
    let scen = spreiding_forecast::scenario::bundled("base").unwrap().unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let world = montecarlo::World::new(&scen, start, 10, &params).unwrap();
    for id in ["law", "voluntary"] {
        let pol = bundled::policy(id).unwrap().unwrap();
        let setup = world.setup(&params, &pol, montecarlo::initial_projection(&params.values())).unwrap();
        let t = std::time::Instant::now();
        let o = spreiding_simulate::engine::simulate(&setup, 1, 0, false, None, None);
        eprintln!("{id}: {:?}", t.elapsed());
        for (m, x) in spreiding_simulate::metrics::METRICS.iter().zip(o.scalars.iter()) {
            eprintln!("  {:40} {x:.4}", m.id);
        }
        for c in &o.cycles { eprintln!("  {c:?}"); }
        for (k, row) in o.series.iter().enumerate().step_by(6) { eprintln!("  m{k}: {:?}", row); }
    }
}

#[test]
fn history_check_prints() {
    let params = bundled::parameters().unwrap();
    let hist = bundled::policy("history").unwrap().unwrap();
    let t = std::time::Instant::now();
    let c = spreiding_simulate::calibrate::check(&params, &hist, 16, 1, &|| {}).unwrap();
    eprintln!("history 16 paths: {:?}", t.elapsed());
    for f in &c.fits {
        eprintln!("{:28} obs {:.3} sim {:.3} [{:.3}, {:.3}] err {:+.3} ({})", f.id, f.observed, f.simulated, f.p10, f.p90, f.error, f.role);
    }
    eprintln!("loss {:.2}  oos mae {:.3}", c.loss_in_sample, c.mean_abs_error_out_of_sample);
}
