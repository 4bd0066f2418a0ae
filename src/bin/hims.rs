//! `hims serve`: every function on one local server, on embedded adapters.
//! `hims demo`: the FLOW.md example, end to end, printing each step.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use clap::{Parser, Subcommand};
use hims_esign::app::{hmac_sig, outbox};
use hims_esign::config::Settings;
use hims_esign::local::{DevClock, LocalRuntime, OutboxAccess};
use hims_esign::ports::{OsRng, Rng, SystemClock};
use hims_esign::serve::ServeLimits;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Parser)]
#[command(
    name = "hims",
    about = "HIMS eSPA digital signing, on embedded defaults"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function's routes on one local server.
    Serve {
        #[arg(long, env = "HIMS_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        #[arg(long, env = "HIMS_DATA_DIR", default_value = "./.hims")]
        data_dir: PathBuf,
        /// Let `POST /dev/clock {"advance_secs": n}` move this server's clock (to try deadlines).
        #[arg(long, env = "HIMS_DEV_CLOCK")]
        dev_clock: bool,
        /// A developer's own server: `/dev/outbox` opens without the portal token.
        #[arg(long, env = "HIMS_DEV")]
        dev: bool,
    },
    /// Run the FLOW.md example end to end and write its PDF into the output folder.
    Demo {
        #[arg(long, env = "HIMS_OUT_DIR", default_value = "./out")]
        out_dir: PathBuf,
    },
}

fn secret_or_generated(var: &str) -> (String, bool) {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => (v, false),
        _ => {
            let mut bytes = [0u8; 24];
            OsRng.fill(&mut bytes);
            (hex::encode(bytes), true)
        }
    }
}

fn settings(public_url: &str) -> (Settings, Vec<String>) {
    let (portal_token, portal_new) = secret_or_generated("HIMS_PORTAL_TOKEN");
    let (ekyc_secret, ekyc_new) = secret_or_generated("HIMS_EKYC_SECRET");
    let mut notes = vec![];
    if portal_new {
        notes.push(format!(
            "portal token (HIMS_PORTAL_TOKEN, generated): {portal_token}"
        ));
    }
    if ekyc_new {
        notes.push(format!(
            "eKYC webhook secret (HIMS_EKYC_SECRET, generated): {ekyc_secret}"
        ));
    }
    let mut s = Settings::local(public_url, &portal_token, &ekyc_secret);
    s.portal_webhook_url = std::env::var("HIMS_PORTAL_WEBHOOK_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if s.portal_webhook_url.is_some() {
        s.portal_webhook_secret = hims_esign::config::Secret::new(
            &std::env::var("HIMS_PORTAL_WEBHOOK_SECRET").unwrap_or_default(),
        );
    }
    (s, notes)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                if matches!(std::env::args().nth(1).as_deref(), Some("serve")) {
                    "warn,hims_esign=info"
                } else {
                    "warn"
                }
                .into()
            }),
        )
        .init();
    match Cli::parse().command.unwrap_or(Command::Demo {
        out_dir: PathBuf::from("./out"),
    }) {
        Command::Serve {
            addr,
            data_dir,
            dev_clock,
            dev,
        } => serve(&addr, &data_dir, dev_clock, dev).await,
        Command::Demo { out_dir } => demo(&out_dir).await,
    }
}

