// What a police sender does, in real headless Chromium: sign in with a password and an
// authenticator code, write an alert, preview who it reaches, take the suggested area, save the
// draft, mark it ready, schedule it, send a test to themselves and sign out. axe-core checks
// every page on the way, and any violation of impact "serious" or "critical" fails the run.
//
//   BEACON_URL       the running server, e.g. http://127.0.0.1:18080
//   BEACON_OUTBOX    the directory where the server writes one .eml file per email
//   BEACON_DEMO_LOG  a file holding the demo's stdout, which lists the demo staff accounts
//
// tests/browser/run.sh starts a demo server and sets all three.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
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
  assertNoSidewaysScroll,
  waitForEmail,
  splitMessage,
  decodeWords,
  plainText,
} from './helpers.mjs';
import { demoAccount, totp, freshCode, wrongCode, RFC6238_KEY, RFC6238_VECTORS } from './staff.mjs';

const DEMO_LOG = process.env.BEACON_DEMO_LOG ?? '';
const SENDER = 'Lucy Ward';

const TITLE = 'Catalytic converter thefts in South Cambridgeshire villages';
const BODY =
  'There have been a number of catalytic converter thefts in the villages of Meldreth and Melbourn over the past week.\n\n' +
  '- Park in a garage or well-lit area\n' +
  '- Report anything suspicious on 101';
const SIGNOFF = [
  'Message Sent By',
  'Lucy Ward',
  '(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)',
];

// ---------------------------------------------------------------------------------------------
// The demo's staff accounts and their authenticator codes.

// ---------------------------------------------------------------------------------------------
// The browser.

let browser;
// As in resident.test.mjs: the walk's context bypasses the pages' Content-Security-Policy so
// that axe-core can be injected; the screenshots and the phone-size check use contexts that
// keep it (made from the walk's cookies once signed in), and fail on any violation of it.
let ctx;
let page;
const cspErrors = [];
const contexts = [];

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  assert.ok(OUTBOX, 'set BEACON_OUTBOX to the directory where the server writes .eml files');
  assert.ok(DEMO_LOG, "set BEACON_DEMO_LOG to a file holding the demo's stdout");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(15_000);
  page = await ctx.newPage();
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

/** A context that keeps the Content-Security-Policy, signed in as the walk is (its cookies). */
async function plainContext(options = { viewport: { width: 1280, height: 800 } }) {
  const context = await browser.newContext({ ...options, storageState: await ctx.storageState() });
  context.setDefaultTimeout(15_000);
  contexts.push(context);
  return context;
}

const step = makeStep();

/** The notice at the top of an alert page. */
async function notice(p) {
  const box = p.locator('.notice').first();
  await box.waitFor();
  return (await box.innerText()).trim();
}

/** The "Who it will reach" section: its counts, and the section itself. */
async function audience(p) {
  const section = p.locator('section').filter({ has: p.getByRole('heading', { name: 'Who it will reach' }) });
  await section.waitFor();
  const summary = (await section.locator('#audience-summary').innerText()).trim();
  const match = /(\d+) residents: (\d+) by email and (\d+) by text/.exec(summary);
  assert.ok(match, `the audience summary should read "N residents: N by email and N by text", not ${JSON.stringify(summary)}`);
  const map = section.locator('svg');
  assert.equal(await map.count(), 1, 'the audience section has one inline <svg> map');
  assert.equal(await map.getAttribute('role'), 'img', 'the map has role="img"');
  const name = (await map.getAttribute('aria-label')) ?? (await map.locator('title').first().textContent().catch(() => null));
  assert.ok(name?.trim(), 'the map has an accessible name (aria-label or <title>)');
  // Residents are shown per 1 km square, never as a dot per postcode, and no square with fewer
  // than five (issue 19, item 20).
  assert.equal(await map.locator('path[stroke-linecap="round"]').count(), 0, 'no dot per postcode on the map');
  const bands = await map.locator('path[data-residents]').evaluateAll((paths) => paths.map((path) => path.getAttribute('data-residents')));
  for (const band of bands) {
    assert.ok(parseInt(band, 10) >= 5, `squares of fewer than 5 residents are shown: ${band}`);
  }
  return { residents: Number(match[1]), emails: Number(match[2]), texts: Number(match[3]), summary };
}

/** The map under `heading` outlines the force's six districts (Fenland too) and names towns,
 * and its description says so (issue 19, item 6). */
