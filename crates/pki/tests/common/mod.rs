//! Shared test fixtures: a software CA key standing in for KMS, seeded
//! randomness, a fixed clock, and the openssl CLI as an independent checker.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use hims_pki::{
    Certificate, LeafRequest, LeafSubject, SignerKeyPair, certificate_to_pem,
    prepare_ca_certificate, prepare_leaf_certificate,
};
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest, Sha256};
use signature::Signer;
use spki::EncodePublicKey;

pub const CRL_URL: &str = "https://esign.example.my/crl";

/// Deterministic bytes: SHA-256(label || counter) blocks.
pub fn seeded<const N: usize>(label: &str) -> [u8; N] {
    let mut out = [0u8; N];
    for (counter, chunk) in out.chunks_mut(32).enumerate() {
        let block = Sha256::new()
            .chain_update(label.as_bytes())
            .chain_update((counter as u64).to_be_bytes())
            .finalize();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    out
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

/// The CA key as KMS would hold it; tests sign with it through `sign`.
pub struct SoftwareCa {
    pub key: SigningKey,
    pub certificate: Certificate,
}

impl SoftwareCa {
    pub fn new(seed: &str) -> Self {
        let key = SigningKey::from_slice(&seeded::<32>(seed)).unwrap();
        let spki = key.verifying_key().to_public_key_der().unwrap();
        let pending =
            prepare_ca_certificate(spki.as_bytes(), seeded(&format!("{seed}/serial")), now())
                .unwrap();
        let signature = sign(&key, pending.tbs());
        let certificate = pending.finish(&signature).unwrap();
        Self { key, certificate }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        sign(&self.key, message)
    }

    pub fn issue(&self, request: &LeafRequest<'_>) -> Certificate {
        let pending = prepare_leaf_certificate(&self.certificate, request).unwrap();
        let signature = self.sign(pending.tbs());
        pending.finish(&signature).unwrap()
    }
}

/// What KMS `Sign` (ECDSA_SHA_256, RAW) returns: a DER signature over SHA-256(message).
pub fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: DerSignature = key.sign(message);
    signature.to_bytes().into_vec()
}

pub fn signer_key(seed: &str) -> SignerKeyPair {
    SignerKeyPair::from_random_bytes(&seeded(seed)).unwrap()
}

pub fn signer_request<'a>(
    name: &'a str,
    pseudonym: &'a str,
    email: &'a str,
    public_key_der: &'a [u8],
) -> LeafRequest<'a> {
    LeafRequest {
        subject: LeafSubject::Signer {
            name,
            pseudonym,
            email,
            country: Some("MY"),
        },
        public_key_der,
        serial_random: seeded(&format!("serial/{pseudonym}")),
        crl_url: CRL_URL,
        now: now(),
        not_after: now() + chrono::TimeDelta::days(30),
    }
}

pub struct Openssl {
    pub dir: tempfile::TempDir,
}

pub struct Outcome {
    pub ok: bool,
    pub output: String,
}

impl Openssl {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path_str(&path)
    }

    pub fn write_certificate(&self, name: &str, certificate: &Certificate) -> String {
        self.write(name, &certificate_to_pem(certificate).unwrap())
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl CLI runs");
        let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stderr));
        Outcome {
            ok: out.status.success(),
            output,
        }
    }
}

/// `openssl -attime` value: verification happens at the test's clock, not the machine's.
pub fn attime(at: DateTime<Utc>) -> String {
    at.timestamp().to_string()
}

fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}
