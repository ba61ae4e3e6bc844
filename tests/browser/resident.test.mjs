// What a resident does, in real headless Chromium: sign up, confirm from the email, change their
// preferences, unsubscribe. axe-core checks every page on the way, and any violation of impact
// "serious" or "critical" fails the run.
//
//   BEACON_URL     the running server, e.g. http://127.0.0.1:18080
//   BEACON_OUTBOX  the directory where the server writes one .eml file per email
//
// tests/browser/run.sh starts a demo server and sets both.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE,
  OUTBOX,
  CHROMIUM,
  SCREENSHOTS,
  LAUNCH_ARGS,
  plainPage as plainPageIn,
  makeStep,
  checkAxe,
  expectHeading,
  errorSummaryLinks,
  assertNoSidewaysScroll,
  decodeWords,
  plainText,
  waitForEmail,
} from './helpers.mjs';

let browser;
// The walk's context. The pages send a Content-Security-Policy (`default-src 'none'; ...`)
// that blocks inline scripts, and axe-core is injected as one: `bypassCSP` lets it run. It
// changes nothing else, but it would also hide a page's own CSP breakage, so the screenshots
// and the phone-size check use `plain`, a context that keeps the policy, and fail on any
// violation of it reported in the console.
let ctx;
let page;
let plain;
const cspErrors = [];

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  assert.ok(OUTBOX, 'set BEACON_OUTBOX to the directory where the server writes .eml files');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(15_000);
  page = await ctx.newPage();
  plain = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  plain.setDefaultTimeout(15_000);
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

/** A page in the context that keeps the pages' Content-Security-Policy. */
async function plainPage(context = plain) {
  return plainPageIn(context, cspErrors);
}

// Steps, axe checks, page helpers and the outbox reader are in helpers.mjs.
const step = makeStep();

// ---------------------------------------------------------------------------------------------
// The walk.

