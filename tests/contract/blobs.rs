//! The `Blobs` contract: write-once documents, harmless retries.

use hims_esign::ports::{BlobError, Blobs};

use super::Fixture;

/// One test per check below, on a fresh fixture from `$make`
/// (an `async fn() -> Fixture<dyn Blobs>`, given as a `crate::` path).
#[macro_export]
macro_rules! blobs_contract_tests {
    ($make:path) => {
        $crate::contract_tests!(
            blobs,
            $make,
            [
                put_get_round_trip,
                same_bytes_put_is_harmless,
                different_bytes_put_is_refused,
                missing_blob_is_not_found,
                download_url_serves_the_bytes,
            ]
        );
    };
}

const PDF: &str = "application/pdf";

fn key(f: &Fixture<dyn Blobs>, name: &str) -> String {
    format!("agreements/{}/{name}", f.ns)
}

/// 300 KB of every byte value, like a PDF with binary streams.
fn document(seed: u8) -> Vec<u8> {
    (0..300_000_u32).map(|i| (i % 251) as u8 ^ seed).collect()
}

pub async fn put_get_round_trip(f: &Fixture<dyn Blobs>) {
    let blobs = &*f.port;
    let (first, second) = (key(f, "rev-1.pdf"), key(f, "rev-2.pdf"));
    blobs.put(&first, &document(1), PDF).await.expect("put");
    blobs
        .put(&second, b"%PDF-1.7 small", PDF)
        .await
        .expect("put");
    assert_eq!(blobs.get(&first).await.expect("get"), document(1));
    assert_eq!(blobs.get(&second).await.expect("get"), b"%PDF-1.7 small");
}

pub async fn same_bytes_put_is_harmless(f: &Fixture<dyn Blobs>) {
    let blobs = &*f.port;
    let k = key(f, "rev-1.pdf");
    blobs.put(&k, &document(2), PDF).await.expect("put");
    blobs
        .put(&k, &document(2), PDF)
        .await
        .expect("retry with the same bytes");
    assert_eq!(blobs.get(&k).await.expect("get"), document(2));
}

pub async fn different_bytes_put_is_refused(f: &Fixture<dyn Blobs>) {
    let blobs = &*f.port;
    let k = key(f, "rev-1.pdf");
    blobs.put(&k, &document(3), PDF).await.expect("put");
    let mut changed = document(3);
    changed[150_000] ^= 1;
    let overwrite = blobs.put(&k, &changed, PDF).await;
    assert!(
        matches!(overwrite, Err(BlobError::AlreadyExists)),
        "got {overwrite:?}"
    );
    let shorter = blobs.put(&k, &document(3)[..1000], PDF).await;
    assert!(
        matches!(shorter, Err(BlobError::AlreadyExists)),
        "got {shorter:?}"
    );
    assert_eq!(
        blobs.get(&k).await.expect("get"),
        document(3),
        "the first write stays"
    );
}

pub async fn missing_blob_is_not_found(f: &Fixture<dyn Blobs>) {
    let blobs = &*f.port;
    let missing = blobs.get(&key(f, "never-written.pdf")).await;
    assert!(
        matches!(missing, Err(BlobError::NotFound)),
        "got {missing:?}"
    );
}

/// Where the backend gives a download URL, it serves exactly the blob.
pub async fn download_url_serves_the_bytes(f: &Fixture<dyn Blobs>) {
    let blobs = &*f.port;
    let k = key(f, "rev-1.pdf");
    blobs.put(&k, &document(4), PDF).await.expect("put");
    if let Some(url) = blobs.download_url(&k, 300).await.expect("download url") {
        let response = reqwest::get(&url).await.expect("download");
        assert!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        assert_eq!(response.bytes().await.expect("body").as_ref(), document(4));
    }
}
