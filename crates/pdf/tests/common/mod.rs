//! Test fixtures: a CA and signers made with the `openssl` CLI, blank PDFs with empty signature
//! fields made with lopdf, a drawn-signature PNG, and locating external tools.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use der::Decode;
use hims_pdf::{
    Appearance, SignRequest, ValidationData, add_validation_data, prepare_document_timestamp,
    prepare_signature,
};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};
use tempfile::TempDir;
use zeroize::Zeroizing;

pub const SETUP_HINT: &str = "install the test tools with `scripts/test` (poppler-utils, zbar-tools, libnss3-tools, the .venv with pyhanko)";

/// Path of an external tool, or a failing test naming the setup command.
pub fn tool(name: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/bin")
        .join(name);
    if venv.exists() {
        return venv;
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("required tool `{name}` not found: {SETUP_HINT}");
}

/// Runs a command that must succeed; returns its standard output.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

pub struct Signer {
    pub name: String,
    pub cert_der: Vec<u8>,
    pub cert_pem: PathBuf,
    pub key_pkcs8: Vec<u8>,
}

pub struct Pki {
    pub dir: TempDir,
    pub ca_pem: PathBuf,
    pub ca_der: Vec<u8>,
    pub signers: Vec<Signer>,
    /// A timestamping authority issued by the CA (extendedKeyUsage timeStamping, critical).
    pub tsa: Signer,
}

fn openssl(dir: &Path, args: &[&str]) {
    run(Command::new(tool("openssl")).current_dir(dir).args(args));
}

/// A P-256 CA and one leaf per name, as `openssl` makes them.
pub fn make_pki(names: &[&str]) -> Pki {
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ca.key",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-subj",
            "/C=MY/O=HIMS Test/CN=HIMS Test CA",
            "-days",
            "3650",
            "-sha256",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        d,
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    std::fs::write(
        d.join("leaf.ext"),
        format!("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n{CRL_DP}"),
    )
    .expect("write ext");
    std::fs::write(
        d.join("tsa.ext"),
        format!("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n{CRL_DP}"),
    )
    .expect("write ext");
    let mut signers = Vec::new();
    for (i, name) in names.iter().enumerate() {
        signers.push(issue(
            d,
            &format!("s{i}"),
            name,
            0x1000 + i,
            "leaf.ext",
            365,
        ));
    }
    let tsa = issue(d, "tsa", "HIMS Test TSA", 0x2000, "tsa.ext", 3650);
    Pki {
        ca_pem: d.join("ca.pem"),
        ca_der: std::fs::read(d.join("ca.der")).expect("ca"),
        signers,
        tsa,
        dir,
    }
}

/// Where the test certificates say their CRL is (never fetched: validators run offline).
const CRL_DP: &str = "crlDistributionPoints=URI:http://127.0.0.1:9/crl\n";

/// A P-256 key and a certificate from the CA in `d`, files named after `stem`.
fn issue(d: &Path, stem: &str, name: &str, serial: usize, ext: &str, days: u32) -> Signer {
    let key = format!("{stem}.key");
    let csr = format!("{stem}.csr");
    let pem = format!("{stem}.pem");
    let der = format!("{stem}.der");
    let p8 = format!("{stem}.p8");
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ],
    );
    let subject = format!("/C=MY/CN={}", name.replace('/', "\\/"));
    openssl(
        d,
        &[
            "req", "-new", "-utf8", "-key", &key, "-subj", &subject, "-out", &csr,
        ],
    );
    let serial = format!("{serial}");
    let days = days.to_string();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            &serial,
            "-days",
            &days,
            "-sha256",
            "-extfile",
            ext,
            "-out",
            &pem,
        ],
    );
    openssl(d, &["x509", "-in", &pem, "-outform", "DER", "-out", &der]);
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", &key, "-outform", "DER", "-out", &p8,
        ],
    );
    Signer {
        name: name.to_string(),
        cert_der: std::fs::read(d.join(&der)).expect("cert"),
        cert_pem: d.join(&pem),
        key_pkcs8: std::fs::read(d.join(&p8)).expect("key"),
    }
}

