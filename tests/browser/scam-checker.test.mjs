// The scam checker (issue 15) in headless Chromium on a phone (375 px): a resident pastes a
// "Hi Mum" text, says it came by text message and checks it; sees the scam named, the sign's
// words highlighted, the 7726 advice and the force's own alert about it; shares it with the
// police with a postcode. Then Lucy Ward (a sender) finds it on Reported scams and starts a scam
// warning from it, the compose form filled in. axe-core checks every page on the way.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  BASE,
  CHROMIUM,
  LAUNCH_ARGS,
  makeStep,
  checkAxe,
  expectHeading,
  assertNoSidewaysScroll,
  errorSummaryLinks,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

// A text of its own (the words after the usual ones), so that this run's shared message is told
// apart from any other on the staff page.
const MARKER = `ref ${Date.now().toString(36)}`;
const TEXT = `Hi Mum, this is my new number, my phone broke, can you text me on WhatsApp (${MARKER})`;

let browser;
let page;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const ctx = await browser.newContext({
    bypassCSP: true,
    viewport: { width: 375, height: 667 },
    isMobile: true,
    hasTouch: true,
  });
  ctx.setDefaultTimeout(15_000);
  page = await ctx.newPage();
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

test('a resident checks a "Hi Mum" text and shares it; a sender warns about it', { timeout: 180_000 }, async (t) => {
  await step(t, 'a. the home page leads to the checker, which works on a phone', async (st) => {
    await page.goto(`${BASE}/`);
    await page.getByRole('link', { name: 'Check it with our scam checker' }).click();
    await expectHeading(page, 'Scam checker');
    assert.match(await page.locator('main').innerText(), /What you paste is not stored or logged/);
    await assertNoSidewaysScroll(page, 'the scam checker');
    await checkAxe(st, page, 'the scam checker');
  });

  await step(t, 'b. nothing pasted: the error summary leads to the box', async (st) => {
    await page.getByRole('button', { name: 'Check' }).click();
    await errorSummaryLinks(page);
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('.error-summary').innerText(), /Paste the message you want checked/);
    await checkAxe(st, page, 'the scam checker with nothing pasted');
  });

  await step(t, 'c. paste the text, say it came by text message, and check it', async (st) => {
    await page.locator('#text').fill(TEXT);
    await page.getByLabel('Text message').check();
    await page.getByRole('button', { name: 'Check' }).click();
    await expectHeading(page, 'This is the “Hi Mum” scam');
    const main = await page.locator('main').innerText();
    assert.match(main, /“Hi Mum” or “Hi Dad”/, 'the kind is named');
    const marked = await page.locator('.scam-text mark').allInnerTexts();
    assert.ok(marked.some((m) => m.toLowerCase() === 'new number'), `"new number" is highlighted: ${marked.join(' | ')}`);
    assert.match(main, /Forward the text to 7726/, 'the 7726 advice for a text');
    const related = page.locator('.related-alerts a', { hasText: 'Beware “Hi Mum” texts from a new number' });
    assert.equal(await related.count(), 1, "the demo's own alert about it");
    assert.match(await related.getAttribute('href'), /^\/alerts\/\d+$/);
    await assertNoSidewaysScroll(page, 'the answer');
    await checkAxe(st, page, 'the answer');
  });

  await step(t, 'd. the alert it links to is the warning, and leads back to the checker', async (st) => {
    await page.locator('.related-alerts a', { hasText: 'Beware “Hi Mum” texts from a new number' }).click();
    await expectHeading(page, 'Beware “Hi Mum” texts from a new number');
    assert.equal(await page.getByRole('link', { name: 'Check it with our scam checker' }).count(), 1);
    await checkAxe(st, page, 'the related alert');
  });

  await step(t, 'e. share it with the police with a postcode', async (st) => {
    // Checked afresh (an answer is a POST's page, which the browser does not keep to go back to).
    await page.goto(`${BASE}/scam-checker`);
    await page.locator('#text').fill(TEXT);
    await page.getByLabel('Text message').check();
    await page.getByRole('button', { name: 'Check' }).click();
    await expectHeading(page, 'This is the “Hi Mum” scam');
    await page.getByLabel('Yes, share this message with the police').check();
    await page.locator('#postcode').fill('CB1 1PT');
    await page.getByRole('button', { name: 'Share with the police' }).click();
    await expectHeading(page, 'Thank you for sharing this with the police');
    await assertNoSidewaysScroll(page, 'the thank-you page');
    await checkAxe(st, page, 'the thank-you page');
  });

  await step(t, 'f. Lucy Ward sees it on Reported scams', async (st) => {
    await signIn(page, BASE, await demoAccount('Lucy Ward'));
    await page.getByRole('link', { name: 'Reported scams' }).click();
    await expectHeading(page, 'Reported scams');
    const row = page.locator('tr', { hasText: MARKER });
    assert.equal(await row.count(), 1, 'the shared message is listed once');
    const cells = await row.locator('td').allInnerTexts();
    assert.ok(cells.some((c) => /Hi Mum/.test(c)), cells.join(' | '));
    assert.ok(cells.includes('Cambridge'), `its district: ${cells.join(' | ')}`);
    assert.ok(cells.includes('Text message'), cells.join(' | '));
    assert.ok((await page.locator('.chart svg').count()) >= 2, 'the charts');
    await checkAxe(st, page, 'Reported scams');
  });

  await step(t, 'g. "Write a scam warning" opens the compose form filled in', async (st) => {
    await page.getByRole('link', { name: /Write a scam warning about “Hi Mum”/ }).click();
    await expectHeading(page, 'Write an alert');
    const kind = await page.locator('#message_type option:checked').innerText();
    assert.equal(kind.trim(), 'Scam and fraud warning');
    assert.match(await page.locator('#title').inputValue(), /“Hi Mum”/);
    assert.match(await page.locator('#body').inputValue(), /Do not send money/);
    await checkAxe(st, page, 'the compose form for a scam warning');
  });
});
