"""Sign the benchmark PDF with pyHanko in-process (warmed up) and print timings.

Usage: bench_pyhanko.py DIR [ITERATIONS] [b|lt|floor]   (DIR holds in.pdf, signer.key,
signer.pem, ca.pem, tsa.key, tsa.pem, crl.der, written by `cargo bench -p hims-pdf --bench
sign`). Same file, same key, same field, PAdES.
- b (default): B-B signatures; prints signatures per second and ms per signature.
- lt: B-B and B-LT alternately, each both as pyHanko does by default and tuned with
  `bytes_reserved=8192` (which skips its dry-run CMS to size /Contents); B-LT as hims-pdf
  makes it: signature timestamp from pyHanko's DummyTimeStamper (in-process; subclassed to
  sign with the same P-256 TSA key, 0.38's is RSA-only) and the validation info (signer, CA,
  TSA, the CRL) embedded in a DSS in the signature's own revision, no VRI; prints the mean ms
  of each.
- floor: SHA-256 of the file plus one ECDSA P-256 signature of a digest, both in OpenSSL
  (hashlib and cryptography): the least any signer of this file must do; prints its mean ms.
"""
import logging
import sys
import time
from io import BytesIO

from asn1crypto import algos, cms, core
from asn1crypto import crl as asn1_crl
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign import general
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

FIELD = "sig_pembeli_1"
# pyHanko warns on every B-LT signature that fetching is off: the bench embeds what it has.
logging.disable(logging.WARNING)


class EcdsaDummyTimeStamper(DummyTimeStamper):
    """pyHanko's in-process test TSA (RSA-only in 0.38), signing with the P-256 TSA key:
    the same signed attributes as DummyTimeStamper, an ECDSA signature."""

    def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute(
                    "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
        signature = key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        return signature, signed_attrs

    def _build_signed_data(self, tst_info_data, md_algorithm, signature, signed_attrs):
        signed_data = super()._build_signed_data(tst_info_data, md_algorithm, signature, signed_attrs)
        signed_data["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa"}
        )
        return signed_data


TUNED_BYTES_RESERVED = 8192


def sign_once(data: bytes, signer, meta, timestamper=None, bytes_reserved=None) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    out = BytesIO()
    signers.sign_pdf(
        writer,
        meta,
        signer=signer,
        timestamper=timestamper,
        output=out,
        bytes_reserved=bytes_reserved,
    )
    return out.getvalue()


def floor(directory: str, data: bytes, iterations: int) -> int:
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    with open(f"{directory}/signer.key", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    algorithm = ec.ECDSA(Prehashed(hashes.SHA256()))
    for _ in range(50):
        key.sign(hashlib.sha256(data).digest(), algorithm)
    start = time.perf_counter()
    for _ in range(iterations):
        key.sign(hashlib.sha256(data).digest(), algorithm)
    elapsed = time.perf_counter() - start
    print(f"floor_ms {1000 * elapsed / iterations:.4f}")
    return 0


def b_meta():
    return signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )


def lt_meta(ca, crl):
    # A fresh validation context per signature, as a server signing for many agreements would.
    vc = ValidationContext(
        trust_roots=[ca], crls=[crl], allow_fetching=False, revocation_mode="require"
    )
    return signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=True,
        validation_context=vc,
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
        ),
    )


def main(directory: str, iterations: int, mode: str) -> int:
    with open(f"{directory}/in.pdf", "rb") as f:
        data = f.read()
    signer = signers.SimpleSigner.load(
        f"{directory}/signer.key", f"{directory}/signer.pem", ca_chain_files=(f"{directory}/ca.pem",)
    )
    if mode == "floor":
        return floor(directory, data, iterations)
    if mode == "b":
        for _ in range(3):
            sign_once(data, signer, b_meta())
        start = time.perf_counter()
        for _ in range(iterations):
            sign_once(data, signer, b_meta())
        elapsed = time.perf_counter() - start
        print(f"pyhanko_signatures_per_second {iterations / elapsed:.2f}")
        print(f"pyhanko_ms_per_signature {1000 * elapsed / iterations:.3f}")
        return 0
    ca = load_cert_from_pemder(f"{directory}/ca.pem")
    with open(f"{directory}/crl.der", "rb") as f:
        crl = asn1_crl.CertificateList.load(f.read())
    tsa = EcdsaDummyTimeStamper(
        tsa_cert=load_cert_from_pemder(f"{directory}/tsa.pem"),
        tsa_key=load_private_key_from_pemder(f"{directory}/tsa.key", passphrase=None),
        override_md="sha256",
    )
    kinds = {
        "pyhanko_b_b_ms": lambda: sign_once(data, signer, b_meta()),
        "pyhanko_tuned_b_b_ms": lambda: sign_once(
            data, signer, b_meta(), bytes_reserved=TUNED_BYTES_RESERVED
        ),
        "pyhanko_b_lt_ms": lambda: sign_once(data, signer, lt_meta(ca, crl), tsa),
        "pyhanko_tuned_b_lt_ms": lambda: sign_once(
            data, signer, lt_meta(ca, crl), tsa, bytes_reserved=TUNED_BYTES_RESERVED
        ),
    }
    for run in kinds.values():
        run()
    totals = dict.fromkeys(kinds, 0.0)
    for _ in range(iterations):
        for name, run in kinds.items():
            start = time.perf_counter()
            run()
            totals[name] += time.perf_counter() - start
    for name, total in totals.items():
        print(f"{name} {1000 * total / iterations:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            sys.argv[1],
            int(sys.argv[2]) if len(sys.argv) > 2 else 30,
            sys.argv[3] if len(sys.argv) > 3 else "b",
        )
    )
