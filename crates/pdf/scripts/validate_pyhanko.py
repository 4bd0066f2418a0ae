"""Validate every signature of a PDF with pyHanko; print one JSON object per signature
(document timestamps are checked by validate_pyhanko_ltv.py).

Usage: validate_pyhanko.py CA.pem FILE.pdf
Fields: field, intact, valid, trusted, modification (pyHanko's ModificationLevel name),
coverage (SignatureCoverageLevel name), summary.
"""
import json
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main(ca_path: str, pdf_path: str) -> int:
    ca = load_cert_from_pemder(ca_path)
    with open(pdf_path, "rb") as f:
        reader = PdfFileReader(f, strict=False)
        for sig in reader.embedded_regular_signatures:
            vc = ValidationContext(trust_roots=[ca], allow_fetching=False, revocation_mode="soft-fail")
            status = validate_pdf_signature(sig, vc)
            print(json.dumps({
                "field": sig.field_name,
                "intact": bool(status.intact),
                "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "modification": status.modification_level.name if status.modification_level else None,
                "coverage": status.coverage.name if status.coverage else None,
                "summary": status.summary(),
            }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
