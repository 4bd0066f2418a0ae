"""Validate a PAdES B-LT / B-LTA PDF with pyHanko offline, from the embedded data alone.

Usage: validate_pyhanko_ltv.py CA.pem FILE.pdf [YEARS_AHEAD]

Trusts only CA.pem; no fetching; revocation mode "require". The certificates and CRLs come
from the file's DSS (and the CMS), nothing else. Prints one JSON object per signature:
kind ("signature" or "doc_timestamp"), field, intact, valid, trusted, timestamp_trusted,
modification, summary and, for signatures, future_lta (pyHanko's
simulate_future_ades_lta_validation at YEARS_AHEAD years, default 15: the AdES
sub-indication name, "OK" when it passes).
"""
import asyncio
import datetime
import json
import logging
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.ades import simulate_future_ades_lta_validation
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

OFFLINE = {"allow_fetching": False, "revocation_mode": "require"}


def offline_context(reader, ca) -> ValidationContext:
    kwargs = dict(OFFLINE, trust_roots=[ca])
    try:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    except NoDSSFoundError:
        # No embedded revocation data: nothing to validate offline with (reported untrusted).
        return ValidationContext(crls=[], **kwargs)


def future_lta(sig, ca, years: int) -> str:
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build([ca]),
                revinfo_policy=CertRevTrustPolicy(
                    revocation_checking_policy=REQUIRE_REVINFO,
                    freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
                ),
            )
        )
    )
    at = datetime.datetime.now(tz=datetime.timezone.utc) + datetime.timedelta(days=365 * years)
    result = asyncio.run(
        simulate_future_ades_lta_validation(sig, pdf_validation_spec=spec, future_validation_time=at)
    )
    return getattr(result.ades_subindic, "name", str(result.ades_subindic))


def main(ca_path: str, pdf_path: str, years: int) -> int:
    # The LTA simulation logs each expired path it slides back from; the verdicts are printed.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    ca = load_cert_from_pemder(ca_path)
    with open(pdf_path, "rb") as f:
        reader = PdfFileReader(f, strict=False)
        for sig in reader.embedded_signatures:
            vc = offline_context(reader, ca)
            if sig.sig_object_type == "/DocTimeStamp":
                status = validate_pdf_timestamp(sig, vc)
                line = {"kind": "doc_timestamp", "timestamp_trusted": bool(status.trusted)}
            else:
                status = validate_pdf_signature(sig, vc)
                ts = status.timestamp_validity
                line = {
                    "kind": "signature",
                    "timestamp_trusted": bool(ts is not None and ts.valid and ts.intact and ts.trusted),
                    "future_lta": future_lta(sig, ca, years),
                }
            line.update({
                "field": sig.field_name,
                "intact": bool(status.intact),
                "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "modification": status.modification_level.name if status.modification_level else None,
                "summary": status.summary(),
            })
            print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 15))
