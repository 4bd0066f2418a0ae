//! The load tool on two agreements against `hims serve`'s router on
//! 127.0.0.1 (in-process, system clock, outbox delivered by the background
//! task): keeps the tool in step with the API. `ceremony::run` fails unless
//! every agreement ends completed with all four signed and one final PDF
//! verifies (four signatures intact and trusted by the server's CA and CRL).

use std::sync::Arc;
use std::time::Duration;

use hims_esign::config::Settings;
use hims_esign::local::LocalRuntime;
use hims_esign::ports::{OsRng, SystemClock};
use hims_load::ceremony;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agreements_are_signed_end_to_end_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let settings = Settings::local(&url, "smoke-portal-token", "smoke-ekyc-secret");
    let runtime = LocalRuntime::open(dir.path(), settings, Arc::new(SystemClock), Arc::new(OsRng))
        .expect("runtime");
    let router = runtime.router(hims_esign::local::OutboxAccess::Open);
    let _deliverer = runtime.spawn_deliverer(Duration::from_secs(5));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let settings = ceremony::Settings {
        url,
        portal_token: "smoke-portal-token".into(),
        ekyc_secret: "smoke-ekyc-secret".into(),
        agreements: 2,
        concurrency: 4,
    };
    ceremony::run(settings, None, None)
        .await
        .expect("two ceremonies complete and verify");
}