async fn serve(
    addr: &str,
    data_dir: &Path,
    dev_clock: bool,
    dev: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let public_url = std::env::var("HIMS_PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
    let (settings, notes) = settings(&public_url);
    let clock = Arc::new(DevClock::default());
    let mut runtime = if dev_clock {
        LocalRuntime::open(data_dir, settings, clock.clone(), Arc::new(OsRng))?
    } else {
        LocalRuntime::open(data_dir, settings, Arc::new(SystemClock), Arc::new(OsRng))?
    };
    // A crash at a chosen port call, for the restart tests; only here, never in Lambda.
    if let Some(plan) = hims_esign::adapters::faulty::from_env()? {
        eprintln!(
            "  fault injection: {}",
            std::env::var(hims_esign::adapters::faulty::DEV_FAULT_ENV)?
        );
        runtime.inject_faults(&plan);
    }
    let outbox_access = if dev {
        OutboxAccess::Open
    } else {
        OutboxAccess::PortalToken
    };
    let mut router = runtime.router(outbox_access);
    if dev_clock {
        router = router.merge(hims_esign::local::dev_clock_router(clock));
    }
    let _deliverer = runtime.spawn_deliverer(Duration::from_secs(5));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "hims-esign listening on {public_url}  (data: {})",
        data_dir.display()
    );
    for note in notes {
        println!("  {note}");
    }
    println!("  API description: {public_url}/openapi.json");
    let outbox_note = if dev { "" } else { "  (portal token)" };
    println!("  emails sent:     {public_url}/dev/outbox{outbox_note}");
    if dev_clock {
        println!("  dev clock:       POST {public_url}/dev/clock {{\"advance_secs\": n}}");
    }
    hims_esign::serve::serve(listener, router, ServeLimits::default(), shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

/// The demo talks HTTP to the same Router `serve` mounts, in-process.
struct DemoClient {
    runtime: LocalRuntime,
    router: axum::Router,
    portal_token: String,
    ekyc_secret: String,
}

impl DemoClient {
    async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Body::from(body))
            .expect("static request parts are valid");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        (status, bytes)
    }

    async fn portal(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let mut headers = vec![("authorization", format!("Bearer {}", self.portal_token))];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        let (status, bytes) = self
            .call(
                method,
                path,
                &headers,
                body.map(Value::to_string).unwrap_or_default().into_bytes(),
            )
            .await;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{path}: {status} {value}"))
        }
    }

    async fn ekyc(
        &self,
        agreement_id: &str,
        party_id: &str,
        reference: &str,
    ) -> Result<Value, String> {
        let body = json!({"agreement_id": agreement_id, "party_id": party_id, "result": "approved", "reference": reference}).to_string();
        let now = self.runtime.app.now().timestamp();
        let headers = [
            ("content-type", "application/json".to_owned()),
            (
                hmac_sig::SIGNATURE_HEADER,
                hmac_sig::sign(self.ekyc_secret.as_bytes(), now, body.as_bytes()),
            ),
            (hmac_sig::TIMESTAMP_HEADER, now.to_string()),
        ];
        let (status, bytes) = self
            .call(
                Method::POST,
                "/v1/ekyc/callback",
                &headers,
                body.into_bytes(),
            )
            .await;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("eKYC callback: {status} {value}"))
        }
    }

    /// Delivers the outbox and prints what went out since `seen`.
    async fn print_new_emails(&self, seen: &mut usize) -> Result<(), String> {
        let app = &self.runtime.app;
        outbox::deliver_due(&app.ports, &app.settings, app.webhooks.as_ref(), app.now())
            .await
            .map_err(|e| e.to_string())?;
        let mut emails = self
            .runtime
            .mailer
            .list()
            .await
            .map_err(|e| e.to_string())?;
        emails.reverse(); // oldest first
        for email in emails.iter().skip(*seen) {
            println!("      ✉ to {:<26} {}", email.to, email.subject);
        }
        *seen = emails.len();
        Ok(())
    }
}

