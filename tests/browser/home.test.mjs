// The staff home as an approver meets it (issue 19, item 5), in real headless Chromium: a
// sender whose alerts need approval (the demo's Jo Bailey) asks for approval; the approver
// (Sam Patel) is emailed, finds it under "Waiting for your approval" on a phone-sized home page
// that says what he may do in words, filters the list, and sends the alert back with a comment,
// which Jo then reads on the alert's page. axe-core checks the pages, and no page scrolls
// sideways at 375 px.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import {
  BASE,
  OUTBOX,
  CHROMIUM,
  SCREENSHOTS,
  LAUNCH_ARGS,
  checkAxe,
  expectHeading,
  assertNoSidewaysScroll,
  waitForEmail,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

const TITLE = 'Bike thefts from Cambridge station';
const COMMENT = 'Say which racks, and add the BikeRegister link.';

let browser;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  assert.ok(OUTBOX, 'set BEACON_OUTBOX to the directory where the server writes .eml files');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

/** A page signed in as the demo account `name`, in a context of its own. */
async function signedIn(name, options) {
  const account = await demoAccount(name);
  const context = await browser.newContext({ bypassCSP: true, ...options });
  context.setDefaultTimeout(15_000);
  const p = await context.newPage();
  await signIn(p, BASE, account);
  await expectHeading(p, 'Alerts');
  return { p, account };
}

test('an approver is told, finds the alert on the home page and sends it back with a comment', { timeout: 180_000 }, async (t) => {
  // Jo writes an alert and asks for approval.
  const jo = await signedIn('Jo Bailey', { viewport: { width: 1280, height: 800 } });
  const abilities = await jo.p.locator('#abilities').innerText();
  assert.match(abilities, /You can write alerts and send them \(they need approval first\)\./);
  await jo.p.goto(`${BASE}/staff/alerts/new`);
  await jo.p.locator('#title').fill(TITLE);
  await jo.p.locator('#body').fill('Several bikes have been taken from the racks at Cambridge station this week.');
  await jo.p.locator('#message_type').selectOption({ label: 'Crime update' });
  await jo.p.locator('#force-area').check();
  await jo.p.getByRole('button', { name: 'Save the draft' }).click();
  await jo.p.getByRole('button', { name: 'Ask for approval' }).click();
  await jo.p.locator('.notice').getByText('Waiting for approval').waitFor();
  const alertUrl = jo.p.url().replace(/\?.*$/, '');

  // Sam, an approver of the same organisation, is emailed a link to it.
  const sam = await signedIn('Sam Patel', {
    viewport: { width: 375, height: 667 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const email = await waitForEmail(sam.account.email, 15_000, (m) => m.subject.includes(TITLE));
  assert.equal(email.subject, `Waiting for your approval: ${TITLE}`);
  assert.ok(email.raw.includes(alertUrl.replace(/^https?:\/\/[^/]+/, '')), 'the email links to the alert');

  // His home page, on a phone: what he may do, in words; the alert waiting for him; replies.
  const p = sam.p;
  const said = await p.locator('#abilities').innerText();
  assert.match(said, /You can approve other people's alerts/);
  assert.doesNotMatch(await p.locator('main').innerText(), /You may: /);
  const waiting = p.getByRole('region', { name: 'Waiting for your approval' });
  await waiting.getByRole('link', { name: TITLE }).waitFor();
  await p.getByRole('heading', { name: 'Replies waiting' }).waitFor();
  const firstRow = p.locator('#alerts tbody tr').first();
  assert.match(await firstRow.innerText(), /(Written|Sent|Due) \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}/, 'dates as "6 Dec 2026 14:05"');
  await assertNoSidewaysScroll(p, 'the staff home as an approver');
  await checkAxe(t, p, 'the staff home as an approver, on a phone');
  await p.screenshot({ path: path.join(SCREENSHOTS, 'staff-home-approver-phone.png'), fullPage: true });

  // The filters: only alerts waiting for approval.
  await p.locator('#status').selectOption({ label: 'Waiting for approval' });
  await p.getByRole('button', { name: 'Filter' }).click();
  await p.waitForURL(/status=awaiting_approval/);
  const statuses = await p.locator('#alerts tbody tr td:nth-child(5)').allInnerTexts();
  assert.ok(statuses.length >= 1, 'the alert is listed');
  assert.ok(statuses.every((s) => s.trim() === 'Waiting for approval'), `only waiting alerts: ${statuses.join(', ')}`);
  await assertNoSidewaysScroll(p, 'the filtered staff home');

  // He opens it and sends it back with a comment; an empty one is refused first.
  await waiting.getByRole('link', { name: TITLE }).click();
  await p.waitForURL(alertUrl);
  await expectHeading(p, TITLE);
  await p.getByRole('button', { name: 'Send back to the author' }).click();
  await p.locator('.error-summary').getByText('Say what the author should change').waitFor();
  await p.locator('#comment').fill(COMMENT);
  await checkAxe(t, p, 'the alert page with the send-back form');
  await assertNoSidewaysScroll(p, 'the alert page with the send-back form');
  await p.getByRole('button', { name: 'Send back to the author' }).click();
  await p.locator('.notice').getByText('Sent back').waitFor();

  // Jo reads the comment on the alert's page, and has it by email.
  await jo.p.goto(alertUrl);
  const note = await jo.p.locator('#sent-back').innerText();
  assert.match(note, /Sam Patel sent this alert back/);
  assert.ok(note.includes(COMMENT), note);
  const back = await waitForEmail(jo.account.email, 15_000, (m) => m.subject.includes('Sent back'));
  assert.equal(back.subject, `Sent back for changes: ${TITLE}`);
  await checkAxe(t, jo.p, 'the alert page sent back, as its author');
});