test('a resident signs up, confirms, manages their alerts and unsubscribes', { timeout: 240_000 }, async (t) => {
  const address = `mandy+${Date.now()}@example.org`;
  let email; // the confirmation email
  let confirmUrl;
  let unsubscribeUrl;
  let manageUrl;

  await step(t, 'a. the sign-up page, and its errors', async (st) => {
    const response = await page.goto(`${BASE}/`);
    assert.equal(response.status(), 200);
    await expectHeading(page, 'Sign up for community alerts');
    await checkAxe(st, page, 'the sign-up page');

    const plainSignUp = await plainPage();
    await plainSignUp.goto(`${BASE}/`);
    await plainSignUp.screenshot({ path: path.join(SCREENSHOTS, 'signup.png'), fullPage: true });
    await plainSignUp.close();

    await page.locator('#email').fill('');
    await page.locator('#place-0-postcode').fill('ZZ99 9ZZ');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.locator('.error-summary').first().waitFor();
    const links = await errorSummaryLinks(page);
    const hrefs = links.map((l) => l.href);
    assert.ok(hrefs.includes('#email'), `the error summary should link to #email; it links to ${hrefs.join(', ')}`);
    // A resident should hear about every problem at once, not the unknown postcode only after
    // fixing the email. Checked on its own, so that if it fails the rest of the walk still runs.
    await st.test('the unknown postcode is reported along with the missing email', () => {
      assert.ok(
        hrefs.includes('#place-0-postcode'),
        `the error summary should also link to #place-0-postcode (ZZ99 9ZZ is not a known postcode); it links only to ${hrefs.join(', ')}`,
      );
    });
    assert.match(await page.title(), /^Error: /, 'the title of a page with errors starts "Error:"');
    assert.equal(await page.locator('#place-0-postcode').inputValue(), 'ZZ99 9ZZ', 'the postcode typed is kept');
    await checkAxe(st, page, 'the sign-up page with errors');

    await page.locator('.error-summary a[href="#email"]').click();
    await page.waitForFunction(() => location.hash === '#email');
    const target = await page.evaluate(() => ({
      target: document.querySelector(':target')?.id ?? null,
      focused: document.activeElement?.id ?? null,
    }));
    assert.ok(
      target.target === 'email' || target.focused === 'email',
      `the email error link should lead to the #email input (target: ${target.target}, focus: ${target.focused})`,
    );
  });

  await step(t, 'b. sign up, after fixing the name', async (st) => {
    await page.locator('#name').fill('Mandy Clarke <b>');
    await page.locator('#email').fill(address);
    await page.locator('#place-0-postcode').fill('cb1 1pt');
    for (const box of await page.locator('input[name=providers], input[name=message_types]').all()) {
      assert.ok(await box.isChecked(), `${await box.getAttribute('id')} is checked by default`);
    }
    assert.ok(await page.locator('#channel-email').isChecked(), 'email is the default channel');
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.locator('.error-summary').first().waitFor();
    const links = await errorSummaryLinks(page);
    const nameError = links.find((l) => l.href === '#name');
    assert.ok(nameError, `the error summary should link to #name; it has ${JSON.stringify(links)}`);
    assert.match(nameError.text, /< or >/, 'the name error mentions < or >');
    assert.match(await page.locator('#name-error').innerText(), /< or >/, 'the name field shows its error');
    assert.equal(links.length, 1, `only the name is wrong, but the summary says ${JSON.stringify(links)}`);
    assert.equal(await page.locator('#email').inputValue(), address, 'the email typed is kept');

    await page.locator('#name').fill('Mandy Clarke');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expectHeading(page, 'Check your email');
    await checkAxe(st, page, 'the check-your-email page');
  });

  await step(t, 'c. the confirmation email', async () => {
    email = await waitForEmail(address);
    const { headers, body } = email;
    assert.equal(decodeWords(headers.get('subject') ?? ''), 'Confirm your Beacon alerts');
    const listUnsubscribe = headers.get('list-unsubscribe') ?? '';
    assert.match(listUnsubscribe, /^<https?:\/\/[^>]+>$/, `List-Unsubscribe: ${listUnsubscribe}`);
    unsubscribeUrl = listUnsubscribe.slice(1, -1);
    assert.equal(headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.match(headers.get('content-type') ?? '', /^multipart\/alternative/i);

    const text = plainText(headers, body);
    assert.ok(text !== null, `no text/plain part in ${email.file}`);
    assert.match(text, /Dear Mandy,/);
    const link = /https?:\/\/[^\s<>"]+\/confirm\/[A-Za-z0-9._~%-]+/.exec(text);
    assert.ok(link, `no confirmation link in the text part of ${email.file}:\n${text}`);
    confirmUrl = link[0];
    assert.ok(confirmUrl.startsWith(`${BASE}/`), `the link ${confirmUrl} should be on ${BASE}`);
    assert.ok(text.includes(unsubscribeUrl), 'the text part has the same unsubscribe link as the header');
  });

  await step(t, 'd. the confirmation link, used twice', async (st) => {
    // Opening the link only asks: mail scanners open links too, and must not confirm anything.
    await page.goto(confirmUrl);
    await expectHeading(page, 'Confirm your subscription');
    await checkAxe(st, page, 'the confirm-your-subscription page');
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await expectHeading(page, 'Your subscription is confirmed');
    await checkAxe(st, page, 'the confirmed page');
    const manageLink = await page.getByRole('link', { name: 'Manage your alerts' }).getAttribute('href');

    await page.goto(confirmUrl);
    await expectHeading(page, 'Your subscription is already confirmed');
    assert.equal(await page.getByRole('link', { name: 'Manage your alerts' }).count(), 0,
      'a used confirmation link does not open the settings');
    await checkAxe(st, page, 'the already-confirmed page');

    await page.goto(new URL(manageLink, BASE).href);
    await expectHeading(page, 'Manage your alerts');
    manageUrl = page.url().split('?')[0];
  });

  await step(t, 'e. the manage page: change what and where', async (st) => {
    await checkAxe(st, page, 'the manage page');
    assert.equal(await page.locator('#name').inputValue(), 'Mandy Clarke');
    assert.equal(await page.locator('#place-0-postcode').inputValue(), 'CB1 1PT', 'the postcode is kept, tidied');
    assert.ok(await page.locator('#type-newsletter').isChecked(), 'the newsletter is chosen at sign-up');

    await page.locator('#type-newsletter').uncheck();
    await page.locator('#place-1-postcode').fill('PE1 1HQ');
    await page.locator('#place-1-label').fill("Mum's house");
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.notice').waitFor();
    assert.equal((await page.locator('.notice').innerText()).trim(), 'Your changes have been saved.');
    await expectHeading(page, 'Manage your alerts');
    assert.equal(await page.locator('#type-newsletter').isChecked(), false, 'the newsletter stays unchecked');
    assert.equal(await page.locator('#place-1-postcode').inputValue(), 'PE1 1HQ');
    assert.equal(await page.locator('#place-1-label').inputValue(), "Mum's house");
    await checkAxe(st, page, 'the manage page after saving');

    const plainManage = await plainPage();
    await plainManage.goto(page.url());
    await plainManage.screenshot({ path: path.join(SCREENSHOTS, 'manage.png'), fullPage: true });
    await plainManage.close();
  });

  await step(t, 'f. text messages need a mobile number', async (st) => {
    await page.locator('#mobile').fill('');
    await page.locator('#channel-sms').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.error-summary').first().waitFor();
    const links = await errorSummaryLinks(page);
    const mobile = links.find((l) => l.text.includes('Enter your mobile number to receive text messages'));
    assert.ok(mobile, `the error summary should ask for a mobile number; it has ${JSON.stringify(links)}`);
    assert.equal(mobile.href, '#mobile');
    assert.match(await page.title(), /^Error: /);
    assert.ok(await page.locator('#channel-sms').isChecked(), 'the choice of texts is kept');
    await checkAxe(st, page, 'the manage page with errors');
  });

  await step(t, 'g. unsubscribe from the link in the email', async (st) => {
    await page.goto(unsubscribeUrl);
    await expectHeading(page, 'Unsubscribe from all alerts');
    assert.match(await page.locator('main').innerText(), new RegExp(address.replace(/[.+]/g, '\\$&')));
    await checkAxe(st, page, 'the unsubscribe page');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expectHeading(page, 'You have unsubscribed');
    await checkAxe(st, page, 'the unsubscribed page');
  });

  // Needs nothing from the steps before, so it runs even when one of them failed.
  await t.test('h. no sideways scrolling on a phone', async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const p = await plainPage(phone);
      const overflow = (where) => assertNoSidewaysScroll(p, where);
      await p.goto(`${BASE}/`);
      await overflow('the sign-up page');
      await p.screenshot({ path: path.join(SCREENSHOTS, 'signup-phone.png'), fullPage: true });
      await p.getByRole('button', { name: 'Sign up' }).click();
      await p.locator('.error-summary').first().waitFor();
      await overflow('the sign-up page with errors');
      if (manageUrl) {
        await p.goto(manageUrl);
        await overflow('the manage page');
      }
    } finally {
      await phone.close();
    }
  });

  await t.test('the pages keep to their Content-Security-Policy', () => {
    assert.deepEqual(cspErrors, [], `the browser blocked something:\n${cspErrors.join('\n')}`);
  });
});