async fn demo(out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = out_dir.join("demo-data");
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(out_dir)?;
    let (settings, _) = settings("http://127.0.0.1:8080");
    let portal_token = settings.portal_token.expose().to_owned();
    let ekyc_secret = settings.ekyc_secret.expose().to_owned();
    let runtime = LocalRuntime::open(&data_dir, settings, Arc::new(SystemClock), Arc::new(OsRng))?;
    let client = DemoClient {
        router: runtime.router(OutboxAccess::Open),
        runtime,
        portal_token,
        ekyc_secret,
    };
    let mut seen = 0;

    println!(
        "hims demo — the FLOW.md example on embedded defaults (data: {})",
        data_dir.display()
    );
    println!("1. The portal creates the eSPA for PARKLAND AVENUE (20165-9), unit B-10-02");
    let request = hims_esign::example::create_request(client.runtime.app.now());
    let created = client
        .portal(Method::POST, "/v1/agreements", Some(&request))
        .await?;
    let id = created["id"].as_str().ok_or("no agreement id")?.to_owned();
    println!(
        "   agreement {id}, serial {} (provisional), state {}",
        created["serial"], created["state"]
    );
    client.print_new_emails(&mut seen).await?;

    println!("2. eKYC results arrive from the provider (F1.2)");
    let parties = created["parties"].as_array().cloned().unwrap_or_default();
    for (n, party) in parties.iter().enumerate() {
        let party_id = party["id"].as_str().unwrap_or_default();
        let answer = client
            .ekyc(&id, party_id, &format!("IDSAYA-DEMO-{:04}", n + 1))
            .await?;
        println!(
            "   {:<28} → {}",
            party["name"].as_str().unwrap_or_default(),
            answer["party_state"]
        );
        client.print_new_emails(&mut seen).await?;
    }

    println!("3. The first revision of the eSPA");
    let (status, pdf) = client
        .call(
            Method::GET,
            &format!("/v1/agreements/{id}/document"),
            &[("authorization", format!("Bearer {}", client.portal_token))],
            vec![],
        )
        .await;
    if status != StatusCode::OK {
        return Err(format!("document: {status}").into());
    }
    let pdf_path = out_dir.join(format!("espa-{id}-r1.pdf"));
    std::fs::write(&pdf_path, &pdf)?;
    println!(
        "   {} ({} bytes, one empty signature field per signer)",
        pdf_path.display(),
        pdf.len()
    );

    println!("4. The audit trail");
    let audit = client
        .portal(Method::GET, &format!("/v1/agreements/{id}/audit"), None)
        .await?;
    println!(
        "   {} entries, chain valid: {}, head {}",
        audit["entries"].as_array().map_or(0, Vec::len),
        audit["verification"]["valid"],
        audit["verification"]["head"]
    );
    println!("5. The signing ceremony (F2, F4): certificate, PIN + second factor, drawn signature");
    let factors = ["totp", "email", "totp"];
    for (n, party) in parties.iter().enumerate() {
        let name = party["name"].as_str().unwrap_or_default();
        let token = client
            .latest_link(party["email"].as_str().unwrap_or_default())
            .await?;
        if party["action"] == "review" {
            client
                .signer_json(
                    Method::POST,
                    "/v1/signer/review",
                    &token,
                    &json!({"action": "confirm"}),
                )
                .await?;
            println!("   {name:<28} confirmed the eSPA (F3.2)");
        } else {
            let form = json!({"address": "No. 12, Jalan Parkland 3", "postcode": "43000", "nationality": "MY", "pin": DEMO_PIN, "pin_confirm": DEMO_PIN});
            let issued = client
                .signer_json(Method::POST, "/v1/signer/certificate", &token, &form)
                .await?;
            let (status, headers, _) = client.signer_get("/v1/signer/document", &token).await;
            let sha = headers.ok_or(format!("document: {status}"))?;
            let factor = factors.get(n).copied().unwrap_or("totp");
            let mut authorize = json!({"document_sha256": sha, "pin": DEMO_PIN});
            if factor == "totp" {
                authorize["totp"] = json!(totp_now(
                    issued["totp"]["uri"].as_str().unwrap_or_default()
                )?);
            } else {
                client
                    .signer_json(
                        Method::POST,
                        "/v1/signer/otp",
                        &token,
                        &json!({"purpose": "sign"}),
                    )
                    .await?;
                client.print_new_emails(&mut seen).await?;
                authorize["email_code"] = json!(
                    client
                        .latest_code(party["email"].as_str().unwrap_or_default())
                        .await?
                );
            }
            let activation = client
                .signer_json(Method::POST, "/v1/signer/authorize", &token, &authorize)
                .await?;
            let png = hims_esign::app::stroke::stroke_png(
                160,
                60,
                &[&[
                    (10.0, 45.0),
                    (35.0, 12.0),
                    (60.0, 48.0),
                    (90.0, 15.0),
                    (150.0, 40.0),
                ]],
            )
            .map_err(|e| e.to_string())?;
            let sign = json!({"activation": activation["activation"], "document_sha256": sha, "consent": true,
                "signature_png_base64": base64::engine::general_purpose::STANDARD.encode(png)});
            let signed = client
                .signer_json(Method::POST, "/v1/signer/sign", &token, &sign)
                .await?;
            println!(
                "   {name:<28} signed with {factor}: revision {}, serial {}",
                signed["revision"], signed["serial"]
            );
        }
        client.print_new_emails(&mut seen).await?;
    }

    println!("6. The fully signed eSPA, the CA certificate and the certificate of completion");
    let auth = [("authorization", format!("Bearer {}", client.portal_token))];
    let (_, signed_pdf) = client
        .call(
            Method::GET,
            &format!("/v1/agreements/{id}/document"),
            &auth,
            vec![],
        )
        .await;
    let (_, completion) = client
        .call(
            Method::GET,
            &format!("/v1/agreements/{id}/completion-certificate"),
            &auth,
            vec![],
        )
        .await;
    let (_, ca_pem) = client.call(Method::GET, "/ca.pem", &[], vec![]).await;
    let (_, crl) = client.call(Method::GET, "/crl", &[], vec![]).await;
    let signed_path = out_dir.join(format!("espa-{id}-signed.pdf"));
    let completion_path = out_dir.join(format!("espa-{id}-completion.pdf"));
    let ca_path = out_dir.join("ca.pem");
    std::fs::write(&signed_path, &signed_pdf)?;
    std::fs::write(&completion_path, &completion)?;
    std::fs::write(&ca_path, &ca_pem)?;
    println!(
        "   {}\n   {}\n   {}",
        signed_path.display(),
        completion_path.display(),
        ca_path.display()
    );
    let pem = String::from_utf8_lossy(&ca_pem);
    let ca_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let trust = hims_pdf::Trust {
        ca_der: base64::engine::general_purpose::STANDARD.decode(ca_b64)?,
        crl_der: Some(crl),
    };
    for (what, pdf) in [("eSPA", &signed_pdf), ("completion", &completion)] {
        let report = hims_pdf::verify(pdf, &trust)?;
        for s in &report.signatures {
            println!(
                "   {what:<10} {:<24} {:<28} {:<6} intact {} trusted {} revoked {} offline {} changes after {:?}",
                s.field_name,
                s.signer_cn.as_deref().unwrap_or("?"),
                s.long_term.level.as_str(),
                s.intact,
                s.trusted,
                s.revoked,
                s.long_term.validates_offline,
                s.modification
            );
        }
        for t in &report.document_timestamps {
            println!(
                "   {what:<10} {:<24} {:<28} at {} valid {}",
                t.field_name,
                t.timestamp.tsa_name.as_deref().unwrap_or("?"),
                t.timestamp
                    .time
                    .map(|time| time.to_rfc3339())
                    .unwrap_or_default(),
                t.valid()
            );
        }
        println!("   {what}: all signatures valid: {}", report.all_valid());
    }
    println!("Emails: {} in {}", seen, data_dir.join("outbox").display());
    Ok(())
}

