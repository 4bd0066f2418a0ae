//! The `issue-certificate` function (F2): Section A completion, the PIN
//! policy, a fresh P-256 key and an X.509 certificate from the CA, and TOTP
//! enrolment — all stored with the agreement's transition in one transaction.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, TimeDelta, Utc};
use hims_pki::{self as pki, CertificateInfo, LeafRequest, LeafSubject, SignerKeyPair};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::ca::{self, pki_failed};
use super::repo::{self, Change};
use super::{App, layout, notices, pin_hash, retry_on_conflict, session, totp_enrolment};
use crate::domain::{
    AgreementId, FieldError, IdType, Party, PartyId, countries, identity, pin_policy,
};
use crate::error::{AppError, AppResult};
use crate::ports::{Condition, EncryptionContext, Item, Keys, Store, Write};

pub const MAX_ADDRESS_LEN: usize = 200;
/// Counter on the party-secrets item: consecutive wrong PINs (the lockout).
pub const PIN_FAILURES_COUNTER: &str = "pin_failures";
/// How long a certificate outlives its party's deadline. The key can sign
/// only until the deadline; the margin keeps the certificate current while
/// the signed eSPA is checked (verify page, portal, validators without a
/// timestamp) in the weeks after, without leaving a personal key valid for years.
pub const VALIDITY_AFTER_DEADLINE: TimeDelta = TimeDelta::days(30);

/// `POST /v1/signer/certificate`. Debug never shows the PINs.
pub struct IssueRequest {
    pub address: String,
    pub postcode: String,
    pub nationality: String,
    pub pin: Zeroizing<String>,
    pub pin_confirm: Zeroizing<String>,
}

/// Section A as completed by the signer (F2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionA {
    pub address: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub nationality: String,
}

/// The party-secrets item (`layout::party_secrets`). Binary fields are
/// base64; the key and TOTP secret are ciphertexts from `Keys::encrypt`
/// under [`signer_key_context`] and [`totp_context`].
#[derive(Clone, Serialize, Deserialize)]
pub struct PartySecrets {
    /// Argon2id PHC string (see `pin_hash`).
    pub pin_hash: String,
    pub signer_key_encrypted: String,
    pub totp_secret_encrypted: String,
    pub certificate_der: String,
    pub certificate_serial: String,
    pub issued_at: DateTime<Utc>,
    pub section_a: SectionA,
}

impl std::fmt::Debug for PartySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartySecrets")
            .field("certificate_serial", &self.certificate_serial)
            .field("issued_at", &self.issued_at)
            .finish_non_exhaustive()
    }
}

impl PartySecrets {
    pub fn signer_key_ciphertext(&self) -> AppResult<Vec<u8>> {
        decode_b64(&self.signer_key_encrypted)
    }
    pub fn totp_secret_ciphertext(&self) -> AppResult<Vec<u8>> {
        decode_b64(&self.totp_secret_encrypted)
    }
    pub fn certificate_der(&self) -> AppResult<Vec<u8>> {
        decode_b64(&self.certificate_der)
    }
}

fn decode_b64(s: &str) -> AppResult<Vec<u8>> {
    B64.decode(s)
        .map_err(|_| AppError::internal("stored_record_unreadable"))
}

/// The context the signer's PKCS#8 key is encrypted under.
pub fn signer_key_context(
    agreement: &AgreementId,
    party: &PartyId,
    certificate_serial: &str,
) -> EncryptionContext {
    EncryptionContext::from([
        ("purpose".to_owned(), "signer-key".to_owned()),
        ("agreement".to_owned(), agreement.0.clone()),
        ("party".to_owned(), party.0.clone()),
        (
            "certificate_serial".to_owned(),
            certificate_serial.to_owned(),
        ),
    ])
}

/// The context the signer's TOTP secret is encrypted under.
pub fn totp_context(agreement: &AgreementId, party: &PartyId) -> EncryptionContext {
    EncryptionContext::from([
        ("purpose".to_owned(), "totp-secret".to_owned()),
        ("agreement".to_owned(), agreement.0.clone()),
        ("party".to_owned(), party.0.clone()),
    ])
}

/// The stored secrets of a party and the item's version and counters.
pub async fn load_secrets(
    store: &dyn Store,
    agreement: &AgreementId,
    party: &PartyId,
) -> AppResult<Option<(PartySecrets, Item)>> {
    let Some(item) = store.get(&layout::party_secrets(agreement, party)).await? else {
        return Ok(None);
    };
    let secrets = serde_json::from_value(item.data.clone())
        .map_err(|_| AppError::internal("stored_record_unreadable"))?;
    Ok(Some((secrets, item)))
}

