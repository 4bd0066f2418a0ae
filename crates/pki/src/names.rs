//! Distinguished names and the checks on the strings that go into them.
//! Names are built attribute by attribute (never parsed from an RFC 4514
//! string), so a comma or plus sign in a person's name cannot change the DN.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519::{COMMON_NAME, COUNTRY_NAME, ORGANIZATION_NAME, SERIAL_NUMBER};
use der::asn1::{Any, Ia5String, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::error::{Field, Result, invalid};

/// RFC 5280 upper bounds (ub-common-name, ub-serial-number, ub-emailaddress-length).
const MAX_COMMON_NAME_CHARS: usize = 64;
const MAX_SERIAL_NUMBER_CHARS: usize = 64;
const MAX_EMAIL_CHARS: usize = 255;

/// One attribute of a name, in the order it appears (most general first).
pub(crate) enum Attribute<'a> {
    Country(&'a str),
    Organization(&'a str),
    SerialNumber(&'a str),
    CommonName(&'a str),
}

impl Attribute<'_> {
    fn to_atv(&self) -> Result<AttributeTypeAndValue> {
        let (oid, value): (ObjectIdentifier, Any) = match *self {
            Attribute::Country(code) => (COUNTRY_NAME, Any::encode_from(&country(code)?)?),
            Attribute::Organization(name) => (ORGANIZATION_NAME, utf8(name, Field::Organization)?),
            Attribute::SerialNumber(id) => (SERIAL_NUMBER, Any::encode_from(&serial_number(id)?)?),
            Attribute::CommonName(name) => (COMMON_NAME, utf8(name, Field::CommonName)?),
        };
        Ok(AttributeTypeAndValue { oid, value })
    }
}

/// A name with one attribute per RDN, in the given order.
pub(crate) fn build_name(attributes: &[Attribute<'_>]) -> Result<Name> {
    let mut sequence = RdnSequence::default();
    for attribute in attributes {
        let mut rdn = RelativeDistinguishedName::default();
        rdn.insert(attribute.to_atv()?)?;
        sequence.push(rdn);
    }
    // `Name` has no safe constructor from an RdnSequence; both share one DER form.
    Ok(Name::from_der(&sequence.to_der()?)?)
}

fn utf8(value: &str, field: Field) -> Result<Any> {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if chars > MAX_COMMON_NAME_CHARS {
        return Err(invalid(field, "is longer than 64 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(Any::encode_from(&Utf8StringRef::new(value)?)?)
}

fn country(code: &str) -> Result<PrintableStringRef<'_>> {
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid(
            Field::Country,
            "must be two upper-case letters (ISO 3166)",
        ));
    }
    PrintableStringRef::new(code).map_err(|_| invalid(Field::Country, "is not printable"))
}

fn serial_number(id: &str) -> Result<PrintableStringRef<'_>> {
    if id.trim().is_empty() {
        return Err(invalid(Field::SubjectSerial, "is empty"));
    }
    if id.len() > MAX_SERIAL_NUMBER_CHARS {
        return Err(invalid(
            Field::SubjectSerial,
            "is longer than 64 characters",
        ));
    }
    PrintableStringRef::new(id).map_err(|_| {
        invalid(
            Field::SubjectSerial,
            "has characters outside PrintableString",
        )
    })
}

/// An email address for an rfc822Name: ASCII only (IA5String), one `@`,
/// non-empty local part and domain, no spaces.
pub(crate) fn email(address: &str) -> Result<Ia5String> {
    if address.len() > MAX_EMAIL_CHARS {
        return Err(invalid(Field::Email, "is longer than 255 characters"));
    }
    if !address.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            Field::Email,
            "must be printable ASCII without spaces",
        ));
    }
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => {}
        _ => return Err(invalid(Field::Email, "must be local@domain")),
    }
    Ia5String::new(address).map_err(|_| invalid(Field::Email, "is not IA5"))
}

/// A CRL distribution point: an absolute http(s) URL, ASCII only.
pub(crate) fn crl_url(url: &str) -> Result<Ia5String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid(Field::CrlUrl, "must start with http:// or https://"))?;
    if rest.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            Field::CrlUrl,
            "must be a printable ASCII URL with a host",
        ));
    }
    Ia5String::new(url).map_err(|_| invalid(Field::CrlUrl, "is not IA5"))
}
