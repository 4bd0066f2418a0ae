//! The signer's web page, `GET /s/{token}`, and its assets under `/assets/…`
//! (embedded from `web/`, so AWS and `hims serve` serve the same bytes).
//!
//! The page is the same for every token: the script reads the token from the
//! URL path and sends it as `Authorization: Bearer`. Strict CSP (no inline
//! script or style), no Referer (the path holds the token), never cached.
//! Assets carry an ETag from their SHA-256; the page links them with `?v=<hash>`,
//! and a request with the current hash is cacheable for a year.

use std::sync::LazyLock;

use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiState;
use super::extract::Path;
use crate::error::AppError;

/// The page's routes (mounted on the `verify` function, which is public).
pub fn router() -> OpenApiRouter<ApiState> {
    // The assets' wildcard path has no OpenAPI form: a plain route.
    OpenApiRouter::new()
        .routes(routes!(signer_page))
        .route("/assets/{*path}", get(asset))
}

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the page may load: path under `/assets/`, media type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/app.css"),
    ),
    ("app.js", JS, include_bytes!("../../web/app.js")),
    ("i18n.js", JS, include_bytes!("../../web/i18n.js")),
    ("pin_rules.js", JS, include_bytes!("../../web/pin_rules.js")),
    ("messages.js", JS, include_bytes!("../../web/messages.js")),
    (
        "document_view.js",
        JS,
        include_bytes!("../../web/document_view.js"),
    ),
    (
        "vendor/signature_pad/signature_pad.min.js",
        JS,
        include_bytes!("../../web/vendor/signature_pad/signature_pad.min.js"),
    ),
    (
        "vendor/pdfjs/pdf.min.mjs",
        JS,
        include_bytes!("../../web/vendor/pdfjs/pdf.min.mjs"),
    ),
    (
        "vendor/pdfjs/pdf.worker.min.mjs",
        JS,
        include_bytes!("../../web/vendor/pdfjs/pdf.worker.min.mjs"),
    ),
];

const PAGE_TEMPLATE: &str = include_str!("../../web/index.html");

struct Asset {
    path: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
    /// First 16 bytes of the SHA-256, hex.
    hash: String,
}

impl Asset {
    /// `/assets/<path>?v=<hash>`.
    fn url(&self) -> String {
        format!("/assets/{}?v={}", self.path, self.hash)
    }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(path, media_type, bytes)| Asset {
            path,
            media_type,
            bytes,
            hash: hex::encode(&Sha256::digest(bytes)[..16]),
        })
        .collect()
});

/// The page with every `{{asset:<path>}}` replaced by that asset's versioned URL.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    ASSETS.iter().fold(PAGE_TEMPLATE.to_owned(), |page, asset| {
        page.replace(&format!("{{{{asset:{}}}}}", asset.path), &asset.url())
    })
});

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Headers every HTML answer of the page carries.
fn page_headers(headers: &mut HeaderMap) {
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The signer's page (HTML): F1–F6 in the browser, every screen chosen by the session's `next` step.
#[utoipa::path(get, path = "/s/{token}", tag = "signer", params(("token" = String, Path, description = "The emailed link token")),
    responses((status = 200, content_type = "text/html", description = "The page")))]
async fn signer_page(Path(_token): Path<String>) -> Response {
    let mut response = PAGE.as_str().into_response();
    page_headers(response.headers_mut());
    response
}

/// The page's own files (scripts, styles, vendored pdf.js and signature_pad).
async fn asset(
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = find(&path) else {
        return AppError::not_found("asset_not_found").into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let current = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv.strip_prefix("v=") == Some(&asset.hash))
    });
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.bytes.into_response()
    };
    let h = response.headers_mut();
    if !matches {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.media_type),
        );
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_placeholder_in_the_page_is_filled() {
        assert!(!PAGE.contains("{{asset:"), "unfilled asset placeholder");
        // app.js imports its own modules by relative path (revalidated by ETag).
        let modules = ["i18n.js", "pin_rules.js", "messages.js", "document_view.js"];
        for asset in ASSETS.iter().filter(|a| !modules.contains(&a.path)) {
            assert!(PAGE.contains(&asset.url()), "{} not linked", asset.path);
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let lower = PAGE.to_ascii_lowercase();
        for script in lower.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(
                tag.contains("src=") || tag.contains("application/json"),
                "inline script: <script{tag}>"
            );
        }
        assert!(!lower.contains("<style"), "inline <style>");
        assert!(!lower.contains(" style="), "inline style attribute");
        assert!(!lower.contains(" onclick="), "inline handler");
    }

    #[test]
    fn asset_hashes_differ_for_different_files() {
        let a = find("app.js").map(|a| a.hash.clone());
        let b = find("app.css").map(|a| a.hash.clone());
        assert!(a.is_some() && b.is_some());
        assert_ne!(a, b);
    }
}
