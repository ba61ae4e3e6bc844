// The admin's pages on a phone (issue 19, item 7): the staff menu keeps its words whole, tables
// keep a word a line at the least (scrolling inside their own box rather than the page), and the
// date and other fields look like fields. Signs in as the demo's admin, Alex Morgan.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE,
  CHROMIUM,
  SCREENSHOTS,
  LAUNCH_ARGS,
  checkAxe,
  expectHeading,
  assertNoSidewaysScroll,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

let browser;
let phone;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  phone = await browser.newContext({
    bypassCSP: true,
    viewport: { width: 375, height: 667 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  phone.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
});

/** Texts in `selector` that the browser broke inside a word: each word's letters on one line. */
async function brokenWords(p, selector) {
  return p.evaluate((sel) => {
    const broken = [];
    for (const element of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent;
        // Hyphens are fair places to break ("break-ins"): the parts between them are the words.
        for (const match of text.matchAll(/[^\s\-\u2010]+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          // A word on one line has one box; a word broken across lines has one a line.
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) broken.push(match[0]);
        }
      }
    }
    return broken;
  }, selector);
}

test('the admin pages on a phone keep words whole and fields styled', { timeout: 120_000 }, async (t) => {
  const account = await demoAccount('Alex Morgan');
  const p = await phone.newPage();
  await p.goto(`${BASE}/staff/sign-in`);
  await expectHeading(p, 'Staff sign-in');
  // The password field is styled as the others are: a 2 px dark border, the full font.
  const border = await p.locator('#password').evaluate((e) => getComputedStyle(e).borderTopWidth);
  assert.equal(border, '2px', 'the password field has the house border');
  await signIn(p, BASE, account);
  await expectHeading(p, 'Alerts');

  const menu = p.getByRole('navigation', { name: 'Staff' });
  for (const name of ['Alerts', 'Staff', 'Audit log', 'Organisations', 'API tokens', 'Contact problems']) {
    await menu.getByRole('link', { name, exact: true }).waitFor();
  }
  assert.deepEqual(await brokenWords(p, '.staff-nav'), [], 'the staff menu breaks no word across lines');

  for (const [url, title] of [
    ['/staff', 'Alerts'],
    ['/staff/admin/staff', 'Staff'],
    ['/staff/admin/audit', 'Audit log'],
    ['/staff/admin/tokens', 'API tokens'],
  ]) {
    await p.goto(`${BASE}${url}`);
    await expectHeading(p, title);
    assert.deepEqual(await brokenWords(p, '.staff-nav'), [], `the menu on ${url}`);
    assert.deepEqual(await brokenWords(p, '.table th, .table td'), [], `the table on ${url} breaks no word`);
    await assertNoSidewaysScroll(p, `${url} as an admin`);
    await checkAxe(t, p, `${url} on a phone`);
  }

  // The audit filter's dates are styled fields, and its actions a list to choose from.
  await p.goto(`${BASE}/staff/admin/audit`);
  for (const id of ['#since', '#until']) {
    assert.equal(await p.locator(id).evaluate((e) => getComputedStyle(e).borderTopWidth), '2px', `${id} is styled`);
  }
  assert.equal(await p.locator('#action').evaluate((e) => e.tagName), 'SELECT', 'the action filter is a list');
  const actions = await p.locator('#action option').allInnerTexts();
  assert.ok(actions.includes('sign-in'), `the demo's sign-ins are among the actions: ${actions.join(', ')}`);
  await p.screenshot({ path: path.join(SCREENSHOTS, 'admin-audit-phone.png'), fullPage: true });
  await p.close();
});
