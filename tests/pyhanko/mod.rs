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
