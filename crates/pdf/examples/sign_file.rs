//! Signs one field of a PDF: `sign_file IN.pdf CERT.der KEY.p8 CA.der SIG.png FIELD OUT.pdf`.
//! Used by scripts/bench_ratio.sh to measure peak memory of a single signature.

use std::error::Error;

use chrono::Utc;
use hims_pdf::{Appearance, SignRequest, SignatureImage, sign};
use zeroize::Zeroizing;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, cert, key, ca, png, field, output] = args.as_slice() else {
        return Err("usage: sign_file IN.pdf CERT.der KEY.p8 CA.der SIG.png FIELD OUT.pdf".into());
    };
    let pdf = std::fs::read(input)?;
    let request = SignRequest {
        field_name: field.clone(),
        signer_cert_der: std::fs::read(cert)?,
        chain_der: vec![std::fs::read(ca)?],
        pkcs8_key: Zeroizing::new(std::fs::read(key)?),
        appearance: Appearance {
            name: "Bench Signer".into(),
            masked_id: "No. KP: ********1234".into(),
            image: SignatureImage::from_png(&std::fs::read(png)?)?,
        },
        signed_at: Utc::now(),
    };
    std::fs::write(output, sign(&pdf, &request)?)?;
    Ok(())
}
