// What a signer does on the page, step by step, as the tests reuse it.

import assert from "node:assert/strict";
import { screenshotBoth, totp } from "./support.mjs";

export async function screenIs(page, name) {
  await page.waitForSelector(`body[data-screen="${name}"]`, { timeout: 20_000 });
}

/** A plain page (F1, waiting, used, expired, invalid): returns its heading. */
export async function messageHeading(page) {
  await screenIs(page, "message");
  return page.textContent("#message-title");
}

/** F2: Section A, Section B with the rules ticked live, then enrolment and one code checked; returns the otpauth URI. */
export async function issueCertificate(page, pin, shots) {
  await screenIs(page, "certificate");
  await page.waitForSelector("#nationality option[value=MY]", { state: "attached" });
  const first = await page.$eval("#nationality", (s) => s.options[1].value);
  assert.equal(first, "MY", "Malaysia first");
  if (shots) await screenshotBoth(page, `${shots}-certificate`);
  await page.fill("#address", "No. 12, Jalan Parkland 3, Taman Parkland");
  await page.fill("#postcode", "43000");
  await page.selectOption("#nationality", "MY");
  await page.type("#pin", "abc");
  assert.deepEqual(await ruleStates(page, "pin-rules"), { length: false, upper: false, lower: true, symbol: false });
  await page.fill("#pin", pin);
  assert.deepEqual(await ruleStates(page, "pin-rules"), { length: true, upper: true, lower: true, symbol: true });
  await page.fill("#pin-confirm", `${pin}x`);
  await page.click("#cert-submit");
  assert.match(await page.textContent("#cert-error"), /tidak sepadan/);
  assert.equal(await page.getAttribute("#pin-confirm", "aria-invalid"), "true", "the error points at its field");
  assert.equal(await page.evaluate(() => document.activeElement.id), "pin-confirm");
  await page.fill("#pin-confirm", pin);
  await page.click("#cert-submit");
  const uri = await enrol(page, shots);
  assert.equal(await page.getAttribute("#totp-qr", "data-otpauth"), null, "the secret leaves the page");
  return uri;
}

/** F2.4: the enrolment dialog (app link, key, QR), then one TOTP code checked; returns the otpauth URI. */
export async function enrol(page, shots) {
  await page.waitForSelector("#dlg-certificate[open]");
  const uri = await page.getAttribute("#totp-qr", "data-otpauth");
  assert.match(uri, /^otpauth:\/\/totp\//);
  assert.equal(await page.getAttribute("#totp-open", "href"), uri, "the app link opens the authenticator");
  const secret = new URL(uri).searchParams.get("secret");
  assert.equal((await page.textContent("#totp-key")).replace(/ /g, ""), secret);
  assert.match(await page.textContent("#totp-key"), /^(\w{4} )+\w{1,4}$/, "the key in groups of four");
  assert.ok(await page.$eval("#totp-qr", (img) => img.complete && img.naturalWidth > 0), "QR image shows");
  if (shots) await screenshotBoth(page, `${shots}-certificate-done`);
  await page.fill("#totp-check", totp(uri));
  await page.press("#totp-check", "Enter");
  await page.waitForSelector("#dlg-certificate:not([open])", { state: "attached" });
  return uri;
}

async function ruleStates(page, id) {
  return page.$$eval(`#${id} li`, (items) => Object.fromEntries(items.map((li) => [li.dataset.rule, li.className === "met"])));
}

/** F4.1–F4.3: the eSPA shows, consent, "Jana & Tandatangan", confirm: the signature dialog opens. */
export async function openSignatureDialog(page, shots) {
  await screenIs(page, "document");
  await page.waitForSelector("#pdf-viewer canvas.pdf-page");
  if (shots) await screenshotBoth(page, `${shots}-document`);
  if (!(await page.isChecked("#consent"))) {
    await page.click("#sign-start");
    assert.match(await page.textContent("#sign-error"), /persetujuan/);
    await page.check("#consent");
  }
  await page.click("#sign-start");
  await page.waitForSelector("#dlg-confirm[open]");
  if (shots) await screenshotBoth(page, `${shots}-confirm`);
  await page.click("#dlg-confirm-yes");
  await page.waitForSelector("#dlg-signature[open]");
}

/** Draws a signature with real pointer moves. */
export async function drawSignature(page) {
  const box = await page.$eval("#signature-pad", (c) => {
    const r = c.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  for (const stroke of [
    [[0.1, 0.6], [0.2, 0.3], [0.3, 0.7], [0.4, 0.35], [0.5, 0.65]],
    [[0.55, 0.5], [0.7, 0.3], [0.8, 0.7], [0.9, 0.4]],
  ]) {
    await page.mouse.move(...at(...stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(...point), { steps: 6 });
    await page.mouse.up();
  }
}

/** Fills PIN and the factor and presses Hantar. */
export async function submitSignature(page, pin, factor) {
  await page.fill("#sign-pin", pin);
  if (factor.totp) await page.fill("#sign-totp", factor.totp());
  if (factor.emailCode) await page.fill("#sign-email-code", factor.emailCode);
  await page.click("#signature-submit");
}

/** The message dialog's title and extra line, then OK. */
export async function acknowledge(page, shots) {
  await page.waitForSelector("#dlg-message[open]");
  const title = await page.textContent("#dlg-message-title");
  const extra = await page.textContent("#dlg-message-extra");
  if (shots) await screenshotBoth(page, shots);
  await page.click("#dlg-message-ok");
  await page.waitForSelector("#dlg-message:not([open])", { state: "attached" });
  return { title, extra };
}

/** A signer's whole turn from their link: certificate, then signing with the TOTP. */
export async function certifyAndSign(page, link, pin) {
  await page.goto(link);
  const uri = await issueCertificate(page, pin);
  await openSignatureDialog(page);
  await drawSignature(page);
  await submitSignature(page, pin, { totp: () => totp(uri) });
  const signed = await acknowledge(page);
  assert.match(signed.title, /berjaya/);
}
