// Shared helpers of the browser tests: the running `hims serve` (its URL and
// secrets come from the environment scripts/test sets), the portal and eKYC
// calls a real portal and provider would make, the dev outbox, Chromium, and
// a small RFC 6238 TOTP.

import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

export const BASE = process.env.HIMS_TEST_URL || "http://127.0.0.1:8088";
const PORTAL_TOKEN = process.env.HIMS_PORTAL_TOKEN || "";
const EKYC_SECRET = process.env.HIMS_EKYC_SECRET || "";
export const SCREENS_DIR = new URL("../artifacts/screens/", import.meta.url).pathname;

export const VIEWPORTS = { phone: { width: 360, height: 740 }, desktop: { width: 1280, height: 900 } };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.HIMS_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
}

/** A page at `viewport` that records console errors, CSP violations and failed requests. */
export async function newPage(browser, viewport = VIEWPORTS.desktop) {
  const context = await browser.newContext({ viewport, locale: "ms-MY" });
  const page = await context.newPage();
  page.problems = [];
  // Refusals the test provokes (wrong PIN: 403, 423) are logged as failed loads; anything else counts.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) page.problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    if (r.headers().referer) page.problems.push(`referer sent to ${new URL(r.url()).pathname}`);
  });
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(SCREENS_DIR, { recursive: true });
  // A modal dialog's backdrop covers the viewport only: take the viewport then.
  const modal = await page.$("dialog[open]");
  await page.screenshot({ path: `${SCREENS_DIR}${name}.png`, fullPage: !modal });
}

/** Takes the same screen at 360 px and at 1280 px. */
export async function screenshotBoth(page, name) {
  const original = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) page.problems.push(`${name}: ${overflow} px of horizontal scrolling at ${size.width} px`);
    await screenshot(page, `${name}-${label}`);
  }
  await page.setViewportSize(original);
}

async function call(method, path, { headers = {}, body } = {}) {
  const response = await fetch(`${BASE}${path}`, { method, headers, body });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, headers: response.headers, text, json };
}

export async function portal(method, path, body) {
  const headers = { Authorization: `Bearer ${PORTAL_TOKEN}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await call(method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
}

/** The FLOW.md example (as src/example.rs), with unique emails so agreements never share an inbox. */
export function exampleRequest(tag, { parties } = {}) {
  const inDays = (d) => new Date(Date.now() + d * 86_400_000).toISOString();
  const all = [
    { role: "purchaser", name: "Nur Aisyah binti Abdullah", id_type: "mykad", id_number: "900101-14-5678", key: "aisyah", order: 1, action: "sign", deadline: inDays(7) },
    { role: "purchaser", name: "José Ñúñez", id_type: "passport", id_number: "A12345678", key: "jose", order: 2, action: "sign", deadline: inDays(10) },
    { role: "developer_signatory", name: "Rajesh a/l Muthu", id_type: "mykad", id_number: "780512-10-5543", key: "rajesh", order: 3, action: "sign", deadline: inDays(12) },
    { role: "landowner_witness", name: "Siti Nur'ain binti Kamal", id_type: "mykad", id_number: "850320-08-5208", key: "siti", order: 4, action: "review", deadline: inDays(14) },
  ];
  const chosen = parties ? parties.map((key) => all.find((p) => p.key === key)) : all;
  return {
    project_code: "20165-9",
    project_name: "PARKLAND AVENUE",
    developer_name: "PARKLAND AVENUE SDN. BHD.",
    developer_email: `legal-${tag}@parkland.example`,
    unit: `B-10-${tag.slice(-2).toUpperCase()}`,
    document: { template: "espa", fields: { unit_type: "Kondominium (3 bilik tidur, 2 bilik air)", built_up_area_sqm: 102, price_sen: 65_000_000 } },
    parties: chosen.map(({ key, ...p }, i) => ({ ...p, order: parties ? i + 1 : p.order, email: `${key}-${tag}@example.my` })),
  };
}

export const uniqueTag = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36).padStart(2, "0")}`;

/** The eKYC provider's signed callback: HMAC-SHA256 over "<timestamp>.<body>". */
export async function ekycApprove(agreementId, partyId) {
  const body = JSON.stringify({ agreement_id: agreementId, party_id: partyId, result: "approved", reference: `IDSAYA-${partyId}` });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac("sha256", EKYC_SECRET).update(`${timestamp}.${body}`).digest("hex");
  const r = await call("POST", "/v1/ekyc/callback", {
    headers: { "Content-Type": "application/json", "X-Signature": `sha256=${signature}`, "X-Timestamp": timestamp },
    body,
  });
  if (r.status >= 300) throw new Error(`eKYC callback: ${r.status} ${r.text}`);
  return r.json;
}

/** Polls `check` every 200 ms until it returns a value, for at most `seconds`. */
export async function eventually(what, check, seconds = 20) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function inbox(to) {
  const r = await call("GET", "/dev/outbox", { headers: { Accept: "application/json" } });
  return (r.json || []).filter((m) => m.to === to);
}

/** The newest signer link emailed to `to` (waits for delivery). */
export async function linkFor(to, { after = 0 } = {}) {
  return eventually(`a link for ${to}`, async () => {
    const mails = (await inbox(to)).filter((m) => /\/s\/\S+/.test(m.text));
    if (mails.length <= after) return null;
    return mails[0].text.match(/(https?:\/\/\S+\/s\/[^\s<>"]+)/)[1];
  });
}

/** The QR code's keyed verify link (`/verify/{serial}?k=…`) from the completion email to `to`. */
export async function verifyLinkFor(to) {
  return eventually(`a verify link for ${to}`, async () => {
    const mail = (await inbox(to)).find((m) => /\/verify\/\S+\?k=/.test(m.text));
    return mail?.text.match(/(https?:\/\/\S+\/verify\/[^\s<>"]+)/)[1];
  });
}

export async function linkCount(to) {
  return (await inbox(to)).filter((m) => /\/s\/\S+/.test(m.text)).length;
}

/** The 6-digit code of the newest verification-code email to `to` sent after `count` such emails. */
export async function emailCode(to, count) {
  return eventually(`an email code for ${to}`, async () => {
    const mails = (await inbox(to)).filter((m) => /Kod Verifikasi:/.test(m.text));
    if (mails.length <= count) return null;
    // The email spaces the digits ("0 7 4 3 3 5") for reading aloud.
    return mails[0].text.match(/Kod Verifikasi:\s*((?:\d\s*){6})/)[1].replace(/\s+/g, "");
  });
}

export async function codeCount(to) {
  return (await inbox(to)).filter((m) => /Kod Verifikasi:/.test(m.text)).length;
}

/** Creates the agreement and approves eKYC for every party. */
export async function createApproved(request) {
  const created = await portal("POST", "/v1/agreements", request);
  for (const party of created.parties) await ekycApprove(created.id, party.id);
  return created;
}

// RFC 6238 (SHA-1, 6 digits, 30 s), from the otpauth URI shown once at enrolment.
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error("bad base32");
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

export function totp(uri, at = Date.now()) {
  const secret = base32(new URL(uri).searchParams.get("secret"));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

export { call };
