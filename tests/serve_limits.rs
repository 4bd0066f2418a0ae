//! Issue 13 (7): `hims serve` bounds what a stalled client can hold — a
//! header read timeout, a body read timeout (408 `body_timeout`) and a
//! connection limit — over real sockets on 127.0.0.1. The time bounds are
//! generous guards; the lower bound (a third client waits for a slot) is exact.

mod support;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use hims_esign::local::OutboxAccess;
use hims_esign::serve::{ServeLimits, serve};
use support::Harness;

const LIMITS: ServeLimits = ServeLimits {
    header_read: Duration::from_millis(400),
    body_read: Duration::from_millis(400),
    max_connections: 2,
};
/// How long a test waits for the server before calling it hung.
const GUARD: Duration = Duration::from_secs(10);

async fn start(h: &Harness) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = h.runtime.router(OutboxAccess::PortalToken);
    tokio::spawn(serve(listener, router, LIMITS, std::future::pending()));
    addr
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(GUARD, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server kept a stalled connection open");
    String::from_utf8_lossy(&out).into_owned()
}

async fn stalled_headers(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hims.test\r\n")
        .await
        .expect("write");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_never_end_are_cut_off() {
    let h = Harness::new();
    let addr = start(&h).await;
    let mut stream = stalled_headers(addr).await;
    let answer = read_to_close(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_a_408() {
    let h = Harness::new();
    let addr = start(&h).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            b"POST /v1/ekyc/callback HTTP/1.1\r\nHost: hims.test\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"agreement_id\":",
        )
        .await
        .expect("write");
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"body_timeout\""), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_for_a_slot() {
    let h = Harness::new();
    let addr = start(&h).await;
    let started = Instant::now();
    let mut stalled = [stalled_headers(addr).await, stalled_headers(addr).await];
    let mut third = TcpStream::connect(addr).await.expect("connect");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hims.test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let answer = read_to_close(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Both slots were held until the stalled clients timed out.
    assert!(
        started.elapsed() >= LIMITS.header_read,
        "{:?}",
        started.elapsed()
    );
    for stream in &mut stalled {
        read_to_close(stream).await;
    }
}
