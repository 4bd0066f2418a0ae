//! TOTP enrolment (RFC 6238: SHA-1, 6 digits, 30 s): a 160-bit secret shown
//! once as an `otpauth://` URI and its QR code, for an authenticator app.

use data_encoding::BASE32_NOPAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};

/// 160 bits, as RFC 4226 recommends for HMAC-SHA1.
pub const SECRET_LEN: usize = 20;
pub const ISSUER: &str = "HIMS eSPA";
pub const DIGITS: u32 = 6;
pub const PERIOD_SECS: u64 = 30;

/// What a label may keep unescaped besides letters and digits (an email's `@`, `.`, `-`, `_`).
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'@')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// `otpauth://totp/HIMS%20eSPA:<email>?secret=<base32>&issuer=HIMS%20eSPA&algorithm=SHA1&digits=6&period=30`.
pub fn uri(secret: &[u8; SECRET_LEN], email: &str) -> Zeroizing<String> {
    let issuer = utf8_percent_encode(ISSUER, LABEL).to_string();
    let account = utf8_percent_encode(email, LABEL);
    let secret = Zeroizing::new(BASE32_NOPAD.encode(secret));
    Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={PERIOD_SECS}",
        secret.as_str()
    ))
}

/// The URI as an SVG QR code (error correction M).
pub fn qr_svg(uri: &str) -> AppResult<String> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)
        .map_err(|_| AppError::internal("qr_failed"))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_has_the_exact_shape_and_escapes_the_label() {
        let secret = *b"12345678901234567890";
        let uri = uri(&secret, "nur+aisyah@example.my");
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/HIMS%20eSPA:nur%2Baisyah@example.my?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=HIMS%20eSPA&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn qr_is_an_svg() {
        let svg = qr_svg("otpauth://totp/x").expect("qr");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
