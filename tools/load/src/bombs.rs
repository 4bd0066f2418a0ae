//! Issue 13's goal for `POST /verify`, measured: four uploads of at most
//! 4 MiB that inflate to gigabytes, at once, each answered (422
//! `pdf_too_complex`) within 2 s, the server's peak RSS within 128 MiB of its
//! idle size (the peak is reset first: `5` into /proc/<pid>/clear_refs), and
//! `/healthz` answering meanwhile. Prints `key value` lines and the ratios to
//! the goal; fails when the goal is missed.

use std::time::{Duration, Instant};

use crate::LoadError;
use crate::ceremony::proc_status_kib;

const GOAL_SECS: f64 = 2.0;
const GOAL_OVER_IDLE_MIB: f64 = 128.0;

pub async fn run(url: &str, server_pid: u32) -> Result<(), LoadError> {
    let http = reqwest::Client::new();
    let idle_kib = proc_status_kib(server_pid, "VmRSS:")
        .ok_or_else(|| LoadError::Setup(format!("no /proc/{server_pid}/status")))?;
    std::fs::write(format!("/proc/{server_pid}/clear_refs"), "5")
        .map_err(|e| LoadError::Setup(format!("cannot reset the peak RSS: {e}")))?;
    let tasks: Vec<_> = hims_pdf::bombs::goal_uploads()
        .into_iter()
        .map(|(name, pdf)| {
            let http = http.clone();
            let url = format!("{url}/verify");
            let size = pdf.len();
            tokio::spawn(async move {
                let started = Instant::now();
                let sent = http
                    .post(url)
                    .header("content-type", "application/pdf")
                    .body(pdf)
                    .send()
                    .await;
                let code = match sent {
                    Ok(r) => r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|j| j["error"]["code"].as_str().map(str::to_owned)),
                    Err(_) => None,
                };
                (name, size, code, started.elapsed())
            })
        })
        .collect();
    let health_started = Instant::now();
    let health = http
        .get(format!("{url}/healthz"))
        .send()
        .await
        .map_err(|e| LoadError::Http("GET /healthz", e))?;
    let health_took = health_started.elapsed();
    let mut slowest = Duration::ZERO;
    let mut refused = 0;
    for task in tasks {
        let (name, size, code, took) = task.await.map_err(|e| LoadError::Setup(e.to_string()))?;
        println!(
            "bomb_{name}_upload_kib {}  # answered {} in {:.3} s",
            size / 1024,
            code.as_deref().unwrap_or("?"),
            took.as_secs_f64()
        );
        slowest = slowest.max(took);
        refused += usize::from(code.as_deref() == Some("pdf_too_complex"));
    }
    let peak_kib = proc_status_kib(server_pid, "VmHWM:").unwrap_or(0);
    let over_idle_mib = peak_kib.saturating_sub(idle_kib) as f64 / 1024.0;
    println!("bombs_at_once 4");
    println!("bombs_refused_pdf_too_complex {refused}");
    println!(
        "bombs_slowest_answer_secs {:.3}  # {:.2} of the {GOAL_SECS} s goal",
        slowest.as_secs_f64(),
        slowest.as_secs_f64() / GOAL_SECS
    );
    println!(
        "bombs_peak_rss_over_idle_mib {over_idle_mib:.1}  # {:.2} of the {GOAL_OVER_IDLE_MIB} MiB goal (idle {:.1} MiB)",
        over_idle_mib / GOAL_OVER_IDLE_MIB,
        idle_kib as f64 / 1024.0
    );
    println!(
        "bombs_healthz_meanwhile_secs {:.3}  # status {}",
        health_took.as_secs_f64(),
        health.status().as_u16()
    );
    let met = refused == 4
        && slowest.as_secs_f64() <= GOAL_SECS
        && over_idle_mib <= GOAL_OVER_IDLE_MIB
        && health.status().is_success();
    if met {
        Ok(())
    } else {
        Err(LoadError::Check(
            "the decompression-bomb goal was missed".into(),
        ))
    }
}
