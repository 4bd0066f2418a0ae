//! Writes the committed seeds under `fuzz/seeds/<target>/` from the real code
//! paths: the portal PDF and its revision 1, a signature image, a signed PDF
//! (trusted by the fuzz CA), an eKYC callback body and an issued link token.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`

use std::path::Path;

use hims_esign::app::link::{self, LinkClaims};
use hims_esign::domain::{AgreementId, PartyId};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    std::fs::create_dir_all(&dir).expect("seed dir");
    std::fs::write(dir.join(name), bytes).expect("write seed");
    println!("{target}/{name}: {} bytes", bytes.len());
}

fn with_mode(mode: u8, rest: &[u8]) -> Vec<u8> {
    [&[mode][..], rest].concat()
}

fn main() {
    let pki = hims_fuzz::pki();
    let slots = hims_fuzz::slots();
    let png = hims_fuzz::signature_png();
    write("signature_png", "drawn.png", &png);

    write("portal_pdf", "one-page.pdf", &hims_fuzz::portal_pdf());
    // A portal re-sending a PDF we prepared: it has our fields (and fonts) already.
    write("portal_pdf", "revision-1.pdf", hims_fuzz::first_revision());

    let once = pki
        .sign(
            hims_fuzz::first_revision(),
            &slots[0].field_name,
            png.clone(),
        )
        .expect("first signature");
    let twice = pki
        .sign(&once, &slots[1].field_name, png)
        .expect("second signature");
    let report = hims_pdf::verify(&twice, &pki.trust()).expect("verify");
    assert!(
        report
            .signatures
            .iter()
            .filter(|s| s.intact && s.trusted)
            .count()
            == 2,
        "the seed's signatures must verify"
    );
    write("verify_pdf", "signed-twice.pdf", &twice);
    // Small bombs (a few KiB each) over the fuzz budget, for the mutator to vary.
    let mib = 1024 * 1024;
    let bombs = [
        (
            "object-stream-bomb.pdf",
            hims_pdf::bombs::object_stream_bomb(8 * mib),
        ),
        (
            "xref-stream-bombs.pdf",
            hims_pdf::bombs::xref_stream_bomb(2 * mib, 3),
        ),
        (
            "signature-revisions.pdf",
            hims_pdf::bombs::signature_revisions_bomb(mib, 3, 2),
        ),
    ];
    for (name, pdf) in bombs {
        write("verify_pdf", name, &pdf);
        write("portal_pdf", name, &pdf);
    }

    let body = hims_fuzz::ekyc_body();
    write("ekyc_webhook", "signed.bin", &with_mode(0, &body));
    let raw = [&b"sha256=00\n1746064800\n"[..], &body].concat();
    write("ekyc_webhook", "raw-headers.bin", &with_mode(3, &raw));

    let service = hims_fuzz::service();
    let claims = LinkClaims {
        agreement: AgreementId("agr_0e2cf435286f01a39e48c0dc3c34ff02".into()),
        party: PartyId("p1".into()),
        expires: hims_fuzz::in_a_week(),
    };
    let keys = service.runtime.app.ports.keys.as_ref();
    let token = service
        .block_on(link::issue(keys, &claims))
        .expect("issue a token");
    write("link_token", "issued.bin", &with_mode(0, token.as_bytes()));
    let payload = serde_json::to_vec(&claims).expect("claims JSON");
    write("link_token", "claims.bin", &with_mode(1, &payload));
}
