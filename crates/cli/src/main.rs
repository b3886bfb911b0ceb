//! `spreiding` — the one binary. A thin shell: it parses arguments, reads files, calls
//! the pure crates and prints. No rule of the law lives here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod apportion;
mod audit;
mod backup;
mod cycle;
mod data;
mod db;
mod error;
mod forecast;
mod key;
mod locations;
mod output;
mod place;
mod quality;
mod serve;
mod session;
mod simulate;
mod user;

/// spreiding — fair, predictable distribution of asylum reception (Spreidingswet).
///
/// Examples:
///   spreiding serve                                   dashboard, portal and API on http://127.0.0.1:8080/
///   spreiding key --total 96000 --amv 8140            tasks for the 342 municipalities
///   spreiding key explain GM0363 --total 96000        how Amsterdam's number came about
///   spreiding forecast --format json | spreiding key --from-forecast -
///   spreiding cycle status                            where the legal cycle stands
///   spreiding apportion --method webster --total 10 weights.csv
#[derive(Parser)]
#[command(name = "spreiding", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the public dashboard, the portal and the open API.
    Serve(serve::Args),
    /// The distribution key (verdeelsleutel): task per municipality or province.
    Key(key::Args),
    /// Capacity forecast (capaciteitsraming): required places on 1 January with P10/P50/P90.
    Forecast(forecast::Args),
    /// The legal cycle: forecast, offers, swaps, CdK reports, decision, realisation.
    Cycle(cycle::Args),
    /// The audit trail: verify it, or print it.
    Audit(audit::Args),
    /// Reception locations (opvanglocaties): check, list, generate synthetic.
    Locations(locations::Args),
    /// The quality framework (kwaliteitskader): criteria and assessments.
    Quality(quality::Args),
    /// Place households in suitable locations with the fewest moves.
    Place(place::Args),
    /// Policy simulator: what the law achieves compared with voluntary distribution.
    Simulate(simulate::Args),
    /// Accounts and API tokens (the same for the portal and the command line).
    User(user::Args),
    /// The database itself: create a legal record, sandbox or demo; set a sandbox's clock.
    Db(db::Args),
    /// Import CBS reference data (population, SES-WOA) into the record.
    Data(data::Args),
    /// Apportion a whole number of seats/places over weights (id,weight CSV) exactly.
    Apportion(apportion::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Apportion(a) => apportion::run(a),
        Command::Key(a) => key::run(a),
        Command::Forecast(a) => forecast::run(a),
        Command::Locations(a) => locations::run(a),
        Command::Place(a) => place::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Quality(a) => quality::run(a),
        Command::Serve(a) => serve::run(a),
        Command::User(a) => user::run(a),
        Command::Cycle(a) => cycle::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Db(a) => db::run(a),
        Command::Data(a) => data::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
