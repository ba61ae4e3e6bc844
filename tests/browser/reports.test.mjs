// Online reports (issue 16) in headless Chromium, as the "done means" walks it: a
// resident on a phone (375 px) reports criminal damage to their car in Huntingdon with a photo
// (one that carries a GPS position), gets the receipt on screen and by email; Priya Shah, a
// contact operator, finds it at the top of her queue and assesses it (THRIVE); Tom Reed, a
// reviewer, records a crime with the reference 35/1234/26 and an explanation; the resident opens
// their report from the link in the receipt email and sees the reference and the explanation.
// axe-core checks every page on the way.

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
  plainText,
  waitForEmail,
} from './helpers.mjs';
import { demoAccount, signIn } from './staff.mjs';

// This run's reporter, so that the receipt is told apart from any other in the outbox.
const RUN = Date.now().toString(36);
const EMAIL = `car.owner.${RUN}@example.com`;
const CRIME_REFERENCE = '35/1234/26';
const EXPLANATION = `An officer from the Huntingdon neighbourhood team will call you this week (${RUN}).`;

/** A small JPEG (1 × 1) that carries an Exif GPS position and a comment naming a street. */
function photoWithGps() {
  const segment = (marker, data) => {
    const length = data.length + 2;
    return Buffer.concat([Buffer.from([0xff, marker, length >> 8, length & 0xff]), data]);
  };
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    segment(0xe1, Buffer.from('Exif\0\0MM\0*GPSLatitude 52.3313 GPSLongitude -0.1842', 'latin1')),
    segment(0xfe, Buffer.from('taken outside 12 Acacia Avenue', 'latin1')),
    segment(0xdb, Buffer.alloc(65)),
    segment(0xc0, Buffer.from([8, 0, 1, 0, 1, 1, 1, 0x11, 0])),
    segment(0xc4, Buffer.alloc(20)),
    segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    Buffer.from([0x12, 0x34, 0x56, 0x78, 0xff, 0xd9]),
  ]);
}

let browser;
let phone;
let desk;

