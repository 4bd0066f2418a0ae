"""Sign the benchmark PDF with pyHanko in-process (warmed up) and print timings.

Usage: bench_pyhanko.py DIR [ITERATIONS] [b|lt]   (DIR holds in.pdf, signer.key, signer.pem,
ca.pem, tsa.key, tsa.pem, crl.der, written by `cargo bench -p hims-pdf --bench sign`).
Same file, same key, same field, PAdES.
- b (default): B-B signatures; prints signatures per second and ms per signature.
- lt: B-B and B-LT alternately, B-LT as hims-pdf makes it: signature timestamp from pyHanko's
  DummyTimeStamper (in-process, the same TSA key) and the validation info (signer, CA, TSA, the
  CRL) embedded in a DSS in the signature's own revision, no VRI; prints the mean ms of each.
"""
import sys
import time
from io import BytesIO

from asn1crypto import crl as asn1_crl
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

FIELD = "sig_pembeli_1"


def sign_once(data: bytes, signer, meta, timestamper=None) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    out = BytesIO()
    signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper, output=out)
    return out.getvalue()


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
    tsa = DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(f"{directory}/tsa.pem"),
        tsa_key=load_private_key_from_pemder(f"{directory}/tsa.key", passphrase=None),
        override_md="sha256",
    )
    for _ in range(3):
        sign_once(data, signer, b_meta())
        sign_once(data, signer, lt_meta(ca, crl), tsa)
    b_total = lt_total = 0.0
    for _ in range(iterations):
        start = time.perf_counter()
        sign_once(data, signer, b_meta())
        b_total += time.perf_counter() - start
        start = time.perf_counter()
        sign_once(data, signer, lt_meta(ca, crl), tsa)
        lt_total += time.perf_counter() - start
    print(f"pyhanko_b_b_ms {1000 * b_total / iterations:.3f}")
    print(f"pyhanko_b_lt_ms {1000 * lt_total / iterations:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            sys.argv[1],
            int(sys.argv[2]) if len(sys.argv) > 2 else 30,
            sys.argv[3] if len(sys.argv) > 3 else "b",
        )
    )
