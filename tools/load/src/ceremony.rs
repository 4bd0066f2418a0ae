//! The load: `agreements` agreements of four signers each, over HTTP, as a
//! portal, the eKYC provider and the signers would drive them.
//!
//! Turn order allows one signer per agreement at a time, so the run goes in
//! four turns. In each, every agreement's current signer first prepares
//! (certificate with its PIN, the document, an email code read from
//! `/dev/outbox`), then all of them authorize together (one burst, Argon2
//! bound) and then all sign together (a second burst). The bursts' times
//! give the sign path's throughput, set against the Argon2 floor.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use hims_esign::app::hmac_sig;
use hims_esign::app::stroke::stroke_png;

use crate::LoadError;
use crate::floor::Floor;
use crate::http::{self, Http, Mailbox, Reply};
use crate::stats;

pub struct Settings {
    pub url: String,
    pub portal_token: String,
    pub ekyc_secret: String,
    pub agreements: usize,
    pub concurrency: usize,
}

const PIN: &str = "Rahsia#2025";
const SIGNERS: usize = 4;

struct Ctx {
    http: Http,
    mailbox: Mailbox,
    settings: Settings,
    /// Requests in flight.
    slots: Semaphore,
    signature_png_b64: String,
}

struct Agreement {
    id: String,
    emails: Vec<String>,
    tokens: Vec<String>,
}

struct Ready {
    token: String,
    sha: String,
    code: String,
}

struct Authorized {
    token: String,
    sha: String,
    activation: String,
}

impl Ctx {
    async fn send(
        &self,
        label: &'static str,
        request: reqwest::RequestBuilder,
        expect: StatusCode,
    ) -> Result<Reply, LoadError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| LoadError::Setup("semaphore closed".into()))?;
        self.http.send(label, request, expect).await
    }

    fn portal(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, path)
            .bearer_auth(&self.settings.portal_token)
    }

    fn signer(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.request(method, path).bearer_auth(token)
    }
}

