//! Certificate serial numbers: 128 bits from the caller's random source,
//! always a positive, non-zero INTEGER, shown as lower-case hex.

use x509_cert::serial_number::SerialNumber;

use crate::error::{Field, Result, invalid};

/// Bytes of entropy in every serial this crate issues.
pub const SERIAL_RANDOM_BYTES: usize = 16;

/// A serial from 16 random bytes, read as an unsigned big-endian number: a set
/// top bit gets a 0x00 sign octet in DER (17 octets, within RFC 5280's 20), so
/// the serial is positive without losing a bit of entropy. All-zero bytes
/// (probability 2^-128, or a broken random source) are refused.
pub(crate) fn from_random(bytes: [u8; SERIAL_RANDOM_BYTES]) -> Result<SerialNumber> {
    if bytes.iter().all(|b| *b == 0) {
        return Err(invalid(Field::Serial, "random bytes are all zero"));
    }
    Ok(SerialNumber::new(&bytes)?)
}

/// The serial's magnitude as lower-case hex without leading zero octets,
/// the way `openssl x509 -serial` prints it (there in upper case).
pub fn serial_hex(serial: &SerialNumber) -> String {
    let bytes = serial.as_bytes();
    let first_nonzero = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    hex::encode(&bytes[first_nonzero..])
}

/// Parses [`serial_hex`] output (either case) back into a serial.
pub fn serial_from_hex(serial: &str) -> Result<SerialNumber> {
    let bytes = hex::decode(serial).map_err(|_| invalid(Field::Serial, "is not hex"))?;
    if bytes.is_empty() || bytes.iter().all(|b| *b == 0) {
        return Err(invalid(Field::Serial, "must be positive"));
    }
    SerialNumber::new(&bytes).map_err(|_| invalid(Field::Serial, "is longer than 20 octets"))
}
