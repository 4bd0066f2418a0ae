// WCAG 2.0/2.1 AA (MS ISO/IEC 40500) on the signer's page: axe-core on every
// step at 360 and 1280 px, with the language button hovered, in Malay on a
// touch screen (drawing with the finger) and in English with the keyboard
// alone (the typed signature): certificate form, its errors, enrolment, the
// document (its text read), the signature dialog, wrong PIN, blocked PIN,
// reset and its errors, the done page.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  axeViolations, codeCount, createApproved, emailCode, exampleRequest, launch, linkFor, newPage,
  screenshotBoth, totp, uniqueTag, VIEWPORTS,
} from "./support.mjs";
import { acknowledge, enrol, messageHeading, screenIs } from "./steps.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PIN = "Aisyah#2025";
const NEW_PIN = "Baharu#2025";
const WRONG_PIN = "Salah#2025x";

async function oneSigner() {
  const request = exampleRequest(uniqueTag(), { parties: ["aisyah"] });
  await createApproved(request);
  const [signer] = request.parties;
  return { signer, link: await linkFor(signer.email) };
}

/** Strokes drawn with touch events (Chromium makes them touch pointer events). */
async function drawByTouch(page) {
  const box = await page.$eval("#signature-pad", (c) => {
    c.scrollIntoView({ block: "center" });
    const r = c.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  const cdp = await page.context().newCDPSession(page);
  const at = ([fx, fy]) => [{ x: box.x + box.width * fx, y: box.y + box.height * fy }];
  for (const stroke of [[[0.1, 0.6], [0.25, 0.3], [0.4, 0.7], [0.5, 0.4]], [[0.6, 0.5], [0.75, 0.3], [0.9, 0.6]]]) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: at(stroke[0]) });
    for (const point of stroke.slice(1)) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: at(point) });
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  }
  await cdp.detach();
}

async function focusedId(page) {
  return page.evaluate(() => document.activeElement?.id || "");
}

/** The document step: the text layer and the "read as text" view say what the eSPA says. */
async function readAgreement(page, press) {
  await page.waitForSelector("#pdf-viewer .pdf-sheet .textLayer span");
  const layer = await page.textContent("#pdf-viewer .pdf-sheet:first-child .textLayer");
  assert.match(layer, /PERJANJIAN JUAL BELI/, "the text layer of page 1");
  await page.waitForSelector("#text-view-toggle:not([hidden])");
  await press("#text-view-toggle");
  await page.waitForSelector("#text-view:not([hidden])");
  const text = await page.textContent("#text-view");
  for (const needle of ["PERJANJIAN JUAL BELI", "Nur Aisyah binti Abdullah", "JADUAL BAYARAN", "RM 650,000.00", "TERMA DAN SYARAT"]) {
    assert.ok(text.includes(needle), `the text view has ${needle}`);
  }
  assert.equal(await page.getAttribute("#text-view", "lang"), "ms");
  return text;
}

