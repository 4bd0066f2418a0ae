//! The certificate of completion (Sijil Penyempurnaan): one bilingual document that lists
//! who acted on an agreement, how and when, and the hashes that tie it to the signed eSPA
//! and its audit trail. Rendered here; signing is the caller's (see `first_revision`).

use crate::EspaError;
use crate::assemble::assemble;
use crate::fonts::{Face, fonts};
use crate::layout::Flow;

/// One party's line on the certificate. `masked_id` is already masked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionParty {
    pub role_label: String,
    pub name: String,
    pub masked_id: String,
    pub ekyc_reference: String,
    /// Certificate serial (hex), empty for reviewers.
    pub certificate_serial: String,
    /// How the second factor was proved, e.g. "TOTP"; empty for reviewers.
    pub factor: String,
    /// Each step with its Malaysia time, e.g. "Ditandatangani / Signed: 01/05/2025 10:00".
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRevision {
    pub number: u32,
    pub reason: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionDocument {
    pub serial: String,
    pub project_code: String,
    pub project_name: String,
    pub developer_name: String,
    pub unit: String,
    /// Malaysia time, dd/mm/yyyy HH:MM.
    pub completed_at: String,
    pub parties: Vec<CompletionParty>,
    pub revisions: Vec<CompletionRevision>,
    pub final_sha256: String,
    pub audit_head: String,
}

const TITLE: &str = "Sijil Penyempurnaan eSPA / eSPA Certificate of Completion";

/// The certificate as a plain PDF (no form fields).
pub fn render_completion(doc: &CompletionDocument) -> Result<Vec<u8>, EspaError> {
    let fonts = fonts()?;
    let mut flow = Flow::new(fonts);
    flow.centered(Face::Bold, 14.0, "SIJIL PENYEMPURNAAN eSPA");
    flow.centered(Face::Regular, 11.0, "eSPA Certificate of Completion");
    flow.space(10.0);
    let facts = [
        ("No. Siri eSPA / eSPA serial", doc.serial.as_str()),
        ("Kod Pemajuan / Development code", doc.project_code.as_str()),
        ("Nama Pemajuan / Development", doc.project_name.as_str()),
        ("Pemaju / Developer", doc.developer_name.as_str()),
        ("Unit", doc.unit.as_str()),
        ("Tarikh lengkap / Completed at", doc.completed_at.as_str()),
    ];
    for (label, value) in facts {
        flow.paragraph(Face::Regular, 9.5, 0.0, &format!("{label}: {value}"));
    }
    flow.clause(
        "1",
        "Pihak-pihak / Parties",
        &["Setiap pihak telah melengkapkan eKYC dan tindakan masing-masing seperti berikut. / Each party completed eKYC and its action as follows."],
    );
    for party in &doc.parties {
        flow.ensure(70.0);
        flow.space(4.0);
        flow.paragraph(
            Face::Bold,
            9.5,
            18.0,
            &format!("{} — {}", party.role_label, party.name),
        );
        let mut lines = vec![
            format!("No. pengenalan / ID number: {}", party.masked_id),
            format!("Rujukan eKYC / eKYC reference: {}", party.ekyc_reference),
        ];
        if !party.certificate_serial.is_empty() {
            lines.push(format!(
                "Sijil digital / Certificate serial: {}",
                party.certificate_serial
            ));
            lines.push(format!("Faktor kedua / Second factor: {}", party.factor));
        }
        lines.extend(party.steps.iter().cloned());
        for line in lines {
            flow.paragraph(Face::Regular, 8.5, 30.0, &line);
        }
    }
    flow.clause(
        "2",
        "Semakan dokumen / Document revisions (SHA-256)",
        &["Setiap semakan eSPA dan cincangannya. / Every revision of the eSPA and its hash."],
    );
    for revision in &doc.revisions {
        flow.paragraph(
            Face::Regular,
            8.0,
            18.0,
            &format!(
                "r{} ({}): {}",
                revision.number, revision.reason, revision.sha256
            ),
        );
    }
    flow.clause(
        "3",
        "Integriti / Integrity",
        &[
            &format!("eSPA akhir / Final eSPA (SHA-256): {}", doc.final_sha256),
            &format!("Kepala rantaian audit / Audit chain head: {}", doc.audit_head),
            "Sijil ini ditandatangani secara digital oleh sistem HIMS eSPA. / This certificate is digitally signed by the HIMS eSPA system.",
        ],
    );
    let total = flow.page_count();
    let (pages, _) = flow.finish("Sijil Penyempurnaan", 1, total);
    let mut assembled = assemble(pages, TITLE, None)?;
    let mut out = Vec::new();
    assembled
        .doc
        .save_to(&mut out)
        .map_err(|e| EspaError::Internal(e.to_string()))?;
    Ok(out)
}
