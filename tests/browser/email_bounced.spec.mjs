// The bounce notice: when SES reported the signer's address as undeliverable
// the session says `email_bounced` and the page warns on every screen, in
// Malay and English. Locally nothing bounces, so the session answer is the
// server's own with that one field set.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createApproved, exampleRequest, launch, linkFor, newPage, screenshotBoth, uniqueTag } from "./support.mjs";
import { messageHeading } from "./steps.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function waitingPage(bounced) {
  const request = exampleRequest(uniqueTag(), { parties: ["aisyah", "jose"] });
  await createApproved(request);
  const link = await linkFor(request.parties[1].email);
  const page = await newPage(browser);
  if (bounced) {
    await page.route("**/v1/signer/session", async (route) => {
      const response = await route.fetch();
      const session = await response.json();
      assert.equal(session.email_bounced, false, "the server's answer");
      await route.fulfill({ response, json: { ...session, email_bounced: true } });
    });
  }
  await page.goto(link);
  assert.equal(await messageHeading(page), "Belum tiba giliran anda");
  return page;
}

test("a bounced address is shown on the waiting page, in Malay then English", async () => {
  const page = await waitingPage(true);
  assert.ok(await page.isVisible("#email-bounced"));
  assert.match(await page.textContent("#email-bounced"), /^E-mel anda tidak dapat dihantar/);
  await screenshotBoth(page, "05-email-bounced");
  await page.click("#lang");
  assert.match(await page.textContent("#email-bounced"), /^Emails to your registered address could not be delivered/);
  assert.deepEqual(page.problems, []);
});

test("no notice while the address is fine", async () => {
  const page = await waitingPage(false);
  assert.equal(await page.isVisible("#email-bounced"), false);
  assert.deepEqual(page.problems, []);
});