/// What the signer gets back, once. The TOTP fields are never shown again.
pub struct Issued {
    pub certificate_pem: String,
    pub serial_hex: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub totp_uri: Zeroizing<String>,
    pub totp_qr_svg: Zeroizing<String>,
}

/// Issues the certificate of the party `token` names. Refuses (409) before
/// eKYC approval or the party's turn, and a second time (`certificate_exists`,
/// also for the loser of two concurrent requests).
pub async fn issue(app: &App, token: &str, request: IssueRequest) -> AppResult<Issued> {
    let ctx = session::resolve(app, token).await?;
    let party_id = ctx.party.id.clone();
    let agreement_id = ctx.loaded.record.agreement.id.clone();
    // Preconditions first: nothing is validated or computed for a party that may not act.
    ctx.loaded
        .record
        .agreement
        .issue_certificate(&party_id, String::new(), app.now())?;
    let section_a = validate_section_a(&request)?;
    check_pin(&request.pin, &request.pin_confirm)?;

    let ca = ca::ca_certificate(app).await?;
    let pin_hash = pin_hash::hash_blocking(request.pin.clone(), app.ports.rng.bytes()).await?;
    let mut totp_secret = Zeroizing::new([0u8; totp_enrolment::SECRET_LEN]);
    app.ports.rng.fill(totp_secret.as_mut_slice());
    let totp_encrypted = app
        .ports
        .keys
        .encrypt(
            totp_secret.as_slice(),
            &totp_context(&agreement_id, &party_id),
        )
        .await?;

    let (certificate, info) = retry_on_conflict(|| async {
        let loaded = repo::load(app.ports.store.as_ref(), &agreement_id).await?;
        let mut record = loaded.record;
        let party = record
            .agreement
            .party(&party_id)
            .cloned()
            .ok_or_else(|| AppError::unauthorized("link_invalid"))?;
        let now = app.now();
        // Refuses here too: another request may have issued since we looked.
        record
            .agreement
            .issue_certificate(&party_id, String::new(), now)?;
        let (certificate, info, key) = new_certificate(app, &ca, &party, &section_a, now).await?;
        let transition =
            record
                .agreement
                .issue_certificate(&party_id, info.serial_hex.clone(), now)?;
        let key_context = signer_key_context(&agreement_id, &party_id, &info.serial_hex);
        let key_der = key.to_pkcs8_der().map_err(pki_failed)?;
        let key_encrypted = app.ports.keys.encrypt(&key_der, &key_context).await?;
        let secrets = PartySecrets {
            pin_hash: pin_hash.clone(),
            signer_key_encrypted: B64.encode(key_encrypted),
            totp_secret_encrypted: B64.encode(&totp_encrypted),
            certificate_der: B64.encode(pki::certificate_to_der(&certificate).map_err(pki_failed)?),
            certificate_serial: info.serial_hex.clone(),
            issued_at: now,
            section_a: section_a.clone(),
        };
        let mut item = Item::new(
            layout::party_secrets(&agreement_id, &party_id),
            serde_json::to_value(&secrets).unwrap_or_default(),
        );
        item.counters.insert(PIN_FAILURES_COUNTER.to_owned(), 0);
        let messages = notices::for_events(app, &transition.agreement, &transition.events).await?;
        let change = Change {
            events: transition.events,
            notes: vec![serde_json::json!({
                "type": "certificate_issued",
                "party": party_id.0,
                "serial": info.serial_hex,
                "not_after": info.not_after,
            })],
            messages,
            writes: vec![Write::Put {
                item,
                condition: Condition::NotExists,
            }],
        };
        record.agreement = transition.agreement;
        repo::commit(&app.ports, Some(loaded.version), record, change, now).await?;
        app.outbox_signal.notify_one();
        Ok((certificate, info))
    })
    .await?;

    tracing::info!(agreement = %agreement_id.0, party = %party_id.0, serial = %info.serial_hex, "certificate issued");
    let totp_uri = totp_enrolment::uri(&totp_secret, &ctx.party.email);
    let totp_qr_svg = Zeroizing::new(totp_enrolment::qr_svg(&totp_uri)?);
    Ok(Issued {
        certificate_pem: pki::certificate_to_pem(&certificate).map_err(pki_failed)?,
        serial_hex: info.serial_hex,
        not_before: info.not_before,
        not_after: info.not_after,
        totp_uri,
        totp_qr_svg,
    })
}