before(async () => {
  assert.ok(BASE.startsWith('http'), 'set BEACON_URL to the server, e.g. http://127.0.0.1:18080');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const resident = await browser.newContext({
    bypassCSP: true,
    viewport: { width: 375, height: 667 },
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

/** Answers the question on the page: its heading first, then Continue. */
async function answer(st, heading, fill) {
  await expectHeading(phone, heading);
  await assertNoSidewaysScroll(phone, heading);
  await checkAxe(st, phone, heading);
  await fill();
  await phone.getByRole('button', { name: 'Continue' }).click();
}

let reference = '';
let followUrl = '';

test('a resident reports damage to their car; an operator assesses it; a reviewer records a crime; the resident sees the reference', { timeout: 300_000 }, async (t) => {
  await step(t, 'a. the home page leads to reporting, which asks about emergencies first', async (st) => {
    await phone.goto(`${BASE}/`);
    await phone.getByRole('link', { name: /report it online|report a crime/i }).first().click();
    await expectHeading(phone, 'Report a crime or incident');
    const main = await phone.locator('main').innerText();
    assert.match(main, /999/);
    assert.match(main, /101/);
    await assertNoSidewaysScroll(phone, 'the report start page');
    await checkAxe(st, phone, 'the report start page');
    await phone.getByRole('link', { name: 'Criminal damage' }).click();
    // A kind may have a page of its own before the questions.
    if ((await phone.locator('h1').first().innerText()).trim() === 'Criminal damage') {
      await checkAxe(st, phone, 'the criminal damage page');
      await phone.getByRole('link', { name: /Report it here|Continue/ }).first().click();
    }
  });

  await step(t, 'b. one question a page: where, when, what, its own questions, people, vehicles', async (st) => {
    await answer(st, 'Where did it happen?', () => phone.locator('#location').fill('PE29 3AB'));
    await answer(st, 'When did it happen?', () => phone.locator('#happened').fill('Last night, between 11pm and 7am'));
    await answer(st, 'What happened?', () =>
      phone.locator('#description').fill(
        'Someone scratched a long line down the side of my car while it was parked on the street, and snapped off the wing mirror.',
      ),
    );
    // The kind's own questions, in order, until the people page.
    for (let i = 0; i < 5; i++) {
      const h1 = (await phone.locator('h1').first().innerText()).trim();
      if (h1 === 'Who was involved, or saw it?') break;
      await checkAxe(st, phone, h1);
      if (/What was damaged/.test(h1)) {
        await phone.getByLabel('A vehicle').check();
      } else if (/cost to repair/.test(h1)) {
        await phone.locator('input[type="text"], input[type="number"]').first().fill('450');
      }
      await phone.getByRole('button', { name: 'Continue' }).click();
    }
    await answer(st, 'Who was involved, or saw it?', () => phone.locator('#people').fill('Nobody saw it.'));
    await answer(st, 'Were any vehicles involved?', () => phone.locator('#vehicles').fill('My car: a blue Ford Fiesta, AB12 CDE.'));
  });

  await step(t, 'c. a photo is added (its GPS position is removed before it is kept)', async (st) => {
    await expectHeading(phone, 'Do you have photos or files to add?');
    await checkAxe(st, phone, 'the files page');
    await phone.locator('#files').setInputFiles({ name: 'car.jpg', mimeType: 'image/jpeg', buffer: photoWithGps() });
    await phone.getByRole('button', { name: 'Add these files' }).click();
    await expectHeading(phone, 'Do you have photos or files to add?');
    assert.match(await phone.locator('main').innerText(), /car\.jpg/);
    await checkAxe(st, phone, 'the files page with a photo');
    await phone.getByRole('button', { name: 'Continue' }).click();
  });

  await step(t, 'd. contact details, then check the answers and send', async (st) => {
    await expectHeading(phone, 'How can we contact you?');
    await checkAxe(st, phone, 'the contact page');
    // Criminal damage cannot be reported anonymously, so there is no choice to make here.
    assert.equal(await phone.getByLabel(/report anonymously/).count(), 0);
    await phone.locator('#name').fill('Sam Green');
    await phone.locator('#email').fill(EMAIL);
    await phone.getByRole('button', { name: 'Continue' }).click();
    await expectHeading(phone, 'Check your answers before sending your report');
    const check = await phone.locator('main').innerText();
    for (const expected of ['PE29 3AB', 'blue Ford Fiesta', 'car.jpg', EMAIL]) {
      assert.ok(check.includes(expected), `the check page shows ${expected}:\n${check}`);
    }
    await assertNoSidewaysScroll(phone, 'the check page');
    await checkAxe(st, phone, 'check your answers');
    await phone.getByRole('button', { name: 'Send report' }).click();
    await expectHeading(phone, 'Report sent');
    const sent = await phone.locator('main').innerText();
    reference = /RPT-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(sent)?.[0] ?? '';
    assert.ok(reference, `a receipt code on the page:\n${sent}`);
    assert.match(sent, /48 hours/);
    await checkAxe(st, phone, 'the receipt page');
  });

  await step(t, 'e. the receipt email names the report and links to it', async () => {
    const email = await waitForEmail(EMAIL, 15_000);
    assert.ok(email.subject.includes(reference), `subject ${email.subject}`);
    const text = plainText(email.headers, email.body) ?? '';
    followUrl = /https?:\/\/\S+\/reports\/[A-Za-z0-9._~-]+/.exec(text)?.[0] ?? '';
    assert.ok(followUrl, `a link to the report in the email:\n${text}`);
  });

  await step(t, 'f. the operator finds it in her queue, with the photo cleaned, and assesses it', async (st) => {
    await signIn(desk, BASE, await demoAccount('Priya Shah'));
    await desk.goto(`${BASE}/staff/reports`);
    await expectHeading(desk, 'Online reports');
    await checkAxe(st, desk, 'the queue');
    await desk.getByRole('link', { name: reference }).click();
    await expectHeading(desk, `Criminal damage: ${reference}`);
    const page = await desk.locator('main').innerText();
    assert.match(page, /snapped off the wing mirror/);
    assert.match(page, /Possible duplicates/);
    await checkAxe(st, desk, 'the report, as the operator sees it');
    // The photo as staff download it: still a JPEG, without its position or the street.
    const href = await desk.locator('a[href*="/files/"]').first().getAttribute('href');
    const photo = await desk.request.get(`${BASE}${href}`);
    assert.equal(photo.status(), 200);
    const bytes = Buffer.from(await photo.body());
    assert.equal(bytes.subarray(0, 2).toString('hex'), 'ffd8');
    assert.ok(!bytes.toString('latin1').includes('GPSLatitude'), 'the GPS position is gone');
    assert.ok(!bytes.toString('latin1').includes('Acacia'), 'the comment is gone');

    for (const dimension of ['threat', 'harm', 'risk', 'investigation', 'vulnerability', 'engagement']) {
      await desk.locator(`input[name="${dimension}_level"][value="low"]`).check();
    }
    await desk.locator('input[name="decision"][value="respond"]').check();
    await desk.locator('#grade').selectOption('scheduled-appointment');
    await desk.getByRole('button', { name: 'Record the assessment' }).click();
    await desk.waitForLoadState('load');
    assert.match(await desk.locator('main').innerText(), /Waiting for review|Scheduled appointment/);
    await checkAxe(st, desk, 'the report after its assessment');
  });

  await step(t, 'g. the reviewer records a crime with its reference and an explanation', async (st) => {
    await desk.context().clearCookies();
    await signIn(desk, BASE, await demoAccount('Tom Reed'));
    await desk.goto(`${BASE}/staff/reports/${reference}`);
    await expectHeading(desk, `Criminal damage: ${reference}`);
    await checkAxe(st, desk, 'the report, as the reviewer sees it');
    await desk.locator('input[name="outcome"][value="crime"]').check();
    await desk.locator('#crime_reference').fill(CRIME_REFERENCE);
    await desk.locator('#explanation').fill(EXPLANATION);
    await desk.getByRole('button', { name: 'Record the decision' }).click();
    await desk.waitForLoadState('load');
    assert.match(await desk.locator('main').innerText(), new RegExp(CRIME_REFERENCE));
    await checkAxe(st, desk, 'the report after the review');
    await desk.goto(`${BASE}/staff/reports/dashboard`);
    await checkAxe(st, desk, 'the reports dashboard');
  });

  await step(t, 'h. the resident opens their report from the email and sees the reference and why', async (st) => {
    const update = await waitForEmail(EMAIL, 15_000, (m) => plainText(m.headers, m.body)?.includes(CRIME_REFERENCE));
    assert.ok(update.subject.includes(reference), `the update's subject ${update.subject}`);
    await phone.goto(followUrl.replace(/^https?:\/\/[^/]+/, BASE));
    await expectHeading(phone, `Your report ${reference}`);
    const main = await phone.locator('main').innerText();
    assert.ok(main.includes(CRIME_REFERENCE), `the crime reference on the page:\n${main}`);
    assert.ok(main.includes(EXPLANATION), `the explanation on the page:\n${main}`);
    await assertNoSidewaysScroll(phone, 'the report page');
    await checkAxe(st, phone, "the resident's report page");
  });
});
