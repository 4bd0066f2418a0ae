//! Issue 13 (1), against the real `hims serve` binary: uploads of up to 4 MiB
//! built to inflate to gigabytes (object stream, cross-reference stream,
//! signatures over many revisions), four at once, are each refused with a 422
//! `pdf_too_complex`; the server's peak resident memory (VmHWM from /proc)
//! stays within 128 MiB of its idle size, and `/healthz` answers meanwhile.
//! The time here is a generous guard against a hang (this is a debug build on
//! a shared machine); the work bound is asserted in `crates/pdf/tests/bombs.rs`
//! (bytes decoded), and the 2 s goal is measured on the release build by
//! `hims-load bombs` in scripts/load.sh, with the same four uploads.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

const MIB: usize = 1024 * 1024;
const PEAK_OVER_IDLE: u64 = 128 * MIB as u64;
/// Not the 2 s goal (see above): long enough for a loaded machine, short of a hang.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(http: &reqwest::Client) -> Server {
    let data = tempfile::tempdir().expect("data dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_hims"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.path())
        .env("HIMS_PORTAL_TOKEN", "bomb-portal")
        .env("HIMS_EKYC_SECRET", "bomb-ekyc")
        .env_remove("HIMS_PORTAL_WEBHOOK_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hims serve");
    let mut server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _data: data,
    };
    for _ in 0..600 {
        assert!(
            server.child.try_wait().expect("status").is_none(),
            "hims serve exited"
        );
        if http
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("hims serve did not start");
}

/// A field of /proc/<pid>/status, in bytes.
fn proc_status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_bombs_at_once_are_refused_in_bounded_memory() {
    let http = reqwest::Client::new();
    let server = start(&http).await;
    let pid = server.child.id();
    // Warm up the verify path (CA, CRL, first allocations) on a harmless file.
    let warm = http
        .post(format!("{}/verify", server.url))
        .header("content-type", "application/pdf")
        .body(hims_pdf::bombs::content_stream_bomb(MIB))
        .send()
        .await
        .expect("warm-up");
    assert_eq!(warm.status(), StatusCode::OK);
    let idle = proc_status_bytes(pid, "VmRSS:");
    // The peak from here on: `5` resets VmHWM to the current RSS.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("reset the peak RSS");

    let bombs = hims_pdf::bombs::goal_uploads();
    for (name, bomb) in &bombs {
        assert!(
            bomb.len() <= 4 * MIB,
            "{name}: an upload the route accepts ({})",
            bomb.len()
        );
    }
    let uploads = bombs.into_iter().map(|(_, bomb)| {
        let http = http.clone();
        let url = format!("{}/verify", server.url);
        tokio::spawn(async move {
            let started = Instant::now();
            let response = http
                .post(url)
                .header("content-type", "application/pdf")
                .body(bomb)
                .send()
                .await
                .expect("answer");
            let status = response.status();
            let json: serde_json::Value = response.json().await.expect("json");
            (status, json, started.elapsed())
        })
    });
    let uploads: Vec<_> = uploads.collect();
    // Meanwhile the server stays responsive.
    let health_started = Instant::now();
    let health = http
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        health_started.elapsed() < ANSWER_WITHIN,
        "{:?}",
        health_started.elapsed()
    );
    let mut slowest = Duration::ZERO;
    for upload in uploads {
        let (status, json, took) = upload.await.expect("task");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
        assert_eq!(json["error"]["code"], "pdf_too_complex");
        assert!(
            json["error"]["message_ms"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        slowest = slowest.max(took);
    }
    let peak = proc_status_bytes(pid, "VmHWM:");
    println!(
        "idle RSS {} MiB, peak {} MiB, over idle {} MiB; slowest answer {slowest:?}",
        idle / MIB as u64,
        peak / MIB as u64,
        peak.saturating_sub(idle) / MIB as u64
    );
    assert!(
        peak.saturating_sub(idle) <= PEAK_OVER_IDLE,
        "peak {peak} over idle {idle}"
    );
    assert!(slowest < ANSWER_WITHIN, "slowest answer {slowest:?}");
}