async fn new_certificate(
    app: &App,
    ca: &pki::Certificate,
    party: &Party,
    section_a: &SectionA,
    now: DateTime<Utc>,
) -> AppResult<(pki::Certificate, CertificateInfo, SignerKeyPair)> {
    let key = SignerKeyPair::generate(|buf| app.ports.rng.fill(buf)).map_err(pki_failed)?;
    let public_key_der = key.public_key_der().map_err(pki_failed)?;
    let crl_url = format!("{}/crl", app.settings.public_url);
    let request = LeafRequest {
        subject: LeafSubject::Signer {
            name: &party.name,
            pseudonym: &subject_pseudonym(app.ports.keys.as_ref(), party).await?,
            email: &party.email,
            country: Some(&section_a.nationality),
        },
        public_key_der: &public_key_der,
        serial_random: app.ports.rng.bytes(),
        crl_url: &crl_url,
        now,
        not_after: party.deadline + VALIDITY_AFTER_DEADLINE,
    };
    let pending = pki::prepare_leaf_certificate(ca, &request).map_err(pki_failed)?;
    let signature = app.ports.keys.ca_sign(pending.tbs()).await?;
    let certificate = pending.finish(&signature).map_err(pki_failed)?;
    let info = CertificateInfo::of(&certificate).map_err(pki_failed)?;
    Ok((certificate, info, key))
}

/// Domain separation: the MAC key also signs link tokens and digests codes.
const PSEUDONYM_PURPOSE: &[u8] = b"hims-cert-subject-v1.";
/// Base32 characters kept from the MAC: 80 bits, no collision in practice.
const PSEUDONYM_CHARS: usize = 16;

/// The certificate's subject serialNumber: `HIMS-` and 16 base32 characters
/// of a MAC over the ID type and number. The certificate travels inside every
/// revision of the PDF, so it must name the person without showing (or
/// letting anyone without the system key derive) the IC or passport number;
/// the same person gets the same value across agreements.
pub async fn subject_pseudonym(keys: &dyn Keys, party: &Party) -> AppResult<String> {
    let id_type: &[u8] = match party.id_type {
        IdType::Mykad => b"mykad",
        IdType::Passport => b"passport",
    };
    let message = Zeroizing::new(
        [
            PSEUDONYM_PURPOSE,
            id_type,
            b"\0",
            party.id_number.as_bytes(),
        ]
        .concat(),
    );
    let tag = keys.mac(&message).await?;
    let encoded = data_encoding::BASE32_NOPAD.encode(&tag);
    Ok(format!("HIMS-{}", &encoded[..PSEUDONYM_CHARS]))
}

/// Section A: every problem at once, as `validation_failed` with `details.fields`.
fn validate_section_a(request: &IssueRequest) -> AppResult<SectionA> {
    let address = request.address.trim();
    let postcode = request.postcode.trim();
    let nationality = request.nationality.trim().to_ascii_uppercase();
    let mut errors = Vec::new();
    if address.is_empty() {
        errors.push(FieldError::new("address", "address_required"));
    } else if address.chars().count() > MAX_ADDRESS_LEN {
        errors.push(FieldError::new("address", "address_too_long"));
    }
    if !identity::valid_postcode(postcode) {
        errors.push(FieldError::new("postcode", "postcode_invalid"));
    }
    if !countries::is_valid(&nationality) {
        errors.push(FieldError::new("nationality", "nationality_invalid"));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(&errors));
    }
    Ok(SectionA {
        address: address.to_owned(),
        postcode: postcode.to_owned(),
        nationality,
    })
}

/// F2.3: every broken rule (`pin_policy`, `details.rules`), then the confirmation.
pub fn check_pin(pin: &str, confirm: &str) -> AppResult<()> {
    let broken = pin_policy::check(pin);
    if !broken.is_empty() {
        let rules: Vec<&str> = broken.iter().map(|r| r.code()).collect();
        return Err(AppError::unprocessable("pin_policy").with("rules", rules));
    }
    if !bool::from(pin.as_bytes().ct_eq(confirm.as_bytes())) {
        return Err(AppError::unprocessable("pin_mismatch"));
    }
    Ok(())
}

/// Decrypts a party's signer key (for the signing use case).
pub async fn decrypt_signer_key(
    keys: &dyn Keys,
    agreement: &AgreementId,
    party: &PartyId,
    secrets: &PartySecrets,
) -> AppResult<SignerKeyPair> {
    let context = signer_key_context(agreement, party, &secrets.certificate_serial);
    let der = keys
        .decrypt(&secrets.signer_key_ciphertext()?, &context)
        .await?;
    SignerKeyPair::from_pkcs8_der(&der).map_err(pki_failed)
}