pub async fn run(
    settings: Settings,
    floor: Option<Floor>,
    server_pid: Option<u32>,
) -> Result<(), LoadError> {
    if let Some(floor) = &floor {
        floor.print();
    }
    let stroke: &[(f32, f32)] = &[(10.0, 40.0), (40.0, 10.0), (70.0, 45.0), (110.0, 15.0)];
    let png = stroke_png(140, 60, &[stroke]).map_err(|e| LoadError::Setup(e.to_string()))?;
    let http = Http::new(&settings.url, settings.concurrency)?;
    let ctx = Arc::new(Ctx {
        mailbox: Mailbox::new(http.clone()),
        http,
        slots: Semaphore::new(settings.concurrency.max(1)),
        signature_png_b64: base64::engine::general_purpose::STANDARD.encode(png),
        settings,
    });
    let started = Instant::now();

    let agreements = Arc::new(for_each(&ctx, (0..ctx.settings.agreements).collect(), open).await?);
    print_peak_rss(server_pid, "after creating the agreements");
    let (mut authorize_time, mut sign_time) = (Duration::ZERO, Duration::ZERO);
    let mut authorize_cpu = CpuTimes::default();
    // The sign bursts' server CPU: turns before the last, and the last, whose
    // signatures also make each agreement's certificate of completion.
    let (mut sign_cpu, mut completing_sign_cpu) = (CpuTimes::default(), CpuTimes::default());
    for turn in 0..SIGNERS {
        let ready = for_each(&ctx, (0..agreements.len()).collect(), {
            let agreements = agreements.clone();
            move |ctx, n| prepare(ctx, agreements.clone(), n, turn)
        })
        .await?;
        let burst = Instant::now();
        let cpu_before = server_pid.and_then(cpu_times);
        let authorized = for_each(&ctx, ready, authorize).await?;
        let authorize_burst = burst.elapsed();
        authorize_cpu.add_since(cpu_before, server_pid);
        let burst = Instant::now();
        let cpu_before = server_pid.and_then(cpu_times);
        let last = turn + 1 == SIGNERS;
        for_each(&ctx, authorized, move |ctx, a| sign(ctx, a, last)).await?;
        let sign_burst = burst.elapsed();
        if last {
            &mut completing_sign_cpu
        } else {
            &mut sign_cpu
        }
        .add_since(cpu_before, server_pid);
        println!(
            "turn {} of {SIGNERS}: {} authorize in {:.2} s, {} sign in {:.2} s",
            turn + 1,
            agreements.len(),
            authorize_burst.as_secs_f64(),
            agreements.len(),
            sign_burst.as_secs_f64()
        );
        print_peak_rss(server_pid, "after the turn");
        authorize_time += authorize_burst;
        sign_time += sign_burst;
    }
    let wall = started.elapsed();
    // The floor again, the server idle: other work on the machine moves both figures.
    let floor = match floor {
        Some(before) => {
            let again = tokio::task::spawn_blocking(move || {
                crate::floor::measure(before.threads, before.duration)
            })
            .await
            .map_err(|e| LoadError::Setup(format!("floor: {e}")))??;
            again.print();
            Some(if again.per_sec > before.per_sec {
                again
            } else {
                before
            })
        }
        None => None,
    };

    for_each(&ctx, (0..agreements.len()).collect(), {
        let agreements = agreements.clone();
        move |ctx, n| completed(ctx, agreements.clone(), n)
    })
    .await?;
    if let Some(first) = agreements.first() {
        verify_pdf(&ctx, &first.id).await?;
    }

    let samples = ctx.http.samples();
    println!();
    stats::print_endpoints(&samples);
    println!();
    let signers = (agreements.len() * SIGNERS) as f64;
    let authorize_rate = signers / authorize_time.as_secs_f64().max(1e-9);
    let sign_path_rate = signers / (authorize_time + sign_time).as_secs_f64().max(1e-9);
    println!("agreements {}", agreements.len());
    println!("signers {signers}");
    println!("wall_seconds {:.2}", wall.as_secs_f64());
    println!("requests {}", samples.len());
    println!(
        "requests_per_second {:.1}",
        samples.len() as f64 / wall.as_secs_f64()
    );
    println!("signatures_per_second {:.2}", signers / wall.as_secs_f64());
    println!("authorize_per_second {authorize_rate:.2}  # in the bursts");
    println!("sign_path_per_second {sign_path_rate:.2}  # authorize + sign, in the bursts");
    if let Some(floor) = floor {
        println!(
            "argon2_floor_per_second {:.2}  # the higher of the two",
            floor.per_sec
        );
        println!(
            "authorize_vs_argon2_floor_percent {:.1}  # goal >= 90",
            100.0 * authorize_rate / floor.per_sec
        );
        println!(
            "sign_path_vs_argon2_floor_percent {:.1}",
            100.0 * sign_path_rate / floor.per_sec
        );
        if !authorize_cpu.all.is_zero() {
            // The wall-clock ratio above moves with whatever else the machine runs (this
            // client too) and the floor is measured at other moments; the server's own
            // CPU split, read in the same bursts, does not.
            let cpu = authorize_cpu.all.as_secs_f64();
            println!(
                "authorize_server_cpu_seconds {cpu:.2}  # {:.0} % of {} cores over the bursts",
                100.0 * cpu / (authorize_time.as_secs_f64() * floor.threads as f64),
                floor.threads
            );
            println!(
                "authorize_server_cpu_on_argon2_percent {:.1}  # the argon2-* threads' share",
                100.0 * authorize_cpu.argon2.as_secs_f64() / cpu
            );
            let per_turn = agreements.len() as f64;
            let ms_each =
                |cpu: &CpuTimes, requests: f64| 1000.0 * cpu.all.as_secs_f64() / requests.max(1.0);
            println!(
                "argon2_floor_cpu_ms_per_check {:.1}  # one PIN check on one floor thread",
                floor.ms_each
            );
            println!(
                "authorize_server_cpu_ms_per_request {:.1}",
                ms_each(&authorize_cpu, signers)
            );
            println!(
                "sign_server_cpu_ms_per_request {:.1}  # sign bursts of turns 1-{}, all server threads",
                ms_each(&sign_cpu, per_turn * (SIGNERS - 1) as f64),
                SIGNERS - 1
            );
            println!(
                "completing_sign_server_cpu_ms_per_request {:.1}  # turn {SIGNERS}: with the certificate of completion",
                ms_each(&completing_sign_cpu, per_turn)
            );
        }
    }
    if let Some(pid) = server_pid {
        match peak_rss_kib(pid) {
            Some(kib) => println!("server_peak_rss_mib {:.1}", kib as f64 / 1024.0),
            None => println!("server_peak_rss_mib unknown  # no /proc/{pid}/status"),
        }
    }
    Ok(())
}

/// Runs `f` on every item at once (requests bounded by the context's slots);
/// results in the items' order, the first error wins.
async fn for_each<I, T, F, Fut>(ctx: &Arc<Ctx>, items: Vec<I>, f: F) -> Result<Vec<T>, LoadError>
where
    F: Fn(Arc<Ctx>, I) -> Fut,
    Fut: Future<Output = Result<T, LoadError>> + Send + 'static,
    T: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let count = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let fut = f(ctx.clone(), item);
        set.spawn(async move { (i, fut.await) });
    }
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined.map_err(|e| LoadError::Setup(format!("task failed: {e}")))?;
        out[i] = Some(result?);
    }
    Ok(out.into_iter().flatten().collect())
}