test("Malay on a touch screen: every step passes axe; a drawn signature signs", async () => {
  const { signer, link } = await oneSigner();
  const page = await newPage(browser, VIEWPORTS.phone, { hasTouch: true, isMobile: true });
  const problems = [];
  const audit = async (step) => problems.push(...(await axeViolations(page, step)));
  await page.goto(link);
  await screenIs(page, "certificate");
  await page.waitForSelector("#nationality option[value=MY]", { state: "attached" });
  assert.equal(await page.$eval("#nationality", (s) => s.options[1].textContent), "Malaysia");
  assert.equal(await page.getAttribute("#lang", "lang"), "en", "“English” is marked as English");
  await audit("certificate");

  await page.tap("#cert-submit");
  assert.equal(await page.getAttribute("#address", "aria-invalid"), "true");
  assert.equal(await focusedId(page), "address", "focus on the first bad field");
  assert.match(await page.getAttribute("#pin", "aria-describedby"), /pin-error/);
  await audit("certificate-errors");
  assert.equal(await page.$eval("#nationality option[value=DE]", (o) => o.textContent), "Jerman", "country names in Malay");
  assert.equal(await page.getAttribute(".helpdesk a[href^='tel:']", "href"), "tel:+60389914797");
  await page.tap("#lang");
  assert.equal(await page.textContent("#address-error"), "Please fill in Address.", "shown errors re-translate");
  assert.equal(await page.$eval("#nationality option[value=DE]", (o) => o.textContent), "Germany");
  assert.equal(await page.textContent("#status"), "", "no stale loading line");
  await page.tap("#lang");
  await page.fill("#address", "No. 12, Jalan Parkland 3, Taman Parkland");
  assert.equal(await page.getAttribute("#address", "aria-invalid"), null, "the mark goes when the field is fixed");
  await page.fill("#postcode", "43000");
  await page.selectOption("#nationality", "MY");
  await page.fill("#pin", PIN);
  await page.fill("#pin-confirm", PIN);
  await page.tap("#cert-submit");
  await page.waitForSelector("#dlg-certificate[open]");
  await audit("enrolment");
  await page.fill("#totp-check", "000000");
  await page.tap("#totp-check-submit");
  await page.waitForSelector("#totp-check[aria-invalid=true]");
  assert.match(await page.textContent("#totp-check-error"), /Baki cubaan: 4/);
  const uri = await enrol(page);

  await screenIs(page, "document");
  await readAgreement(page, (selector) => page.tap(selector));
  await audit("document-text");
  await page.tap("#text-view-toggle");
  await page.tap("#zoom-in");
  await page.waitForFunction(() => document.getElementById("zoom-level").textContent === "125%");
  await audit("document");
  await page.tap("#sign-start");
  assert.equal(await focusedId(page), "consent");
  await page.tap("#consent");
  await page.tap("#sign-start");
  await page.waitForSelector("#dlg-confirm[open]");
  await page.tap("#dlg-confirm-yes");
  await page.waitForSelector("#dlg-signature[open]");
  assert.equal(await page.isChecked("#kind-drawn"), true, "drawing is the default on a touch screen");
  await page.tap("#signature-submit");
  assert.equal(await page.getAttribute("#kind-drawn", "aria-invalid"), "true", "no drawing yet");
  await audit("signature-errors");
  await drawByTouch(page);
  assert.equal(await page.getAttribute("#kind-drawn", "aria-invalid"), null, "the drawing clears the mark");
  await screenshotBoth(page, "18-signature-touch");

  for (const left of [2, 1]) {
    await page.fill("#sign-pin", WRONG_PIN);
    await page.fill("#sign-totp", totp(uri));
    await page.tap("#signature-submit");
    await page.waitForSelector("#dlg-message[open]");
    if (left === 2) await audit("wrong-pin");
    assert.equal((await acknowledge(page)).extra, `Baki cubaan: ${left}`);
    await page.waitForSelector("#dlg-signature[open]");
    assert.equal(await page.inputValue("#sign-totp"), "", "a failed signature clears the code");
    assert.equal(await page.getAttribute("#sign-pin", "aria-invalid"), "true");
  }
  await page.fill("#sign-pin", WRONG_PIN);
  await page.fill("#sign-totp", totp(uri));
  await page.tap("#signature-submit");
  await page.waitForSelector("#dlg-blocked[open]");
  await audit("blocked");

  await page.tap("#dlg-blocked-reset");
  await screenIs(page, "reset");
  await audit("reset");
  await page.tap("#reset-check");
  assert.equal(await focusedId(page), "reset-email");
  await audit("reset-errors");
  await page.fill("#reset-email", signer.email);
  await page.tap("#reset-check");
  await acknowledge(page);
  const before = await codeCount(signer.email);
  await page.tap("#reset-send-code");
  const code = await emailCode(signer.email, before);
  await page.fill("#reset-id", signer.id_number);
  await page.fill("#reset-code", code);
  await page.fill("#reset-pin", NEW_PIN);
  await page.fill("#reset-pin-confirm", `${NEW_PIN}x`);
  await page.tap("#reset-submit");
  assert.equal(await focusedId(page), "reset-pin-confirm");
  await page.fill("#reset-pin-confirm", NEW_PIN);
  await page.tap("#reset-submit");
  await acknowledge(page);

  await screenIs(page, "document");
  await page.tap("#sign-start");
  await page.tap("#dlg-confirm-yes");
  await page.waitForSelector("#dlg-signature[open]");
  await drawByTouch(page);
  await page.fill("#sign-pin", NEW_PIN);
  await page.fill("#sign-totp", totp(uri));
  await page.tap("#signature-submit");
  assert.match((await acknowledge(page)).title, /berjaya/);
  assert.equal(await messageHeading(page), "Pautan ini telah digunakan");
  await audit("done");
  assert.deepEqual(problems, []);
  assert.deepEqual(page.problems, []);
});

/** Presses Tab (or `key`) until `selector` has focus (at most 40 times). */
async function tabTo(page, selector, key = "Tab") {
  for (let i = 0; i < 40; i += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`Tab never reached ${selector}`);
}