impl Pki {
    /// A CRL from the CA listing the given signers as revoked.
    pub fn crl(&self, revoked: &[usize]) -> Vec<u8> {
        let d = self.dir.path();
        std::fs::write(d.join("index.txt"), "").expect("index");
        std::fs::write(d.join("crlnumber"), "01\n").expect("crlnumber");
        std::fs::write(
            d.join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca=CA_default\n[CA_default]\ndatabase={0}/index.txt\ncrlnumber={0}/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n",
                d.display()
            ),
        )
        .expect("cnf");
        for &i in revoked {
            let pem = format!("s{i}.pem");
            openssl(
                d,
                &[
                    "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-revoke",
                    &pem,
                ],
            );
        }
        openssl(
            d,
            &[
                "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-gencrl",
                "-out", "crl.pem",
            ],
        );
        openssl(
            d,
            &[
                "crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der",
            ],
        );
        std::fs::read(d.join("crl.der")).expect("crl")
    }

    /// A timestamp token from the test TSA over `digest` (SHA-256), made at `at`.
    pub fn token(&self, digest: &[u8; 32], at: DateTime<Utc>) -> Vec<u8> {
        issue_token(&self.tsa.cert_der, &self.tsa.key_pkcs8, digest, at)
    }

    /// What a signer's revision embeds: its certificate, the CA, the TSA and `crl`.
    pub fn validation_data(&self, signer: usize, crl: &[u8]) -> ValidationData {
        ValidationData {
            certs: vec![
                self.signers[signer].cert_der.clone(),
                self.ca_der.clone(),
                self.tsa.cert_der.clone(),
            ],
            crls: vec![crl.to_vec()],
        }
    }

    /// Signs `field` at B-LT: DSS with `crl` in the same revision, timestamp made at `stamped_at`.
    pub fn sign_lt(
        &self,
        pdf: &[u8],
        signer: usize,
        field: &str,
        at: DateTime<Utc>,
        stamped_at: DateTime<Utc>,
        crl: &[u8],
    ) -> Vec<u8> {
        let pending = prepare_signature(
            pdf,
            &self.request(signer, field, at),
            Some(&self.validation_data(signer, crl)),
        )
        .expect("prepare");
        let token = self.token(&pending.timestamp_imprint(), stamped_at);
        pending.finish(&token).expect("finish")
    }

    /// Appends a DSS revision (CA, TSA, `crl`) and a document timestamp made at `at`: B-LTA.
    pub fn archive(&self, pdf: &[u8], crl: &[u8], at: DateTime<Utc>) -> Vec<u8> {
        let data = ValidationData {
            certs: vec![self.ca_der.clone(), self.tsa.cert_der.clone()],
            crls: vec![crl.to_vec()],
        };
        let with_dss = add_validation_data(pdf, &data).expect("dss revision");
        let pending = prepare_document_timestamp(&with_dss).expect("prepare timestamp");
        let token = self.token(&pending.imprint(), at);
        pending.finish(&token).expect("finish timestamp")
    }

    pub fn request(&self, index: usize, field: &str, at: DateTime<Utc>) -> SignRequest {
        let s = &self.signers[index];
        SignRequest {
            field_name: field.to_string(),
            signer_cert_der: s.cert_der.clone(),
            chain_der: vec![self.ca_der.clone()],
            pkcs8_key: Zeroizing::new(s.key_pkcs8.clone()),
            appearance: Appearance {
                name: s.name.clone(),
                masked_id: format!("No. KP: ********{:04}", 1234 + index),
                image: hims_pdf::SignatureImage::from_png(&signature_png(300, 100)).expect("png"),
            },
            signed_at: at,
        }
    }
}

pub fn fixed_time(minute: u32) -> DateTime<Utc> {
    // Only its stability matters: signers' certificates are issued "now" by openssl,
    // so tests that check trust use `Utc::now()` instead.
    Utc.with_ymd_and_hms(2026, 3, 14, 1, minute, 0)
        .single()
        .expect("valid date")
}

