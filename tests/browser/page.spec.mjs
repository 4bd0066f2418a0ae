// The page itself: security headers, asset caching, a tampered link, the
// language switch, and the witness who requests changes (F3.2).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BASE, call, createApproved, exampleRequest, launch, linkFor, newPage, screenshotBoth, uniqueTag } from "./support.mjs";
import { acknowledge, certifyAndSign, messageHeading, screenIs } from "./steps.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the page is served with a strict CSP, no referrer and no caching", async () => {
  const r = await call("GET", "/s/anything");
  assert.equal(r.status, 200);
  const csp = r.headers.get("content-security-policy");
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self';/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(r.headers.get("referrer-policy"), "no-referrer");
  assert.equal(r.headers.get("cache-control"), "no-store");
  assert.doesNotMatch(r.text, /https?:\/\//, "every asset is the project's own");
});

test("assets carry an ETag, answer 304 to it, and are immutable at their hashed URL", async () => {
  const page = (await call("GET", "/s/x")).text;
  const url = page.match(/href="(\/assets\/app\.css\?v=[0-9a-f]+)"/)[1];
  const hashed = await call("GET", url);
  assert.equal(hashed.status, 200);
  assert.match(hashed.headers.get("content-type"), /^text\/css/);
  assert.match(hashed.headers.get("cache-control"), /immutable/);
  const plain = await call("GET", "/assets/app.css");
  assert.equal(plain.headers.get("cache-control"), "no-cache");
  const etag = plain.headers.get("etag");
  const again = await call("GET", "/assets/app.css", { headers: { "If-None-Match": etag } });
  assert.equal(again.status, 304);
  assert.equal((await call("GET", "/assets/nope.js")).status, 404);
});

test("a tampered link shows the invalid-link page, in Malay then English", async () => {
  const request = exampleRequest(uniqueTag(), { parties: ["aisyah"] });
  await createApproved(request);
  const link = await linkFor(request.parties[0].email);
  const at = link.lastIndexOf(".") + 5; // inside the MAC, where every bit counts
  const tampered = link.slice(0, at) + (link[at] === "A" ? "B" : "A") + link.slice(at + 1);
  const page = await newPage(browser);
  await page.goto(tampered);
  assert.equal(await messageHeading(page), "Pautan tidak sah");
  assert.equal(await page.getAttribute("html", "lang"), "ms");
  await screenshotBoth(page, "01-invalid-link");
  await page.click("#lang");
  assert.equal(await page.textContent("#message-title"), "Invalid link");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await screenshotBoth(page, "01-invalid-link-en");
  assert.deepEqual(page.problems, []);
});

test("the witness must give a comment to request changes, which closes the eSPA", async () => {
  const request = exampleRequest(uniqueTag(), { parties: ["aisyah", "siti", "jose"] });
  await createApproved(request);
  const [aisyah, siti, jose] = request.parties;
  const page = await newPage(browser, { width: 360, height: 740 });
  await certifyAndSign(page, await linkFor(aisyah.email), "Aisyah#2025");
  await page.goto(await linkFor(siti.email));
  await screenIs(page, "document");
  await page.waitForSelector("#pdf-viewer canvas.pdf-page");
  await page.click("#review-request");
  assert.match(await page.textContent("#review-error"), /nyatakan pindaan/);
  await page.fill("#review-comment", "Keluasan binaan sepatutnya 105 meter persegi.");
  await screenshotBoth(page, "14-review-changes");
  await page.click("#review-request");
  assert.match((await acknowledge(page)).title, /Semakan dihantar/);
  assert.equal(await messageHeading(page), "eSPA ini telah ditutup");
  // The next purchaser's link now says the eSPA is closed.
  await page.goto(await linkFor(jose.email));
  assert.equal(await messageHeading(page), "eSPA ini telah ditutup");
  await screenshotBoth(page, "15-closed");
  assert.deepEqual(page.problems, []);
});

test("the page renders without a token in a 360 px window without horizontal scrolling", async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(`${BASE}/s/%20`);
  await messageHeading(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0);
});

test("a link past its deadline shows the expired page (server clock moved, then put back)", async () => {
  const request = exampleRequest(uniqueTag(), { parties: ["aisyah"] });
  await createApproved(request);
  const link = await linkFor(request.parties[0].email);
  const week = 8 * 86_400;
  const moved = await call("POST", "/dev/clock", {
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ advance_secs: week }),
  });
  assert.equal(moved.status, 200, moved.text);
  try {
    const page = await newPage(browser);
    await page.goto(link);
    assert.equal(await messageHeading(page), "Pautan telah tamat tempoh");
    await screenshotBoth(page, "17-expired-link");
    assert.deepEqual(page.problems, []);
  } finally {
    await call("POST", "/dev/clock", {
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ advance_secs: -week }),
    });
  }
});
