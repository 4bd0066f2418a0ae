"""Sign the benchmark PDF with pyHanko in-process (warmed up) and print signatures per second.

Usage: bench_pyhanko.py DIR [ITERATIONS]   (DIR holds in.pdf, signer.key, signer.pem, ca.pem,
written by `cargo bench -p hims-pdf --bench sign`). Same file, same key, same field, PAdES.
"""
import sys
import time
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter


def sign_once(data: bytes, signer, meta) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    out = BytesIO()
    signers.sign_pdf(writer, meta, signer=signer, output=out)
    return out.getvalue()


def main(directory: str, iterations: int) -> int:
    with open(f"{directory}/in.pdf", "rb") as f:
        data = f.read()
    signer = signers.SimpleSigner.load(
        f"{directory}/signer.key", f"{directory}/signer.pem", ca_chain_files=(f"{directory}/ca.pem",)
    )
    meta = signers.PdfSignatureMetadata(
        field_name="sig_pembeli_1", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    for _ in range(3):
        sign_once(data, signer, meta)
    start = time.perf_counter()
    for _ in range(iterations):
        sign_once(data, signer, meta)
    elapsed = time.perf_counter() - start
    print(f"pyhanko_signatures_per_second {iterations / elapsed:.2f}")
    print(f"pyhanko_ms_per_signature {1000 * elapsed / iterations:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30))