const DEMO_PIN: &str = "Demo#Pin2025";

/// The current code of an `otpauth://` URI (what the iDsaya app would show).
fn totp_now(uri: &str) -> Result<String, String> {
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .ok_or("no TOTP secret")?;
    let bytes = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .map_err(|e| e.to_string())?;
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(bytes)
        .build()
        .map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    Ok(totp.generate(now).to_string())
}

impl DemoClient {
    async fn signer_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Result<Value, String> {
        let headers = [
            ("authorization", format!("Bearer {token}")),
            ("content-type", "application/json".to_owned()),
        ];
        let (status, bytes) = self
            .call(method, path, &headers, body.to_string().into_bytes())
            .await;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{path}: {status} {value}"))
        }
    }

    /// Status and `X-Document-SHA256` of a signer GET.
    async fn signer_get(&self, path: &str, token: &str) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut request = Request::builder().method(Method::GET).uri(path);
        request = request.header("authorization", format!("Bearer {token}"));
        let Ok(request) = request.body(Body::empty()) else {
            return (StatusCode::BAD_REQUEST, None, vec![]);
        };
        let Ok(response) = self.router.clone().oneshot(request).await;
        let status = response.status();
        let sha = response
            .headers()
            .get("x-document-sha256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        (status, sha, bytes)
    }

    async fn emails_to(
        &self,
        to: &str,
    ) -> Result<Vec<hims_esign::adapters::local::OutboxEmail>, String> {
        let emails = self
            .runtime
            .mailer
            .list()
            .await
            .map_err(|e| e.to_string())?;
        Ok(emails.into_iter().filter(|e| e.to == to).collect()) // newest first
    }

    /// The signer link token of the newest email to `to` that has one.
    async fn latest_link(&self, to: &str) -> Result<String, String> {
        let marker = "/s/";
        self.emails_to(to)
            .await?
            .iter()
            .find_map(|e| {
                let start = e.text.find(marker)? + marker.len();
                Some(
                    e.text[start..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        .collect(),
                )
            })
            .ok_or_else(|| format!("no signer link emailed to {to}"))
    }

    /// The six-digit code of the newest email to `to` (shown as "876 644").
    async fn latest_code(&self, to: &str) -> Result<String, String> {
        let emails = self.emails_to(to).await?;
        let text = emails.first().map(|e| e.text.clone()).unwrap_or_default();
        text.split("Kod Verifikasi:")
            .nth(1)
            .and_then(|rest| rest.lines().map(str::trim).find(|l| !l.is_empty()))
            .map(|line| {
                line.chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            })
            .filter(|code| code.len() == 6)
            .ok_or_else(|| format!("no code emailed to {to}"))
    }
}
