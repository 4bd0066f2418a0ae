//! `GET /verify/{serial}` (the QR code's target): an HTML page in Malay and
//! English, or JSON with `Accept: application/json`.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiState;
use crate::app::verify::{self, VerifyReport};
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(verify_serial))
}

const PAGE: &str = r#"<!doctype html>
<html lang="ms"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Semakan eSPA / eSPA verification — {{ r.serial }}</title>
<link rel="stylesheet" href="/assets/app.css">
<style>body{font-family:Arial,Helvetica,sans-serif;max-width:760px;margin:0 auto;padding:16px;color:#1a1a1a}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}
.ok{color:#176b2c;font-weight:bold}.bad{color:#a31515;font-weight:bold}code{word-break:break-all}</style></head>
<body>
<h1>Semakan eSPA <small>/ eSPA verification</small></h1>
<p class="{{ 'ok' if r.all_valid else 'bad' }}">{% if r.all_valid %}Semua tandatangan sah / All signatures are valid{% else %}Terdapat tandatangan yang tidak sah / Some signatures are not valid{% endif %}</p>
<table>
<tr><th>No. Siri eSPA / Serial</th><td>{{ r.serial }}</td></tr>
<tr><th>Pemajuan / Development</th><td>{{ r.project_code }} — {{ r.project_name }}</td></tr>
<tr><th>Pemaju / Developer</th><td>{{ r.developer_name }}</td></tr>
<tr><th>Unit</th><td>{{ r.unit }}</td></tr>
<tr><th>Status</th><td>{{ r.state }}</td></tr>
<tr><th>Semakan / Revision</th><td>{{ r.revision }}</td></tr>
<tr><th>SHA-256</th><td><code>{{ r.document_sha256 }}</code></td></tr>
</table>
<h2>Tandatangan <small>/ Signatures</small></h2>
<table>
<tr><th>Pihak / Party</th><th>Penandatangan / Signer</th><th>Masa / Time (MYT)</th><th>Status</th></tr>
{% for s in r.signatures %}<tr><td>{{ s.role }}</td><td>{{ s.signer }}</td><td>{{ s.signed_at }}</td>
<td class="{{ 'ok' if s.valid else 'bad' }}">{% if s.valid %}Sah / Valid{% elif s.revoked %}Dibatalkan / Revoked{% elif not s.intact %}Rosak / Altered{% else %}Tidak sah / Not valid{% endif %}</td></tr>
{% else %}<tr><td colspan="4">Tiada tandatangan / No signatures</td></tr>{% endfor %}
</table>
<p><a href="/ca.pem">Sijil CA / CA certificate</a> · <a href="/crl">CRL</a></p>
</body></html>"#;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    if let Err(e) = env.add_template("verify.html", PAGE) {
        tracing::error!(error = %e, "verify page template does not parse");
    }
    env
});

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn page(report: &VerifyReport) -> AppResult<String> {
    ENV.get_template("verify.html")
        .and_then(|t| t.render(minijinja::context! { r => report }))
        .map_err(|e| {
            tracing::error!(error = %e, "verify page failed");
            AppError::internal("template_failed")
        })
}

/// The agreement of `serial` and each signature's validity (names masked).
#[utoipa::path(get, path = "/verify/{serial}", tag = "public", params(("serial" = String, Path)),
    responses((status = 200, body = VerifyReport, description = "JSON with Accept: application/json, else HTML"),
        (status = 404, description = "serial_not_found")))]
async fn verify_serial(
    State(state): State<ApiState>,
    Path(serial): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let report = verify::report(&state.app, &serial).await?;
    if wants_json(&headers) {
        return Ok(axum::Json(report).into_response());
    }
    Ok(Html(page(&report)?).into_response())
}