/// A transparent PNG with a dark wavy stroke, like a drawn signature.
pub fn signature_png(width: u32, height: u32) -> Vec<u8> {
    let mut rgba = vec![0u8; (width * height * 4) as usize];
    for x in 0..width {
        let t = x as f32 / width as f32;
        let y = (height as f32 * (0.5 + 0.35 * (t * 12.0).sin() * (1.0 - t))) as u32;
        for dy in 0..3 {
            let yy = (y + dy).min(height - 1);
            let i = ((yy * width + x) * 4) as usize;
            rgba[i..i + 4].copy_from_slice(&[10, 20, 120, 255]);
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().expect("png header");
    writer.write_image_data(&rgba).expect("png data");
    drop(writer);
    out
}

/// A PDF of `pages` pages of text with one empty signature field per name, on the last page.
/// `modern` writes object streams and an xref stream instead of a classic table.
pub fn blank_pdf(pages: usize, fields: &[&str], modern: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let mut kids = Vec::new();
    let mut last_page = None;
    for p in 0..pages {
        let mut text = String::from("BT /F1 11 Tf 56 780 Td 14 TL\n");
        text.push_str(&format!("(Perjanjian Jual Beli - page {}) Tj T*\n", p + 1));
        for line in 0..45 {
            text.push_str(&format!(
                "(Clause {}.{}: the Purchaser agrees to pay the Vendor the balance of the price.) Tj T*\n",
                p + 1,
                line + 1
            ));
        }
        text.push_str("ET");
        let content_id = doc.add_object(Stream::new(Dictionary::new(), text.into_bytes()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content_id,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        });
        kids.push(Object::Reference(page_id));
        last_page = Some(page_id);
    }
    let last_page = last_page.expect("at least one page");
    let mut field_refs = Vec::new();
    for (i, name) in fields.iter().enumerate() {
        let x = 40 + (i as i64 % 2) * 270;
        let y = 80 + (i as i64 / 2) * 110;
        let id = doc.add_object(dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Sig",
            "T" => Object::string_literal(*name), "F" => 4, "P" => last_page,
            "Rect" => vec![x.into(), y.into(), (x + 240).into(), (y + 95).into()],
        });
        field_refs.push(Object::Reference(id));
    }
    if let Ok(page) = doc.get_object_mut(last_page).and_then(Object::as_dict_mut) {
        page.set("Annots", field_refs.clone());
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages as i64 },
        ),
    );
    let form_id = doc.add_object(dictionary! { "Fields" => field_refs });
    let catalog_id = doc.add_object(
        dictionary! { "Type" => "Catalog", "Pages" => pages_id, "AcroForm" => form_id },
    );
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    if modern {
        doc.save_modern(&mut out).expect("save modern");
    } else {
        doc.compress();
        doc.save_to(&mut out).expect("save");
    }
    out
}

pub fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

/// The example eSPA's first revision from hims-espa, with its (field, signer name) slots.
pub fn espa_first_revision() -> (Vec<u8>, Vec<(String, String)>) {
    let doc = hims_espa::EspaDocument::example();
    let slots = doc.signature_slots();
    let serial = doc.provisional_serial.clone();
    let pdf = hims_espa::first_revision(hims_espa::Base::Rendered(doc), &slots, &serial)
        .expect("first revision");
    (
        pdf,
        slots.into_iter().map(|s| (s.field_name, s.name)).collect(),
    )
}

/// pyHanko's report per signature (`scripts/validate_pyhanko.py`), or `None` when pyHanko
/// refuses the file altogether.
pub fn pyhanko_reports(ca_pem: &Path, pdf: &Path) -> Option<Vec<serde_json::Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate_pyhanko.py");
    let out = Command::new(tool("python3"))
        .arg(script)
        .arg(ca_pem)
        .arg(pdf)
        .output()
        .unwrap_or_else(|e| panic!("could not run pyHanko: {e}"));
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    })
}

/// pyHanko's offline long-term report per signature and document timestamp
/// (`scripts/validate_pyhanko_ltv.py`), simulating LTA validation `years` ahead.
pub fn pyhanko_ltv_reports(ca_pem: &Path, pdf: &Path, years: u32) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate_pyhanko_ltv.py");
    let out = run(Command::new(tool("python3"))
        .arg(script)
        .arg(ca_pem)
        .arg(pdf)
        .arg(years.to_string()));
    out.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// A timestamp token over `digest` (SHA-256) made at `at` by the TSA whose certificate and
/// PKCS#8 key are given: in-process, like pyHanko's DummyTimeStamper.
pub fn issue_token(
    tsa_cert_der: &[u8],
    tsa_key_pkcs8: &[u8],
    digest: &[u8; 32],
    at: DateTime<Utc>,
) -> Vec<u8> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
    let cert = x509_cert::Certificate::from_der(tsa_cert_der).expect("tsa cert");
    let request =
        hims_tsp::timestamp_request(digest, hims_tsp::nonce_from_random([7; 8])).expect("request");
    let mut serial = [0u8; hims_tsp::TOKEN_SERIAL_BYTES];
    serial[..8].copy_from_slice(&at.timestamp_nanos_opt().unwrap_or(0).to_be_bytes());
    serial[8..].copy_from_slice(&digest[..8]);
    let params = hims_tsp::TokenParams {
        tsa_certificate: &cert,
        policy: hims_tsp::oid::DEFAULT_POLICY,
        serial_random: serial,
        gen_time: at,
        accuracy: hims_tsp::Accuracy {
            seconds: Some(1),
            millis: None,
            micros: None,
        },
    };
    let pending = hims_tsp::prepare_token(&request, &params).expect("token");
    // ECDSA as the product signs, through aws-lc-rs.
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, tsa_key_pkcs8).expect("tsa key");
    let signature = key
        .sign(
            &aws_lc_rs::rand::SystemRandom::new(),
            pending.signed_attributes(),
        )
        .expect("sign token");
    pending.finish(signature.as_ref()).expect("finish token")
}
