// The contact centre's figures (issue 17, item 4) in real headless Chromium: on a phone, the
// footer leads to the contact page, which gives last month's response time on web chat (from the
// demo's past chats) and every way to reach the force; Priya Shah, an operator, reads the chat
// figures with their charts and tables. axe-core checks both pages.
//
//   BEACON_URL       the running server (tests/browser/run.sh starts a demo server and sets it)
//   BEACON_DEMO_LOG  the demo's stdout (the demo staff accounts and their keys)

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
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

let browser;
let phone;
let desk;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const resident = await browser.newContext({
    bypassCSP: true,
    viewport: { width: 375, height: 740 },
    isMobile: true,
    hasTouch: true,
  });
  resident.setDefaultTimeout(15_000);
  phone = await resident.newPage();
  const staff = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  staff.setDefaultTimeout(15_000);
  desk = await staff.newPage();
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

test('the contact page gives last month\'s response time; an operator reads the chat figures', { timeout: 120_000 }, async (t) => {
  await step(t, 'a. on a phone, the footer leads to the contact page and its figure', async (st) => {
    await phone.goto(`${BASE}/alerts`);
    await phone.locator('footer').getByRole('link', { name: 'Contact us' }).click();
    await expectHeading(phone, 'Contact us');
    const main = await phone.locator('main').innerText();
    assert.match(main, /Last month our average response time on web chat was \d+ seconds?\./, main);
    assert.match(main, /999/);
    assert.match(main, /101/);
    for (const name of ['Chat with us', 'Report a crime or incident']) {
      assert.ok(await phone.locator('main').getByRole('link', { name }).isVisible(), `the page links to "${name}"`);
    }
    await assertNoSidewaysScroll(phone, 'the contact page');
    await checkAxe(st, phone, 'the contact page on a phone');
  });

  await step(t, 'b. the operator reads the chat figures', async (st) => {
    await signIn(desk, BASE, await demoAccount('Priya Shah'));
    await desk.goto(`${BASE}/staff/inbox/figures`);
    await expectHeading(desk, 'Chat figures');
    const times = await desk.locator('#chat-times').innerText();
    assert.match(times, /First response/, times);
    assert.match(await desk.locator('#ratings-summary').innerText(), /rated, on average \d\.\d out of 5/);
    assert.ok((await desk.locator('.chart svg').count()) >= 3, 'the figures are drawn');
    await checkAxe(st, desk, 'the chat figures');
  });
});
