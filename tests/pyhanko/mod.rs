//! pyHanko, the independent validator, on a signed PDF (the venv comes from scripts/setup.sh).

use std::process::Command;

/// How many signatures pyHanko judges VALID, trusting only `ca_pem`. The
/// validation time is the claimed signing time: the tests' clocks are fixed.
pub fn valid_signatures(ca_pem: &[u8], pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("ca");
    let signed = dir.path().join("signed.pdf");
    std::fs::write(&signed, pdf).expect("pdf");
    let pyhanko = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/pyhanko");
    let out = Command::new(pyhanko)
        .args(["sign", "validate", "--trust"])
        .arg(&ca)
        .args([
            "--trust-replace",
            "--validation-time",
            "claimed",
            "--pretty-print",
        ])
        .arg(&signed)
        .output()
        .expect("pyhanko (scripts/setup.sh makes .venv)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("judged INVALID"), "{stdout}");
    stdout.matches("The signature is judged VALID").count()
}

/// pyHanko offline, from the embedded data alone (crates/pdf/scripts/validate_pyhanko_ltv.py:
/// `ValidationContext(allow_fetching=False, revocation_mode="require")` trusting only
/// `ca_pem`, `validate_pdf_timestamp` for document timestamps and
/// `simulate_future_ades_lta_validation` 15 years ahead). Returns how many signatures and
/// document timestamps passed everything; panics on any that did not.
// Used by some of the test binaries that include this module.
#[allow(dead_code)]
pub fn offline_lta(ca_pem: &[u8], pdf: &[u8]) -> (usize, usize) {
    let dir = tempfile::tempdir().expect("dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("ca");
    let signed = dir.path().join("signed.pdf");
    std::fs::write(&signed, pdf).expect("pdf");
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/.venv/bin/python"))
        .arg(format!("{root}/crates/pdf/scripts/validate_pyhanko_ltv.py"))
        .arg(&ca)
        .arg(&signed)
        .arg("15")
        .output()
        .expect("python (scripts/setup.sh makes .venv)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut signatures, mut timestamps) = (0, 0);
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let ok = v["intact"] == true && v["valid"] == true && v["trusted"] == true;
        assert!(ok && v["timestamp_trusted"] == true, "{line}");
        match v["kind"].as_str() {
            Some("signature") => {
                assert_eq!(v["future_lta"], "OK", "{line}");
                signatures += 1;
            }
            _ => timestamps += 1,
        }
    }
    (signatures, timestamps)
}