test("English with the keyboard alone: every step passes axe; a typed signature signs", async () => {
  const { signer, link } = await oneSigner();
  const page = await newPage(browser, VIEWPORTS.desktop);
  // Every press, tap or pointer click the page sees (a keyboard's Enter or Space clicks with detail 0).
  await page.context().addInitScript(() => {
    window.pointerUse = [];
    for (const type of ["pointerdown", "pointerup", "mousedown", "mouseup", "touchstart", "touchend"]) {
      window.addEventListener(type, () => window.pointerUse.push(type), true);
    }
    window.addEventListener("click", (e) => { if (e.detail > 0) window.pointerUse.push("click"); }, true);
  });
  const problems = [];
  const audit = async (step) => problems.push(...(await axeViolations(page, step)));
  const type = (text) => page.keyboard.type(text);
  const press = (key) => page.keyboard.press(key);
  await page.goto(link);
  await screenIs(page, "certificate");
  await page.waitForSelector("#nationality option[value=MY]", { state: "attached" });
  await tabTo(page, "#lang", "Shift+Tab");
  await press("Enter");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.getAttribute("#lang", "lang"), "ms");
  assert.equal(await page.$eval("#nationality", (s) => s.options[1].textContent), "Malaysia");
  await audit("certificate");

  await tabTo(page, "#cert-submit");
  await press("Enter");
  assert.equal(await focusedId(page), "address");
  assert.match(await page.textContent("#cert-error"), /Please correct 5/);
  await audit("certificate-errors");
  await type("No. 12, Jalan Parkland 3, Taman Parkland");
  await tabTo(page, "#postcode");
  await type("43000");
  await tabTo(page, "#nationality");
  await press("ArrowDown");
  assert.equal(await page.inputValue("#nationality"), "MY");
  await tabTo(page, "#pin");
  await type(PIN);
  await tabTo(page, "#pin-confirm");
  await type(PIN);
  await press("Enter");
  await page.waitForSelector("#dlg-certificate[open]");
  assert.equal(await focusedId(page), "totp-open", "the app link first");
  await audit("enrolment");
  const uri = await page.getAttribute("#totp-qr", "data-otpauth");
  await tabTo(page, "#totp-check");
  await type(totp(uri));
  await press("Enter");

  await screenIs(page, "document");
  await readAgreement(page, async (selector) => { await tabTo(page, selector); await press("Enter"); });
  assert.equal(await focusedId(page), "text-view", "focus moves to the text");
  await audit("document-text");
  await tabTo(page, "#text-view-toggle", "Shift+Tab");
  await press("Enter");
  await page.waitForSelector("#pdf-viewer:not([hidden])");
  await audit("document");
  await tabTo(page, "#consent");
  await press("Space");
  await tabTo(page, "#sign-start");
  await press("Enter");
  await page.waitForSelector("#dlg-confirm[open]");
  await press("Enter");
  await page.waitForSelector("#dlg-signature[open]");
  assert.equal(await focusedId(page), "kind-drawn");
  await press("ArrowDown");
  assert.equal(await page.isChecked("#kind-typed"), true);
  await tabTo(page, "#typed-name");
  await type(signer.name);
  assert.match(await page.getAttribute("#typed-preview", "aria-label"), /Nur Aisyah binti Abdullah/);
  await screenshotBoth(page, "19-signature-typed");
  await audit("signature");

  for (const left of [2, 1, 0]) {
    await tabTo(page, "#sign-pin");
    await type(WRONG_PIN);
    await tabTo(page, "#sign-totp");
    await type(totp(uri));
    await press("Enter");
    if (left === 0) break;
    await page.waitForSelector("#dlg-message[open]");
    assert.match(await page.textContent("#dlg-message-extra"), new RegExp(`Attempts left: ${left}`));
    if (left === 2) await audit("wrong-pin");
    await press("Enter");
    await page.waitForSelector("#dlg-signature[open]");
    assert.equal(await focusedId(page), "sign-pin", "back on the field at fault");
  }
  await page.waitForSelector("#dlg-blocked[open]");
  await audit("blocked");
  assert.equal(await focusedId(page), "dlg-blocked-reset");
  await press("Enter");
  await screenIs(page, "reset");
  await audit("reset");
  await tabTo(page, "#reset-check");
  await press("Enter");
  assert.equal(await focusedId(page), "reset-email");
  await audit("reset-errors");
  await type(signer.email);
  await tabTo(page, "#reset-check");
  await press("Enter");
  await page.waitForSelector("#dlg-message[open]");
  await press("Enter");
  await page.waitForSelector("#dlg-message:not([open])", { state: "attached" });
  assert.equal(await focusedId(page), "reset-id");
  await type(signer.id_number);
  const before = await codeCount(signer.email);
  await tabTo(page, "#reset-send-code");
  await press("Enter");
  const code = await emailCode(signer.email, before);
  await tabTo(page, "#reset-code", "Shift+Tab");
  await type(code);
  await tabTo(page, "#reset-pin");
  await type(NEW_PIN);
  await tabTo(page, "#reset-pin-confirm");
  await type(NEW_PIN);
  await press("Enter");
  await page.waitForSelector("#dlg-message[open]");
  await press("Enter");

  await screenIs(page, "document");
  await page.waitForSelector("#pdf-viewer .pdf-sheet");
  await tabTo(page, "#sign-start");
  await press("Enter");
  await page.waitForSelector("#dlg-confirm[open]");
  await press("Enter");
  await page.waitForSelector("#dlg-signature[open]");
  await tabTo(page, "#sign-pin");
  await type(NEW_PIN);
  await tabTo(page, "#sign-totp");
  await type(totp(uri));
  await press("Enter");
  await page.waitForSelector("#dlg-message[open]");
  assert.match(await page.textContent("#dlg-message-title"), /successful/);
  await audit("signed");
  await press("Enter");
  await screenIs(page, "message");
  assert.equal(await page.textContent("#message-title"), "This link has been used");
  await audit("done");
  assert.deepEqual(await page.evaluate(() => window.pointerUse), [], "no pointer or touch used");
  assert.deepEqual(problems, []);
  assert.deepEqual(page.problems, []);
});