/// The library's example agreement, made unique to `n`, with a fourth signer
/// (the landowner) instead of the witness who reviews.
fn create_request(n: usize) -> Value {
    let mut request = hims_esign::example::create_request(chrono::Utc::now());
    request["developer_email"] = json!(format!("legal-{n}@load.example"));
    request["unit"] = json!(format!("L-{n}"));
    if let Some(parties) = request["parties"].as_array_mut() {
        for (i, party) in parties.iter_mut().enumerate() {
            party["email"] = json!(format!("p{i}-{n}@load.example"));
        }
        if let Some(last) = parties.get_mut(SIGNERS - 1) {
            last["role"] = json!("landowner");
            last["action"] = json!("sign");
        }
    }
    request
}

/// Creates agreement `n`, approves every party's eKYC and reads each party's link.
async fn open(ctx: Arc<Ctx>, n: usize) -> Result<Agreement, LoadError> {
    let request = ctx
        .portal(Method::POST, "/v1/agreements")
        .json(&create_request(n));
    let view = ctx
        .send("POST /v1/agreements", request, StatusCode::CREATED)
        .await?
        .json();
    let id = view["id"].as_str().unwrap_or_default().to_owned();
    let parties: Vec<(String, String)> = view["parties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let field = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (field("id"), field("email"))
        })
        .collect();
    if id.is_empty() || parties.len() != SIGNERS {
        return Err(LoadError::Check(format!(
            "unexpected agreement view: {view}"
        )));
    }
    for (party, _) in &parties {
        let body = json!({
            "agreement_id": id, "party_id": party, "result": "approved",
            "reference": format!("idsaya-{party}"),
        })
        .to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = hmac_sig::sign(
            ctx.settings.ekyc_secret.as_bytes(),
            timestamp,
            body.as_bytes(),
        );
        let request = ctx
            .http
            .request(Method::POST, "/v1/ekyc/callback")
            .header("content-type", "application/json")
            .header(hmac_sig::SIGNATURE_HEADER, signature)
            .header(hmac_sig::TIMESTAMP_HEADER, timestamp.to_string())
            .body(body);
        ctx.send("POST /v1/ekyc/callback", request, StatusCode::OK)
            .await?;
    }
    let mut tokens = Vec::new();
    for (_, email) in &parties {
        tokens.push(
            ctx.mailbox
                .wait(email, "a signer link", http::link_token)
                .await?,
        );
    }
    Ok(Agreement {
        id,
        emails: parties.into_iter().map(|(_, email)| email).collect(),
        tokens,
    })
}

/// F2 and the first half of F4.5 for the signer whose turn it is.
async fn prepare(
    ctx: Arc<Ctx>,
    agreements: Arc<Vec<Agreement>>,
    n: usize,
    turn: usize,
) -> Result<Ready, LoadError> {
    let agreement = &agreements[n];
    let token = agreement.tokens[turn].clone();
    let body = json!({
        "address": "No. 12, Jalan Parkland 3, Taman Parkland",
        "postcode": "43000",
        "nationality": "MY",
        "pin": PIN,
        "pin_confirm": PIN,
    });
    let request = ctx
        .signer(Method::POST, "/v1/signer/certificate", &token)
        .json(&body);
    ctx.send("POST /v1/signer/certificate", request, StatusCode::CREATED)
        .await?;
    let request = ctx.signer(Method::GET, "/v1/signer/document", &token);
    let document = ctx
        .send("GET /v1/signer/document", request, StatusCode::OK)
        .await?;
    let sha = document
        .headers
        .get("x-document-sha256")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| LoadError::Check("no X-Document-SHA256".into()))?
        .to_owned();
    let request = ctx
        .signer(Method::POST, "/v1/signer/otp", &token)
        .json(&json!({"purpose": "sign"}));
    ctx.send("POST /v1/signer/otp", request, StatusCode::ACCEPTED)
        .await?;
    let code = ctx
        .mailbox
        .wait(&agreement.emails[turn], "an email code", http::email_code)
        .await?;
    Ok(Ready { token, sha, code })
}

async fn authorize(ctx: Arc<Ctx>, ready: Ready) -> Result<Authorized, LoadError> {
    let body = json!({"document_sha256": ready.sha, "pin": PIN, "email_code": ready.code});
    let request = ctx
        .signer(Method::POST, "/v1/signer/authorize", &ready.token)
        .json(&body);
    let reply = ctx
        .send("POST /v1/signer/authorize", request, StatusCode::OK)
        .await?
        .json();
    let activation = reply["activation"]
        .as_str()
        .ok_or_else(|| LoadError::Check(format!("no activation in {reply}")))?
        .to_owned();
    Ok(Authorized {
        token: ready.token,
        sha: ready.sha,
        activation,
    })
}

