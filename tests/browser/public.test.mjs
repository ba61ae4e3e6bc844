// What a resident meets first, on a phone (issue 19, items 10 and 13), in real headless Chromium:
// the home page leads to past alerts, a new manage link, the privacy notice and the
// accessibility statement; the favicon answers; a sign-up with mistakes lists them in the
// form's order, moves the focus to the list, and calls a real postcode outside the area so.
// axe-core checks every page on the way.
//
//   BEACON_URL     the running server (tests/browser/run.sh starts a demo server and sets it)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  BASE,
  CHROMIUM,
  LAUNCH_ARGS,
  plainPage as plainPageIn,
  makeStep,
  checkAxe,
  expectHeading,
  errorSummaryLinks,
  assertNoSidewaysScroll,
} from './helpers.mjs';

const PHONE = { width: 375, height: 740 };

let browser;
// As in resident.test.mjs: `ctx` bypasses the pages' Content-Security-Policy so axe-core can be
// injected; `plain` keeps it, and any violation it reports fails the run.
let ctx;
let page;
let plain;
const cspErrors = [];

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  ctx = await browser.newContext({ bypassCSP: true, viewport: PHONE, isMobile: true, hasTouch: true });
  ctx.setDefaultTimeout(15_000);
  page = await ctx.newPage();
  plain = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  plain.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

test('on a phone, the home page leads to the public pages, and sign-up mistakes are clear', { timeout: 180_000 }, async (t) => {
  await step(t, 'a. the home page leads to past alerts, a new manage link, privacy and accessibility', async (st) => {
    const phone = await plainPageIn(plain, cspErrors);
    const response = await phone.goto(`${BASE}/`);
    assert.equal(response.status(), 200);
    await expectHeading(phone, 'Sign up for community alerts');
    const header = phone.locator('header nav');
    for (const name of ['Past alerts', 'Change or stop your alerts']) {
      assert.ok(await header.getByRole('link', { name }).isVisible(), `the header links to "${name}"`);
    }
    const footer = phone.locator('footer');
    for (const name of ['Privacy', 'Accessibility']) {
      assert.ok(await footer.getByRole('link', { name }).isVisible(), `the footer links to "${name}"`);
    }
    await assertNoSidewaysScroll(phone, 'the home page');

    await footer.getByRole('link', { name: 'Privacy' }).click();
    await expectHeading(phone, 'Privacy notice');
    await assertNoSidewaysScroll(phone, 'the privacy notice');
    await phone.goBack();
    await phone.locator('footer').getByRole('link', { name: 'Accessibility' }).click();
    await expectHeading(phone, 'Accessibility statement for Beacon community alerts');
    await assertNoSidewaysScroll(phone, 'the accessibility statement');
    await phone.locator('header nav').getByRole('link', { name: 'Past alerts' }).click();
    await phone.locator('h1').first().waitFor();
    assert.equal(new URL(phone.url()).pathname, '/alerts');

    const icon = await phone.request.get(`${BASE}/favicon.ico`);
    assert.equal(icon.status(), 200, 'the favicon answers');
    assert.equal(icon.headers()['content-type'], 'image/svg+xml');
    await phone.close();
    assert.deepEqual(cspErrors, [], 'no Content-Security-Policy violations');

    for (const [where, label] of [
      ['/', 'the home page on a phone'],
      ['/privacy', 'the privacy notice on a phone'],
      ['/accessibility', 'the accessibility statement on a phone'],
    ]) {
      await page.goto(`${BASE}${where}`);
      await checkAxe(st, page, label);
    }
  });

  await step(t, 'b. asking for a new manage link', async (st) => {
    await page.goto(`${BASE}/`);
    await page.locator('header nav').getByRole('link', { name: 'Change or stop your alerts' }).click();
    await expectHeading(page, 'Get a link to manage your alerts');
    await checkAxe(st, page, 'the manage-link page');
    await page.getByRole('button', { name: 'Email me the link' }).click();
    await page.locator('.error-summary').first().waitFor();
    assert.ok(
      await page.evaluate(() => document.activeElement?.classList.contains('error-summary')),
      'the focus moves to the error summary',
    );
    await checkAxe(st, page, 'the manage-link page with an error');
    await page.locator('#email').fill('somebody@example.org');
    await page.getByRole('button', { name: 'Email me the link' }).click();
    await expectHeading(page, 'Check your email');
    assert.match(await page.locator('main').innerText(), /If that address is signed up for alerts/);
  });

  await step(t, 'c. sign-up mistakes: in the form\'s order, focused, and the postcode outside the area', async (st) => {
    await page.goto(`${BASE}/`);
    const nameMax = await page.locator('#name').getAttribute('maxlength');
    assert.equal(nameMax, '100', 'the name field allows what the server accepts');
    await page.locator('#email').fill('not an address');
    await page.locator('#name').fill('Mandy Clarke');
    await page.locator('#place-0-postcode').fill('EH1 1YZ');
    await page.locator('#mobile').fill('12345');
    for (const box of await page.locator('input[name="providers"]').all()) {
      await box.uncheck();
    }
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.locator('.error-summary').first().waitFor();
    const links = await errorSummaryLinks(page);
    assert.deepEqual(
      links.map((l) => l.href),
      ['#email', '#place-0-postcode', '#providers', '#mobile'],
      'the error summary follows the order of the form',
    );
    const postcode = links.find((l) => l.href === '#place-0-postcode').text;
    assert.match(postcode, /^The postcode EH1 1YZ is outside the area this service covers/, postcode);
    assert.match(postcode, /look to Police Scotland/, postcode);
    assert.ok(
      await page.evaluate(() => document.activeElement?.classList.contains('error-summary')),
      `the focus moves to the error summary, not ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`,
    );
    await assertNoSidewaysScroll(page, 'the sign-up page with errors');
    await checkAxe(st, page, 'the sign-up page with errors on a phone');
  });
});
