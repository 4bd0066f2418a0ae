// @signpdf on the benchmark PDF, in-process and warmed up: placeholder (incremental update,
// @signpdf/placeholder-plain) + CMS + splice, N times; prints signatures per second.
//
// Usage: node bench_signpdf.mjs DIR [ITERATIONS]   (DIR as for bench_pyhanko.py: in.pdf,
// signer.key, signer.pem, ca.pem). The key is the same ECDSA P-256 key the other two use;
// @signpdf/signer-p12 cannot take it (node-forge signs with RSA keys only: "try-p12" below
// shows the error), so the CMS comes from a @signpdf Signer built on pkijs + WebCrypto.
import { createHash, createPrivateKey, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { plainAddPlaceholder } from "@signpdf/placeholder-plain";
import { SignPdf } from "@signpdf/signpdf";
import { Signer } from "@signpdf/utils";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

pkijs.setEngine("node", new pkijs.CryptoEngine({ name: "node", crypto: webcrypto }));

const pemBody = (pem) => Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
const certificate = (pem) => pkijs.Certificate.fromBER(pemBody(pem));

/** A detached CMS SignedData over the byte ranges, ECDSA with SHA-256, as PAdES wants it. */
class EcdsaSigner extends Signer {
  constructor(keyPem, certPem, caPem) {
    super();
    this.keyDer = createPrivateKey(keyPem).export({ type: "pkcs8", format: "der" });
    this.cert = certificate(certPem);
    this.ca = certificate(caPem);
  }

  async sign(pdfBuffer, signingTime = new Date()) {
    this.key ??= await webcrypto.subtle.importKey("pkcs8", this.keyDer, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const digest = createHash("sha256").update(pdfBuffer).digest();
    const certDigest = createHash("sha256").update(Buffer.from(this.cert.toSchema().toBER())).digest();
    const attribute = (type, value) => new pkijs.Attribute({ type, values: [value] });
    const signingCertificateV2 = new asn1js.Sequence({
      value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: certDigest })] })] })],
    });
    const signerInfo = new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: this.cert.issuer, serialNumber: this.cert.serialNumber }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({
        type: 0,
        attributes: [
          attribute("1.2.840.113549.1.9.3", new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.7.1" })),
          attribute("1.2.840.113549.1.9.5", new asn1js.UTCTime({ valueDate: signingTime })),
          attribute("1.2.840.113549.1.9.4", new asn1js.OctetString({ valueHex: digest })),
          attribute("1.2.840.113549.1.9.16.2.47", signingCertificateV2),
        ],
      }),
    });
    const signed = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
      signerInfos: [signerInfo],
      certificates: [this.cert, this.ca],
    });
    await signed.sign(this.key, 0, "SHA-256");
    const content = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signed.toSchema(true) });
    return Buffer.from(content.toSchema().toBER());
  }
}

async function signOnce(pdf, signer) {
  const withPlaceholder = plainAddPlaceholder({
    pdfBuffer: pdf,
    reason: "Tandatangan eSPA",
    contactInfo: "bench@example.my",
    name: "Bench Signer",
    location: "Putrajaya",
    signatureLength: 8192,
  });
  return new SignPdf().sign(withPlaceholder, signer);
}

async function main(dir, iterations) {
  const pdf = readFileSync(`${dir}/in.pdf`);
  if (process.argv.includes("try-p12")) {
    const { P12Signer } = await import("@signpdf/signer-p12");
    try {
      await signOnce(pdf, new P12Signer(readFileSync(`${dir}/signer.p12`), { passphrase: "bench" }));
      console.log("signer-p12 signed with the P-256 key");
    } catch (e) {
      console.log(`signer-p12 with the P-256 key: ${e.message}`);
    }
    return;
  }
  const signer = new EcdsaSigner(readFileSync(`${dir}/signer.key`, "utf8"), readFileSync(`${dir}/signer.pem`, "utf8"), readFileSync(`${dir}/ca.pem`, "utf8"));
  let out;
  for (let i = 0; i < 3; i++) out = await signOnce(pdf, signer);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) out = await signOnce(pdf, signer);
  const elapsed = (performance.now() - start) / 1000;
  if (process.env.SIGNPDF_OUT) (await import("node:fs")).writeFileSync(process.env.SIGNPDF_OUT, out);
  console.log(`signpdf_signatures_per_second ${(iterations / elapsed).toFixed(2)}`);
  console.log(`signpdf_ms_per_signature ${((1000 * elapsed) / iterations).toFixed(3)}`);
}

await main(process.argv[2], Number(process.argv[3] ?? 30));
