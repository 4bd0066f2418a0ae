//! The expiry sweep's item reads with the same number of due agreements
//! among tables of each size (goal: flat), on the local SQLite store.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use hims_esign::app::sweep;
use hims_esign::config::Settings;
use hims_esign::local::LocalRuntime;
use hims_esign::testing::{FixedClock, SeededRng, fill_agreements};

use crate::LoadError;

pub async fn run(sizes: &[usize], due: usize, dir: &Path) -> Result<(), LoadError> {
    let mut reads = Vec::new();
    for &total in sizes {
        let folder = tempfile::Builder::new()
            .prefix("hims-sweep-")
            .tempdir_in(dir)
            .map_err(|e| LoadError::Setup(format!("temp dir in {}: {e}", dir.display())))?;
        let clock = Arc::new(FixedClock::at_rfc3339("2025-05-01T02:00:00Z"));
        let settings = Settings::local("https://hims.test", "portal", "ekyc");
        let runtime = LocalRuntime::open(
            folder.path(),
            settings,
            clock.clone(),
            Arc::new(SeededRng::new(7)),
        )
        .map_err(|e| LoadError::Setup(e.to_string()))?;
        let app = &runtime.app;
        let store = app.ports.store.as_ref();
        let filling = Instant::now();
        let at = fill_agreements(store, app.now(), total, due)
            .await
            .map_err(|e| LoadError::Setup(format!("fill: {e}")))?;
        let fill_secs = filling.elapsed().as_secs_f64();
        let before = store.items_read();
        let sweeping = Instant::now();
        let report = sweep::run(app, at)
            .await
            .map_err(|e| LoadError::Setup(format!("sweep: {e}")))?;
        let sweep_ms = sweeping.elapsed().as_secs_f64() * 1000.0;
        let read = store.items_read() - before;
        if report.agreements_expired as usize != due {
            return Err(LoadError::Check(format!(
                "{total} agreements, {due} due: the sweep expired {}",
                report.agreements_expired
            )));
        }
        println!(
            "sweep_items_read_{total} {read}  # {due} due; fill {fill_secs:.1} s, sweep {sweep_ms:.1} ms"
        );
        reads.push(read);
    }
    if let (Some(first), Some(last)) = (reads.first(), reads.last()) {
        println!(
            "sweep_reads_ratio {:.2}  # largest / smallest table (flat = 1.00)",
            *last as f64 / (*first).max(1) as f64
        );
    }
    Ok(())
}
