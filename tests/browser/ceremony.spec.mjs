// The FLOW.md example through the signer's page: two purchasers, the
// developer's signatory and the landowner's witness, each from their emailed
// link. Covers F1-F6: the waiting page, certificates with the one-time TOTP
// QR, wrong PIN three times -> blocked -> reset with an email code -> sign,
// the TOTP and the email-code factor, the witness's confirmation, the used
// link, and the final PDF checked by pyHanko.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import {
  call, codeCount, createApproved, emailCode, exampleRequest, launch, linkCount, linkFor,
  newPage, screenshotBoth, totp, uniqueTag, verifyLinkFor,
} from "./support.mjs";
import {
  acknowledge, drawSignature, issueCertificate, messageHeading, openSignatureDialog, screenIs, submitSignature,
} from "./steps.mjs";

const REPO = new URL("../../", import.meta.url).pathname;
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the whole example: four parties sign or review through their links", async () => {
  const request = exampleRequest(uniqueTag());
  const [aisyah, jose, rajesh, siti] = request.parties;
  const created = await createApproved(request);
  const page = await newPage(browser);

  // Jose's turn has not come: his link (from the eKYC email) says so.
  await page.goto(await linkFor(jose.email));
  assert.equal(await messageHeading(page), "Belum tiba giliran anda");
  await screenshotBoth(page, "02-waiting-turn");

  // Aisyah, first-named purchaser: certificate, then three wrong PINs.
  const aisyahLink = await linkFor(aisyah.email);
  await page.goto(aisyahLink);
  const aisyahUri = await issueCertificate(page, "Aisyah#2025", "03");
  await openSignatureDialog(page, "04");
  assert.match(await page.textContent("#summary"), /______/, "F4.1: the first signer sees an incomplete serial");
  await drawSignature(page);
  await screenshotBoth(page, "05-signature");
  for (const left of [2, 1]) {
    await submitSignature(page, "Wrong#Pin1", { totp: () => totp(aisyahUri) });
    const failed = await acknowledge(page, left === 2 ? "06-wrong-pin" : undefined);
    assert.match(failed.title, /tidak berjaya/);
    assert.equal(failed.extra, `Baki cubaan: ${left}`);
    await page.waitForSelector("#dlg-signature[open]");
  }
  await submitSignature(page, "Wrong#Pin1", { totp: () => totp(aisyahUri) });
  await page.waitForSelector("#dlg-blocked[open]");
  await screenshotBoth(page, "07-pin-blocked");

  // F6: "Lupa Pin Sijil Digital?" -> email -> Semak -> IC, email code, new PIN.
  await page.click("#dlg-blocked-reset");
  await screenIs(page, "reset");
  await page.fill("#reset-email", aisyah.email);
  await page.click("#reset-check");
  assert.match((await acknowledge(page)).title, /Semakan berjaya/);
  const codesBefore = await codeCount(aisyah.email);
  await page.click("#reset-send-code");
  const resetCode = await emailCode(aisyah.email, codesBefore);
  await page.fill("#reset-id", aisyah.id_number);
  await page.fill("#reset-code", resetCode);
  await page.fill("#reset-pin", "Baharu#2025");
  await page.fill("#reset-pin-confirm", "Baharu#2025");
  await screenshotBoth(page, "08-pin-reset");
  await page.click("#reset-submit");
  const reset = await acknowledge(page, "09-pin-reset-done");
  assert.match(reset.title, /Set Semula PIN Sijil Digital Berjaya/);

  // Back on the signing page with the new PIN and the TOTP.
  await openSignatureDialog(page);
  await drawSignature(page);
  await submitSignature(page, "Baharu#2025", { totp: () => totp(aisyahUri) });
  const signed = await acknowledge(page, "10-signed");
  assert.match(signed.title, /berjaya/);
  assert.equal(await messageHeading(page), "Pautan ini telah digunakan");

  // Jose: certificate, then the email-code fallback (F4.5).
  const joseLinks = await linkCount(jose.email);
  await page.goto(await linkFor(jose.email, { after: joseLinks - 1 }));
  await issueCertificate(page, "Jose#Pin2025");
  await openSignatureDialog(page);
  assert.doesNotMatch(await page.textContent("#summary"), /______/, "F4.1: later signers see the full serial");
  await drawSignature(page);
  const joseCodes = await codeCount(jose.email);
  await page.click("#totp-help");
  await page.waitForSelector("#dlg-confirm[open]");
  await page.click("#dlg-confirm-yes");
  await page.waitForSelector("#email-code-block:not([hidden])");
  await screenshotBoth(page, "11-email-code");
  await submitSignature(page, "Jose#Pin2025", { emailCode: await emailCode(jose.email, joseCodes) });
  assert.match((await acknowledge(page)).title, /berjaya/);

  // Rajesh, the developer's signatory: TOTP.
  await page.goto(await linkFor(rajesh.email, { after: (await linkCount(rajesh.email)) - 1 }));
  const rajeshUri = await issueCertificate(page, "Rajesh#Pin25");
  await openSignatureDialog(page);
  await drawSignature(page);
  await submitSignature(page, "Rajesh#Pin25", { totp: () => totp(rajeshUri) });
  assert.match((await acknowledge(page)).title, /berjaya/);

  // Siti, the landowner's witness, reviews and confirms (F3.2).
  await page.goto(await linkFor(siti.email, { after: (await linkCount(siti.email)) - 1 }));
  await screenIs(page, "document");
  await page.waitForSelector("#pdf-viewer canvas.pdf-page");
  await screenshotBoth(page, "12-review");
  await page.click("#review-confirm");
  await page.waitForSelector("#dlg-confirm[open]");
  await page.click("#dlg-confirm-yes");
  await acknowledge(page);
  assert.equal(await messageHeading(page), "Pautan ini telah digunakan");

  // The used link: Aisyah opens hers again.
  await page.goto(aisyahLink);
  assert.equal(await messageHeading(page), "Pautan ini telah digunakan");
  await screenshotBoth(page, "13-used-link");
  assert.deepEqual(page.problems, []);

  // The final PDF: every signature intact, valid and trusted for pyHanko.
  const token = new URL(aisyahLink).pathname.split("/").pop();
  const final = await fetch(new URL("/v1/signer/final", aisyahLink), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(final.status, 200, `final document of ${created.id}`);
  const dir = mkdtempSync(join(tmpdir(), "hims-browser-"));
  writeFileSync(join(dir, "final.pdf"), Buffer.from(await final.arrayBuffer()));
  writeFileSync(join(dir, "ca.pem"), (await call("GET", "/ca.pem")).text);
  const out = execFileSync(join(REPO, ".venv/bin/python"), [
    join(REPO, "crates/pdf/scripts/validate_pyhanko.py"), join(dir, "ca.pem"), join(dir, "final.pdf"),
  ], { encoding: "utf8" });
  const reports = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.equal(reports.length, 3, "three signers");
  for (const r of reports) {
    assert.ok(r.intact && r.valid && r.trusted, JSON.stringify(r));
  }

  // The QR code's target, /verify/{serial}?k=… (as in the completion email), wears the page's stylesheet.
  await page.goto(await verifyLinkFor(aisyah.email));
  assert.match(await page.textContent("body"), /Semua tandatangan sah/);
  const background = await page.$eval("html", (el) => getComputedStyle(el).backgroundColor);
  assert.equal(background, "rgb(243, 245, 248)", "app.css applies");
  await screenshotBoth(page, "16-verify");
});
