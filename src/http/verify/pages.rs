//! The verify pages in Malay and English: one agreement by serial (the QR code's target) and
//! the report on an uploaded copy, both with a form to check a copy.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::app::verify::{UploadReport, VerifyReport};
use crate::error::{AppError, AppResult};

const HEAD: &str = r#"<!doctype html>
<html lang="ms"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="/assets/app.css">
<style>body{font-family:Arial,Helvetica,sans-serif;max-width:760px;margin:0 auto;padding:16px;color:#1a1a1a}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}
.ok{color:#176b2c;font-weight:bold}.bad{color:#a31515;font-weight:bold}code{word-break:break-all}</style></head>
<body>
<h1>Semakan eSPA <small>/ eSPA verification</small></h1>
{% block body %}{% endblock %}
<h2>Semak salinan anda <small>/ Check your copy</small></h2>
<form method="post" action="/verify" enctype="multipart/form-data">
<p><label>Fail PDF / PDF file (maks. / max. 4 MB): <input type="file" name="file" accept="application/pdf" required></label></p>
<p><label>No. Siri eSPA / Serial (pilihan / optional): <input type="text" name="serial" maxlength="64" value="{{ serial }}"></label></p>
<p><button type="submit">Semak / Check</button></p>
</form>
<p><a href="/ca.pem">Sijil CA / CA certificate</a> · <a href="/crl">CRL</a></p>
</body></html>"#;

const LONG_TERM: &str = r#"{% macro long_term(lt) %}<td>{{ lt.level }}{% if lt.timestamped_at %}<br>{{ lt.timestamped_at }} · {{ lt.tsa }}{% if not lt.timestamp_valid %} <span class="bad">(tidak sah / not valid)</span>{% endif %}{% endif %}{% if lt.validates_offline %}<br>Sah tanpa talian / Validates offline{% endif %}</td>{% endmacro %}"#;

const SERIAL_PAGE: &str = r#"{% extends "head.html" %}{% from "long_term.html" import long_term %}
{% block title %}Semakan eSPA / eSPA verification — {{ r.serial }}{% endblock %}
{% block body %}
{% if not r.details %}
<p>No. siri ini wujud dalam rekod kami. Imbas kod QR pada dokumen untuk butiran dan semakan tandatangan. / This serial is in our records. Scan the QR code on the document for its details and signature check.</p>
<table>
<tr><th>No. Siri eSPA / Serial</th><td>{{ r.serial }}</td></tr>
<tr><th>Status</th><td>{{ r.state }}</td></tr>
</table>
{% else %}
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
<tr><th>Pihak / Party</th><th>Penandatangan / Signer</th><th>Masa / Time (MYT)</th><th>Tahap, cap masa / Level, timestamp</th><th>Status</th></tr>
{% for s in r.signatures %}<tr><td>{{ s.role }}</td><td>{{ s.signer }}</td><td>{{ s.signed_at }}</td>{{ long_term(s.long_term) }}
<td class="{{ 'ok' if s.valid else 'bad' }}">{% if s.valid %}Sah / Valid{% elif s.revoked %}Dibatalkan / Revoked{% elif not s.intact %}Rosak / Altered{% else %}Tidak sah / Not valid{% endif %}</td></tr>
{% else %}<tr><td colspan="5">Tiada tandatangan / No signatures</td></tr>{% endfor %}
</table>
{% endif %}
{% endblock %}"#;

const UPLOAD_PAGE: &str = r#"{% extends "head.html" %}{% from "long_term.html" import long_term %}
{% block title %}Semakan salinan eSPA / eSPA copy verification{% endblock %}
{% block body %}
<p class="{{ 'ok' if r.all_valid else 'bad' }}">{% if r.all_valid %}Semua tandatangan dalam salinan ini sah / All signatures in this copy are valid{% elif not r.signatures %}Salinan ini tiada tandatangan / This copy has no signatures{% else %}Terdapat tandatangan yang tidak sah dalam salinan ini / Some signatures in this copy are not valid{% endif %}</p>
<table>
<tr><th>SHA-256</th><td><code>{{ r.sha256 }}</code></td></tr>
<tr><th>Saiz / Size</th><td>{{ r.size }} bait / bytes</td></tr>
{% if r.agreement %}{% set a = r.agreement %}
<tr><th>No. Siri eSPA / Serial</th><td>{{ a.serial }}</td></tr>
<tr><th>Pemajuan / Development</th><td>{{ a.project_code }} — {{ a.project_name }}</td></tr>
<tr><th>Pemaju / Developer</th><td>{{ a.developer_name }}</td></tr>
<tr><th>Unit</th><td>{{ a.unit }}</td></tr>
<tr><th>Status</th><td>{{ a.state }}</td></tr>
<tr><th>Berbanding rekod kami / Against our records</th><td class="{{ 'ok' if a.copy_matches in ['current', 'earlier'] else 'bad' }}">{% if a.copy_matches == 'current' %}Sama dengan semakan terkini ({{ a.matching_revision }}) / Identical to our current revision ({{ a.matching_revision }}){% elif a.copy_matches == 'earlier' %}Sama dengan semakan {{ a.matching_revision }} (terkini: {{ a.current_revision }}) / Identical to our revision {{ a.matching_revision }} (current: {{ a.current_revision }}){% elif a.copy_matches == 'extended' %}Semakan {{ a.matching_revision }} kami dengan perubahan selepasnya / Our revision {{ a.matching_revision }} with changes added after it{% else %}Tidak sama dengan mana-mana semakan kami / Matches none of our revisions{% endif %}</td></tr>
{% endif %}
</table>
<h2>Tandatangan <small>/ Signatures</small></h2>
<table>
<tr><th>Pihak / Party</th><th>Penandatangan / Signer</th><th>Masa / Time (MYT)</th><th>Tahap, cap masa / Level, timestamp</th><th>Status</th></tr>
{% for s in r.signatures %}<tr><td>{{ s.role }}</td><td>{{ s.signer }}</td><td>{{ s.signed_at }}</td>{{ long_term(s.long_term) }}
<td class="{{ 'ok' if s.valid else 'bad' }}">{% if s.valid %}Sah / Valid{% elif s.revoked %}Dibatalkan / Revoked{% elif not s.intact %}Rosak / Altered{% elif s.modification == 'other' %}Diubah selepas ditandatangani / Changed after signing{% elif not s.trusted %}Bukan sijil kami / Not our certificate{% else %}Tidak sah / Not valid{% endif %}</td></tr>
{% else %}<tr><td colspan="5">Tiada tandatangan / No signatures</td></tr>{% endfor %}
</table>
{% endblock %}"#;

/// The verify pages' Content-Security-Policy: nothing but our stylesheet,
/// the page's own inline style (by hash) and the form posting back here;
/// no script at all, and no framing.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let style = HEAD
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map_or("", |(style, _)| style);
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style));
    format!(
        "default-src 'none'; style-src 'self' 'sha256-{hash}'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
});

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in [
        ("head.html", HEAD),
        ("long_term.html", LONG_TERM),
        ("serial.html", SERIAL_PAGE),
        ("upload.html", UPLOAD_PAGE),
    ] {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(error = %e, name, "verify page template does not parse");
        }
    }
    env
});

fn render(name: &str, report: &impl Serialize, serial: &str) -> AppResult<String> {
    ENV.get_template(name)
        .and_then(|t| t.render(minijinja::context! { r => report, serial => serial }))
        .map_err(|e| {
            tracing::error!(error = %e, "verify page failed");
            AppError::internal("template_failed")
        })
}

pub fn serial_page(report: &VerifyReport) -> AppResult<String> {
    render("serial.html", report, &report.serial)
}

pub fn upload_page(report: &UploadReport) -> AppResult<String> {
    let serial = report
        .agreement
        .as_ref()
        .map(|a| a.serial.as_str())
        .unwrap_or_default();
    render("upload.html", report, serial)
}