async function assertDistrictsDrawn(p, heading) {
  const map = p.locator('section').filter({ has: p.getByRole('heading', { name: heading }) }).locator('svg');
  for (const code of ['E07000008', 'E07000009', 'E07000010', 'E07000011', 'E07000012', 'E06000031']) {
    assert.equal(await map.locator(`path.district[data-district="${code}"]`).count(), 1, `${heading}: district ${code} is outlined`);
  }
  const towns = await map.locator('text.place').allTextContents();
  assert.ok(towns.includes('Cambridge') && towns.includes('Peterborough'), `${heading}: towns named: ${towns}`);
  const desc = await map.locator('desc').textContent();
  assert.match(desc, /District outlines: .*Fenland.* \(targeted\)/, `${heading}: the description names the districts`);
  assert.match(desc, /Towns named: .*Cambridge/, `${heading}: the description names the towns`);
}

/** Fills the compose form with the alert (the area is left to the caller). */
async function fillAlert(p) {
  await p.locator('#title').fill(TITLE);
  await p.locator('#body').fill(BODY);
  await p.locator('#message_type').selectOption({ label: 'Crime update' });
  await p.locator('#priority').selectOption({ label: '2 – high' });
}

/** The date tomorrow in the UK, as YYYY-MM-DD, and as the alert page shows it ("23 November 2026"). */
function tomorrowInUk() {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date())
      .map((part) => [part.type, part.value]),
  );
  const date = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + 1));
  const iso = date.toISOString().slice(0, 10);
  const shown = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' }).format(date);
  return { iso, shown };
}

// ---------------------------------------------------------------------------------------------
// The walk.

test('the TOTP codes match RFC 6238', () => {
  for (const [seconds, code] of RFC6238_VECTORS) {
    assert.equal(totp(RFC6238_KEY, seconds), code, `the code at ${seconds} s`);
  }
});

