//! `hims-load`: see the library's documentation and scripts/load.sh.

use std::time::Duration;

use clap::{Parser, Subcommand};

use hims_load::{bombs, ceremony, floor, sweep};

#[derive(Parser)]
#[command(about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Argon2 floor, then `agreements` ceremonies of four signers each, every
    /// signer in turn, `concurrency` requests in flight.
    Run {
        #[arg(long, env = "HIMS_LOAD_URL")]
        url: String,
        #[arg(long, env = "HIMS_PORTAL_TOKEN")]
        portal_token: String,
        #[arg(long, env = "HIMS_EKYC_SECRET")]
        ekyc_secret: String,
        #[arg(long, default_value_t = 100)]
        agreements: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// The server's pid, for its peak RSS (VmHWM).
        #[arg(long)]
        server_pid: Option<u32>,
        /// Threads of the Argon2 floor (the machine's cores).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Seconds the floor is measured for (0: skip it).
        #[arg(long, default_value_t = 5.0)]
        floor_secs: f64,
    },
    /// Four decompression bombs at once against `POST /verify` (issue 13's goal).
    Bombs {
        #[arg(long, env = "HIMS_LOAD_URL")]
        url: String,
        /// The server's pid, for its idle and peak RSS.
        #[arg(long)]
        server_pid: u32,
    },
    /// PIN verifications per second with the product's Argon2 parameters.
    Argon2 {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 5.0)]
        secs: f64,
    },
    /// The expiry sweep's item reads with `due` agreements due among each size.
    Sweep {
        #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
        sizes: Vec<usize>,
        #[arg(long, default_value_t = 10)]
        due: usize,
        /// Where the SQLite stores go (a temporary folder inside, removed after).
        #[arg(long, default_value = "/tmp")]
        dir: std::path::PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Run {
            url,
            portal_token,
            ekyc_secret,
            agreements,
            concurrency,
            server_pid,
            threads,
            floor_secs,
        } => {
            let floor = (floor_secs > 0.0)
                .then(|| floor::measure(threads, Duration::from_secs_f64(floor_secs)));
            let settings = ceremony::Settings {
                url,
                portal_token,
                ekyc_secret,
                agreements,
                concurrency,
            };
            match floor.transpose() {
                Ok(floor) => ceremony::run(settings, floor, server_pid).await,
                Err(e) => Err(e),
            }
        }
        Command::Bombs { url, server_pid } => bombs::run(&url, server_pid).await,
        Command::Argon2 { threads, secs } => {
            floor::measure(threads, Duration::from_secs_f64(secs)).map(|f| f.print())
        }
        Command::Sweep { sizes, due, dir } => sweep::run(&sizes, due, &dir).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hims-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
