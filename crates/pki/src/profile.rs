//! The two certificate profiles this CA issues, as x509-cert `BuilderProfile`s.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{ID_KP_EMAIL_PROTECTION, ID_KP_TIME_STAMPING};
use der::asn1::{Ia5String, OctetString};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;

/// id-kp-documentSigning (RFC 9336); not in const-oid's database.
pub const ID_KP_DOCUMENT_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");

pub(crate) enum Profile {
    /// Self-signed root that signs only leaves (pathLen 0) and CRLs.
    Ca { subject: Name },
    /// A person's or the system's signing certificate.
    Leaf {
        subject: Name,
        issuer: Name,
        /// The CA's subject key identifier, so AKI matches it byte for byte.
        authority_key_id: OctetString,
        email: Option<Ia5String>,
        crl_url: Ia5String,
    },
    /// The timestamp authority's certificate: timeStamping only (RFC 3161 2.3).
    Tsa {
        subject: Name,
        issuer: Name,
        authority_key_id: OctetString,
        crl_url: Ia5String,
    },
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, subject: &Name) -> Name {
        match self {
            Profile::Ca { .. } => subject.clone(),
            Profile::Leaf { issuer, .. } | Profile::Tsa { issuer, .. } => issuer.clone(),
        }
    }

    fn get_subject(&self) -> Name {
        match self {
            Profile::Ca { subject }
            | Profile::Leaf { subject, .. }
            | Profile::Tsa { subject, .. } => subject.clone(),
        }
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut extensions = Vec::new();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        match self {
            Profile::Ca { .. } => {
                let constraints = BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                };
                extensions.push(constraints.to_extension(subject, &extensions)?);
                let usage = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
                extensions.push(usage.to_extension(subject, &extensions)?);
                let aki = AuthorityKeyIdentifier {
                    key_identifier: Some(ski.0.clone()),
                    ..Default::default()
                };
                extensions.push(aki.to_extension(subject, &extensions)?);
            }
            Profile::Leaf {
                authority_key_id,
                email,
                crl_url,
                ..
            } => {
                let constraints = BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                };
                extensions.push(constraints.to_extension(subject, &extensions)?);
                let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation);
                extensions.push(usage.to_extension(subject, &extensions)?);
                // documentSigning says what the key is for (RFC 9336); emailProtection
                // is what S/MIME-purpose CMS checkers (`openssl cms -verify`, older
                // Acrobat) require once any EKU is present.
                let purposes =
                    ExtendedKeyUsage(vec![ID_KP_DOCUMENT_SIGNING, ID_KP_EMAIL_PROTECTION]);
                extensions.push(purposes.to_extension(subject, &extensions)?);
                if let Some(email) = email {
                    let san = SubjectAltName(vec![GeneralName::Rfc822Name(email.clone())]);
                    extensions.push(san.to_extension(subject, &extensions)?);
                }
                push_crl_and_aki(&mut extensions, subject, crl_url, authority_key_id)?;
            }
            Profile::Tsa {
                authority_key_id,
                crl_url,
                ..
            } => {
                let constraints = BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                };
                extensions.push(constraints.to_extension(subject, &extensions)?);
                let usage = KeyUsage(KeyUsages::DigitalSignature.into());
                extensions.push(usage.to_extension(subject, &extensions)?);
                // RFC 3161 2.3: the TSA's certificate holds only timeStamping, critical.
                let mut purposes = ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING])
                    .to_extension(subject, &extensions)?;
                purposes.critical = true;
                extensions.push(purposes);
                push_crl_and_aki(&mut extensions, subject, crl_url, authority_key_id)?;
            }
        }
        extensions.push(ski.to_extension(subject, &extensions)?);
        Ok(extensions)
    }
}

fn push_crl_and_aki(
    extensions: &mut Vec<Extension>,
    subject: &Name,
    crl_url: &Ia5String,
    authority_key_id: &OctetString,
) -> x509_cert::builder::Result<()> {
    let crl = CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::UniformResourceIdentifier(crl_url.clone()),
        ])),
        reasons: None,
        crl_issuer: None,
    }]);
    extensions.push(crl.to_extension(subject, extensions)?);
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(authority_key_id.clone()),
        ..Default::default()
    };
    extensions.push(aki.to_extension(subject, extensions)?);
    Ok(())
}