async fn sign(ctx: Arc<Ctx>, authorized: Authorized, last: bool) -> Result<(), LoadError> {
    let body = json!({
        "activation": authorized.activation,
        "document_sha256": authorized.sha,
        "consent": true,
        "signature_png_base64": ctx.signature_png_b64,
    });
    let request = ctx
        .signer(Method::POST, "/v1/signer/sign", &authorized.token)
        .json(&body);
    let reply = ctx
        .send("POST /v1/signer/sign", request, StatusCode::OK)
        .await?
        .json();
    let state = reply["agreement_state"].as_str().unwrap_or_default();
    if last != (state == "completed") {
        return Err(LoadError::Check(format!(
            "agreement {state} after a signature (last signer: {last})"
        )));
    }
    Ok(())
}

async fn completed(
    ctx: Arc<Ctx>,
    agreements: Arc<Vec<Agreement>>,
    n: usize,
) -> Result<(), LoadError> {
    let id = &agreements[n].id;
    let request = ctx.portal(Method::GET, &format!("/v1/agreements/{id}"));
    let view = ctx
        .send("GET /v1/agreements/{id}", request, StatusCode::OK)
        .await?
        .json();
    let signed = view["parties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["state"] == "signed")
        .count();
    if view["state"] != "completed" || signed != SIGNERS {
        return Err(LoadError::Check(format!(
            "agreement {id} is {} with {signed} of {SIGNERS} signed",
            view["state"]
        )));
    }
    Ok(())
}

/// hims-pdf's verifier, trusting only the server's CA and CRL, on one final PDF.
async fn verify_pdf(ctx: &Arc<Ctx>, id: &str) -> Result<(), LoadError> {
    let request = ctx.portal(Method::GET, &format!("/v1/agreements/{id}/document"));
    let pdf = ctx
        .send("GET /v1/agreements/{id}/document", request, StatusCode::OK)
        .await?
        .bytes;
    let ca = ctx
        .send(
            "GET /ca.pem",
            ctx.http.request(Method::GET, "/ca.pem"),
            StatusCode::OK,
        )
        .await?;
    let crl = ctx
        .send(
            "GET /crl",
            ctx.http.request(Method::GET, "/crl"),
            StatusCode::OK,
        )
        .await?;
    let pem = String::from_utf8_lossy(&ca.bytes);
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    let ca_der = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| LoadError::Check(format!("CA PEM: {e}")))?;
    let trust = hims_pdf::Trust {
        ca_der,
        crl_der: Some(crl.bytes),
    };
    let report = hims_pdf::verify(&pdf, &trust)
        .map_err(|e| LoadError::Check(format!("final PDF of {id}: {e}")))?;
    if report.signatures.len() != SIGNERS || !report.all_valid() {
        return Err(LoadError::Check(format!(
            "final PDF of {id}: {:?}",
            report.signatures
        )));
    }
    println!(
        "verified {id}: {} signatures intact, trusted, unrevoked ({} KiB)",
        report.signatures.len(),
        pdf.len() / 1024
    );
    Ok(())
}

fn print_peak_rss(pid: Option<u32>, when: &str) {
    if let Some(kib) = pid.and_then(peak_rss_kib) {
        println!("  server peak RSS {when}: {:.1} MiB", kib as f64 / 1024.0);
    }
}

/// CPU time a process has used: all of it, and its Argon2 threads' part.
#[derive(Clone, Copy, Default)]
struct CpuTimes {
    all: Duration,
    argon2: Duration,
}

impl CpuTimes {
    /// Adds what the server used since `before` was read (nothing without a pid).
    fn add_since(&mut self, before: Option<CpuTimes>, pid: Option<u32>) {
        if let (Some(before), Some(after)) = (before, pid.and_then(cpu_times)) {
            self.all += after.all.saturating_sub(before.all);
            self.argon2 += after.argon2.saturating_sub(before.argon2);
        }
    }
}

/// Reads the server's CPU times from /proc (counts in USER_HZ ticks: 1/100 s on Linux).
fn cpu_times(pid: u32) -> Option<CpuTimes> {
    let all = stat_cpu(&format!("/proc/{pid}/stat"))?;
    let mut argon2 = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if name.starts_with("argon2-") {
            argon2 += stat_cpu(&path.join("stat").to_string_lossy()).unwrap_or_default();
        }
    }
    Some(CpuTimes { all, argon2 })
}

/// User plus system time from a /proc `stat` file.
fn stat_cpu(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |n: usize| fields.get(n)?.parse::<u64>().ok();
    // utime and stime, fields 14 and 15 of the line: 11 and 12 counting from 0 after the name.
    Some(Duration::from_millis(10 * (ticks(11)? + ticks(12)?)))
}

/// The peak resident set (VmHWM) of process `pid`, in KiB.
pub(crate) fn peak_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmHWM:")
}

/// A `kB` field of /proc/<pid>/status (`VmRSS:`, `VmHWM:`).
pub(crate) fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