test('a police sender signs in, writes an alert, schedules it, tests it and signs out', { timeout: 300_000 }, async (t) => {
  let account;
  let signedIn = false;
  let alertUrl;

  await step(t, 'a. sign in with a password and an authenticator code', async (st) => {
    account = await demoAccount(SENDER);
    assert.equal(account.email, 'lucy.ward@cambs.police.example');

    const response = await page.goto(`${BASE}/staff/sign-in`);
    assert.equal(response.status(), 200);
    await expectHeading(page, 'Staff sign-in');
    await checkAxe(st, page, 'the staff sign-in page');

    await page.locator('#email').fill(account.email);
    await page.locator('#password').fill(account.password);
    await page.locator('#code').fill(wrongCode(account.key));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const problem = page.locator('.error-summary').first();
    await problem.waitFor();
    assert.equal((await problem.locator('h2').innerText()).trim(), 'There is a problem');
    assert.match(await problem.innerText(), /^There is a problem\s+The email address, password or code is not right/);
    assert.match(await page.title(), /^Error: /, 'the title of a page with errors starts "Error:"');
    await expectHeading(page, 'Staff sign-in');
    await checkAxe(st, page, 'the staff sign-in page with a wrong code');

    // A code is taken once: if another test file (the scam checker's) signed Lucy Ward in
    // during this 30-second step, the code is refused, and the next step's is tried.
    for (let attempt = 0; attempt < 2; attempt++) {
      await page.locator('#email').fill(account.email);
      await page.locator('#password').fill(account.password);
      await page.locator('#code').fill(await freshCode(account.key));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState('load');
      if (new URL(page.url()).pathname === '/staff' || attempt === 1) break;
      const left = 30 - ((Date.now() / 1000) % 30);
      await new Promise((resolve) => setTimeout(resolve, left * 1000 + 500));
    }
    await page.waitForURL(`${BASE}/staff`);
    await expectHeading(page, 'Alerts');
    assert.match(await page.locator('main').innerText(), /Signed in as Lucy Ward/);
    signedIn = true;
    await checkAxe(st, page, 'the staff home page');
  });

  let forceAreaCount;

  await step(t, 'b. write an alert and preview who it reaches', async (st) => {
    await page.getByRole('link', { name: 'Write an alert' }).click();
    await expectHeading(page, 'Write an alert');
    await checkAxe(st, page, 'the compose page');

    await fillAlert(page);
    await page.locator('#force-area').check();
    await page.getByRole('button', { name: 'Preview the audience' }).click();
    const whole = await audience(page);
    forceAreaCount = whole.residents;
    await assertDistrictsDrawn(page, 'Who it will reach');
    assert.equal(await page.locator('#title').inputValue(), TITLE, 'the title is kept');
    assert.equal(await page.locator('#body').inputValue(), BODY, 'the message is kept');
    assert.equal(
      await page.locator('#message_type option:checked').innerText(),
      'Crime update',
      'the kind of message is kept',
    );
    assert.equal(await page.locator('#priority option:checked').innerText(), '2 – high', 'the priority is kept');
    assert.ok(await page.locator('#force-area').isChecked(), 'the force area stays ticked');
    await checkAxe(st, page, 'the compose page with the whole force area previewed');

    const suggestion = page.locator('.panel').filter({ hasText: 'Suggested area' });
    await suggestion.waitFor();
    const suggested = await suggestion.innerText();
    assert.match(suggested, /Meldreth/, 'the suggestion names Meldreth');
    assert.match(suggested, /Melbourn/, 'the suggestion names Melbourn');

    // The text message is counted with the link sending adds, and without it for an alert kept
    // to subscribers (issue 19, item 4).
    const linkRoom = Number(await page.locator('#sms-count').getAttribute('data-link-room'));
    assert.ok(linkRoom > 20, `the link takes ${linkRoom} characters`);
    await page.locator('#sms_text').fill('a'.repeat(150));
    assert.equal(
      (await page.locator('#sms-count').innerText()).trim(),
      `${150 + linkRoom} of 160 characters with the link: too long`,
      'the counter counts the link',
    );
    await page.locator('#private').check();
    assert.equal((await page.locator('#sms-count').innerText()).trim(), '150 of 160 characters', 'no link for an alert kept to subscribers');
    await page.locator('#private').uncheck();
    await page.locator('#sms_text').fill('');

    // The suggested circle is added to a district ticked beforehand (issue 19, item 3).
    await page.locator('#force-area').uncheck();
    await page.locator('#district-E07000008').check();
    await suggestion.getByRole('button', { name: 'Use the suggested area' }).click();
    await page.waitForLoadState('load');
    assert.ok(await page.locator('#district-E07000008').isChecked(), 'Cambridge stays ticked');
    assert.match(await page.locator('#compose-notice').innerText(), /is added to the area you chose: nothing you chose is removed/);
    await page.locator('#district-E07000008').uncheck();
    await page.getByRole('button', { name: 'Preview the audience' }).click();
    const around = await audience(page);
    assert.ok(
      around.residents <= forceAreaCount,
      `the suggested area reaches ${around.residents} residents, more than the whole force area's ${forceAreaCount}`,
    );
    assert.match(await page.locator('#circle_centre').inputValue(), /Meldreth/, 'the circle is around Meldreth');
    assert.match(await page.locator('#circle_radius').inputValue(), /^\d+(\.\d+)?$/, 'the circle has a radius');
    assert.equal(await page.locator('#force-area').isChecked(), false, 'the force area is no longer ticked');
    await checkAxe(st, page, 'the compose page with the suggested area previewed');

    // The same, in a context that keeps the Content-Security-Policy, for the screenshot.
    const plain = await plainPageIn(await plainContext(), cspErrors);
    await plain.goto(`${BASE}/staff/alerts/new`);
    await fillAlert(plain);
    await plain.locator('#force-area').check();
    await plain.getByRole('button', { name: 'Preview the audience' }).click();
    await plain.locator('.panel').filter({ hasText: 'Suggested area' }).waitFor();
    await plain.locator('#force-area').uncheck();
    await plain.getByRole('button', { name: 'Use the suggested area' }).click();
    await audience(plain);
    await plain.screenshot({ path: path.join(SCREENSHOTS, 'compose-preview.png'), fullPage: true });
    await plain.close();
  });

  await step(t, 'c. save the draft, mark it ready and schedule it', async (st) => {
    await page.getByRole('button', { name: 'Save the draft' }).click();
    await page.waitForURL(/\/staff\/alerts\/\d+(\?|$)/);
    alertUrl = page.url().split('?')[0];
    assert.equal(await notice(page), 'The draft is saved.');
    await expectHeading(page, TITLE);
    const signoff = page.locator('main p').filter({ hasText: 'Message Sent By' });
    assert.equal(await signoff.count(), 1, 'the sign-off is on the page once');
    assert.deepEqual(
      (await signoff.innerText()).split('\n').map((line) => line.trim()).filter(Boolean),
      SIGNOFF,
      'the sign-off lines',
    );
    const body = await page.locator('.alert-body').innerText();
    assert.match(body, /Meldreth and Melbourn/);
    assert.equal(await page.locator('.alert-body li').count(), 2, 'the message has its two bullets');
    await checkAxe(st, page, 'the alert page of a saved draft');

    // A draft can be edited (issue 19, item 1).
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await expectHeading(page, `Edit alert ${alertUrl.split('/').pop()}`);
    assert.equal(await page.locator('#title').inputValue(), TITLE, 'the form comes filled in');
    assert.match(await page.locator('#circle_centre').inputValue(), /Meldreth/, 'with its area');
    await checkAxe(st, page, 'the compose page editing a draft');
    await page.locator('#sms_text').fill('Catalytic converter thefts near you: lock up tonight.');
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.waitForURL(/\?done=edited$/);
    assert.equal(await notice(page), 'Your changes are saved.');
    assert.match(await page.locator('dl.summary').innerText(), /lock up tonight\./, 'the change is on the alert');

    await page.getByRole('button', { name: 'Mark ready to send' }).click();
    await page.waitForURL(/\?done=submit$/);
    assert.match(await notice(page), /Ready to send/);
    assert.match(await page.locator('main p.small').first().innerText(), /·\s*Ready to send\b/, 'the status line');

    const { iso, shown } = tomorrowInUk();
    await page.locator('#schedule-at').fill(`${iso}T09:30`);
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.waitForURL(/\?done=schedule$/);
    assert.equal(await notice(page), 'Scheduled.');
    const when = page.locator('dl.summary div').filter({ has: page.locator('dt', { hasText: 'Scheduled for' }) });
    assert.equal(await when.count(), 1, 'the alert page has a "Scheduled for" line');
    const whenText = (await when.locator('dd').innerText()).trim();
    assert.ok(
      whenText.includes(shown) && whenText.endsWith('at 09:30'),
      `scheduled for ${JSON.stringify(whenText)}; expected tomorrow, ${shown} at 09:30`,
    );
    await checkAxe(st, page, 'the alert page of a scheduled alert');

    const plain = await plainPageIn(await plainContext(), cspErrors);
    await plain.goto(alertUrl);
    await expectHeading(plain, TITLE);
    await plain.screenshot({ path: path.join(SCREENSHOTS, 'alert.png'), fullPage: true });
    await plain.close();
  });

  await step(t, 'd. send a test to myself', async (st) => {
    const started = Date.now();
    await page.getByRole('button', { name: 'Send a test to myself' }).click();
    await page.waitForURL(/\?done=test$/);
    assert.equal(await notice(page), `A test has been sent to ${account.email}.`);
    await checkAxe(st, page, 'the alert page after a test send');
    const email = await waitForEmail(account.email, 10_000, (m) => m.subject.startsWith('[TEST] '));
    assert.ok(
      email.subject.startsWith('[TEST] Catalytic converter thefts'),
      `the test email's subject is ${JSON.stringify(email.subject)}`,
    );
    assert.ok(Date.now() - started < 10_000 + 1_000, 'the test email came within 10 s');
  });

  await step(t, 'd2. send a force-wide alert now: one personalised email per resident it reaches, counted on the delivery report', async (st) => {
    const title = 'Rogue traders calling at homes across Cambridgeshire';
    await page.goto(`${BASE}/staff/alerts/new`);
    await fillAlert(page);
    await page.locator('#title').fill(title);
    await page.locator('#force-area').check();
    await page.getByRole('button', { name: 'Preview the audience' }).click();
    const { emails } = await audience(page);
    assert.ok(emails > 0, 'the demo has residents across the force area');
    await page.getByRole('button', { name: 'Save the draft' }).click();
    await page.waitForURL(/\/staff\/alerts\/\d+(\?|$)/);
    const sentUrl = page.url().split('?')[0];
    const alertId = /\/staff\/alerts\/(\d+)/.exec(sentUrl)[1];
    await page.getByRole('button', { name: 'Mark ready to send' }).click();
    // "Send now" asks first: how many residents, emails and texts, and where (issue 19, item 2).
    await page.getByRole('link', { name: 'Send now' }).click();
    await page.waitForURL(`${sentUrl}/send`);
    const question = (await page.locator('#send-summary').innerText()).trim();
    assert.match(question, /^Send to [\d,]+ residents?: [\d,]+ emails?, [\d,]+ texts?$/, 'the question counts what will go out');
    const asked = /^Send to ([\d,]+) residents?: ([\d,]+) emails?/.exec(question);
    assert.equal(Number(asked[2].replaceAll(',', '')), emails, 'the emails counted as the preview counted them');
    assert.equal((await page.locator('#send-area').innerText()).trim(), 'The whole force area', 'it names the area');
    await checkAxe(st, page, 'the page that asks before sending');
    await page.getByRole('button', { name: 'Send now' }).click();
    await page.waitForURL(/\?done=send$/);
    // The report fills in as the workers go: reload until every email is sent.
    let cells = [];
    for (let tries = 0; ; tries++) {
      const rows = page.locator('#delivery-report tbody tr');
      cells = (await rows.first().locator('th, td').allInnerTexts()).map((c) => c.trim());
      if (cells[0] === 'Email' && Number(cells[1]) === emails && Number(cells[2]) === emails) break;
      assert.ok(tries < 60, `the report should reach ${emails} emails sent; it shows ${cells.join(' | ')}`);
      await page.waitForTimeout(250);
      await page.reload();
    }
    assert.match(await page.locator('section[aria-labelledby="report-title"]').innerText(), /Every matching resident was queued/);
    // Once sent, the page still shows where the alert went (issue 19, item 6).
    await assertDistrictsDrawn(page, 'Where it was sent');
    await checkAxe(st, page, 'the delivery report of a sent alert');

    const files = (await readdir(OUTBOX)).filter((n) => n.startsWith(`alert-${alertId}-`) && n.endsWith('.eml'));
    assert.equal(files.length, emails, `one email per resident in the outbox: ${files.length}, not ${emails}`);
    const recipients = new Set();
    for (const file of files) {
      const { headers, body } = splitMessage(await readFile(path.join(OUTBOX, file), 'utf8'));
      recipients.add(headers.get('to'));
      assert.equal(
        decodeWords(headers.get('subject') ?? ''),
        `${title} | Cambridgeshire Constabulary | Alert ${alertId}`,
      );
      const text = plainText(headers, body) ?? '';
      assert.match(text, /^Dear \S+,\r?$/m, 'each email greets its resident by first name');
      assert.ok(!text.includes('TEST SEND'), 'residents get no test banner');
    }
    assert.equal(recipients.size, emails, 'no resident got two');

    // A sent alert can be duplicated as a new draft (issue 19, item 1).
    await page.getByRole('button', { name: 'Duplicate as a new draft' }).click();
    await page.waitForURL(/\?done=duplicated$/);
    assert.notEqual(page.url().split('?')[0], sentUrl, 'the copy is a new alert');
    assert.match(await notice(page), /This is a copy, saved as a new draft/);
    await expectHeading(page, title);
    await checkAxe(st, page, 'the alert page of a duplicated draft');
  });

  // Needs only a session, so it runs even when a step after the sign-in failed (and must run
  // before signing out).
  await t.test('e. the compose page on a phone: no sideways scrolling', async (st) => {
    if (!signedIn) {
      st.skip('not signed in');
      return;
    }
    const phone = await plainContext({
      viewport: { width: 375, height: 667 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const p = await plainPageIn(phone, cspErrors);
    await p.goto(`${BASE}/staff/alerts/new`);
    await expectHeading(p, 'Write an alert');
    await assertNoSidewaysScroll(p, 'the compose page');
    await fillAlert(p);
    await p.locator('#force-area').check();
    await p.getByRole('button', { name: 'Preview the audience' }).click();
    await audience(p);
    await assertNoSidewaysScroll(p, 'the compose page with a preview');
    await p.screenshot({ path: path.join(SCREENSHOTS, 'compose-phone.png'), fullPage: true });
    if (alertUrl) {
      await p.goto(alertUrl);
      await assertNoSidewaysScroll(p, 'the alert page');
    }
    await p.close();
  });

  await step(t, 'f. sign out', async (st) => {
    await page.goto(`${BASE}/staff`);
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('button', { name: 'Sign out' }).click();
    await expectHeading(page, 'You have signed out');
    await checkAxe(st, page, 'the signed-out page');

    const response = await page.goto(`${BASE}/staff`);
    assert.equal(new URL(page.url()).pathname, '/staff/sign-in', 'after signing out, /staff leads to the sign-in page');
    assert.equal(response.status(), 200);
    await expectHeading(page, 'Staff sign-in');

    // The other contexts held the same session cookie: it no longer works there either.
    for (const context of contexts) {
      const p = await context.newPage();
      await p.goto(`${BASE}/staff`);
      assert.equal(new URL(p.url()).pathname, '/staff/sign-in', 'the session is ended on the server, not only forgotten');
      await p.close();
    }
  });

  await t.test('the pages keep to their Content-Security-Policy', () => {
    assert.deepEqual(cspErrors, [], `the browser blocked something:\n${cspErrors.join('\n')}`);
  });
});
