// A sender's alert templates (issue 19, item 1), in real headless Chromium: the alert being
// written saved as a template, a new alert written from it with its fields filled in, the
// template renamed and deleted from the Templates page. axe-core checks every page on the way.
// Signs in as the demo's Sam Patel (the sender's walk is Lucy Ward's, the admin's Alex Morgan's).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { BASE, CHROMIUM, LAUNCH_ARGS, makeStep, checkAxe, expectHeading, errorSummaryLinks } from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

const TITLE = 'Burglaries in Sawston: lock your sheds';
const BODY = 'Sheds and garages in Sawston have been broken into this week.\n\n- Lock sheds and garages\n- Mark your tools';
const NAME = 'Shed burglaries';

let browser;
let page;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(15_000);
  page = await ctx.newPage();
});

after(async () => {
  await browser?.close();
});

const step = makeStep();

async function notice(p) {
  const box = p.locator('.notice').first();
  await box.waitFor();
  return (await box.innerText()).trim();
}

test('a sender keeps an alert as a template, writes from it, renames it and deletes it', { timeout: 180_000 }, async (t) => {
  await step(t, 'a. sign in and write an alert', async () => {
    const account = await demoAccount('Sam Patel');
    await signIn(page, BASE, account);
    await page.getByRole('link', { name: 'Write an alert' }).click();
    await expectHeading(page, 'Write an alert');
    await page.locator('#title').fill(TITLE);
    await page.locator('#body').fill(BODY);
    await page.locator('#message_type').selectOption({ label: 'Crime prevention advice' });
    await page.locator('#priority').selectOption({ label: '4 – low' });
  });

  await step(t, 'b. save it as a template without a name, then with one', async (st) => {
    await page.getByText('Save as a template', { exact: true }).first().click();
    await page.getByRole('button', { name: 'Save as a template' }).click();
    const problem = page.locator('.error-summary').first();
    await problem.waitFor();
    assert.match(await problem.innerText(), /Enter a name for the template/);
    await errorSummaryLinks(page);
    assert.equal(await page.locator('#title').inputValue(), TITLE, 'the alert is kept as written');
    await checkAxe(st, page, 'the compose page with a template name missing');

    await page.locator('#template_name').fill(NAME);
    await page.getByRole('button', { name: 'Save as a template' }).click();
    assert.match(await notice(page), new RegExp(`^Saved as the template “${NAME}”`));
    assert.equal(await page.locator('#body').inputValue(), BODY, 'the alert is still being written');
    await checkAxe(st, page, 'the compose page after saving a template');
  });

  await step(t, 'c. the Templates page lists it; an alert written from it comes filled in', async (st) => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Templates' }).click();
    await expectHeading(page, 'Templates');
    const row = page.locator('tbody tr').filter({ hasText: NAME });
    assert.equal(await row.count(), 1, 'one row for the template');
    assert.match(await row.innerText(), /4 – low/);
    await checkAxe(st, page, 'the templates page');

    const filledIn = async (how) => {
      await expectHeading(page, 'Write an alert');
      assert.match(await notice(page), new RegExp(`^Written from the template “${NAME}”`), how);
      assert.equal(await page.locator('#title').inputValue(), TITLE, how);
      assert.equal(await page.locator('#body').inputValue(), BODY, how);
      assert.equal((await page.locator('#message_type option:checked').innerText()).trim(), 'Crime prevention advice', how);
      assert.equal(await page.locator('#priority option:checked').innerText(), '4 – low', how);
    };
    await page.getByRole('link', { name: `Write an alert from “${NAME}”` }).click();
    await filledIn('from the list');
    await checkAxe(st, page, 'the compose page written from a template');

    // A blank compose form offers the templates too.
    await page.goto(`${BASE}/staff/alerts/new`);
    await page.getByLabel('Start from a template').selectOption({ label: NAME });
    await page.getByRole('button', { name: 'Use the template' }).click();
    await filledIn('from the compose form');
  });

  await step(t, 'd. rename it, then delete it', async (st) => {
    await page.goto(`${BASE}/staff/templates`);
    await page.getByRole('link', { name: `Change “${NAME}”` }).click();
    await expectHeading(page, `Change the template “${NAME}”`);
    await checkAxe(st, page, 'the template form');
    await page.locator('#template_name').fill('');
    await page.getByRole('button', { name: 'Save the template' }).click();
    await page.locator('.error-summary').first().waitFor();
    assert.match(await page.title(), /^Error: /);
    await checkAxe(st, page, 'the template form with an error');

    await page.locator('#template_name').fill('Sheds and garages');
    await page.getByRole('button', { name: 'Save the template' }).click();
    await expectHeading(page, 'Templates');
    assert.equal(await notice(page), 'The template “Sheds and garages” is saved.');

    await page.getByRole('button', { name: 'Delete “Sheds and garages”' }).click();
    await expectHeading(page, 'Templates');
    assert.equal(await notice(page), 'The template “Sheds and garages” is deleted.');
    assert.equal(await page.locator('tbody tr').filter({ hasText: 'Sheds and garages' }).count(), 0);
    await checkAxe(st, page, 'the templates page after deleting');
  });
});
