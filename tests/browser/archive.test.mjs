// The public archive in headless Chromium against the demo server, as a newcomer uses it:
// browse the alerts, search them, narrow them to a place, open one, follow its feed, and check
// the pages on a phone. axe-core checks every page (no serious or critical violations).
//
// tests/browser/run.sh starts a demo server and sets BEACON_URL.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  BASE,
  CHROMIUM,
  SCREENSHOTS,
  LAUNCH_ARGS,
  plainPage as plainPageIn,
  makeStep,
  checkAxe,
  expectHeading,
  assertNoSidewaysScroll,
} from './helpers.mjs';

let browser;
let ctx;
let page;
const cspErrors = [];

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(15_000);
  page = await ctx.newPage();
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

test('a newcomer browses, searches and follows the public archive', { timeout: 180_000 }, async (t) => {
  await step(t, 'a. the archive lists the demo history, newest first', async (st) => {
    const response = await page.goto(`${BASE}/alerts`);
    assert.equal(response.status(), 200);
    await expectHeading(page, 'Alerts');
    const titles = await page.locator('#alerts h2').allInnerTexts();
    assert.ok(titles.length >= 10, `the demo's history is listed: ${titles.length} alerts`);
    assert.equal(titles[0].trim(), 'Burglary warning as the clocks go back', 'newest first');
    await checkAxe(st, page, 'the archive');
  });

  await step(t, 'b. search: matches highlighted, other alerts left out', async (st) => {
    await page.locator('#q').fill('fraud');
    await page.getByRole('button', { name: 'Show alerts' }).click();
    await expectHeading(page, 'Search results');
    const titles = (await page.locator('#alerts h2').allInnerTexts()).map((t) => t.trim());
    assert.ok(titles.includes('Courier fraud: calls from fake police officers'), titles.join(' | '));
    assert.ok(titles.includes('Ticket fraud ahead of summer concerts'), titles.join(' | '));
    assert.ok(!titles.includes('Web chat and online reports'), 'only alerts about fraud');
    assert.ok((await page.locator('#alerts mark').count()) > 0, 'the matched words are highlighted');
    await checkAxe(st, page, 'search results');
  });

  await step(t, 'c. narrow to a place; a mistyped date is explained', async (st) => {
    await page.goto(`${BASE}/alerts?place=${encodeURIComponent('PE1 1HF')}`);
    const titles = (await page.locator('#alerts h2').allInnerTexts()).map((t) => t.trim());
    assert.ok(titles.includes('Appeal for witnesses after a collision in Peterborough'), titles.join(' | '));
    assert.ok(!titles.includes('Shed and garage break-ins around Ely'), 'not Ely alerts for Peterborough');

    const bad = await page.goto(`${BASE}/alerts?from=2026-02-30`);
    assert.equal(bad.status(), 400);
    assert.match(await page.title(), /^Error: /);
    assert.match(await page.locator('.error-summary').innerText(), /Enter the first date as a real date/);
    await checkAxe(st, page, 'the archive with a filter error');
  });

  let alertUrl;
  await step(t, 'd. open an alert; its feed and CAP document are there', async (st) => {
    await page.goto(`${BASE}/alerts`);
    await page.getByRole('link', { name: 'Catalytic converter thefts in Meldreth and Melbourn' }).click();
    await expectHeading(page, 'Catalytic converter thefts in Meldreth and Melbourn');
    alertUrl = page.url();
    const main = await page.locator('main').innerText();
    assert.match(main, /Message Sent By/);
    assert.match(main, /Area: Within 4 km of Meldreth/);
    assert.equal(await page.getByRole('link', { name: 'On WhatsApp' }).count(), 1, 'share links');
    await checkAxe(st, page, 'an alert page');

    const cap = await page.request.get(`${alertUrl}.cap.xml`);
    assert.equal(cap.status(), 200);
    assert.match(cap.headers()['content-type'], /^application\/cap\+xml/);
    const atom = await page.request.get(`${BASE}/feeds/district/E07000012.atom`);
    assert.equal(atom.status(), 200);
    assert.match(await atom.text(), /Catalytic converter thefts in Meldreth and Melbourn/);
  });

  await step(t, 'e. on a phone: no sideways scrolling, and the pages keep to their CSP', async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const p = await plainPageIn(phone, cspErrors);
      await p.goto(`${BASE}/alerts?q=burglary`);
      await assertNoSidewaysScroll(p, 'the archive');
      await p.screenshot({ path: path.join(SCREENSHOTS, 'archive-phone.png'), fullPage: true });
      if (alertUrl) {
        await p.goto(alertUrl);
        await assertNoSidewaysScroll(p, 'an alert page');
      }
    } finally {
      await phone.close();
    }
    assert.deepEqual(cspErrors, [], `the browser blocked something:\n${cspErrors.join('\n')}`);
  });

  await step(t, 'f. "Older alerts" is readable, and leads to older alerts', async (st) => {
    await page.goto(`${BASE}/alerts?limit=3`);
    const firstPage = (await page.locator('#alerts h2').allInnerTexts()).map((t) => t.trim());
    const older = page.getByRole('link', { name: 'Older alerts' });
    assert.equal(await older.count(), 1, 'a further page is offered');
    // Its text against its own background, by WCAG's formula: 4.5:1 at least for text.
    const ratio = await older.evaluate((link) => {
      const style = getComputedStyle(link);
      const luminance = (css) => {
        const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map((c) => {
          const v = Number(c) / 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const [a, b] = [luminance(style.color), luminance(style.backgroundColor)];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
    assert.ok(ratio >= 4.5, `"Older alerts" has a contrast of ${ratio.toFixed(2)}:1`);
    await checkAxe(st, page, 'the archive with a further page');
    await older.click();
    await expectHeading(page, 'Alerts');
    const secondPage = (await page.locator('#alerts h2').allInnerTexts()).map((t) => t.trim());
    assert.ok(secondPage.length > 0, 'the next page lists alerts');
    assert.ok(!secondPage.some((title) => firstPage.includes(title)), 'older alerts, not the same again');
  });

  await step(t, 'g. searching "scam" finds the scam warnings, with their text as the snippet', async (st) => {
    await page.goto(`${BASE}/alerts`);
    await page.locator('#q').fill('scam');
    await page.getByRole('button', { name: 'Show alerts' }).click();
    await expectHeading(page, 'Search results');
    const items = page.locator('#alerts li');
    const titles = (await page.locator('#alerts h2').allInnerTexts()).map((t) => t.trim());
    for (const title of [
      'Courier fraud: calls from fake police officers',
      'Rogue traders offering roof and driveway work',
      'Ticket fraud ahead of summer concerts',
    ]) {
      assert.ok(titles.includes(title), `"${title}" is a scam warning: ${titles.join(' | ')}`);
    }
    // Found by its kind, not its words: the snippet is the start of its text, not its title.
    const ticket = items.filter({ hasText: 'Ticket fraud ahead of summer concerts' });
    assert.match(await ticket.locator('p').nth(1).innerText(), /^Only buy tickets from the venue/);
    await checkAxe(st, page, 'search results for a kind of alert');
  });
});
